package dev.tangent.backend.cpu;

import dev.tangent.DType;
import dev.tangent.backend.NativeMemory;
import dev.tangent.backend.Operand;
import dev.tangent.backend.ThreadBudget;
import dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary;
import dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary.BinaryOp;
import dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary.UnaryOp;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.lang.foreign.MemorySegment;

/**
 * Tangent's own C kernels ({@code native/cpu}, libtangent_cpu.so) on operands: SLEEF-vectorised
 * element-wise functions with their fused jvps (float32 and float64, PyTorch's values at NaN, ±inf
 * and ±0), and the batch-1 matrix-vector products that read the weights once for a primal and its
 * tangent; same-shape float32 add/sub/mul/div and the full float32 sum. Each method returns false,
 * doing nothing, where the library is absent or the case is not one it covers (a layout, a dtype,
 * an op, a size); the caller then runs the next kernel in line. Element-wise, binary and sum
 * kernels split their range over the team {@link ThreadBudget} granted ({@link CpuTeam}).
 */
final class NativeKernels {
    private static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("tangent.cpu.native", "true"))
            && NativeCpuLibrary.isAvailable();
    /**
     * Elements from which the native binary ops and sum take float32 work (below, the Java kernels:
     * the sum's order is then PyTorch's cascade, {@link CascadeSum}); oneDNN's element-wise cut-over.
     * {@code -Dtangent.cpu.native.stream=false} leaves binary ops and sums to oneDNN (A/B).
     */
    static final long STREAM_MIN = Long.getLong("tangent.cpu.native.stream_min", 4096);
    private static final boolean STREAM = Boolean.parseBoolean(System.getProperty("tangent.cpu.native.stream", "true"));
    /** Elements per partial sum: the sum's order, independent of the number of threads. */
    static final long SUM_BLOCK = 1L << 16;
    /** Chunks of a split call ({@link CpuTeam}): a multiple of 16 elements, so no cache line is written by two threads. */
    private static final long CHUNK = Math.max(16, CpuTeam.CHUNK / 16 * 16);

    private NativeKernels() {}

    /** Whether the native library is loaded and enabled ({@code -Dtangent.cpu.native=false} turns it off). */
    static boolean enabled() {
        return ENABLED;
    }

    private static UnaryOp op(Prim p) {
        return switch (p) {
            case SIN -> UnaryOp.SIN;
            case COS -> UnaryOp.COS;
            case EXP -> UnaryOp.EXP;
            case LOG -> UnaryOp.LOG;
            case TANH -> UnaryOp.TANH;
            case SIGMOID -> UnaryOp.SIGMOID;
            case ERF -> UnaryOp.ERF;
            case GELU -> UnaryOp.GELU;
            case GELU_TANH -> UnaryOp.GELU_TANH;
            case RELU -> UnaryOp.RELU;
            default -> null;
        };
    }

    private static boolean dense(Operand o) {
        return o.isContiguous();
    }

    private static MemorySegment mem(Operand o) {
        return o.storage().segment().asSlice(o.byteOffset(), o.numel() * o.dtype().byteSize());
    }

    /** y = op(x) for contiguous float32/float64 operands of one dtype. */
    static boolean unary(Prim p, Operand x, Operand y) {
        UnaryOp op = op(p);
        DType dt = x.dtype();
        if (!ENABLED || op == null || !dt.isFloatingPoint() || y.dtype() != dt || !dense(x) || !dense(y)) {
            return false;
        }
        long n = y.numel();
        if (n == 0) {
            return true;
        }
        MemorySegment xm = mem(x);
        MemorySegment ym = mem(y);
        long es = dt.byteSize();
        CpuTeam.forRange(ThreadBudget.granted(), n, CHUNK, (from, to) -> {
            if (dt == DType.FLOAT32) {
                NativeCpuLibrary.unaryF32(op, part(xm, from, to, es), part(ym, from, to, es), to - from);
            } else {
                NativeCpuLibrary.unaryF64(op, part(xm, from, to, es), part(ym, from, to, es), to - from);
            }
        });
        return true;
    }

    private static MemorySegment part(MemorySegment m, long from, long to, long es) {
        return m.asSlice(from * es, (to - from) * es);
    }

    /** y = op(x), dy = op'(x)·dx in one pass. */
    static boolean unaryJvp(Prim p, Operand x, Operand dx, Operand y, Operand dy) {
        UnaryOp op = op(p);
        DType dt = x.dtype();
        if (!ENABLED || op == null || !dt.isFloatingPoint() || dx.dtype() != dt || !dense(x) || !dense(dx)
                || !dense(y) || !dense(dy)) {
            return false;
        }
        long n = y.numel();
        if (n == 0) {
            return true;
        }
        MemorySegment xm = mem(x);
        MemorySegment dxm = mem(dx);
        MemorySegment ym = mem(y);
        MemorySegment dym = mem(dy);
        long es = dt.byteSize();
        CpuTeam.forRange(ThreadBudget.granted(), n, CHUNK, (from, to) -> {
            if (dt == DType.FLOAT32) {
                NativeCpuLibrary.unaryJvpF32(op, part(xm, from, to, es), part(dxm, from, to, es), part(ym, from, to, es),
                        part(dym, from, to, es), to - from);
            } else {
                NativeCpuLibrary.unaryJvpF64(op, part(xm, from, to, es), part(dxm, from, to, es), part(ym, from, to, es),
                        part(dym, from, to, es), to - from);
            }
        });
        return true;
    }

    /**
     * out = a op b for ADD, SUB, MUL, DIV on contiguous float32 operands of out's shape (no
     * broadcasting) from {@link #STREAM_MIN} elements: one IEEE operation per element, as the Java
     * kernel's.
     */
    static boolean binary(Prim p, Operand a, Operand b, Operand out) {
        if (!takesBinary(p, a, b, out)) {
            return false;
        }
        BinaryOp op = switch (p) {
            case ADD -> BinaryOp.ADD;
            case SUB -> BinaryOp.SUB;
            case MUL -> BinaryOp.MUL;
            default -> BinaryOp.DIV;
        };
        long n = out.numel();
        MemorySegment am = mem(a);
        MemorySegment bm = mem(b);
        MemorySegment ym = mem(out);
        CpuTeam.forRange(ThreadBudget.granted(), n, CHUNK, (from, to) ->
                NativeCpuLibrary.binaryF32(op, part(am, from, to, 4), part(bm, from, to, 4), part(ym, from, to, 4), to - from));
        return true;
    }

    /**
     * The SUM of a contiguous float32 x of at least {@link #STREAM_MIN} elements into a one-element
     * float32 out: partial sums of {@link #SUM_BLOCK} elements (each in the library's fixed
     * cascade order), then the sum of the partials in order, so the result is the same on any
     * number of threads; accumulated in float32, overflowing to ±inf as PyTorch's float32 sum does.
     */
    static boolean sum(Prim p, Operand x, Operand out) {
        if (!takesSum(p, x, out)) {
            return false;
        }
        long n = x.numel();
        MemorySegment xm = mem(x);
        MemorySegment om = mem(out);
        long blocks = (n - 1) / SUM_BLOCK + 1;
        if (blocks == 1) {
            NativeCpuLibrary.sumF32(xm, n, SUM_BLOCK, om);
            return true;
        }
        MemorySegment partials = NativeMemory.allocate(blocks * 4);
        try {
            CpuTeam.forRange(ThreadBudget.granted(), n, SUM_BLOCK, (from, to) -> {
                if (to > from) {
                    NativeCpuLibrary.sumF32(part(xm, from, to, 4), to - from, SUM_BLOCK,
                            partials.asSlice(from / SUM_BLOCK * 4, ((to - from - 1) / SUM_BLOCK + 1) * 4));
                }
            });
            NativeCpuLibrary.sumF32(partials, blocks, blocks, om);
        } finally {
            NativeMemory.free(partials);
        }
        return true;
    }

    /**
     * max_pool2d of a contiguous float32 NCHW x into y and, with dx (then dy), its jvp dy = dx at
     * each window's maximum, in one pass (PyTorch's winners: a NaN, the last one; among equals the
     * first tap). dx and dy may be null; those given are contiguous with x's and y's shapes.
     */
    static boolean maxPool2d(Attrs.Pool a, Operand x, Operand dx, Operand y, Operand dy) {
        if (!ENABLED || x.dtype() != DType.FLOAT32 || y.dtype() != DType.FLOAT32 || x.dim() != 4 || !dense(x)
                || !dense(y) || (dx != null && (dx.dtype() != DType.FLOAT32 || !dense(dx)
                || !java.util.Arrays.equals(dx.shape(), x.shape())))
                || (dy != null && (dy.dtype() != DType.FLOAT32 || !dense(dy) || !java.util.Arrays.equals(dy.shape(), y.shape())))
                || (dx == null) != (dy == null)) {
            return false;
        }
        long[] s = x.shape();
        long[] os = y.shape();
        long[] geom = geometry(a);
        maxPool2dPlanes(geom, mem(x), dx == null ? null : mem(dx), 0, mem(y), dy == null ? null : mem(dy), s, os);
        return true;
    }

    /** The pooling geometry as the C kernel takes it: kernel, stride, padding, dilation (rows, columns). */
    private static long[] geometry(Attrs.Pool a) {
        return new long[] {a.kernel()[0], a.kernel()[1], a.stride()[0], a.stride()[1], a.padding()[0], a.padding()[1],
            a.dilation()[0], a.dilation()[1]};
    }

    /**
     * The C kernel over the N * C planes of x [N, C, H, W], split between the team by whole planes
     * (about CHUNK input elements each). dx, when given, holds {@code dxPlanes} planes: the whole
     * tensor (dxPlanes 0), or one plane every plane reads (dxPlanes 1).
     */
    private static void maxPool2dPlanes(long[] geom, MemorySegment xm, MemorySegment dxm, int dxPlanes, MemorySegment ym,
            MemorySegment dym, long[] s, long[] os) {
        long in = s[2] * s[3];
        long out = os[2] * os[3];
        if (dxPlanes == 1) {
            // one shared tangent plane: a call per plane
            CpuTeam.forRange(ThreadBudget.granted(), s[0] * s[1], Math.max(1, CHUNK / Math.max(1, in)), (from, to) -> {
                for (long p = from; p < to; p++) {
                    NativeCpuLibrary.maxPool2dF32(part(xm, p * in, (p + 1) * in, 4), dxm, part(ym, p * out, (p + 1) * out, 4),
                            part(dym, p * out, (p + 1) * out, 4), 1, s[2], s[3], os[2], os[3], geom);
                }
            });
            return;
        }
        CpuTeam.forRange(ThreadBudget.granted(), s[0] * s[1], Math.max(1, CHUNK / Math.max(1, in)), (from, to) ->
                NativeCpuLibrary.maxPool2dF32(part(xm, from * in, to * in, 4), dxm == null ? null : part(dxm, from * in, to * in, 4),
                        part(ym, from * out, to * out, 4), dym == null ? null : part(dym, from * out, to * out, 4),
                        to - from, s[2], s[3], os[2], os[3], geom));
    }

    /**
     * max_pool2d's indices (each window maximum's flat spatial index h * W + w, int64) and, when out
     * is given, its values, by the C kernel's jvp: the tangent is one plane holding each position's
     * own index as float32 (exact while a plane has at most 2^24 elements), so the jvp's "tangent at
     * the winning tap" is the winner's index, with the values' tie and NaN rules. Declines a window
     * with no tap inside the plane (the Java kernel's index -1 there) and planes over 2^24.
     */
    static boolean maxPool2dIndices(Attrs.Pool a, Operand x, Operand out, Operand idx) {
        if (!ENABLED || x.dtype() != DType.FLOAT32 || x.dim() != 4 || !dense(x) || idx.dtype() != DType.INT64
                || !dense(idx) || (out != null && (out.dtype() != DType.FLOAT32 || !dense(out)))) {
            return false;
        }
        long[] s = x.shape();
        long[] os = idx.shape();
        long plane = s[2] * s[3];
        if (plane > (1L << 24) || !everyWindowHasATap(os[2], a.kernel()[0], a.stride()[0], a.padding()[0], a.dilation()[0], s[2])
                || !everyWindowHasATap(os[3], a.kernel()[1], a.stride()[1], a.padding()[1], a.dilation()[1], s[3])) {
            return false;
        }
        long n = idx.numel();
        // scratch from the block cache (no shared arena: closing one stops every thread at a safepoint)
        MemorySegment pos = NativeMemory.allocate(plane * 4);
        MemorySegment ys = out != null ? null : NativeMemory.allocate(n * 4);
        MemorySegment at = NativeMemory.allocate(n * 4);
        try {
            for (long q = 0; q < plane; q++) {
                pos.setAtIndex(Elements.F32, q, q);
            }
            maxPool2dPlanes(geometry(a), mem(x), pos, 1, out != null ? mem(out) : ys, at, s, os);
            MemorySegment im = mem(idx);
            for (long i = 0; i < n; i++) {
                im.setAtIndex(Elements.I64, i,
                        (long) at.getAtIndex(Elements.F32, i));
            }
        } finally {
            NativeMemory.free(pos);
            if (ys != null) {
                NativeMemory.free(ys);
            }
            NativeMemory.free(at);
        }
        return true;
    }

    /** Whether each of the {@code outs} windows along a dimension of {@code size} has a tap inside it. */
    private static boolean everyWindowHasATap(long outs, long k, long stride, long pad, long dil, long size) {
        for (long o = 0; o < outs; o++) {
            boolean any = false;
            for (long t = 0; t < k && !any; t++) {
                long i = o * stride - pad + t * dil;
                any = i >= 0 && i < size;
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }

    /**
     * The layout of W [K, N] as the GEMV takes it: {rowStride, transposed ? 1 : 0}, or null. Row-major
     * [K, N] with unit column stride, or a transposed view of a row-major [N, K] ({@code w.T}).
     */
    private static long[] weightLayout(Operand w) {
        if (w.dim() != 2 || w.dtype() != DType.FLOAT32) {
            return null;
        }
        long[] s = w.strides();
        long k = w.shape()[0];
        long n = w.shape()[1];
        if ((n == 1 || s[1] == 1) && (k == 1 || s[0] >= n)) {
            return new long[] {k == 1 ? n : s[0], 0};
        }
        if ((k == 1 || s[0] == 1) && (n == 1 || s[1] >= k)) {
            return new long[] {n == 1 ? k : s[1], 1};
        }
        return null;
    }

    /** A single contiguous float32 row [1, K] (or a 1-row batch). */
    private static boolean row(Operand x) {
        return x.dtype() == DType.FLOAT32 && x.dim() == 2 && x.shape()[0] == 1 && (x.shape()[1] == 1 || x.strides()[1] == 1);
    }

    /** Whether the native GEMV can take {@code x @ w} (one float32 row, a dense or transposed W). */
    static boolean takesRow(Operand x, Operand w) {
        return ENABLED && row(x) && weightLayout(w) != null;
    }

    /** out [1, N] = a [1, K] @ b [K, N], float32, b row-major or transposed. */
    static boolean matmulRow(Operand a, Operand b, Operand out) {
        return linearRow(a, b, null, false, out);
    }

    /**
     * y = x W (+ bias) (then tanh) and dy = dx W (times 1 - y² with tanh) with W read once: the
     * batch-1 jvp of a linear layer with constant W and bias. PyTorch's x @ 0 term is the caller's.
     */
    static boolean linearRowJvp(Operand x, Operand dx, Operand w, Operand bias, boolean tanh, Operand y, Operand dy) {
        if (!ENABLED || !row(x) || !row(dx) || !dense(y) || !dense(dy)) {
            return false;
        }
        long[] wl = weightLayout(w);
        if (wl == null) {
            return false;
        }
        long k = w.shape()[0];
        long n = w.shape()[1];
        if (k == 0 || n == 0) {
            return false;
        }
        MemorySegment xs = mem(x);
        MemorySegment dxs = mem(dx);
        MemorySegment ws = weight(w, wl);
        MemorySegment bs = biasRow(bias, n);
        MemorySegment ys = mem(y);
        MemorySegment dys = mem(dy);
        int team = ThreadBudget.granted();
        if (team <= 1) {
            NativeCpuLibrary.gemvJvp(xs, dxs, ws, bs, ys, dys, k, n, wl[0], wl[1] == 1, tanh);
            return true;
        }
        CpuTeam.forRange(team, n, gemvChunk(n), (from, to) ->
                NativeCpuLibrary.gemvJvp(xs, dxs, columns(ws, wl, k, from, to), columns(bs, from, to),
                        columns(ys, from, to), columns(dys, from, to), k, to - from, wl[0], wl[1] == 1, tanh));
        return true;
    }

    /**
     * Output columns a chunk of a split GEMV: 1/16 of them, a multiple of 16, at least 64 (a chunk
     * of a 784-wide layer's W is then 200 KB, ~6 µs to stream), so a helper that wakes late takes
     * the chunks left ({@link CpuTeam}).
     */
    static long gemvChunk(long n) {
        return Math.max(64, (n / 16 + 15) / 16 * 16);
    }

    /** Columns [from, to) of a vector (null stays null). */
    private static MemorySegment columns(MemorySegment v, long from, long to) {
        return v == null ? null : v.asSlice(from * 4, (to - from) * 4);
    }

    /** W's memory for output columns [from, to): k rows of them, or with W transposed, rows [from, to). */
    private static MemorySegment columns(MemorySegment w, long[] layout, long k, long from, long to) {
        if (layout[1] == 1) {
            return w.asSlice(from * layout[0] * 4, ((to - from - 1) * layout[0] + k) * 4);
        }
        return w.asSlice(from * 4, ((k - 1) * layout[0] + (to - from)) * 4);
    }

    /** y [1, N] = x [1, K] @ W (+ bias) (then tanh), float32, W row-major or transposed. */
    static boolean linearRow(Operand x, Operand w, Operand bias, boolean tanh, Operand y) {
        if (!ENABLED || !row(x) || y.dim() != 2 || !dense(y)) {
            return false;
        }
        long[] wl = weightLayout(w);
        if (wl == null) {
            return false;
        }
        long k = w.shape()[0];
        long n = w.shape()[1];
        if (k == 0 || n == 0) {
            return false;
        }
        MemorySegment xs = mem(x);
        MemorySegment ws = weight(w, wl);
        MemorySegment bs = biasRow(bias, n);
        MemorySegment ys = mem(y);
        int team = ThreadBudget.granted();
        if (team <= 1) {
            NativeCpuLibrary.gemv(xs, ws, bs, ys, k, n, wl[0], wl[1] == 1, tanh);
            return true;
        }
        CpuTeam.forRange(team, n, gemvChunk(n), (from, to) ->
                NativeCpuLibrary.gemv(xs, columns(ws, wl, k, from, to), columns(bs, from, to), columns(ys, from, to),
                        k, to - from, wl[0], wl[1] == 1, tanh));
        return true;
    }

    /** Whether {@link #unary} takes this call (then it splits over the team, see {@link CpuBackend}). */
    static boolean takesUnary(Prim p, Operand x, Operand y) {
        DType dt = x.dtype();
        return ENABLED && op(p) != null && dt.isFloatingPoint() && y.dtype() == dt && dense(x) && dense(y);
    }

    /** Whether {@link #binary} takes this call. */
    static boolean takesBinary(Prim p, Operand a, Operand b, Operand out) {
        return ENABLED && STREAM && (p == Prim.ADD || p == Prim.SUB || p == Prim.MUL || p == Prim.DIV)
                && out.numel() >= STREAM_MIN && a.dtype() == DType.FLOAT32 && b.dtype() == DType.FLOAT32
                && out.dtype() == DType.FLOAT32 && java.util.Arrays.equals(a.shape(), out.shape())
                && java.util.Arrays.equals(b.shape(), out.shape()) && dense(a) && dense(b) && dense(out);
    }

    /** Whether {@link #sum} takes this call. */
    static boolean takesSum(Prim p, Operand x, Operand out) {
        return ENABLED && STREAM && p == Prim.SUM && x.numel() >= STREAM_MIN && x.dtype() == DType.FLOAT32
                && out.dtype() == DType.FLOAT32 && out.numel() == 1 && dense(x) && dense(out);
    }

    /** Whether {@link #unary} and {@link #unaryJvp} cover {@code p}. */
    static boolean covers(Prim p) {
        return ENABLED && op(p) != null;
    }

    /** The bias's n contiguous floats (a row view: {@code CpuLinear.isRow}), or null. */
    private static MemorySegment biasRow(Operand bias, long n) {
        return bias == null ? null : bias.storage().segment().asSlice(bias.byteOffset(), n * 4);
    }

    /** W's memory from its first element to its last (strided rows included). */
    private static MemorySegment weight(Operand w, long[] layout) {
        long rows = layout[1] == 1 ? w.shape()[1] : w.shape()[0];
        long cols = layout[1] == 1 ? w.shape()[0] : w.shape()[1];
        long elements = (rows - 1) * layout[0] + cols;
        return w.storage().segment().asSlice(w.byteOffset(), elements * 4);
    }
}
