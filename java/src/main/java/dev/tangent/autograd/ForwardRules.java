package dev.tangent.autograd;

import dev.tangent.DType;
import dev.tangent.Internal;
import dev.tangent.Tensor;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * The jvp rule of every primitive, in one table, written in Tensor operations so that it can
 * itself be differentiated (forward over forward, reverse over forward). A null tangent is a
 * symbolic zero: rules skip the work it would cost, and return null when the result is zero.
 */
public final class ForwardRules {
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    private static final double INV_SQRT_2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    private ForwardRules() {}

    /**
     * Tangent of {@code y = p(x)} given the inputs' tangents {@code t} (null entries are zeros).
     * The result may have a shape that broadcasts to y's; the caller fits it.
     */
    public static Tensor jvp(Prim p, Attrs a, Tensor[] x, Tensor[] t, Tensor y) {
        return switch (p.kind()) {
            case UNARY -> t[0] == null ? null : unary(p, a, x[0], t[0], y);
            case BINARY -> binary(p, x[0], x[1], t[0], t[1], y);
            case COMPARE -> null;
            case WHERE -> t[1] == null && t[2] == null ? null
                    : Tensor.where(x[0], orZeros(t[1], x[1]), orZeros(t[2], x[2]));
            case REDUCE -> reduce(p, a, x[0], t[0], y);
            case SOFTMAX -> {
                int d = (int) a.integer(0);
                if (p == Prim.SOFTMAX) {
                    yield y.mul(t[0].sub(y.mul(t[0]).sum(new int[] {d}, true)));
                }
                yield t[0].sub(y.exp().mul(t[0]).sum(new int[] {d}, true));
            }
            case MATMUL -> add(t[0] == null ? null : mm(t[0], x[1]), t[1] == null ? null : mm(x[0], t[1]));
            case VIEW -> p == Prim.RESHAPE ? t[0].reshape(a.ints()) : Internal.apply(p, a, t[0]);
            case OTHER -> other(p, a, x, t);
        };
    }

    /** d/dx of the unary primitive at x (y = p(x)) times the tangent; shared with the vjp rules. */
    static Tensor unary(Prim p, Attrs a, Tensor x, Tensor t, Tensor y) {
        return switch (p) {
            case NEG -> t.neg();
            case ABS -> t.mul(x.sign());
            case SIGN -> null;
            case EXP -> t.mul(y);
            case EXPM1 -> t.mul(y.add(1.0));
            case LOG -> t.div(x);
            case LOG1P -> t.div(x.add(1.0));
            case SQRT -> t.div(y.mul(2.0));
            case RSQRT -> t.mul(y.pow(3.0)).mul(-0.5);
            case RECIPROCAL -> t.mul(y.mul(y)).neg();
            case SQUARE -> t.mul(x.mul(2.0));
            case SIN -> t.mul(x.cos());
            case COS -> t.mul(x.sin()).neg();
            case TAN -> t.mul(y.mul(y).add(1.0));
            case ASIN -> t.div(x.mul(x).rsub(1.0).sqrt());
            case ACOS -> t.div(x.mul(x).rsub(1.0).sqrt()).neg();
            case ATAN -> t.div(x.mul(x).add(1.0));
            case SINH -> t.mul(x.cosh());
            case COSH -> t.mul(x.sinh());
            case TANH -> t.mul(y.mul(y).rsub(1.0));
            case ASINH -> t.div(x.mul(x).add(1.0).sqrt());
            case ACOSH -> t.div(x.mul(x).sub(1.0).sqrt());
            case ATANH -> t.div(x.mul(x).rsub(1.0));
            case ERF -> t.mul(x.mul(x).neg().exp().mul(TWO_OVER_SQRT_PI));
            case SIGMOID -> t.mul(y.mul(y.rsub(1.0)));
            case RELU -> Tensor.where(x.gt(0.0), t, 0.0);
            case LEAKY_RELU -> Tensor.where(x.gt(0.0), t, t.mul(a.real(0)));
            case ELU -> Tensor.where(x.gt(0.0), t, t.mul(y.add(a.real(0))));
            case GELU -> {
                Tensor cdf = x.mul(INV_SQRT_2).erf().add(1.0).mul(0.5);
                Tensor pdf = x.mul(x).mul(-0.5).exp().mul(INV_SQRT_2PI);
                yield t.mul(cdf.add(x.mul(pdf)));
            }
            case GELU_TANH -> {
                Tensor x2 = x.mul(x);
                Tensor inner = x.add(x2.mul(x).mul(0.044715)).mul(SQRT_2_OVER_PI);
                Tensor th = inner.tanh();
                Tensor dinner = x2.mul(3 * 0.044715).add(1.0).mul(SQRT_2_OVER_PI);
                Tensor d = th.add(1.0).mul(0.5).add(x.mul(0.5).mul(th.mul(th).rsub(1.0)).mul(dinner));
                yield t.mul(d);
            }
            case SILU -> {
                Tensor s = x.sigmoid();
                yield t.mul(s.mul(x.mul(s.rsub(1.0)).add(1.0)));
            }
            case SOFTPLUS -> {
                double beta = a.real(0);
                Tensor bx = x.mul(beta);
                yield Tensor.where(bx.gt(a.real(1)), t, t.mul(bx.sigmoid()));
            }
            case CLAMP -> Tensor.where(x.lt(a.real(0)), t.mul(0.0), Tensor.where(x.gt(a.real(1)), t.mul(0.0), t));
            case POW_SCALAR -> {
                double e = a.real(0);
                if (e == 0) {
                    yield null;
                }
                yield t.mul(x.pow(e - 1).mul(e));
            }
            default -> throw new IllegalArgumentException("no jvp rule for unary primitive " + p.opName());
        };
    }

