package dev.tangent.backend.cpu;

import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Internal;
import dev.tangent.Tensor;
import dev.tangent.backend.Backend;
import dev.tangent.backend.NativeMemory;
import dev.tangent.backend.Storage;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * The CPU backend: plain Java loops over native memory for every primitive and dtype, with an
 * optional {@link CpuAccelerator} (oneDNN) that takes the float32 work it does faster.
 */
public final class CpuBackend implements Backend {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;

    private volatile CpuAccelerator accelerator;

    /** A CPU backend with no accelerator (pure Java kernels). */
    public CpuBackend() {
        this(null);
    }

    /** A CPU backend that offers work to {@code accelerator} first (null: none). */
    public CpuBackend(CpuAccelerator accelerator) {
        this.accelerator = accelerator;
    }

    /** The accelerator in use, or null. */
    public CpuAccelerator accelerator() {
        return accelerator;
    }

    /** Replaces the accelerator (null: Java kernels only). */
    public void accelerator(CpuAccelerator a) {
        this.accelerator = a;
    }

    @Override
    public Device device() {
        return Device.cpu();
    }

    @Override
    public MemorySegment allocate(long bytes) {
        return NativeMemory.allocate(bytes);
    }

    @Override
    public void free(MemorySegment segment, long bytes) {
        NativeMemory.free(segment);
    }

    // ------------------------------------------------------------ element access

    static double get(MemorySegment s, DType dt, long i) {
        return switch (dt) {
            case FLOAT32 -> s.getAtIndex(F32, i);
            case FLOAT64 -> s.getAtIndex(F64, i);
            case INT64 -> s.getAtIndex(I64, i);
            case BOOL -> s.getAtIndex(U8, i);
        };
    }

    static void set(MemorySegment s, DType dt, long i, double v) {
        switch (dt) {
            case FLOAT32 -> s.setAtIndex(F32, i, (float) v);
            case FLOAT64 -> s.setAtIndex(F64, i, v);
            case INT64 -> s.setAtIndex(I64, i, (long) v);
            case BOOL -> s.setAtIndex(U8, i, (byte) (v != 0 ? 1 : 0));
        }
    }

    private static long[] st(Tensor t) {
        return Internal.stridesRef(t);
    }

    private static long[] sh(Tensor t) {
        return Internal.shapeRef(t);
    }

    // ------------------------------------------------------------ kernels

    @Override
    public void unary(Prim op, Attrs attrs, Tensor x, Tensor out) {
        CpuAccelerator acc = accelerator;
        if (acc != null && acc.unary(op, attrs, x, out)) {
            return;
        }
        DoubleUnaryOperator f = MathFunctions.unary(op, attrs);
        MemorySegment xs = x.storage().segment();
        MemorySegment os = out.storage().segment();
        DType xt = x.dtype();
        DType ot = out.dtype();
        long n = out.numel();
        if (x.isContiguous() && xt == ot) {
            long xo = x.storageOffset();
            if (xt == DType.FLOAT32) {
                for (long i = 0; i < n; i++) {
                    os.setAtIndex(F32, i, (float) f.applyAsDouble(xs.getAtIndex(F32, xo + i)));
                }
                return;
            }
            if (xt == DType.FLOAT64) {
                for (long i = 0; i < n; i++) {
                    os.setAtIndex(F64, i, f.applyAsDouble(xs.getAtIndex(F64, xo + i)));
                }
                return;
            }
        }
        StridedLoop.forEach(sh(out), new long[][] {st(x), st(out)}, new long[] {x.storageOffset(), 0},
                (offs, len, inner) -> {
                    if (xt == DType.FLOAT32 && ot == DType.FLOAT32) {
                        for (long j = 0; j < len; j++) {
                            os.setAtIndex(F32, offs[1] + j * inner[1],
                                    (float) f.applyAsDouble(xs.getAtIndex(F32, offs[0] + j * inner[0])));
                        }
                        return;
                    }
                    if (xt == DType.FLOAT64 && ot == DType.FLOAT64) {
                        for (long j = 0; j < len; j++) {
                            os.setAtIndex(F64, offs[1] + j * inner[1], f.applyAsDouble(xs.getAtIndex(F64, offs[0] + j * inner[0])));
                        }
                        return;
                    }
                    for (long j = 0; j < len; j++) {
                        set(os, ot, offs[1] + j * inner[1], f.applyAsDouble(get(xs, xt, offs[0] + j * inner[0])));
                    }
                });
    }

