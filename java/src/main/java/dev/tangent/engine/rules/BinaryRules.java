package dev.tangent.engine.rules;

import dev.tangent.DType;
import dev.tangent.Tensor;
import dev.tangent.ops.Prim;

/** Binary element-wise primitives: add, sub, mul, div, pow, maximum, minimum. */
final class BinaryRules {
    private BinaryRules() {}

    static Tensor jvp(Prim p, Tensor a, Tensor b, Tensor ta, Tensor tb, Tensor y) {
        return switch (p) {
            case ADD -> Rules.add(ta, tb);
            case SUB -> Rules.add(ta, tb == null ? null : tb.neg());
            case MUL -> Rules.add(ta == null ? null : ta.mul(b), tb == null ? null : a.mul(tb));
            case DIV -> Rules.add(ta == null ? null : ta.div(b), tb == null ? null : tb.mul(y).div(b).neg());
            // PyTorch's forward AD materialises the base's absent tangent as a masked zero (+0), so
            // with a tangent on the exponent only, a -0 term comes out +0 (not so for the base's).
            case POW -> Rules.add(ta == null ? null : ta.mul(powBaseGrad(a, b)),
                    tb == null ? null : ta == null ? tb.mul(powExpGrad(a, b, y)).add(0.0) : tb.mul(powExpGrad(a, b, y)));
            case MAXIMUM, MINIMUM -> {
                if (ta == null && tb == null) {
                    yield null;
                }
                Tensor m = selectMask(p, a, b, y.dtype());
                Tensor za = Rules.orZeros(ta, a);
                Tensor zb = Rules.orZeros(tb, b);
                yield zb.add(m.mul(za.sub(zb)));
            }
            default -> throw new IllegalArgumentException("no jvp rule for binary primitive " + p.opName());
        };
    }

    static void vjp(Prim p, Tensor a, Tensor b, Tensor y, Tensor g, boolean[] need, Tensor[] r) {
        switch (p) {
            case ADD -> {
                r[0] = g;
                r[1] = g;
            }
            case SUB -> {
                r[0] = g;
                r[1] = need[1] ? g.neg() : null;
            }
            case MUL -> {
                r[0] = need[0] ? g.mul(b) : null;
                r[1] = need[1] ? g.mul(a) : null;
            }
            case DIV -> {
                r[0] = need[0] ? g.div(b) : null;
                r[1] = need[1] ? g.mul(y).div(b).neg() : null;
            }
            case POW -> {
                r[0] = need[0] ? g.mul(powBaseGrad(a, b)) : null;
                r[1] = need[1] ? g.mul(powExpGrad(a, b, y)) : null;
            }
            case MAXIMUM, MINIMUM -> {
                // PyTorch: where(a == b, g / 2, g), zeroed for the operand not selected; at NaN
                // (every comparison false) both operands get g.
                Tensor shared = Tensor.where(a.eq(b), g.div(2.0), g);
                boolean max = p == Prim.MAXIMUM;
                r[0] = need[0] ? zeroWhere(max ? a.lt(b) : a.gt(b), shared) : null;
                r[1] = need[1] ? zeroWhere(max ? a.gt(b) : a.lt(b), shared) : null;
            }
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        }
    }

    /**
     * d(a^b)/da = b a^(b-1), zero where b == 0 (PyTorch's masking). The mask selects an exact
     * zero: multiplying by zero would keep the NaN of 0 * 0^-1 at a == 0, b == 0.
     */
    private static Tensor powBaseGrad(Tensor a, Tensor b) {
        Tensor g = b.mul(a.pow(b.sub(1.0)));
        return Tensor.where(b.ne(0.0), g, 0.0);
    }

    /** d(a^b)/db = a^b log a, zero where a == 0 and b &gt;= 0 (PyTorch's masking; -inf stays for b &lt; 0, NaN for NaN b). */
    private static Tensor powExpGrad(Tensor a, Tensor b, Tensor y) {
        Tensor g = y.mul(a.log());
        return Tensor.where(a.eq(0.0), zeroWhere(b.ge(0.0), g), g);
    }

    /** x with +0 where mask holds (PyTorch's masked_fill(mask, 0)). */
    private static Tensor zeroWhere(Tensor mask, Tensor x) {
        return Tensor.where(mask, Tensor.full(0, x.dtype(), x.device()), x);
    }

    /** 1 where the first operand is selected, 0 where the second, 0.5 at ties. */
    private static Tensor selectMask(Prim p, Tensor a, Tensor b, DType dt) {
        Tensor first = p == Prim.MAXIMUM ? a.gt(b) : a.lt(b);
        Tensor m = first.to(dt);
        return Tensor.where(a.eq(b), m.mul(0.0).add(0.5), m);
    }
}
