package dev.tangent;

import dev.tangent.engine.Dispatch;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Shape operations: views of the same storage (a copy only where reshape cannot view). */
final class Views {
    private Views() {}

    static Tensor reshape(Tensor x, long[] newShape, boolean copyIfNeeded) {
        String op = copyIfNeeded ? "reshape" : "view";
        long[] shape = x.value.shape();
        long[] strides = x.value.strides();
        long[] target = Shapes.inferReshape(op, shape, newShape);
        if (Shapes.viewStrides(shape, strides, target) == null) {
            if (copyIfNeeded) {
                return x.contiguous().reshape(target);
            }
            throw new IllegalArgumentException("view: view size " + Shapes.str(target) + " is not compatible with"
                    + " input tensor's size " + Shapes.str(shape) + " and stride " + Shapes.str(strides)
                    + " (at least one dimension spans across two contiguous subspaces). Use reshape(...) instead.");
        }
        return Dispatch.apply(Prim.RESHAPE, new Attrs.Shape(target), x);
    }

    static Tensor permute(Tensor x, int[] dims) {
        int rank = x.dim();
        if (dims.length != rank) {
            throw new IllegalArgumentException("permute: number of dims don't match: input has " + rank
                    + " dims " + Shapes.str(x.value.shape()) + ", permutation has " + dims.length);
        }
        int[] p = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.wrapDim("permute", dims[i], rank);
            if (seen[d]) {
                throw new IllegalArgumentException("permute: repeated dim " + d + " in " + Arrays.toString(dims));
            }
            seen[d] = true;
            p[i] = d;
        }
        return Dispatch.apply(Prim.PERMUTE, new Attrs.Permutation(p), x);
    }

    static Tensor transpose(Tensor x, int dim0, int dim1) {
        int rank = x.dim();
        int a = Shapes.wrapDim("transpose", dim0, rank);
        int b = Shapes.wrapDim("transpose", dim1, rank);
        if (rank == 0) {
            return x;
        }
        int[] p = identity(rank);
        p[a] = b;
        p[b] = a;
        return permute(x, p);
    }

    static Tensor reverseDims(Tensor x) {
        int[] p = new int[x.dim()];
        for (int i = 0; i < p.length; i++) {
            p[i] = p.length - 1 - i;
        }
        return permute(x, p);
    }

    static Tensor mT(Tensor x) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException("mT: tensor.mT is only supported on matrices or batches of matrices."
                    + " Got " + x.dim() + "-D tensor.");
        }
        return transpose(x, -2, -1);
    }

    static Tensor squeeze(Tensor x) {
        long[] shape = x.value.shape();
        List<Long> keep = new ArrayList<>();
        for (long s : shape) {
            if (s != 1) {
                keep.add(s);
            }
        }
        if (keep.size() == shape.length) {
            return x;
        }
        long[] s = new long[keep.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = keep.get(i);
        }
        return x.reshape(s);
    }

    static Tensor squeeze(Tensor x, int dim) {
        int d = Shapes.wrapDim("squeeze", dim, x.dim());
        if (x.dim() == 0 || x.value.shape()[d] != 1) {
            return x;
        }
        return squeezeDims(x, new int[] {d});
    }

    /** x without the given size-1 dims (sorted ascending). */
    static Tensor squeezeDims(Tensor x, int[] sortedDims) {
        if (sortedDims.length == 0) {
            return x;
        }
        long[] shape = x.value.shape();
        long[] s = new long[shape.length - sortedDims.length];
        for (int i = 0, j = 0, k = 0; i < shape.length; i++) {
            if (k < sortedDims.length && sortedDims[k] == i) {
                k++;
            } else {
                s[j++] = shape[i];
            }
        }
        return x.reshape(s);
    }

    static Tensor unsqueeze(Tensor x, int dim) {
        long[] shape = x.value.shape();
        int d = Shapes.wrapDim("unsqueeze", dim, shape.length + 1);
        long[] s = new long[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            s[i] = i == d ? 1 : shape[j++];
        }
        return x.reshape(s);
    }

    static Tensor flatten(Tensor x, int startDim, int endDim) {
        long[] shape = x.value.shape();
        if (shape.length == 0) {
            return x.reshape(1);
        }
        int a = Shapes.wrapDim("flatten", startDim, shape.length);
        int b = Shapes.wrapDim("flatten", endDim, shape.length);
        if (a > b) {
            throw new IllegalArgumentException("flatten: start_dim cannot come after end_dim (" + a + " > " + b + ")");
        }
        long[] s = new long[shape.length - (b - a)];
        long m = 1;
        for (int i = a; i <= b; i++) {
            m *= shape[i];
        }
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i < a || i > b) {
                s[j++] = shape[i];
            } else if (i == a) {
                s[j++] = m;
            }
        }
        return x.reshape(s);
    }

    static Tensor expand(Tensor x, long[] sizes) {
        long[] shape = x.value.shape();
        if (sizes.length < shape.length) {
            throw new IllegalArgumentException("expand: the number of sizes provided (" + sizes.length + ") must be"
                    + " greater or equal to the number of dimensions in the tensor (" + shape.length + ")");
        }
        long[] target = sizes.clone();
        int off = sizes.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            long cur = i >= off ? shape[i - off] : 1;
            if (target[i] == -1) {
                if (i < off) {
                    throw new IllegalArgumentException("expand: -1 is not allowed in a leading, non-existing dimension"
                            + " (sizes " + Arrays.toString(sizes) + ")");
                }
                target[i] = cur;
            } else if (target[i] < 0) {
                throw new IllegalArgumentException("expand: invalid size " + target[i] + " at dimension " + i
                        + " (sizes " + Arrays.toString(sizes) + ", tensor sizes " + Shapes.str(shape) + ")");
            } else if (cur != 1 && cur != target[i]) {
                throw new IllegalArgumentException("expand: the expanded size of the tensor (" + target[i]
                        + ") must match the existing size (" + cur + ") at non-singleton dimension " + i
                        + ". Target sizes: " + Arrays.toString(sizes) + ". Tensor sizes: " + Shapes.str(shape));
            }
        }
        if (Arrays.equals(target, shape)) {
            return x;
        }
        return Dispatch.apply(Prim.EXPAND, new Attrs.Shape(target), x);
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }
}