    @Override
    public boolean unaryJvp(Prim op, Attrs attrs, Tensor x, Tensor t, Tensor y, Tensor ty) {
        DType dt = x.dtype();
        if (!dt.isFloatingPoint() || t.dtype() != dt || op == Prim.SIGN) {
            return false;
        }
        CpuAccelerator acc = accelerator;
        if (acc != null && acc.unaryJvp(op, attrs, x, t, y, ty)) {
            return true;
        }
        DoubleUnaryOperator f = MathFunctions.unary(op, attrs);
        MathFunctions.Derivative d = MathFunctions.derivative(op, attrs);
        MemorySegment xs = x.storage().segment();
        MemorySegment ts = t.storage().segment();
        MemorySegment ys = y.storage().segment();
        MemorySegment tys = ty.storage().segment();
        StridedLoop.forEach(sh(y), new long[][] {st(x), st(t), st(y)},
                new long[] {x.storageOffset(), t.storageOffset(), 0},
                (offs, len, inner) -> {
                    if (dt == DType.FLOAT32) {
                        for (long j = 0; j < len; j++) {
                            double xv = xs.getAtIndex(F32, offs[0] + j * inner[0]);
                            float yv = (float) f.applyAsDouble(xv);
                            long o = offs[2] + j * inner[2];
                            ys.setAtIndex(F32, o, yv);
                            tys.setAtIndex(F32, o, (float) (ts.getAtIndex(F32, offs[1] + j * inner[1]) * d.at(xv, yv)));
                        }
                    } else {
                        for (long j = 0; j < len; j++) {
                            double xv = xs.getAtIndex(F64, offs[0] + j * inner[0]);
                            double yv = f.applyAsDouble(xv);
                            long o = offs[2] + j * inner[2];
                            ys.setAtIndex(F64, o, yv);
                            tys.setAtIndex(F64, o, ts.getAtIndex(F64, offs[1] + j * inner[1]) * d.at(xv, yv));
                        }
                    }
                });
        return true;
    }

    /**
     * One Java pass for small work; above the accelerator's cut-over the unfused oneDNN kernels
     * (vectorised, threaded) win, so this declines.
     */
    @Override
    public boolean binaryJvp(Prim op, Tensor a, Tensor ta, Tensor b, Tensor tb, Tensor c, Tensor tc) {
        DType dt = c.dtype();
        long n = c.numel();
        CpuAccelerator acc = accelerator;
        if (dt == DType.FLOAT32 && acc instanceof dev.tangent.backend.cpu.dnnl.DnnlAccelerator d
                && n >= d.eltwiseCutover()) {
            return false;
        }
        long nb = b.numel();
        MemorySegment as = a.storage().segment();
        MemorySegment bs = b.storage().segment();
        MemorySegment cs = c.storage().segment();
        MemorySegment tcs = tc.storage().segment();
        MemorySegment tas = ta == null ? null : ta.storage().segment();
        MemorySegment tbs = tb == null ? null : tb.storage().segment();
        long ao = a.storageOffset();
        long bo = b.storageOffset();
        long tao = ta == null ? 0 : ta.storageOffset();
        long tbo = tb == null ? 0 : tb.storageOffset();
        for (long i = 0; i < n; i++) {
            long j = nb == n ? i : i % nb;
            double av = get(as, dt, ao + i);
            double bv = get(bs, dt, bo + j);
            double da = tas == null ? 0 : get(tas, dt, tao + i);
            double db = tbs == null ? 0 : get(tbs, dt, tbo + j);
            double cv;
            double dc;
            switch (op) {
                case ADD -> {
                    cv = av + bv;
                    dc = da + db;
                }
                case SUB -> {
                    cv = av - bv;
                    dc = da - db;
                }
                case MUL -> {
                    cv = av * bv;
                    // An absent tangent adds no term (not 0 * a, which is NaN where a is NaN/inf), as in PyTorch.
                    dc = (tas == null ? 0 : da * bv) + (tbs == null ? 0 : av * db);
                }
                case DIV -> {
                    cv = av / bv;
                    double cr = dt == DType.FLOAT32 ? (float) cv : cv;
                    dc = (tas == null ? 0 : da / bv) - (tbs == null ? 0 : db * cr / bv);
                }
                default -> throw new IllegalArgumentException("no fused jvp for " + op);
            }
            set(cs, dt, i, cv);
            set(tcs, dt, i, dc);
        }
        return true;
    }

