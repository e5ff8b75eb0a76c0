package dev.tangent.djl.engine;

import dev.tangent.DType;
import dev.tangent.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * DJL operations Tangent has no primitive for, written as compositions of Tensor operations (so
 * they differentiate in both modes wherever the math is differentiable). Index computations that
 * only depend on shapes or on integer data are done on the host.
 */
final class Compose {
    private Compose() {}

    /** 2^52: every double at least this large is already an integer. */
    private static final double INTEGRAL = 4503599627370496.0;

    static Tensor trunc(Tensor x) {
        if (!x.dtype().isFloatingPoint()) {
            return x;
        }
        // |x| >= 2^52, inf and NaN pass through; the rest truncates through int64 (zero derivative, as in PyTorch)
        Tensor big = or(x.abs().ge(INTEGRAL), x.ne(x));
        Tensor safe = Tensor.where(big, Tensor.zerosLike(x), x);
        return Tensor.where(big, x, safe.to(DType.INT64).to(x.dtype()));
    }

    static Tensor floor(Tensor x) {
        if (!x.dtype().isFloatingPoint()) {
            return x;
        }
        Tensor t = trunc(x);
        return Tensor.where(x.lt(t), t.sub(1.0), t);
    }

    static Tensor ceil(Tensor x) {
        if (!x.dtype().isFloatingPoint()) {
            return x;
        }
        Tensor t = trunc(x);
        return Tensor.where(x.gt(t), t.add(1.0), t);
    }

    /** Round half to even, as PyTorch. */
    static Tensor round(Tensor x) {
        if (!x.dtype().isFloatingPoint()) {
            return x;
        }
        Tensor f = floor(x);
        Tensor diff = x.sub(f);
        Tensor up = f.add(1.0);
        // at exactly .5 choose the even neighbour
        Tensor fIsEven = floor(f.mul(0.5)).mul(2.0).eq(f);
        Tensor half = Tensor.where(fIsEven, f, up);
        return Tensor.where(diff.lt(0.5), f, Tensor.where(diff.gt(0.5), up, half));
    }

    /** Element-wise or of two masks (bool result). */
    static Tensor or(Tensor a, Tensor b) {
        return a.toLong().add(b.toLong()).gt(0);
    }

    /** Element-wise and of two masks (bool result). */
    static Tensor and(Tensor a, Tensor b) {
        return a.toLong().mul(b.toLong()).ne(0);
    }

    /** Python's remainder (the sign of the divisor), PyTorch's {@code remainder}. */
    static Tensor mod(Tensor a, Tensor b) {
        if (!a.dtype().isFloatingPoint() && !b.dtype().isFloatingPoint()) {
            Tensor fa = a.toDouble();
            Tensor fb = b.toDouble();
            return fa.sub(floor(fa.div(fb)).mul(fb)).to(DType.promote(a.dtype(), b.dtype()));
        }
        return a.sub(floor(a.div(b)).mul(b));
    }

    static Tensor atan2(Tensor y, Tensor x) {
        Tensor base = y.div(x).atan();
        double pi = Math.PI;
        Tensor xNeg = x.lt(0.0);
        Tensor yNonNeg = y.ge(0.0);
        Tensor r = Tensor.where(xNeg, Tensor.where(yNonNeg, base.add(pi), base.sub(pi)), base);
        Tensor xZero = x.eq(0.0);
        long[] s = base.shape();
        Tensor onAxis = Tensor.where(y.gt(0.0), Tensor.full(pi / 2, base.dtype(), base.device(), s),
                Tensor.where(y.lt(0.0), Tensor.full(-pi / 2, base.dtype(), base.device(), s),
                        Tensor.full(0, base.dtype(), base.device(), s)));
        return Tensor.where(xZero, onAxis, r);
    }

    /** Index of the first maximum (or minimum) along dim, int64; dim null flattens first. */
    static Tensor argExtreme(Tensor x, Integer dim, boolean max) {
        if (x.numel() == 0) {
            throw new IllegalArgumentException((max ? "argMax" : "argMin")
                    + ": attempt to get the index of an empty array " + Arrays.toString(x.shape()));
        }
        Tensor v = dim == null ? x.reshape(-1) : x;
        int d = dim == null ? 0 : dim;
        int dd = d < 0 ? d + v.dim() : d;
        if (v.dim() == 0) {
            return Tensor.scalar(0, DType.INT64);
        }
        Tensor ext = max ? v.amax(dd, true) : v.amin(dd, true);
        // NaN counts as the extreme, as in PyTorch
        Tensor hit = or(v.eq(ext), v.ne(v));
        long n = v.size(dd);
        long[] shape = new long[v.dim()];
        Arrays.fill(shape, 1);
        shape[dd] = n;
        Tensor idx = Tensor.arange(n).reshape(shape);
        Tensor cand = Tensor.where(hit, idx.expandAs(v), Tensor.full(n, DType.INT64, v.device()));
        return cand.amin(dd, false);
    }

