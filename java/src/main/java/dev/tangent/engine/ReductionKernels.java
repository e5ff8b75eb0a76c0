package dev.tangent.engine;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.util.Arrays;

/** Reductions, softmax and batched matmul: the kernels that combine elements. */
final class ReductionKernels {
    private ReductionKernels() {}

    static Operand reduce(Prim p, Attrs.Dims a, Operand x) {
        long[] outShape = x.shape().clone();
        for (int d : a.dims()) {
            if ((p == Prim.AMAX || p == Prim.AMIN) && x.shape()[d] == 0) {
                throw new IllegalArgumentException(p.opName() + ": Expected reduction dim " + d
                        + " to have non-zero size (input shape " + Shapes.str(x.shape()) + ")");
            }
            outShape[d] = 1;
        }
        DType dt = x.dtype();
        if ((p == Prim.SUM || p == Prim.PROD) && !dt.isFloatingPoint()) {
            dt = DType.INT64;
            x = Buffers.cast(x, dt);
        }
        Operand out = Buffers.allocate(outShape, dt, x.device());
        Operand xin = x;
        Launch.run(p.opName(), () -> xin.backend().reduce(p, xin, out), new Operand[] {xin}, new Operand[] {out},
                p == Prim.SUM && Launch.listening() ? Elementwise.sum(xin, out) : null);
        if (a.keepdim()) {
            return out;
        }
        // keepdim=false: the same storage without the reduced dims (contiguous either way)
        int n = 0;
        long[] s = new long[outShape.length];
        for (int i = 0; i < outShape.length; i++) {
            if (!a.reduces(i)) {
                s[n++] = outShape[i];
            }
        }
        return Operand.contiguous(out.storage(), dt, Arrays.copyOf(s, n));
    }

    static Operand softmax(Prim p, Attrs.Dim a, Operand x) {
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(p.opName() + ": expected a floating point tensor, got "
                    + x.dtype().torchName());
        }
        Operand out = Buffers.allocate(x.shape(), x.dtype(), x.device());
        int dim = x.dim() == 0 ? 0 : a.dim();
        Launch.run(p.opName(), () -> x.backend().softmax(p, x, dim, out), x, out);
        return out;
    }

    static Operand matmul(Operand a, Operand b) {
        if (a.dim() < 2 || b.dim() < 2) {
            throw new IllegalArgumentException("matmul: both arguments need at least 2 dims here, got "
                    + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()));
        }
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException("matmul: expected m1 and m2 to have the same dtype, but got: "
                    + a.dtype().torchName() + " != " + b.dtype().torchName());
        }
        if (!a.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("matmul: only floating point tensors are supported, got "
                    + a.dtype().torchName());
        }
        int ra = a.dim();
        int rb = b.dim();
        long m = a.shape()[ra - 2];
        long k = a.shape()[ra - 1];
        long k2 = b.shape()[rb - 2];
        long n = b.shape()[rb - 1];
        if (k != k2) {
            throw new IllegalArgumentException("matmul: mat1 and mat2 shapes cannot be multiplied (" + m + "x" + k
                    + " and " + k2 + "x" + n + "); shapes " + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()));
        }
        long[] batch = Shapes.broadcast("matmul: batch dims of " + Shapes.str(a.shape()) + " and "
                + Shapes.str(b.shape()), Arrays.copyOf(a.shape(), ra - 2), Arrays.copyOf(b.shape(), rb - 2));
        Operand out = Buffers.allocate(withMatrix(batch, m, n), a.dtype(), a.device());
        Operand av = Buffers.expand(a, withMatrix(batch, m, k));
        Operand bv = Buffers.expand(b, withMatrix(batch, k, n));
        Launch.run("matmul", () -> av.backend().matmul(av, bv, out), new Operand[] {av, bv}, new Operand[] {out});
        return out;
    }

    private static long[] withMatrix(long[] batch, long rows, long cols) {
        long[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = rows;
        s[batch.length + 1] = cols;
        return s;
    }
}