    @Override
    public void binary(Prim op, Tensor a, Tensor b, Tensor out) {
        CpuAccelerator acc = accelerator;
        if (acc != null && acc.binary(op, a, b, out)) {
            return;
        }
        DoubleBinaryOperator f = MathFunctions.binary(op);
        MemorySegment as = a.storage().segment();
        MemorySegment bs = b.storage().segment();
        MemorySegment os = out.storage().segment();
        DType at = a.dtype();
        DType bt = b.dtype();
        DType ot = out.dtype();
        long n = out.numel();
        if (at == ot && bt == ot && a.isContiguous() && b.isContiguous()) {
            long ao = a.storageOffset();
            long bo = b.storageOffset();
            if (ot == DType.FLOAT32) {
                for (long i = 0; i < n; i++) {
                    os.setAtIndex(F32, i, (float) f.applyAsDouble(as.getAtIndex(F32, ao + i), bs.getAtIndex(F32, bo + i)));
                }
                return;
            }
            if (ot == DType.FLOAT64) {
                for (long i = 0; i < n; i++) {
                    os.setAtIndex(F64, i, f.applyAsDouble(as.getAtIndex(F64, ao + i), bs.getAtIndex(F64, bo + i)));
                }
                return;
            }
        }
        java.util.function.LongBinaryOperator exact = at == DType.INT64 && bt == DType.INT64 && ot == DType.INT64
                ? switch (op) {
                    case ADD -> Long::sum;
                    case SUB -> (x, y) -> x - y;
                    case MUL -> (x, y) -> x * y;
                    case MAXIMUM -> Math::max;
                    case MINIMUM -> Math::min;
                    default -> null;
                }
                : null;
        StridedLoop.forEach(sh(out), new long[][] {st(a), st(b), st(out)},
                new long[] {a.storageOffset(), b.storageOffset(), 0},
                (offs, len, inner) -> {
                    if (exact != null) {
                        // int64 arithmetic in long, as PyTorch: doubles would round values above 2^53.
                        for (long j = 0; j < len; j++) {
                            os.setAtIndex(I64, offs[2] + j * inner[2], exact.applyAsLong(
                                    as.getAtIndex(I64, offs[0] + j * inner[0]), bs.getAtIndex(I64, offs[1] + j * inner[1])));
                        }
                        return;
                    }
                    if (at == DType.FLOAT64 && bt == DType.FLOAT64 && ot == DType.FLOAT64) {
                        for (long j = 0; j < len; j++) {
                            os.setAtIndex(F64, offs[2] + j * inner[2], f.applyAsDouble(
                                    as.getAtIndex(F64, offs[0] + j * inner[0]), bs.getAtIndex(F64, offs[1] + j * inner[1])));
                        }
                        return;
                    }
                    if (at == DType.FLOAT32 && bt == DType.FLOAT32 && ot == DType.FLOAT32) {
                        for (long j = 0; j < len; j++) {
                            os.setAtIndex(F32, offs[2] + j * inner[2], (float) f.applyAsDouble(
                                    as.getAtIndex(F32, offs[0] + j * inner[0]), bs.getAtIndex(F32, offs[1] + j * inner[1])));
                        }
                        return;
                    }
                    for (long j = 0; j < len; j++) {
                        set(os, ot, offs[2] + j * inner[2], f.applyAsDouble(get(as, at, offs[0] + j * inner[0]),
                                get(bs, bt, offs[1] + j * inner[1])));
                    }
                });
    }

