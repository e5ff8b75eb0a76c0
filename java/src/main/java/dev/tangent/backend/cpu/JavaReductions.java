package dev.tangent.backend.cpu;

import static dev.tangent.backend.cpu.Elements.F32;
import static dev.tangent.backend.cpu.Elements.F64;
import static dev.tangent.backend.cpu.Elements.I64;
import static dev.tangent.backend.cpu.Elements.U8;
import static dev.tangent.backend.cpu.Elements.get;
import static dev.tangent.backend.cpu.Elements.set;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.lang.foreign.MemorySegment;

/** Reductions and softmax as Java loops over native memory (every dtype; the reference for oneDNN). */
final class JavaReductions {
    private JavaReductions() {}

    static void reduce(Prim op, Operand x, Operand out) {
        long[] xs = x.shape();
        long[] os = out.shape();
        long[] xst = x.strides();
        int rank = xs.length;
        // Split dims into kept (iterated by the output) and reduced (iterated per output element).
        int nr = 0;
        for (int d = 0; d < rank; d++) {
            if (os[d] == 1 && xs[d] != 1) {
                nr++;
            }
        }
        long[] rShape = new long[nr];
        long[] rStride = new long[nr];
        long[] kStride = new long[rank];
        for (int d = 0, j = 0; d < rank; d++) {
            if (os[d] == 1 && xs[d] != 1) {
                rShape[j] = xs[d];
                rStride[j++] = xst[d];
                kStride[d] = 0;
            } else {
                kStride[d] = xst[d];
            }
        }
        long count = Shapes.numel(rShape);
        MemorySegment in = x.storage().segment();
        MemorySegment o = out.storage().segment();
        DType xt = x.dtype();
        DType ot = out.dtype();
        if (xt != DType.INT64 && trailingRows(xs, os, xst, out.strides())) {
            reduceRows(op, in, xt, x.offset(), o, ot, Shapes.numel(os), count);
            return;
        }
        if (xt == DType.INT64 && ot == DType.INT64) {
            reduceInt64(op, in, o, os, kStride, out.strides(), x.offset(), rShape, rStride, count);
            return;
        }
        if (op == Prim.SUM && xt == DType.FLOAT32) {
            if (!sumColumns(in, x.offset(), xs, xst, o, ot, os, out.strides())) {
                sumFloat32(in, o, ot, os, kStride, out.strides(), x.offset(), rShape, rStride, count);
            }
            return;
        }
        // float32 products are accumulated in float32, as PyTorch: [max, 2, 0.5] overflows to inf there
        boolean f32Prod = op == Prim.PROD && xt == DType.FLOAT32;
        double[] acc1 = new double[1];
        StridedLoop.forEach(os, new long[][] {kStride, out.strides()}, new long[] {x.offset(), 0},
                (offs, len, inner) -> {
                    for (long j = 0; j < len; j++) {
                        long base = offs[0] + j * inner[0];
                        acc1[0] = identity(op);
                        if (count > 0) {
                            StridedLoop.forEach(rShape, new long[][] {rStride}, new long[] {base}, (ro, rn, ri) -> {
                                double v = acc1[0];
                                for (long q = 0; q < rn; q++) {
                                    v = step(op, f32Prod, v, get(in, xt, ro[0] + q * ri[0]));
                                }
                                acc1[0] = v;
                            });
                        }
                        set(o, ot, offs[1] + j * inner[1], acc1[0]);
                    }
                });
    }

    /** The value a reduction starts from (what an empty reduction gives). */
    private static double identity(Prim op) {
        return switch (op) {
            case SUM -> 0.0;
            case PROD -> 1.0;
            case AMAX -> Double.NEGATIVE_INFINITY;
            case AMIN -> Double.POSITIVE_INFINITY;
            default -> throw new IllegalArgumentException("not a reduction: " + op);
        };
    }

    /**
     * Folds element {@code e} into {@code v}: max/min propagate NaN as PyTorch's; float32 products
     * are rounded to float32 at every step ({@code f32Prod}), as PyTorch accumulates them.
     */
    private static double step(Prim op, boolean f32Prod, double v, double e) {
        return switch (op) {
            case SUM -> v + e;
            case PROD -> f32Prod ? (float) (v * e) : v * e;
            case AMAX -> Double.isNaN(e) || e > v ? e : v;
            default -> Double.isNaN(e) || e < v ? e : v;
        };
    }

