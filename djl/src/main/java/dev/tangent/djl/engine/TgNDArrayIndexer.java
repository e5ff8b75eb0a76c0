package dev.tangent.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDArrayIndexer;
import ai.djl.ndarray.index.full.NDIndexFullPick;
import ai.djl.ndarray.index.full.NDIndexFullSlice;
import ai.djl.ndarray.index.full.NDIndexFullTake;
import dev.tangent.Tensor;

/**
 * DJL's indexing ({@code get}/{@code set} with an {@code NDIndex}) on Tangent: slices are views,
 * picks are gathers, takes are index selects; assignments build a new tensor (tensors are
 * immutable) and replace the array's, differentiable in both the old values and the assigned ones.
 */
final class TgNDArrayIndexer extends NDArrayIndexer {
    private final TgNDManager manager;

    TgNDArrayIndexer(TgNDManager manager) {
        this.manager = manager;
    }

    private static TgNDArray tg(NDArray a) {
        return a instanceof TgNDArray ? (TgNDArray) a : null;
    }

    @Override
    public NDArray get(NDArray array, NDIndexFullPick fullPick) {
        NDArray idx = fullPick.getIndices();
        int axis = fullPick.getAxis();
        return Exec.run(manager, null, () -> {
            Tensor x = TgNDArray.of(array);
            Tensor i = TgNDArray.of(idx).toLong();
            if (i.dim() != x.dim()) {
                long[] is = i.shape();
                long[] s = new long[x.dim()];
                java.util.Arrays.fill(s, 1);
                System.arraycopy(is, 0, s, 0, is.length);
                i = i.reshape(s);
            }
            return x.gather(axis, i);
        }, array, idx);
    }

    @Override
    public NDArray get(NDArray array, NDIndexFullTake fullTake) {
        NDArray idx = fullTake.getIndices();
        int axis = fullTake.getAxis();
        // numpy's take along an axis: a rank-1 index selects along that axis
        return Exec.run(manager, array.getDataType(), () -> {
            Tensor x = TgNDArray.of(array);
            long n = x.size(axis);
            long[] v = TgNDArray.of(idx).toLongArray();
            for (int i = 0; i < v.length; i++) {
                if (v[i] < -n || v[i] >= n) {
                    throw new IndexOutOfBoundsException("take: index " + v[i] + " is out of bounds for axis " + axis
                            + " with size " + n);
                }
                v[i] = v[i] < 0 ? v[i] + n : v[i];
            }
            return x.indexSelect(axis, Tensor.of(v, v.length));
        }, array, idx);
    }

    @Override
    public NDArray get(NDArray array, NDIndexFullSlice fullSlice) {
        long[] min = fullSlice.getMin();
        long[] max = fullSlice.getMax();
        long[] step = fullSlice.getStep();
        int[] squeeze = fullSlice.getToSqueeze();
        return Exec.run(manager, array.getDataType(), () -> {
            Tensor x = TgNDArray.of(array);
            Tensor r = x;
            for (int d = 0; d < min.length; d++) {
                if (min[d] != 0 || max[d] != x.size(d) || step[d] != 1) {
                    r = r.slice(d, min[d], max[d], step[d]);
                }
            }
            if (squeeze.length > 0) {
                long[] s = r.shape();
                java.util.List<Long> keepDims = new java.util.ArrayList<>();
                for (int d = 0; d < s.length; d++) {
                    final int dd = d;
                    if (java.util.Arrays.stream(squeeze).noneMatch(v -> v == dd)) {
                        keepDims.add(s[d]);
                    }
                }
                r = r.reshape(keepDims.stream().mapToLong(Long::longValue).toArray());
            }
            return r;
        }, array);
    }

    @Override
    public void set(NDArray array, NDIndexFullSlice fullSlice, NDArray value) {
        TgNDArray a = tg(array);
        if (a == null) {
            throw new IllegalArgumentException("Tangent engine: set on an array of another engine");
        }
        long[] min = fullSlice.getMin();
        long[] max = fullSlice.getMax();
        long[] step = fullSlice.getStep();
        long[] region = fullSlice.getShape().getShape();
        a.inPlace(Exec.run(manager, array.getDataType(), () -> {
            Tensor x = a.t();
            Tensor v = TgNDArray.of(value);
            // the value broadcast to the region (DJL drops leading 1s of the region first)
            long[] target = region;
            while (sizeOf(target) > v.numel() && target.length > 0) {
                target = java.util.Arrays.copyOfRange(target, 1, target.length);
            }
            Tensor vr = v.reshape(target).expand(region).contiguous();
            long[] xs = Compose.strides(x.shape());
            int n = Math.toIntExact(sizeOf(region));
            long[] pos = new long[n];
            long[] from = new long[n];
            long[] rs = Compose.strides(region);
            for (int k = 0; k < n; k++) {
                long rem = k;
                long p = 0;
                for (int d = 0; d < region.length; d++) {
                    long c = rem / rs[d];
                    rem %= rs[d];
                    p += (min[d] + c * step[d]) * xs[d];
                }
                pos[k] = p;
                from[k] = k;
            }
            return Compose.scatterFlat(x, pos, vr, from);
        }, array, value));
    }

    @Override
    public void set(NDArray array, NDIndexFullSlice fullSlice, Number value) {
        set(array, fullSlice, array.getManager().create(value).toType(array.getDataType(), false));
    }

    private static long sizeOf(long[] s) {
        long n = 1;
        for (long v : s) {
            n *= v;
        }
        return n;
    }
}