    @Override
    public void where(Tensor mask, Tensor a, Tensor b, Tensor out) {
        MemorySegment ms = mask.storage().segment();
        MemorySegment as = a.storage().segment();
        MemorySegment bs = b.storage().segment();
        MemorySegment os = out.storage().segment();
        DType at = a.dtype();
        DType bt = b.dtype();
        DType ot = out.dtype();
        StridedLoop.forEach(sh(out), new long[][] {st(mask), st(a), st(b), st(out)},
                new long[] {mask.storageOffset(), a.storageOffset(), b.storageOffset(), 0},
                (offs, len, inner) -> {
                    for (long j = 0; j < len; j++) {
                        boolean m = ms.get(U8, offs[0] + j * inner[0]) != 0;
                        double v = m ? get(as, at, offs[1] + j * inner[1]) : get(bs, bt, offs[2] + j * inner[2]);
                        set(os, ot, offs[3] + j * inner[3], v);
                    }
                });
    }

    @Override
    public void reduce(Prim op, Tensor x, Tensor out) {
        CpuAccelerator acc = accelerator;
        if (acc != null && acc.reduce(op, x, out)) {
            return;
        }
        long[] xs = sh(x);
        long[] os = sh(out);
        long[] xst = st(x);
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
        double[] acc1 = new double[1];
        StridedLoop.forEach(os, new long[][] {kStride, st(out)}, new long[] {x.storageOffset(), 0},
                (offs, len, inner) -> {
                    for (long j = 0; j < len; j++) {
                        long base = offs[0] + j * inner[0];
                        double r = switch (op) {
                            case SUM -> 0.0;
                            case PROD -> 1.0;
                            case AMAX -> Double.NEGATIVE_INFINITY;
                            case AMIN -> Double.POSITIVE_INFINITY;
                            default -> throw new IllegalArgumentException("not a reduction: " + op);
                        };
                        acc1[0] = r;
                        if (count > 0) {
                            StridedLoop.forEach(rShape, new long[][] {rStride}, new long[] {base}, (ro, rn, ri) -> {
                                double v = acc1[0];
                                for (long q = 0; q < rn; q++) {
                                    double e = get(in, xt, ro[0] + q * ri[0]);
                                    v = switch (op) {
                                        case SUM -> v + e;
                                        case PROD -> v * e;
                                        case AMAX -> Double.isNaN(e) || e > v ? e : v;
                                        default -> Double.isNaN(e) || e < v ? e : v;
                                    };
                                }
                                acc1[0] = v;
                            });
                        }
                        set(o, ot, offs[1] + j * inner[1], acc1[0]);
                    }
                });
    }

