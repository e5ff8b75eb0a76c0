package dev.tangent.ops;

import dev.tangent.DType;
import dev.tangent.Device;
import java.util.Arrays;
import java.util.Objects;

/**
 * The non-tensor arguments of a primitive, one record type per family ({@link Prim#attrsType()}
 * says which). Immutable: arrays passed in are owned by the record and never modified.
 */
public sealed interface Attrs {
    /** For primitives without arguments. */
    None NONE = new None();

    /** No arguments. */
    record None() implements Attrs {}

    /**
     * Up to two scalar parameters of a unary element-wise primitive: the slope of leaky_relu, the
     * alpha of elu, beta and threshold of softplus, min and max of clamp, the exponent of pow.
     */
    record Scalars(double p0, double p1) implements Attrs {
        public static final Scalars NONE = new Scalars(0, 0);

        public static Scalars of(double p0) {
            return new Scalars(p0, 0);
        }
    }

    /** The reduced dims (sorted, distinct, in range) and whether they are kept with size 1. */
    record Dims(int[] dims, boolean keepdim) implements Attrs {
        public boolean reduces(int dim) {
            for (int d : dims) {
                if (d == dim) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Dims d && d.keepdim == keepdim && Arrays.equals(d.dims, dims);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(dims) * 2 + (keepdim ? 1 : 0);
        }

        @Override
        public String toString() {
            return "Dims" + Arrays.toString(dims) + (keepdim ? " keepdim" : "");
        }
    }

    /**
     * A variance's reduction: the dims (as {@link Dims}), the correction subtracted from the count
     * (1 for the unbiased estimate) and whether the dims were given ({@code dimNone}: false when a
     * caller named them, true for {@code var()} of everything, as PyTorch's {@code dim=None}, whose
     * gradient differs when n ≤ correction).
     */
    record Variance(Dims dims, double correction, boolean dimNone) implements Attrs {}

    /** One dim (in range). */
    record Dim(int dim) implements Attrs {}

    /** A target shape (reshape, expand). */
    record Shape(long[] shape) implements Attrs {
        @Override
        public boolean equals(Object o) {
            return o instanceof Shape s && Arrays.equals(s.shape, shape);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return "Shape" + Arrays.toString(shape);
        }
    }

    /** A permutation of the dims. */
    record Permutation(int[] order) implements Attrs {
        /** The permutation that undoes this one. */
        public Permutation inverse() {
            int[] inv = new int[order.length];
            for (int i = 0; i < order.length; i++) {
                inv[order[i]] = i;
            }
            return new Permutation(inv);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Permutation p && Arrays.equals(p.order, order);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(order);
        }

        @Override
        public String toString() {
            return "Permutation" + Arrays.toString(order);
        }
    }

    /** {@code x[..., start:end:step, ...]} on {@code dim}: bounds already clamped, step positive. */
    record Slice(int dim, long start, long end, long step) implements Attrs {
        /** Number of elements the slice selects. */
        public long length() {
            return Math.max(0, (end - start + step - 1) / step);
        }
    }

    /** A slice's values placed into zeros of {@code shape} (the transpose of a slice). */
    record SliceScatter(Slice slice, long[] shape) implements Attrs {
        @Override
        public boolean equals(Object o) {
            return o instanceof SliceScatter s && s.slice.equals(slice) && Arrays.equals(s.shape, shape);
        }

        @Override
        public int hashCode() {
            return slice.hashCode() * 31 + Arrays.hashCode(shape);
        }
    }

    /** index_add / scatter_add along {@code dim} into zeros of {@code shape}. */
    record Scatter(int dim, long[] shape) implements Attrs {
        @Override
        public boolean equals(Object o) {
            return o instanceof Scatter s && s.dim == dim && Arrays.equals(s.shape, shape);
        }

        @Override
        public int hashCode() {
            return dim * 31 + Arrays.hashCode(shape);
        }
    }

    /** A dtype conversion's target. */
    record Cast(DType dtype) implements Attrs {}

    /** A device copy's target. */
    record Transfer(Device device) implements Attrs {}

    /**
     * A 2-d convolution's geometry (NCHW): stride, padding and dilation as (h, w), and the number of
     * groups. Weights are [out channels, in channels / groups, kh, kw].
     */
    record Conv(long[] stride, long[] padding, long[] dilation, long groups) implements Attrs {
        @Override
        public boolean equals(Object o) {
            return o instanceof Conv c && c.groups == groups && Arrays.equals(c.stride, stride)
                    && Arrays.equals(c.padding, padding) && Arrays.equals(c.dilation, dilation);
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(stride), Arrays.hashCode(padding), Arrays.hashCode(dilation), groups);
        }

        @Override
        public String toString() {
            return "Conv[stride=" + Arrays.toString(stride) + ", padding=" + Arrays.toString(padding) + ", dilation="
                    + Arrays.toString(dilation) + ", groups=" + groups + "]";
        }
    }

    /** A convolution adjoint: the convolution and the shape of the result (x's or w's). */
    record ConvGrad(Conv conv, long[] shape) implements Attrs {
        @Override
        public boolean equals(Object o) {
            return o instanceof ConvGrad c && c.conv.equals(conv) && Arrays.equals(c.shape, shape);
        }

        @Override
        public int hashCode() {
            return conv.hashCode() * 31 + Arrays.hashCode(shape);
        }
    }

    /**
     * A 2-d pooling window (NCHW): kernel, stride, padding and dilation as (h, w); ceil mode; for
     * average pooling whether padded positions count, and a divisor override (0: none).
     */
    record Pool(long[] kernel, long[] stride, long[] padding, long[] dilation, boolean ceilMode,
            boolean countIncludePad, long divisor) implements Attrs {
        @Override
        public boolean equals(Object o) {
            return o instanceof Pool p && p.ceilMode == ceilMode && p.countIncludePad == countIncludePad
                    && p.divisor == divisor && Arrays.equals(p.kernel, kernel) && Arrays.equals(p.stride, stride)
                    && Arrays.equals(p.padding, padding) && Arrays.equals(p.dilation, dilation);
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(kernel), Arrays.hashCode(stride), Arrays.hashCode(padding),
                    Arrays.hashCode(dilation), ceilMode, countIncludePad, divisor);
        }

        @Override
        public String toString() {
            return "Pool[kernel=" + Arrays.toString(kernel) + ", stride=" + Arrays.toString(stride) + ", padding="
                    + Arrays.toString(padding) + ", dilation=" + Arrays.toString(dilation) + ", ceil=" + ceilMode
                    + ", countIncludePad=" + countIncludePad + ", divisor=" + divisor + "]";
        }
    }

    /** avg_pool2d's adjoint: the pooling and the input's shape. */
    record PoolGrad(Pool pool, long[] shape) implements Attrs {
        @Override
        public boolean equals(Object o) {
            return o instanceof PoolGrad p && p.pool.equals(pool) && Arrays.equals(p.shape, shape);
        }

        @Override
        public int hashCode() {
            return pool.hashCode() * 31 + Arrays.hashCode(shape);
        }
    }
}
