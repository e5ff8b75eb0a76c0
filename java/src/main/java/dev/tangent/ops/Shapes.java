package dev.tangent.ops;

import java.util.Arrays;

/** Shape arithmetic shared by every layer: broadcasting, strides, dims. Pure Java, no memory access. */
public final class Shapes {
    private Shapes() {}

    public static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** Row-major strides (in elements) of a contiguous tensor of this shape. */
    public static long[] contiguousStrides(long[] shape) {
        long[] st = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return st;
    }

    /**
     * For a reduction of {@code shape} into {@code out} (its keepdim shape: size 1 on every reduced
     * dim), the number of elements each output sums when the reduced dims are exactly the trailing
     * ones, size-1 dims aside (1 when nothing is reduced); 0 when a kept dim follows a reduced one.
     */
    public static long trailingReduced(long[] shape, long[] out) {
        long run = 1;
        boolean kept = false;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 1) {
                continue;
            }
            if (out[d] != 1) {
                kept = true;
            } else if (kept) {
                return 0; // a reduced dim before a kept one
            } else {
                run *= shape[d];
            }
        }
        return run;
    }

    /** True when a layout is row-major without gaps (size-1 dims may have any stride). */
    public static boolean isContiguous(long[] shape, long[] strides) {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /** PyTorch's broadcast of two shapes, or an exception naming the op and both shapes. */
    public static long[] broadcast(String op, long[] a, long[] b) {
        int n = Math.max(a.length, b.length);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long da = i < n - a.length ? 1 : a[i - (n - a.length)];
            long db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da == db || db == 1) {
                out[i] = da;
            } else if (da == 1) {
                out[i] = db;
            } else {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast (size " + da + " vs " + db + " at dimension " + i + ")");
            }
        }
        return out;
    }

    /** True if {@code from} broadcasts to {@code to}. */
    public static boolean broadcastsTo(long[] from, long[] to) {
        if (from.length > to.length) {
            return false;
        }
        int off = to.length - from.length;
        for (int i = 0; i < from.length; i++) {
            if (from[i] != 1 && from[i] != to[i + off]) {
                return false;
            }
        }
        return true;
    }

    /** Wraps a possibly negative dim into [0, rank); rank 0 accepts -1 and 0 as PyTorch does. */
    public static int wrapDim(String op, long dim, int rank) {
        int r = Math.max(rank, 1);
        if (dim < -r || dim >= r) {
            throw new IllegalArgumentException(op + ": dimension out of range (expected to be in range of ["
                    + (-r) + ", " + (r - 1) + "], but got " + dim + ")");
        }
        return (int) (dim < 0 ? dim + r : dim);
    }

    /** PyTorch's spelling of a shape: {@code [2, 3]}. */
    public static String str(long[] shape) {
        return Arrays.toString(shape);
    }

    /**
     * Strides for viewing a tensor of {@code oldShape}/{@code oldStrides} as {@code newShape}
     * without copying, or null when no such view exists (PyTorch's computeStride).
     */
    public static long[] viewStrides(long[] oldShape, long[] oldStrides, long[] newShape) {
        long numel = numel(oldShape);
        long[] newStrides = new long[newShape.length];
        if (numel == 0) {
            return contiguousStrides(newShape);
        }
        int viewD = newShape.length - 1;
        long chunkBase = oldStrides.length == 0 ? 1 : oldStrides[oldStrides.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int tensorD = oldShape.length - 1; tensorD >= 0; tensorD--) {
            tensorNumel *= oldShape[tensorD];
            if (tensorD == 0 || (oldShape[tensorD - 1] != 1
                    && oldStrides[tensorD - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                    newStrides[viewD] = viewNumel * chunkBase;
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (tensorD > 0) {
                    chunkBase = oldStrides[tensorD - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        if (viewD != -1) {
            // remaining leading size-1 dims
            while (viewD >= 0) {
                if (newShape[viewD] != 1) {
                    return null;
                }
                newStrides[viewD] = 1;
                viewD--;
            }
        }
        return newStrides;
    }

    /** Resolves one {@code -1} in a reshape target and checks the element count. */
    public static long[] inferReshape(String op, long[] from, long[] target) {
        long numel = numel(from);
        long[] out = target.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(op + ": only one dimension can be inferred, got shape " + str(target));
                }
                infer = i;
            } else if (out[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid shape dimension " + out[i] + " in " + str(target));
            } else {
                known *= out[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + str(target) + " is invalid for input of size " + numel);
            }
            out[infer] = numel / known;
        } else if (known != numel) {
            throw new IllegalArgumentException(op + ": shape " + str(target) + " is invalid for input of size " + numel);
        }
        return out;
    }
}
