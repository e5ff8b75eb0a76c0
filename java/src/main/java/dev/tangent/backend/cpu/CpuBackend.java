package dev.tangent.backend.cpu;

import dev.tangent.Device;
import dev.tangent.backend.Backend;
import dev.tangent.backend.NativeMemory;
import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import dev.tangent.backend.ThreadBudget;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.lang.foreign.MemorySegment;

/**
 * The CPU backend: plain Java loops over native memory for every primitive and dtype
 * ({@link JavaElementwise}, {@link JavaReductions}, {@link JavaMatmul}, {@link JavaIndexing},
 * {@link JavaNn}, {@link JavaNorm}), with
 * an optional {@link CpuAccelerator} (oneDNN) that takes the float32 work it does faster.
 *
 * <p>Every compute kernel (native, oneDNN or Java, whichever takes it) runs between
 * {@link ThreadBudget#enter} and {@link ThreadBudget#exit}: oneDNN's team is the grant, and a
 * sizeable kernel holds a core slot of the process-wide budget while it runs.
 */
public final class CpuBackend implements Backend {
    private volatile CpuAccelerator accelerator;
    private volatile boolean nativeKernels;

    /** A CPU backend with no accelerator (pure Java kernels). */
    public CpuBackend() {
        this(null);
    }

    /** A CPU backend that offers work to {@code accelerator} first (null: none); no native CPU kernels. */
    public CpuBackend(CpuAccelerator accelerator) {
        this(accelerator, false);
    }

    /**
     * A CPU backend that offers work to Tangent's native CPU kernels (libtangent_cpu.so, when
     * {@code nativeKernels} and loaded) and to {@code accelerator} before the Java kernels.
     */
    public CpuBackend(CpuAccelerator accelerator, boolean nativeKernels) {
        this.accelerator = accelerator;
        this.nativeKernels = nativeKernels && NativeKernels.enabled();
        if (this.nativeKernels) {
            NativeThreadPlacement.install();
        }
    }

    /** Whether Tangent's native CPU kernels take the work they cover. */
    public boolean nativeKernels() {
        return nativeKernels;
    }