    private static Tensor binary(Prim p, Tensor a, Tensor b, Tensor ta, Tensor tb, Tensor y) {
        return switch (p) {
            case ADD -> add(ta, tb);
            case SUB -> add(ta, tb == null ? null : tb.neg());
            case MUL -> add(ta == null ? null : ta.mul(b), tb == null ? null : a.mul(tb));
            case DIV -> {
                Tensor r = ta == null ? null : ta.div(b);
                yield add(r, tb == null ? null : tb.mul(y).div(b).neg());
            }
            case POW -> add(ta == null ? null : ta.mul(powBaseGrad(a, b)),
                    tb == null ? null : tb.mul(powExpGrad(a, b, y)));
            case MAXIMUM, MINIMUM -> {
                Tensor m = selectMask(p, a, b, y.dtype());
                Tensor za = orZeros(ta, a);
                Tensor zb = orZeros(tb, b);
                yield zb.add(m.mul(za.sub(zb)));
            }
            default -> throw new IllegalArgumentException("no jvp rule for binary primitive " + p.opName());
        };
    }

    /**
     * d(a^b)/da = b a^(b-1), zero where b == 0 (PyTorch's masking). The mask selects an exact
     * zero: multiplying by zero would keep the NaN of 0 * 0^-1 at a == 0, b == 0.
     */
    static Tensor powBaseGrad(Tensor a, Tensor b) {
        Tensor g = b.mul(a.pow(b.sub(1.0)));
        return Tensor.where(b.ne(0.0), g, 0.0);
    }

    /** d(a^b)/db = a^b log a, zero where a == 0 and b &gt;= 0 (PyTorch's masking; -inf stays for b &lt; 0). */
    static Tensor powExpGrad(Tensor a, Tensor b, Tensor y) {
        Tensor g = y.mul(a.log());
        return Tensor.where(a.eq(0.0), Tensor.where(b.lt(0.0), g, 0.0), g);
    }

