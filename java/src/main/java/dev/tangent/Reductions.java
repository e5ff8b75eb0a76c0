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

    /**
     * The variance (a primitive: its rules are PyTorch's var_backward); {@code dimNone} for
     * {@code var()} of everything, PyTorch's {@code dim=None}.
     */
    static Tensor var(Tensor x, int[] dims, boolean unbiased, boolean keepdim, boolean dimNone) {
        requireFloat(x, "var");
        Attrs.Dims d = new Attrs.Dims(normalizeDims(x, "var", dims), keepdim);
        return Dispatch.apply(Prim.VAR, new Attrs.Variance(d, unbiased ? 1 : 0, dimNone), x);
    }

    /** The standard deviation (a primitive: its rules are PyTorch's std_backward, 0 where it is 0). */
    static Tensor std(Tensor x, int[] dims, boolean unbiased, boolean keepdim, boolean dimNone) {
        requireFloat(x, "std");
        Attrs.Dims d = new Attrs.Dims(normalizeDims(x, "std", dims), keepdim);
        return Dispatch.apply(Prim.STD, new Attrs.Variance(d, unbiased ? 1 : 0, dimNone), x);
    }

    /** log(sum(exp(x))) over dims: a primitive, with PyTorch's logsumexp_backward and logsumexp_jvp. */
    static Tensor logsumexp(Tensor x, int[] dims, boolean keepdim) {
        requireFloat(x, "logsumexp");
        return reduce(x, Prim.LOGSUMEXP, dims, keepdim);
    }

    /** The 2-norm over dims: a primitive, with PyTorch's norm_backward and norm_jvp (0 where the norm is 0). */
    static Tensor norm(Tensor x, int[] dims, boolean keepdim) {
        requireFloat(x, "norm");
        return reduce(x, Prim.NORM, dims, keepdim);
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