    /** Turns Tangent's native CPU kernels on (when loaded) or off. */
    public void nativeKernels(boolean on) {
        this.nativeKernels = on && NativeKernels.enabled();
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

    /**
     * Tangent's own SLEEF kernels go first where they exist (faster than oneDNN's, and PyTorch's
     * values at NaN and ±inf), except GELU, where oneDNN's is about 3x faster on large float32 work.
     */
    private boolean acceleratorFirst(Prim op, Operand x) {
        return accelerator != null && (op == Prim.GELU || op == Prim.GELU_TANH) && x.dtype() == dev.tangent.DType.FLOAT32;
    }

    @Override
    public void unary(Prim op, Attrs.Scalars attrs, Operand x, Operand out) {
        enterEltwise(out.numel(), nativeKernels && !acceleratorFirst(op, x) && NativeKernels.takesUnary(op, x, out));
        try {
            if (!unaryAccelerated(op, attrs, x, out)) {
                JavaElementwise.unary(op, attrs, x, out);
            }
        } finally {
            ThreadBudget.exit();
        }
    }

    @Override
    public boolean unaryJvp(Prim op, Attrs.Scalars attrs, Operand x, Operand t, Operand y, Operand ty) {
        CpuAccelerator acc = accelerator;
        enterEltwise(y.numel(), nativeKernels && !acceleratorFirst(op, x) && NativeKernels.takesUnary(op, x, y)
                && NativeKernels.takesUnary(op, t, ty));
        try {
            if (acceleratorFirst(op, x) && acc.unaryJvp(op, attrs, x, t, y, ty)) {
                return true;
            }
            if (nativeKernels && NativeKernels.unaryJvp(op, x, t, y, ty)) {
                return true;
            }
            if (acc != null && acc.unaryJvp(op, attrs, x, t, y, ty)) {
                return true;
            }
            if (!JavaElementwise.unaryJvp(op, attrs, x, t, y, ty)) {
                return false;
            }
            // No fused kernel of the family that computes this forward took the call (a broadcast
            // tangent, an op whose jvp oneDNN lacks): y must still be bit for bit what unary() gives,
            // so the forward kernel rewrites it (the Java tangent needs only closeness).
            unaryAccelerated(op, attrs, x, y);
            return true;
        } finally {
            ThreadBudget.exit();
        }
    }

    /** The forward's kernels other than Java's, in unary()'s order: true when one wrote out. */
    private boolean unaryAccelerated(Prim op, Attrs.Scalars attrs, Operand x, Operand out) {
        CpuAccelerator acc = accelerator;
        if (acceleratorFirst(op, x) && acc.unary(op, attrs, x, out)) {
            return true;
        }
        if (nativeKernels && NativeKernels.unary(op, x, out)) {
            return true;
        }
        return acc != null && acc.unary(op, attrs, x, out);
    }

    /**
     * {@link ThreadBudget#enterEltwise} for {@code elements}, with Tangent's own kernels' grain
     * ({@link ThreadBudget#NATIVE_ELTWISE_GRAIN}) where {@code nativeKernel} says one takes the call:
     * they split into chunks taken in turn ({@link CpuTeam}), so a late second thread costs little.
     */
    private static void enterEltwise(long elements, boolean nativeKernel) {
        ThreadBudget.enter(elements, nativeKernel ? ThreadBudget.NATIVE_ELTWISE_GRAIN : ThreadBudget.ELTWISE_GRAIN,
                ThreadBudget.ELTWISE_GATE);
    }

    /**
     * One Java pass for small work; where the accelerator takes element-wise work of this size its
     * separate vectorised, threaded kernels win, so this declines.
     */
    @Override
    public boolean binaryJvp(Prim op, Operand a, Operand ta, Operand b, Operand tb, Operand c, Operand tc) {
        CpuAccelerator acc = accelerator;
        if (acc != null && acc.takesElementwise(c.dtype(), c.numel())) {
            return false;
        }
        return JavaElementwise.binaryJvp(op, a, ta, b, tb, c, tc);
    }

    @Override
    public void binary(Prim op, Operand a, Operand b, Operand out) {
        CpuAccelerator acc = accelerator;
        enterEltwise(out.numel(), nativeKernels && NativeKernels.takesBinary(op, a, b, out));
        try {
            if (nativeKernels && NativeKernels.binary(op, a, b, out)) {
                return;
            }
            if (acc == null || !acc.binary(op, a, b, out)) {
                JavaElementwise.binary(op, a, b, out);
            }
        } finally {
            ThreadBudget.exit();
        }
    }

    @Override
    public void where(Operand mask, Operand a, Operand b, Operand out) {
        JavaElementwise.where(mask, a, b, out);
    }

    @Override
    public void reduce(Prim op, Operand x, Operand out) {
        CpuAccelerator acc = accelerator;
        enterEltwise(x.numel(), nativeKernels && NativeKernels.takesSum(op, x, out));
        try {
            if (nativeKernels && NativeKernels.sum(op, x, out)) {
                return;
            }
            if (acc == null || !acc.reduce(op, x, out)) {
                JavaReductions.reduce(op, x, out);
            }
        } finally {
            ThreadBudget.exit();
        }
    }

    @Override
    public void softmax(Prim op, Operand x, int dim, Operand out) {
        CpuAccelerator acc = accelerator;
        ThreadBudget.enterEltwise(x.numel());
        try {
            if (acc == null || !acc.softmax(op, x, dim, out)) {
                JavaReductions.softmax(op, x, dim, out);
            }
        } finally {
            ThreadBudget.exit();
        }
    }

    /** A single row times a matrix goes to the native GEMV (it streams W at memory speed), else oneDNN, else Java. */
    @Override
    public void matmul(Operand a, Operand b, Operand out) {
        CpuAccelerator acc = accelerator;
        long k = a.shape()[a.dim() - 1];
        enterMatmul(out.numel() * k, NativeKernels.takesRow(a, b));
        try {
            if (nativeKernels && NativeKernels.matmulRow(a, b, out)) {
                return;
            }
            if (acc == null || !acc.matmul(a, b, out)) {
                JavaMatmul.matmul(a, b, out);
            }
        } finally {
            ThreadBudget.exit();
        }
    }

    @Override
    public boolean linear(Operand x, Operand w, Operand bias, Prim act, Operand y) {
        enterMatmul(macs(x, w), NativeKernels.takesRow(x, w));
        try {
            return CpuLinear.linear(this, x, w, bias, act, y);
        } finally {
            ThreadBudget.exit();
        }
    }

    @Override
    public boolean linearJvp(Operand x, Operand dx, Operand w, Operand bias, Prim act, Operand y, Operand dy) {
        enterMatmul(2 * macs(x, w), NativeKernels.takesRow(x, w) && NativeKernels.takesRow(dx, w));
        try {
            return CpuLinear.linearJvp(nativeKernels, accelerator, x, dx, w, bias, act, y, dy);
        } finally {
            ThreadBudget.exit();
        }
    }

    /**
     * {@link ThreadBudget#enterMatmul} for {@code macs} multiply-adds; a single row that Tangent's
     * native GEMV takes ({@code oneRow}) splits by {@link ThreadBudget#NATIVE_GEMV_GRAIN} instead (it streams W, so
     * a second core pays for itself at sizes where oneDNN's compute-bound split does not), on
     * borrowed idle cores only ({@link ThreadBudget#enterBorrowing}).
     */
    private void enterMatmul(long macs, boolean oneRow) {
        if (oneRow && nativeKernels) {
            ThreadBudget.enterBorrowing(macs, ThreadBudget.NATIVE_GEMV_GRAIN, ThreadBudget.MATMUL_GATE);
        } else {
            ThreadBudget.enterMatmul(macs);
        }
    }

    /** Multiply-adds of {@code x @ w} (x's last dimension is w's first). */
    private static long macs(Operand x, Operand w) {
        long k = x.dim() == 0 ? 1 : Math.max(1, x.shape()[x.dim() - 1]);
        return x.numel() / k * w.numel();
    }

    @Override
    public void copy(Operand src, Operand dst) {
        // A copy is memory-bound like Tangent's own streaming kernels: their grain splits it.
        ThreadBudget.enter(dst.numel(), ThreadBudget.NATIVE_ELTWISE_GRAIN, ThreadBudget.ELTWISE_GATE);
        try {
            JavaElementwise.copy(src, dst);
        } finally {
            ThreadBudget.exit();
        }
    }

    @Override
    public void fill(Operand out, double value) {
        JavaElementwise.fill(out, value);
    }

    @Override
    public void indexSelect(Operand x, int dim, Operand index, Operand out) {
        JavaIndexing.indexSelect(x, dim, index, out);
    }

    @Override
    public void indexAdd(Operand out, int dim, Operand index, Operand src) {
        JavaIndexing.indexAdd(out, dim, index, src);
    }

    @Override
    public void gather(Operand x, int dim, Operand index, Operand out) {
        JavaIndexing.gather(x, dim, index, out);
    }

    @Override
    public void scatterAdd(Operand out, int dim, Operand index, Operand src) {
        JavaIndexing.scatterAdd(out, dim, index, src);
    }

    @Override
    public void conv2d(Attrs.Conv a, Operand x, Operand w, Operand out) {
        CpuAccelerator acc = accelerator;
        ThreadBudget.enterMatmul(out.numel() * w.numel() / w.shape()[0]);
        try {
            if (acc == null || !acc.conv2d(a, x, w, out)) {
                JavaNn.conv2d(a, x, w, out);
            }
        } finally {
            ThreadBudget.exit();
        }
    }

    /**
     * The convolution, then a scan of x for NaN and ±inf (one vectorised pass, a few per cent of
     * the convolution's time); only where one is found is the term's mask computed and added.
     */
    @Override
    public boolean conv2dAbsentWeightTangent(Attrs.Conv a, Operand in, Operand w, Operand x, Operand out) {
        conv2d(a, in, w, out);
        if (JavaNn.anyNonFinite(x)) {
            JavaNn.addAbsentWeightTerm(a, x, w.shape(), out);
        }
        return true;
    }

    @Override
    public void conv2dInputGrad(Attrs.Conv a, Operand g, Operand w, Operand gx) {
        CpuAccelerator acc = accelerator;
        ThreadBudget.enterMatmul(g.numel() * w.numel() / w.shape()[0]);
        try {
            if (acc == null || !acc.conv2dInputGrad(a, g, w, gx)) {
                JavaNn.conv2dInputGrad(a, g, w, gx);
            }
        } finally {
            ThreadBudget.exit();
        }
    }

    @Override
    public void conv2dWeightGrad(Attrs.Conv a, Operand x, Operand g, Operand gw) {
        CpuAccelerator acc = accelerator;
        ThreadBudget.enterMatmul(g.numel() * gw.numel() / gw.shape()[0]);
        try {
            if (acc == null || !acc.conv2dWeightGrad(a, x, g, gw)) {
                JavaNn.conv2dWeightGrad(a, x, g, gw);
            }
        } finally {
            ThreadBudget.exit();
        }
    }

    /** Tangent's own C kernel (libtangent_cpu), float32; declines otherwise. */
    @Override
    public boolean maxPool2dJvp(Attrs.Pool a, Operand x, Operand t, Operand out, Operand tout) {
        if (!nativeKernels) {
            return false;
        }
        enterEltwise(x.numel(), true);
        try {
            return NativeKernels.maxPool2d(a, x, t, out, tout);
        } finally {
            ThreadBudget.exit();
        }
    }

    @Override
    public void maxPool2d(Attrs.Pool a, Operand x, Operand out, Operand indices) {
        CpuAccelerator acc = accelerator;
        if (nativeKernels && (out != null || indices != null)) {
            // Tangent's kernel, the one the fused jvp runs (the same y), vectorised (float32 [32, 64, 112, 112],
            // 3x3/2: 26 ms on one thread, KernelProbe maxpool; oneDNN's plain-layout pooling 70 ms); with the
            // indices (reverse mode) its jvp picks each winner's index (float32 [1, 64, 112, 112], 3x3/2:
            // 12.3 ms on the Java loop; see NativeKernels.maxPool2dIndices)
            enterEltwise(x.numel(), true);
            try {
                if (indices == null ? NativeKernels.maxPool2d(a, x, null, out, null)
                        : NativeKernels.maxPool2dIndices(a, x, out, indices)) {
                    return;
                }
            } finally {
                ThreadBudget.exit();
            }
        }
        ThreadBudget.enterEltwise(x.numel());
        try {
            if (acc == null || !acc.maxPool2d(a, x, out, indices)) {
                JavaNn.maxPool2d(a, x, out, indices);
            }
        } finally {
            ThreadBudget.exit();
        }
    }

    @Override
    public void avgPool2d(Attrs.Pool a, Operand x, Operand out) {
        CpuAccelerator acc = accelerator;
        ThreadBudget.enterEltwise(x.numel());
        try {
            if (acc == null || !acc.avgPool2d(a, x, out)) {
                JavaNn.avgPool2d(a, x, out);
            }
        } finally {
            ThreadBudget.exit();
        }
    }

    @Override
    public void avgPool2dGrad(Attrs.Pool a, Operand g, Operand gx) {
        CpuAccelerator acc = accelerator;
        ThreadBudget.enterEltwise(gx.numel());
        try {
            if (acc == null || !acc.avgPool2dGrad(a, g, gx)) {
                JavaNn.avgPool2dGrad(a, g, gx);
            }
        } finally {
            ThreadBudget.exit();
        }
    }

    @Override
    public void norm(Prim op, Attrs a, Operand[] in, Operand out) {
        CpuAccelerator acc = accelerator;
        ThreadBudget.enterEltwise(out.numel());
        try {
            if (acc == null || !acc.norm(op, a, in, out)) {
                JavaNorm.norm(op, a, in, out);
            }
        } finally {
            ThreadBudget.exit();
        }
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