    @Override
    public void softmax(Prim op, Tensor x, int dim, Tensor out) {
        CpuAccelerator acc = accelerator;
        if (acc != null && acc.softmax(op, x, dim, out)) {
            return;
        }
        long[] xs = sh(x);
        if (xs.length == 0) {
            set(out.storage().segment(), out.dtype(), 0, op == Prim.SOFTMAX ? 1.0 : 0.0);
            return;
        }
        long[] rowShape = xs.clone();
        rowShape[dim] = 1;
        long n = xs[dim];
        long sx = st(x)[dim];
        long so = st(out)[dim];
        MemorySegment in = x.storage().segment();
        MemorySegment o = out.storage().segment();
        DType dt = x.dtype();
        boolean log = op == Prim.LOG_SOFTMAX;
        StridedLoop.forEach(rowShape, new long[][] {st(x), st(out)}, new long[] {x.storageOffset(), 0},
                (offs, len, inner) -> {
                    for (long j = 0; j < len; j++) {
                        long xb = offs[0] + j * inner[0];
                        long ob = offs[1] + j * inner[1];
                        double m = Double.NEGATIVE_INFINITY;
                        for (long i = 0; i < n; i++) {
                            m = Math.max(m, get(in, dt, xb + i * sx));
                        }
                        if (Double.isInfinite(m)) {
                            m = 0;
                        }
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

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        CpuAccelerator acc = accelerator;
        if (acc != null && acc.matmul(a, b, out)) {
            return;
        }
        long[] os = sh(out);
        int r = os.length;
        long m = os[r - 2];
        long n = os[r - 1];
        long k = sh(a)[r - 1];
        long[] batch = java.util.Arrays.copyOf(os, r - 2);
        long[] ast = st(a);
        long[] bst = st(b);
        long[] ost = st(out);
        long sam = ast[r - 2];
        long sak = ast[r - 1];
        long sbk = bst[r - 2];
        long sbn = bst[r - 1];
        long som = ost[r - 2];
        long son = ost[r - 1];
        MemorySegment as = a.storage().segment();
        MemorySegment bs = b.storage().segment();
        MemorySegment o = out.storage().segment();
        DType dt = out.dtype();
        long[] batchA = java.util.Arrays.copyOf(ast, r - 2);
        long[] batchB = java.util.Arrays.copyOf(bst, r - 2);
        long[] batchO = java.util.Arrays.copyOf(ost, r - 2);
        StridedLoop.forEach(batch.length == 0 ? new long[] {1} : batch,
                batch.length == 0 ? new long[][] {{0}, {0}, {0}} : new long[][] {batchA, batchB, batchO},
                new long[] {a.storageOffset(), b.storageOffset(), 0},
                (offs, len, inner) -> {
                    for (long q = 0; q < len; q++) {
                        long ao = offs[0] + q * inner[0];
                        long bo = offs[1] + q * inner[1];
                        long oo = offs[2] + q * inner[2];
                        if (dt == DType.FLOAT64) {
                            for (long i = 0; i < m; i++) {
                                for (long j = 0; j < n; j++) {
                                    o.setAtIndex(F64, oo + i * som + j * son, 0.0);
                                }
                                for (long p = 0; p < k; p++) {
                                    double av = as.getAtIndex(F64, ao + i * sam + p * sak);
                                    long brow = bo + p * sbk;
                                    long orow = oo + i * som;
                                    for (long j = 0; j < n; j++) {
                                        long oi = orow + j * son;
                                        o.setAtIndex(F64, oi, o.getAtIndex(F64, oi) + av * bs.getAtIndex(F64, brow + j * sbn));
                                    }
                                }
                            }
                        } else {
                            for (long i = 0; i < m; i++) {
                                for (long j = 0; j < n; j++) {
                                    o.setAtIndex(F32, oo + i * som + j * son, 0f);
                                }
                                for (long p = 0; p < k; p++) {
                                    float av = as.getAtIndex(F32, ao + i * sam + p * sak);
                                    long brow = bo + p * sbk;
                                    long orow = oo + i * som;
                                    for (long j = 0; j < n; j++) {
                                        long oi = orow + j * son;
                                        o.setAtIndex(F32, oi, o.getAtIndex(F32, oi) + av * bs.getAtIndex(F32, brow + j * sbn));
                                    }
                                }
                            }
                        }
                    }
                });
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (dst.numel() == 0) {
            return; // an empty view may sit at an offset past the end of an empty storage
        }
        MemorySegment s = src.storage().segment();
        MemorySegment d = dst.storage().segment();
        DType srcT = src.dtype();
        DType dstT = dst.dtype();
        if (srcT == dstT && src.isContiguous() && dst.isContiguous()) {
            long bytes = src.numel() * srcT.byteSize();
            MemorySegment.copy(s, src.storageOffset() * srcT.byteSize(), d, dst.storageOffset() * dstT.byteSize(), bytes);
            return;
        }
        boolean longs = srcT == DType.INT64 && dstT == DType.INT64;
        StridedLoop.forEach(sh(dst), new long[][] {st(src), st(dst)},
                new long[] {src.storageOffset(), dst.storageOffset()},
                (offs, len, inner) -> {
                    if (longs) {
                        // Not through double: int64 values above 2^53 must survive a strided copy.
                        for (long j = 0; j < len; j++) {
                            d.setAtIndex(I64, offs[1] + j * inner[1], s.getAtIndex(I64, offs[0] + j * inner[0]));
                        }
                        return;
                    }
                    for (long j = 0; j < len; j++) {
                        set(d, dstT, offs[1] + j * inner[1], get(s, srcT, offs[0] + j * inner[0]));
                    }
                });
    }

    @Override
    public void fill(Tensor out, double value) {
        MemorySegment o = out.storage().segment();
        long n = out.numel();
        DType dt = out.dtype();
        long off = out.storageOffset();
        if (value == 0 && out.isContiguous()) {
            o.asSlice(off * dt.byteSize(), n * dt.byteSize()).fill((byte) 0);
            return;
        }
        for (long i = 0; i < n; i++) {
            set(o, dt, off + i, value);
        }
    }

    @Override
    public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        long[] idx = index.toLongArray();
        if (x.dim() == 0) {
            copy(x, out);
            return;
        }
        for (int i = 0; i < idx.length; i++) {
            Tensor src = Internal.view(x, dropDim(sh(x), dim), dropDim(st(x), dim), x.storageOffset() + idx[i] * st(x)[dim]);
            Tensor dst = Internal.view(out, dropDim(sh(out), dim), dropDim(st(out), dim), out.storageOffset() + i * st(out)[dim]);
            copy(src, dst);
        }
    }

    @Override
    public void indexAdd(Tensor out, int dim, Tensor index, Tensor src) {
        long[] idx = index.toLongArray();
        MemorySegment o = out.storage().segment();
        MemorySegment s = src.storage().segment();
        DType ot = out.dtype();
        DType srcT = src.dtype();
        if (out.dim() == 0) {
            for (int i = 0; i < idx.length; i++) {
                set(o, ot, out.storageOffset(), get(o, ot, out.storageOffset()) + get(s, srcT, src.storageOffset()));
            }
            return;
        }
        for (int i = 0; i < idx.length; i++) {
            long[] shape = dropDim(sh(src), dim);
            long dstBase = out.storageOffset() + idx[i] * st(out)[dim];
            long srcBase = src.storageOffset() + i * st(src)[dim];
            StridedLoop.forEach(shape, new long[][] {dropDim(st(src), dim), dropDim(st(out), dim)},
                    new long[] {srcBase, dstBase}, (offs, len, inner) -> {
                        for (long j = 0; j < len; j++) {
                            long oi = offs[1] + j * inner[1];
                            set(o, ot, oi, get(o, ot, oi) + get(s, srcT, offs[0] + j * inner[0]));
                        }
                    });
        }
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        scatterOrGather(x, dim, index, out, false);
    }

    @Override
    public void scatterAdd(Tensor out, int dim, Tensor index, Tensor src) {
        scatterOrGather(src, dim, index, out, true);
    }

    /** gather: out[..i..] = x[..index[..i..]..]; scatter_add: out[..index[..i..]..] += src[..i..]. */
    private void scatterOrGather(Tensor data, int dim, Tensor index, Tensor out, boolean scatter) {
        MemorySegment ds = data.storage().segment();
        MemorySegment is = index.storage().segment();
        MemorySegment os = out.storage().segment();
        DType dt = data.dtype();
        DType ot = out.dtype();
        long[] dst = st(data);
        long[] ost = st(out);
        boolean zeroDim = sh(index).length == 0;
        // Iterate over the index's shape: operand 0 = index, 1 = data/src position with dim's stride
        // zeroed (added per element from the index), 2 = out position likewise.
        long[] ishape = sh(index);
        long[] dStr = zeroDim ? new long[0] : dst.clone();
        long[] oStr = zeroDim ? new long[0] : ost.clone();
        long dDim = zeroDim ? 0 : dst[dim];
        long oDim = zeroDim ? 0 : ost[dim];
        if (scatter) {
            oStr[dim] = 0;
        } else {
            dStr[dim] = 0;
        }
        StridedLoop.forEach(ishape, new long[][] {st(index), dStr, oStr},
                new long[] {index.storageOffset(), data.storageOffset(), out.storageOffset()},
                (offs, len, inner) -> {
                    for (long j = 0; j < len; j++) {
                        long ix = is.getAtIndex(I64, offs[0] + j * inner[0]);
                        long di = offs[1] + j * inner[1];
                        long oi = offs[2] + j * inner[2];
                        if (scatter) {
                            oi += ix * oDim;
                            set(os, ot, oi, get(os, ot, oi) + get(ds, dt, di));
                        } else {
                            di += ix * dDim;
                            set(os, ot, oi, get(ds, dt, di));
                        }
                    }
                });
    }

    private static long[] dropDim(long[] a, int dim) {
        long[] r = new long[a.length - 1];
        for (int i = 0, j = 0; i < a.length; i++) {
            if (i != dim) {
                r[j++] = a[i];
            }
        }
        return r;
    }

    @Override
    public void copyFromHost(MemorySegment host, Storage dst, long dstOffsetBytes, long bytes) {
        MemorySegment.copy(host, 0, dst.segment(), dstOffsetBytes, bytes);
    }

    @Override
    public void copyToHost(Storage src, long srcOffsetBytes, MemorySegment host, long bytes) {
        MemorySegment.copy(src.segment(), srcOffsetBytes, host, 0, bytes);
    }
}