    /** Cumulative sum along dim (as a product with a triangular matrix: differentiable, exact order of terms). */
    static Tensor cumsum(Tensor x, int dim) {
        int d = dim < 0 ? dim + x.dim() : dim;
        long n = x.size(d);
        Tensor moved = x.transpose(d, x.dim() - 1);
        DType dt = x.dtype().isFloatingPoint() ? x.dtype() : DType.INT64;
        double[] tri = new double[Math.toIntExact(n * n)];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                tri[i * (int) n + j] = 1;
            }
        }
        Tensor u = Tensor.of(tri, dt, n, n);
        Tensor src = moved.to(dt);
        Tensor r;
        if (dt == DType.INT64) {
            // no integer matmul: sum over broadcast products
            r = src.unsqueeze(-1).mul(u).sum(-2);
        } else {
            r = src.matmul(u);
        }
        return r.transpose(d, x.dim() - 1);
    }

    /**
     * A copy of {@code base} with the elements at flat positions {@code pos} replaced by the
     * elements of {@code values} (flattened) at {@code from} (the last write wins).
     */
    static Tensor scatterFlat(Tensor base, long[] pos, Tensor values, long[] from) {
        long n = base.numel();
        long[] map = new long[Math.toIntExact(n)];
        boolean[] hit = new boolean[map.length];
        for (int i = 0; i < pos.length; i++) {
            map[(int) pos[i]] = from[i];
            hit[(int) pos[i]] = true;
        }
        long[] mask = new long[map.length];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = hit[i] ? 1 : 0;
        }
        Tensor flatVals = values.reshape(-1).to(base.dtype());
        if (flatVals.numel() == 0) {
            return base;
        }
        Tensor picked = flatVals.indexSelect(0, Tensor.of(map, n));
        Tensor m = Tensor.of(mask, n).ne(0);
        return Tensor.where(m, picked, base.reshape(-1)).reshape(base.shape());
    }

    /** Strides (in elements) of a contiguous array of this shape. */
    static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** Host argsort along the last dim of a contiguous copy (stable; ascending or descending). */
    static Tensor argsort(Tensor x, int dim, boolean ascending) {
        int d = dim < 0 ? dim + x.dim() : dim;
        Tensor moved = x.transpose(d, x.dim() - 1).contiguous();
        double[] v = moved.toDoubleArray();
        long n = x.dim() == 0 ? 1 : x.size(d);
        long[] idx = new long[v.length];
        for (int row = 0; row < v.length / Math.max(n, 1); row++) {
            Integer[] order = new Integer[(int) n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            final int base = (int) (row * n);
            Arrays.sort(order, (a, b) -> {
                int c = Double.compare(v[base + a], v[base + b]);
                return ascending ? c : -c;
            });
            for (int i = 0; i < n; i++) {
                idx[base + i] = order[i];
            }
        }
        return Tensor.of(idx, moved.shape()).transpose(d, x.dim() - 1);
    }

    /** torch.diagonal: the (offset) diagonal of dims a1, a2, appended as the last dim. */
    static Tensor diagonal(Tensor x, int offset, int a1, int a2) {
        int d1 = a1 < 0 ? a1 + x.dim() : a1;
        int d2 = a2 < 0 ? a2 + x.dim() : a2;
        if (d1 == d2) {
            throw new IllegalArgumentException("diagonal: axis1 and axis2 cannot be the same (" + a1 + ")");
        }
        List<Integer> rest = new ArrayList<>();
        for (int i = 0; i < x.dim(); i++) {
            if (i != d1 && i != d2) {
                rest.add(i);
            }
        }
        int[] perm = new int[x.dim()];
        for (int i = 0; i < rest.size(); i++) {
            perm[i] = rest.get(i);
        }
        perm[x.dim() - 2] = d1;
        perm[x.dim() - 1] = d2;
        Tensor p = x.permute(perm);
        long n1 = x.size(d1);
        long n2 = x.size(d2);
        List<Long> pos = new ArrayList<>();
        for (long i = 0; i < n1; i++) {
            long j = i + offset;
            if (j >= 0 && j < n2) {
                pos.add(i * n2 + j);
            }
        }
        long[] lead = new long[x.dim() - 1];
        for (int i = 0; i < rest.size(); i++) {
            lead[i] = x.size(rest.get(i));
        }
        lead[lead.length - 1] = n1 * n2;
        Tensor flat = p.reshape(lead);
        long[] ix = pos.stream().mapToLong(Long::longValue).toArray();
        return flat.indexSelect(flat.dim() - 1, Tensor.of(ix, ix.length));
    }

    /** x reversed along the given dims. */
    static Tensor flip(Tensor x, int... dims) {
        Tensor r = x;
        for (int a : dims) {
            int d = a < 0 ? a + x.dim() : a;
            long n = x.size(d);
            long[] rev = new long[(int) n];
            for (int i = 0; i < n; i++) {
                rev[i] = n - 1 - i;
            }
            r = r.indexSelect(d, Tensor.of(rev, n));
        }
        return r;
    }

    /** torch.nn.functional.pad with a constant: pad holds (before, after) pairs from the last dim backwards. */
    static Tensor pad(Tensor x, long[] pad, double value) {
        if (pad.length % 2 != 0 || pad.length / 2 > x.dim()) {
            throw new IllegalArgumentException("pad: padding length must be even and at most twice the number of"
                    + " dims, got " + Arrays.toString(pad) + " for shape " + Arrays.toString(x.shape()));
        }
        Tensor r = x;
        for (int k = 0; k < pad.length / 2; k++) {
            int d = x.dim() - 1 - k;
            long before = pad[2 * k];
            long after = pad[2 * k + 1];
            if (before < 0 || after < 0) {
                r = r.slice(d, Math.max(0, -before), r.size(d) - Math.max(0, -after));
                before = Math.max(0, before);
                after = Math.max(0, after);
            }
            List<Tensor> parts = new ArrayList<>();
            if (before > 0) {
                long[] s = r.shape();
                s[d] = before;
                parts.add(Tensor.full(value, r.dtype(), r.device(), s));
            }
            parts.add(r);
            if (after > 0) {
                long[] s = r.shape();
                s[d] = after;
                parts.add(Tensor.full(value, r.dtype(), r.device(), s));
            }
            r = parts.size() == 1 ? r : Tensor.cat(parts, d);
        }
        return r;
    }
}