    /**
     * d prod(x over dims) / d x_i = the product of the other elements, also where x has zeros
     * (y / x would give 0/0). At a zero it is (product of the non-zero elements) times (product
     * of the other zeros): 1 for a lone zero, the other zero's value for two (0, but with the right
     * derivative), 0 for more. Written in Tensor ops so that it is right to second order too; the
     * division uses a denominator with ones at the zeros so no NaN reaches any branch.
     */
    static Tensor prodGrad(Tensor x, Tensor y, int[] dims) {
        Tensor zero = x.eq(0.0);
        Tensor nonZero = Tensor.where(x.ne(0.0), x, 1.0);
        Tensor zeros = zero.to(x.dtype()).sum(dims, true);
        Tensor productOfNonZeros = nonZero.prod(dims, true);
        Tensor otherZero = Tensor.where(zero, x, 0.0).sum(dims, true).sub(x);
        Tensor atZero = Tensor.where(zeros.eq(1.0), productOfNonZeros,
                Tensor.where(zeros.eq(2.0), productOfNonZeros.mul(otherZero), 0.0));
        return Tensor.where(zero, atZero, y.div(nonZero));
    }

    /** 1 where the first operand is selected, 0 where the second, 0.5 at ties. */
    static Tensor selectMask(Prim p, Tensor a, Tensor b, DType dt) {
        Tensor first = p == Prim.MAXIMUM ? a.gt(b) : a.lt(b);
        Tensor m = first.to(dt);
        return Tensor.where(a.eq(b), m.mul(0.0).add(0.5), m);
    }

    private static Tensor reduce(Prim p, Attrs a, Tensor x, Tensor t, Tensor y) {
        if (t == null) {
            return null;
        }
        int[] dims = a.intsAsInt();
        boolean keepdim = a.flag();
        Tensor yk = keptDims(y, x, dims, keepdim);
        return switch (p) {
            case SUM -> t.sum(dims, keepdim);
            case PROD -> t.mul(prodGrad(x, yk, dims)).sum(dims, keepdim);
            case AMAX, AMIN -> {
                Tensor mask = x.eq(yk).to(x.dtype());
                yield t.mul(mask).sum(dims, keepdim).div(mask.sum(dims, keepdim));
            }
            default -> throw new IllegalArgumentException("no jvp rule for " + p.opName());
        };
    }

    /** A reduction's result (or gradient) viewed with the reduced dims kept as size 1. */
    static Tensor keptDims(Tensor r, Tensor x, int[] dims, boolean keepdim) {
        if (keepdim) {
            return r;
        }
        long[] shape = x.shape();
        for (int d : dims) {
            shape[d] = 1;
        }
        return r.reshape(shape);
    }

    private static Tensor other(Prim p, Attrs a, Tensor[] x, Tensor[] t) {
        return switch (p) {
            case CONTIGUOUS -> t[0] == null ? null : t[0].contiguous();
            case CAST -> {
                DType target = DType.values()[(int) a.integer(0)];
                yield t[0] == null || !target.isFloatingPoint() ? null : t[0].to(target);
            }
            case TO_DEVICE, SLICE_SCATTER -> t[0] == null ? null : Internal.apply(p, a, t[0]);
            case INDEX_SELECT, GATHER, INDEX_ADD, SCATTER_ADD -> t[0] == null ? null : Internal.apply(p, a, t[0], x[1]);
            case CAT -> {
                Tensor[] parts = new Tensor[x.length];
                for (int i = 0; i < x.length; i++) {
                    parts[i] = orZeros(t[i], x[i]);
                }
                yield Internal.apply(p, a, parts);
            }
            default -> throw new IllegalArgumentException("no jvp rule for " + p.opName());
        };
    }

    static Tensor mm(Tensor a, Tensor b) {
        return Internal.apply(Prim.MATMUL, Attrs.NONE, a, b);
    }

    /** a + b where either may be a symbolic zero (null). */
    static Tensor add(Tensor a, Tensor b) {
        if (a == null) {
            return b;
        }
        return b == null ? a : a.add(b);
    }

    /** t, or zeros shaped like x when t is a symbolic zero. */
    static Tensor orZeros(Tensor t, Tensor like) {
        if (t != null) {
            return t;
        }
        return Tensor.full(0, like.dtype().isFloatingPoint() ? like.dtype() : DType.FLOAT32, like.device(), like.shape());
    }
}