    /**
     * Whether x and out are contiguous and the reduced dims are x's trailing ones, so output element
     * i reduces the contiguous row {@code [i * count, (i + 1) * count)} of x (the common case:
     * {@code sum(-1)}, a full sum) and the strided walk can be skipped.
     */
    private static boolean trailingRows(long[] xs, long[] os, long[] xst, long[] ost) {
        return Shapes.isContiguous(xs, xst) && Shapes.isContiguous(os, ost) && Shapes.trailingReduced(xs, os) != 0;
    }

    /**
     * {@link #reduce} over contiguous rows: the same arithmetic in the same order as the strided
     * walk (float32 sums by {@link CascadeSum#sumRow}, the rest accumulated in double left to right).
     */
    private static void reduceRows(Prim op, MemorySegment in, DType xt, long offset, MemorySegment o, DType ot,
            long rows, long count) {
        boolean f32Prod = op == Prim.PROD && xt == DType.FLOAT32;
        CascadeSum cs = op == Prim.SUM && xt == DType.FLOAT32 && count >= CascadeSum.SHORT_ROW ? new CascadeSum() : null;
        for (long i = 0; i < rows; i++) {
            long base = offset + i * count;
            if (op == Prim.SUM && xt == DType.FLOAT32) {
                set(o, ot, i, CascadeSum.sumRow(in, base, count, cs));
                continue;
            }
            double v = identity(op);
            for (long q = 0; q < count; q++) {
                v = step(op, f32Prod, v, get(in, xt, base + q));
            }
            set(o, ot, i, v);
        }
    }

    /**
     * float32 sums in float32 by {@link CascadeSum}, as PyTorch: partial sums overflow where PyTorch's
     * do (a float64 accumulator would not), and the cascade keeps the error logarithmic in the length.
     */
    private static void sumFloat32(MemorySegment in, MemorySegment o, DType ot, long[] os, long[] kStride,
            long[] outStrides, long offset, long[] rShape, long[] rStride, long count) {
        CascadeSum cs = new CascadeSum();
        StridedLoop.forEach(os, new long[][] {kStride, outStrides}, new long[] {offset, 0},
                (offs, len, inner) -> {
                    for (long j = 0; j < len; j++) {
                        cs.reset();
                        if (count > 0) {
                            StridedLoop.forEach(rShape, new long[][] {rStride}, new long[] {offs[0] + j * inner[0]},
                                    (ro, rn, ri) -> {
                                        if (ri[0] == 1) {
                                            cs.addRun(in, ro[0], rn); // a contiguous run (e.g. H x W of NCHW)
                                        } else {
                                            for (long q = 0; q < rn; q++) {
                                                cs.add(in.getAtIndex(F32, ro[0] + q * ri[0]));
                                            }
                                        }
                                    });
                        }
                        set(o, ot, offs[1] + j * inner[1], cs.sum());
                    }
                });
    }

    /** Output columns summed together by {@link #sumColumns}: their scratch (32 floats each) stays in L2. */
    private static final int COLUMN_TILE = 1024;

    /**
     * A float32 sum of contiguous x over one run of dims followed by kept ones ([outer, reduced,
     * inner] after merging dims: a sum over dim 0 or 1 of an NCHW tensor, a bias gradient) by
     * {@link CascadeSum#sumColumns}, a tile of inner columns at a time: the same values, bit for
     * bit, as {@link #sumFloat32}'s strided walk per output, which read one element a cache line
     * (dim 1 of float32 [32, 64, 3136]: 12-19 ms on one thread). False, computing nothing, for
     * other layouts.
     */
    private static boolean sumColumns(MemorySegment in, long offset, long[] xs, long[] xst, MemorySegment o, DType ot,
            long[] os, long[] ost) {
        if (!Shapes.isContiguous(xs, xst) || !Shapes.isContiguous(os, ost)) {
            return false;
        }
        long outer = 1;
        long reduced = 1;
        long inner = 1;
        int part = 0; // 0: leading kept dims, 1: the reduced run, 2: trailing kept dims
        for (int d = 0; d < xs.length; d++) {
            if (xs[d] == 1) {
                continue;
            }
            if (os[d] == 1) {
                if (part == 2) {
                    return false; // a second reduced run
                }
                part = 1;
                reduced *= xs[d];
            } else if (part == 0) {
                outer *= xs[d];
            } else {
                part = 2;
                inner *= xs[d];
            }
        }
        if (part != 2 || outer * reduced * inner == 0) {
            return false;
        }
        int tile = (int) Math.min(COLUMN_TILE, inner);
        float[] scratch = new float[CascadeSum.columnScratch(tile)];
        float[] row = new float[tile];
        float[] sums = new float[tile];
        for (long q = 0; q < outer; q++) {
            for (long t = 0; t < inner; t += tile) {
                int n = (int) Math.min(tile, inner - t);
                CascadeSum.sumColumns(in, offset + q * reduced * inner + t, reduced, inner, n, scratch, row, sums);
                for (int i = 0; i < n; i++) {
                    set(o, ot, q * inner + t + i, sums[i]);
                }
            }
        }
        return true;
    }

