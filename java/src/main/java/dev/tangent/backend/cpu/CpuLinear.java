package dev.tangent.backend.cpu;

import dev.tangent.DType;
import dev.tangent.backend.Backends;
import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A linear layer with its epilogue, {@code y = act(x W + bias)}, and its fused jvp for a constant
 * W and bias, on the CPU (float32): a single row goes to the native GEMV (W read once for primal
 * and tangent, the tanh epilogue inside it, another activation by the native element-wise kernel
 * in place); more rows to oneDNN. The forward is one matmul primitive with the epilogue as
 * post-ops. The jvp of an activated layer with 2 to 128 rows ({@link #stackRows()}) is one matmul of
 * {@code [x; dx]} stacked along the rows (W read once, a GEMM twice as tall) into a per-thread
 * buffer, the bias added to its primal half, then one native pass {@code y = act(a)},
 * {@code dy = act'(a) · b} over the two halves. Outside those rows, or without the native library, it is
 * one matmul primitive per side — the primal's bias and activation as post-ops, the tangent's a
 * multiply by the activation's slope ({@code 1 - y²} for tanh, computed in one pass into a
 * per-thread buffer) — and activations without such a slope (gelu) take the native fused
 * element-wise jvp in place after the two matmuls.
 *
 * <p>PyTorch's {@code x @ 0} term for W's absent tangent is added here for every path: the rows of
 * x holding NaN or ±inf (one scan of x) make their rows of dy NaN. {@link CpuBackend} takes the
 * call's thread budget (one core slot and team for the whole layer) around these methods.
 */
public final class CpuLinear {
    private static final AtomicLong LAUNCHES = new AtomicLong();
    private static final AtomicLong STACKED = new AtomicLong();
    private static final ThreadLocal<Scratch[]> SCRATCH =
            ThreadLocal.withInitial(() -> new Scratch[] {new Scratch(), new Scratch(), new Scratch()});
    private static final int SLOPE = 0;
    private static final int STACKED_IN = 1;
    private static final int STACKED_OUT = 2;
    /*
     * The rows for which an activated layer's jvp runs as one stacked matmul (see the class
     * comment): -Dtangent.linear.stack_from / stack_to. The defaults are from LinearStackProbe
     * (benchmarks), which times both forms in one process: on the MLP's 1024-wide layers, one
     * thread, the stacked form took 0.54-0.70x the two matmuls' time at 2-8 rows, 0.86-0.88x at 64,
     * 0.93-0.95x at 128, 1.01-1.03x at 256-1024 (there the GEMM is compute-bound and the separate bias
     * and activation passes cost more than W's second read). Its native pass runs on one thread;
     * at up to 128 rows that pass is small beside the matmul for any team.
     */
    private static volatile long stackFrom = Long.getLong("tangent.linear.stack_from", 2);
    private static volatile long stackTo = Long.getLong("tangent.linear.stack_to", 128);

    private CpuLinear() {}

    /** Fused linear kernels (primal or jvp) that have run, process-wide: a test's proof the fused path was taken. */
    public static long launches() {
        return LAUNCHES.get();
    }

    /** Fused jvps that ran as one stacked matmul and one native pass, process-wide: a test's proof of that path. */
    public static long stackedLaunches() {
        return STACKED.get();
    }

    /** {from, to}: the rows (inclusive) for which an activated layer's jvp runs as one stacked matmul. */
    public static long[] stackRows() {
        return new long[] {stackFrom, stackTo};
    }

    /**
     * Sets the rows (inclusive) for which an activated layer's jvp runs as one stacked matmul,
     * process-wide, for tests and measurements ({@code from = Long.MAX_VALUE}: never, always two
     * matmuls with epilogues).
     *
     * @throws IllegalArgumentException when {@code from < 2} (one row takes the native GEMV) or {@code to < from}
     */
    public static void stackRows(long from, long to) {
        if (from < 2 || to < from) {
            throw new IllegalArgumentException("linear jvp: stacked matmul for rows " + from + " to " + to
                    + "; needs 2 <= from <= to");
        }
        stackFrom = from;
        stackTo = to;
    }

    /** True when {@code b} is a row of n values: last dim n with stride 1, every other dim broadcast (stride 0 or size 1). */
    public static boolean isRow(Operand b, long n) {
        int r = b.dim();
        if (r == 0 || b.shape()[r - 1] != n || (n > 1 && b.strides()[r - 1] != 1)) {
            return false;
        }
        for (int i = 0; i < r - 1; i++) {
            if (b.shape()[i] != 1 && b.strides()[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** The cases every path takes: float32 x [M, K] and W [K, N], K, M, N > 0, bias a row of N, y [M, N] contiguous. */
    private static boolean fits(Operand x, Operand w, Operand bias, Operand y) {
        if (x.dtype() != DType.FLOAT32 || w.dtype() != DType.FLOAT32 || y.dtype() != DType.FLOAT32 || x.dim() != 2
                || w.dim() != 2 || y.dim() != 2 || !y.isContiguous()) {
            return false;
        }
        long m = x.shape()[0];
        long k = x.shape()[1];
        long n = w.shape()[1];
        return w.shape()[0] == k && y.shape()[0] == m && y.shape()[1] == n && m > 0 && k > 0 && n > 0
                && (bias == null || bias.dtype() == DType.FLOAT32 && isRow(bias, n));
    }

    /**
     * {@code y = act(x W + bias)}; see {@code Backend.linear}. An activation neither the GEMV nor a
     * oneDNN post-op gives PyTorch's values for (relu, gelu) runs after the matmul, in place, by
     * the backend's own element-wise kernel.
     */
    static boolean linear(CpuBackend be, Operand x, Operand w, Operand bias, Prim act, Operand y) {
        if (!fits(x, w, bias, y)) {
            return false;
        }
        boolean nat = be.nativeKernels();
        CpuAccelerator acc = be.accelerator();
        long m = x.shape()[0];
        boolean done = false;
        boolean actDone = false;
        if (m == 1 && nat) {
            done = NativeKernels.linearRow(x, w, bias, act == Prim.TANH, y);
            actDone = act == null || act == Prim.TANH;
        }
        if (!done && acc != null) {
            done = acc.linear(x, w, bias, act, null, y);
            actDone = done;
            if (!done && act != null) {
                done = acc.linear(x, w, bias, null, null, y);
            }
        }
        if (!done) {
            return false;
        }
        if (!actDone) {
            be.unary(act, Attrs.Scalars.NONE, y, y);
        }
        LAUNCHES.incrementAndGet();
        return true;
    }

    /** {@code y = act(x W + bias)}, {@code dy = act'(·)(dx W + x 0)}; see {@code Backend.linearJvp}. */
    static boolean linearJvp(boolean nat, CpuAccelerator acc, Operand x, Operand dx, Operand w, Operand bias, Prim act,
            Operand y, Operand dy) {
        if (!fits(x, w, bias, y) || dx.dtype() != DType.FLOAT32 || !Arrays.equals(dx.shape(), x.shape())
                || !dy.isContiguous() || dy.dtype() != DType.FLOAT32 || !Arrays.equals(dy.shape(), y.shape())) {
            return false;
        }
        long m = x.shape()[0];
        boolean done = false;
        if (m == 1 && nat && (act == null || act == Prim.TANH || fusesJvp(act))) {
            done = NativeKernels.linearRowJvp(x, dx, w, bias, act == Prim.TANH, y, dy)
                    && (act == null || act == Prim.TANH || NativeKernels.unaryJvp(act, y, dy, y, dy));
        }
        if (!done && acc != null && nat && m >= stackFrom && m <= stackTo && act != null && fusesJvp(act)) {
            done = stackedJvp(acc, x, dx, w, bias, act, y, dy);
        }
        if (!done && acc != null) {
            done = matmulsJvp(nat, acc, x, dx, w, bias, act, y, dy);
        }
        if (!done) {
            return false;
        }
        absentTangentRows(x, dy);
        LAUNCHES.incrementAndGet();
        return true;
    }

    /** The jvp as two oneDNN matmuls with their epilogues (and for gelu the native element-wise jvp after them). */
    private static boolean matmulsJvp(boolean nat, CpuAccelerator acc, Operand x, Operand dx, Operand w, Operand bias,
            Prim act, Operand y, Operand dy) {
        if (act == null) {
            return acc.linear(x, w, bias, null, null, y) && acc.linear(dx, w, null, null, null, dy);
        }
        if (act == Prim.TANH || act == Prim.SIGMOID) {
            Operand s = SCRATCH.get()[SLOPE].operand(y.shape());
            return acc.linear(x, w, bias, act, null, y) && acc.activationSlope(act, y, s)
                    && acc.linear(dx, w, null, null, s, dy);
        }
        return nat && fusesJvp(act) && acc.linear(x, w, bias, null, null, y)
                && acc.linear(dx, w, null, null, null, dy) && NativeKernels.unaryJvp(act, y, dy, y, dy);
    }

    /**
     * The jvp as one oneDNN matmul of {@code [x; dx]} (no post-ops) into a [2M, N] buffer, the bias
     * added to its primal half, then the native fused element-wise jvp from the two halves into y
     * and dy. False (y and dy untouched) where x or dx is not row-contiguous or a kernel declines.
     */
    private static boolean stackedJvp(CpuAccelerator acc, Operand x, Operand dx, Operand w, Operand bias, Prim act,
            Operand y, Operand dy) {
        long m = x.shape()[0];
        long k = x.shape()[1];
        long n = w.shape()[1];
        if (!rowsContiguous(x) || !rowsContiguous(dx)) {
            return false;
        }
        Scratch[] sc = SCRATCH.get();
        Operand in = sc[STACKED_IN].operand(new long[] {2 * m, k});
        Operand out = sc[STACKED_OUT].operand(new long[] {2 * m, n});
        copyRows(x, in.storage().segment(), 0);
        copyRows(dx, in.storage().segment(), m * k * 4);
        if (!acc.linear(in, w, null, null, null, out)) {
            return false;
        }
        long[] half = {m, n};
        long[] rowMajor = {n, 1};
        Operand a = out.view(half, rowMajor, out.offset());
        Operand b = out.view(half, rowMajor, out.offset() + m * n);
        if (bias != null) {
            addRow(acc, a, bias, n);
        }
        if (!NativeKernels.unaryJvp(act, a, b, y, dy)) {
            return false;
        }
        STACKED.incrementAndGet();
        return true;
    }

    /** Whether x [M, K] has unit column stride (or one column) and rows at least K apart. */
    private static boolean rowsContiguous(Operand x) {
        long k = x.shape()[1];
        return (k == 1 || x.strides()[1] == 1) && (x.shape()[0] == 1 || x.strides()[0] >= k);
    }

    /** Copies the rows of a row-contiguous x [M, K] densely into {@code dst} from byte {@code at}. */
    private static void copyRows(Operand x, MemorySegment dst, long at) {
        MemorySegment src = x.storage().segment();
        long m = x.shape()[0];
        long k = x.shape()[1];
        long rs = x.strides()[0];
        if (m == 1 || rs == k) {
            MemorySegment.copy(src, x.byteOffset(), dst, at, m * k * 4);
            return;
        }
        for (long i = 0; i < m; i++) {
            MemorySegment.copy(src, x.byteOffset() + i * rs * 4, dst, at + i * k * 4, k * 4);
        }
    }

    /** a [M, N] (contiguous) += the bias row, by oneDNN's binary add in place or, below its cut-over, a loop. */
    private static void addRow(CpuAccelerator acc, Operand a, Operand bias, long n) {
        long unit = n > 1 ? 1 : 0;
        Operand row = bias.view(a.shape(), new long[] {0, unit}, bias.offset());
        if (acc.binary(Prim.ADD, a, row, a)) {
            return;
        }
        MemorySegment as = a.storage().segment();
        MemorySegment bs = bias.storage().segment();
        long m = a.shape()[0];
        for (long i = 0; i < m; i++) {
            long base = a.offset() + i * n;
            for (long j = 0; j < n; j++) {
                float v = as.getAtIndex(ValueLayout.JAVA_FLOAT, base + j)
                        + bs.getAtIndex(ValueLayout.JAVA_FLOAT, bias.offset() + j * unit);
                as.setAtIndex(ValueLayout.JAVA_FLOAT, base + j, v);
            }
        }
    }

    /**
     * Whether the native element-wise jvp of {@code act} may run after the matmuls here. Not relu:
     * its tangent masks (zero where y <= 0, even a NaN), and {@link #absentTangentRows} writes the
     * NaN of x's non-finite rows after the activation, where relu would have zeroed it.
     */
    private static boolean fusesJvp(Prim act) {
        return act != Prim.RELU && NativeKernels.covers(act);
    }

    /** PyTorch's {@code x @ 0} for W's absent tangent: NaN in every row of dy whose row of x holds NaN or ±inf. */
    private static void absentTangentRows(Operand x, Operand dy) {
        MemorySegment xs = x.storage().segment();
        MemorySegment ds = dy.storage().segment();
        long m = x.shape()[0];
        long k = x.shape()[1];
        long n = dy.shape()[1];
        long rs = x.strides()[0];
        long cs = x.strides()[1];
        for (long i = 0; i < m; i++) {
            long at = x.offset() + i * rs;
            boolean finite = cs == 1 || k == 1 ? allFinite(xs.asSlice(at * 4, k * 4), k) : allFinite(xs, at, cs, k);
            if (!finite) {
                // 0xffffffff is a (negative, quiet) NaN
                ds.asSlice(dy.byteOffset() + i * n * 4, n * 4).fill((byte) 0xff);
            }
        }
    }

    /** True when none of the n floats is NaN or ±inf (max of the exponent fields, no branch per element). */
    private static boolean allFinite(MemorySegment s, long n) {
        int max = 0;
        for (long i = 0; i < n; i++) {
            max = Math.max(max, s.getAtIndex(ValueLayout.JAVA_INT, i) & 0x7f800000);
        }
        return max != 0x7f800000;
    }

    private static boolean allFinite(MemorySegment s, long at, long stride, long n) {
        for (long i = 0; i < n; i++) {
            if (!Float.isFinite(s.getAtIndex(ValueLayout.JAVA_FLOAT, at + i * stride))) {
                return false;
            }
        }
        return true;
    }

    /** One thread's buffer (the activation's slope, the stacked rows, their product): grows to the largest layer, never shrinks. */
    private static final class Scratch {
        private Storage storage;
        private long bytes;

        Operand operand(long[] shape) {
            long need = shape[0] * shape[1] * 4;
            if (need > bytes) {
                MemorySegment seg = Arena.ofAuto().allocate(need, 64);
                storage = Storage.wrap(Backends.cpu(), seg);
                bytes = need;
            }
            return Operand.contiguous(storage, DType.FLOAT32, shape);
        }
    }
}
