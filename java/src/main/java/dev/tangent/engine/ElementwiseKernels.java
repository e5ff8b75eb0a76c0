package dev.tangent.engine;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.util.Arrays;

/** Unary, binary, comparison and where kernels, and the fused primal+tangent forms of some. */
final class ElementwiseKernels {
    private ElementwiseKernels() {}

    static Operand unary(Prim p, Attrs.Scalars a, Operand x) {
        DType dt = x.dtype();
        boolean keepsIntegers = switch (p) {
            case NEG, ABS, SIGN, SQUARE, RELU, CLAMP -> true;
            default -> false;
        };
        if (dt == DType.BOOL && p == Prim.NEG) {
            throw new IllegalArgumentException("neg: negation, the `-` operator, on a bool tensor is not supported.");
        }
        if (!dt.isFloatingPoint() && !keepsIntegers) {
            x = Buffers.cast(x, DType.FLOAT32);
            dt = DType.FLOAT32;
        }
        if (dt == DType.BOOL) {
            x = Buffers.cast(x, DType.INT64);
            dt = DType.INT64;
        }
        Operand out = Buffers.allocate(x.shape(), dt, x.device());
        Operand xin = x;
        Launch.run(p.opName(), () -> xin.backend().unary(p, a, xin, out), new Operand[] {xin}, new Operand[] {out},
                Launch.listening() ? Elementwise.unary(p, a, xin, out) : null);
        return out;
    }

    /**
     * The fused primal+tangent kernel of a unary primitive on plain operands: {y, ty}, or null when
     * the backend has none for this case (nothing is written then).
     */
    static Operand[] unaryJvp(Prim p, Attrs.Scalars a, Operand x, Operand t) {
        if (!x.dtype().isFloatingPoint() || t.dtype() != x.dtype() || !Arrays.equals(x.shape(), t.shape())
                || !t.device().equals(x.device())) {
            return null;
        }
        Operand y = Buffers.allocate(x.shape(), x.dtype(), x.device());
        Operand ty = Buffers.allocate(x.shape(), x.dtype(), x.device());
        boolean done = Launch.runFused(p.opName(), () -> x.backend().unaryJvp(p, a, x, t, y, ty),
                new Operand[] {x, t}, new Operand[] {y, ty}, Launch.listening() ? Elementwise.unaryJvp(p, a, x, t, y, ty) : null);
        if (done && Launch.describing()) {
            Launch.describe(new KernelInfo.UnaryJvp(p, a, x, t, y, ty));
        }
        return done ? new Operand[] {y, ty} : declined(y, ty);
    }

    /**
     * The fused primal+tangent kernel of ADD/SUB/MUL/DIV on plain contiguous operands of one
     * dtype, a with the result's shape and b with it or a suffix of it: {c, tc}, or null (nothing
     * written). A null tangent is a zero.
     */
    static Operand[] binaryJvp(Prim p, Operand a, Operand ta, Operand b, Operand tb) {
        DType dt = a.dtype();
        if (!dt.isFloatingPoint() || b.dtype() != dt || (ta != null && ta.dtype() != dt)
                || (tb != null && tb.dtype() != dt) || !a.isContiguous() || !b.isContiguous()
                || (ta != null && !ta.isContiguous()) || (tb != null && !tb.isContiguous())
                || b.dim() > a.dim() || !a.device().equals(b.device()) || b.numel() == 0) {
            return null;
        }
        int off = a.dim() - b.dim();
        for (int i = 0; i < b.dim(); i++) {
            if (b.shape()[i] != a.shape()[off + i]) {
                return null;
            }
        }
        Operand c = Buffers.allocate(a.shape(), dt, a.device());
        Operand tc = Buffers.allocate(a.shape(), dt, a.device());
        Operand[] reads = ta == null ? (tb == null ? new Operand[] {a, b} : new Operand[] {a, b, tb})
                : (tb == null ? new Operand[] {a, ta, b} : new Operand[] {a, ta, b, tb});
        boolean done = Launch.runFused(p.opName(), () -> a.backend().binaryJvp(p, a, ta, b, tb, c, tc),
                reads, new Operand[] {c, tc}, Launch.listening() ? Elementwise.binaryJvp(p, a, ta, b, tb, c, tc) : null);
        return done ? new Operand[] {c, tc} : declined(c, tc);
    }

    /** Frees the results a fused kernel declined to write (nothing else refers to them); null. */
    static Operand[] declined(Operand... unused) {
        for (Operand o : unused) {
            o.storage().free();
        }
        return null;
    }

    /** PyTorch's result type of a binary op: dimensioned operands win over 0-dim ones of the same category. */
    static DType resultType(Operand a, Operand b) {
        boolean a0 = a.dim() == 0;
        boolean b0 = b.dim() == 0;
        if (a0 != b0) {
            Operand dim = a0 ? b : a;
            Operand zero = a0 ? a : b;
            if (zero.dtype().category() > dim.dtype().category()) {
                return zero.dtype();
            }
            return dim.dtype();
        }
        return DType.promote(a.dtype(), b.dtype());
    }

    static Operand binary(Prim p, Operand a, Operand b) {
        long[] shape = Shapes.broadcast(p.opName(), a.shape(), b.shape());
        DType ct = resultType(a, b);
        if ((p == Prim.DIV || p == Prim.POW && ct == DType.BOOL) && !ct.isFloatingPoint()) {
            ct = DType.FLOAT32;
        }
        if (ct == DType.BOOL && p.kind() == Prim.Kind.BINARY) {
            ct = DType.INT64;
        }
        Operand av = Buffers.expand(Buffers.cast(a, ct), shape);
        Operand bv = Buffers.expand(Buffers.cast(b, ct), shape);
        Operand out = Buffers.allocate(shape, p.kind() == Prim.Kind.COMPARE ? DType.BOOL : ct, a.device());
        Launch.run(p.opName(), () -> av.backend().binary(p, av, bv, out), new Operand[] {av, bv}, new Operand[] {out},
                Launch.listening() ? Elementwise.binary(p, av, bv, out) : null);
        if (Launch.describing()) {
            Launch.describe(new KernelInfo.Binary(p, av, bv, out));
        }
        return out;
    }

    static Operand where(Operand mask, Operand a, Operand b) {
        if (mask.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("where: expected condition to be a boolean tensor, but got a tensor"
                    + " with dtype " + mask.dtype().torchName());
        }
        long[] shape = Shapes.broadcast("where", Shapes.broadcast("where", mask.shape(), a.shape()), b.shape());
        DType ct = resultType(a, b);
        Operand out = Buffers.allocate(shape, ct, a.device());
        Operand mv = Buffers.expand(mask, shape);
        Operand av = Buffers.expand(Buffers.cast(a, ct), shape);
        Operand bv = Buffers.expand(Buffers.cast(b, ct), shape);
        Launch.run("where", () -> av.backend().where(mv, av, bv, out), new Operand[] {mv, av, bv}, new Operand[] {out});
        return out;
    }
}