    /** int64 reductions in long arithmetic, wrapping on overflow as PyTorch. */
    private static void reduceInt64(Prim op, MemorySegment in, MemorySegment o, long[] os, long[] kStride,
            long[] outStrides, long offset, long[] rShape, long[] rStride, long count) {
        long[] acc1 = new long[1];
        StridedLoop.forEach(os, new long[][] {kStride, outStrides}, new long[] {offset, 0},
                (offs, len, inner) -> {
                    for (long j = 0; j < len; j++) {
                        acc1[0] = switch (op) {
                            case SUM -> 0L;
                            case PROD -> 1L;
                            case AMAX -> Long.MIN_VALUE;
                            case AMIN -> Long.MAX_VALUE;
                            default -> throw new IllegalArgumentException("not a reduction: " + op);
                        };
                        if (count > 0) {
                            StridedLoop.forEach(rShape, new long[][] {rStride}, new long[] {offs[0] + j * inner[0]},
                                    (ro, rn, ri) -> {
                                        long v = acc1[0];
                                        for (long q = 0; q < rn; q++) {
                                            long e = in.getAtIndex(I64, ro[0] + q * ri[0]);
                                            v = switch (op) {
                                                case SUM -> v + e;
                                                case PROD -> v * e;
                                                case AMAX -> Math.max(v, e);
                                                default -> Math.min(v, e);
                                            };
                                        }
                                        acc1[0] = v;
                                    });
                        }
                        o.setAtIndex(I64, offs[1] + j * inner[1], acc1[0]);
                    }
                });
    }

    static void softmax(Prim op, Operand x, int dim, Operand out) {
        long[] xs = x.shape();
        if (xs.length == 0) {
            set(out.storage().segment(), out.dtype(), 0, op == Prim.SOFTMAX ? 1.0 : 0.0);
            return;
        }
        long[] rowShape = xs.clone();
        rowShape[dim] = 1;
        long n = xs[dim];
        long sx = x.strides()[dim];
        long so = out.strides()[dim];
        MemorySegment in = x.storage().segment();
        MemorySegment o = out.storage().segment();
        DType dt = x.dtype();
        boolean log = op == Prim.LOG_SOFTMAX;
        StridedLoop.forEach(rowShape, new long[][] {x.strides(), out.strides()}, new long[] {x.offset(), 0},
                (offs, len, inner) -> {
                    for (long j = 0; j < len; j++) {
                        long xb = offs[0] + j * inner[0];
                        long ob = offs[1] + j * inner[1];
                        double m = Double.NEGATIVE_INFINITY;
                        for (long i = 0; i < n; i++) {
                            m = Math.max(m, get(in, dt, xb + i * sx));
                        }
                        if (m == Double.NEGATIVE_INFINITY) {
                            m = 0; // an all -inf row: exp(-inf - 0) = 0, 0/0 = NaN as PyTorch
                        }
                        // a +inf maximum is kept: inf - inf = NaN makes the whole row NaN, as in PyTorch
                        double s = 0;
                        for (long i = 0; i < n; i++) {
                            s += Math.exp(get(in, dt, xb + i * sx) - m);
                        }
                        double ls = Math.log(s);
                        for (long i = 0; i < n; i++) {
                            double v = get(in, dt, xb + i * sx) - m;
                            set(o, dt, ob + i * so, log ? v - ls : Math.exp(v) / s);
                        }
                    }
                });
    }
}
