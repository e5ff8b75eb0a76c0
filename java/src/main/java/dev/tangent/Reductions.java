package dev.tangent;

import dev.tangent.engine.Dispatch;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.util.Arrays;

/** Reductions over dims and what is built from them (mean, var, norm, logsumexp, softmax). */
final class Reductions {
    private Reductions() {}

    static int[] allDims(Tensor x) {
        int[] d = new int[x.dim()];
        for (int i = 0; i < d.length; i++) {
            d[i] = i;
        }
        return d;
    }

    /** Dims wrapped into range, checked for repeats, sorted. */
    static int[] normalizeDims(Tensor x, String op, int[] dims) {
        int rank = x.dim();
        boolean[] seen = new boolean[Math.max(rank, 1)];
        int[] r = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.wrapDim(op, dims[i], rank);
            if (seen[d]) {
                throw new IllegalArgumentException(op + ": dim " + d + " appears multiple times in the list of dims");
            }
            seen[d] = true;
            r[i] = d;
        }
        Arrays.sort(r);
        return rank == 0 ? new int[0] : r;
    }

    static Tensor reduce(Tensor x, Prim p, int[] dims, boolean keepdim) {
        return Dispatch.apply(p, new Attrs.Dims(normalizeDims(x, p.opName(), dims), keepdim), x);
    }

    static Tensor mean(Tensor x, int[] dims, boolean keepdim) {
        requireFloat(x, "mean");
        long n = reducedCount(x, "mean", dims);
        return x.sum(dims, keepdim).div((double) n);
    }

    static Tensor var(Tensor x, int[] dims, boolean unbiased, boolean keepdim) {
        requireFloat(x, "var");
        long n = reducedCount(x, "var", dims);
        Tensor d = x.sub(x.mean(dims, true));
        return d.mul(d).sum(dims, keepdim).div((double) (unbiased ? n - 1 : n));
    }

    static Tensor logsumexp(Tensor x, int[] dims, boolean keepdim) {
        requireFloat(x, "logsumexp");
        Tensor m = x.amax(dims, true).detach();
        // PyTorch: where the max is infinite, shift by 0 so inf - inf gives no NaN.
        m = Tensor.where(m.abs().eq(Double.POSITIVE_INFINITY), m.wrapScalar(0), m); // not m * 0: -inf * 0 is NaN
        Tensor r = x.sub(m).exp().sum(dims, true).log().add(m);
        return keepdim ? r : Views.squeezeDims(r, normalizeDims(x, "logsumexp", dims));
    }

    static Tensor norm(Tensor x, int[] dims, boolean keepdim) {
        requireFloat(x, "norm");
        // sqrt whose derivative at 0 is 0 (PyTorch's norm gradient at a zero vector), not 0 * inf = NaN
        Tensor s = x.mul(x).sum(dims, keepdim);
        Tensor nonZero = s.ne(0.0);
        return Tensor.where(nonZero, Tensor.where(nonZero, s, 1.0).sqrt(), 0.0);
    }

    static Tensor softmax(Tensor x, Prim p, int dim) {
        return Dispatch.apply(p, new Attrs.Dim(Shapes.wrapDim(p.opName(), dim, x.dim())), x);
    }

    private static long reducedCount(Tensor x, String op, int[] dims) {
        long n = 1;
        long[] shape = x.value.shape();
        for (int d : normalizeDims(x, op, dims)) {
            n *= shape[d];
        }
        return n;
    }

    private static void requireFloat(Tensor x, String op) {
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected a floating point tensor, got " + x.dtype().torchName());
        }
    }
}
