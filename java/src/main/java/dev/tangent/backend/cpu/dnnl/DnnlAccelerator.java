package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.broadcastMd;
import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.expandedInBoth;
import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.expandedMatrix;
import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.f32;
import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.isBroadcast;
import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.md;
import static dev.tangent.bindings.dnnl.dnnl_h.*;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.backend.cpu.CpuAccelerator;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * float32 kernels on oneDNN: matmul (every PyTorch shape, strided and broadcast operands without
 * copies), element-wise unary ops (eltwise), binary ops with broadcasting, reductions and
 * softmax/log-softmax, convolution (forward and both adjoints), average pooling (forward and
 * adjoint) and max pooling's values on finite input (see {@link DnnlNn}), normalisation ({@link DnnlNorm}). float64 and anything oneDNN does not implement stay on the Java
 * kernels (each method returns false for them). Primitives are created once per (op, shapes,
 * strides, attributes) and cached ({@link PrimitiveCache}).
 *
 * <p><b>Small work</b> stays in Java: below {@link #ELTWISE_CUTOVER} elements an element-wise
 * oneDNN call costs more than the Java loop (see bindings/README.md for the measurements);
 * convolutions below {@link #CONV_CUTOVER} multiply-adds and pooling over fewer input elements
 * than {@link #ELTWISE_CUTOVER} stay in Java too.
 */
public final class DnnlAccelerator implements CpuAccelerator {
    /** Default: element-wise work below this many elements stays on the Java kernels. */
    public static final long ELTWISE_CUTOVER = Long.getLong("tangent.dnnl.eltwise_cutover", 4096);
    /** Default: matmuls below this many multiply-adds (m·n·k per batch) stay on the Java kernels. */
    public static final long MATMUL_CUTOVER = Long.getLong("tangent.dnnl.matmul_cutover", 512);

    /**
     * Default: unary ops (transcendental: exp, tanh, gelu, ...) below this many elements stay in
     * Java. Lower than the binary cut-over: a Java tanh costs ~20 ns an element, so oneDNN's fixed
     * ~3 µs pays from a few hundred elements (measured: exp wins on oneDNN from 256–1K elements).
     */
    public static final long UNARY_CUTOVER = Long.getLong("tangent.dnnl.unary_cutover", 256);

    /**
     * Default: convolutions (and their adjoints) below this many multiply-adds stay on the Java
     * kernel: a oneDNN convolution with its reorders costs several microseconds however small
     * (benchmarks/NN-KERNELS.md, "Small work").
     */
    public static final long CONV_CUTOVER = Long.getLong("tangent.dnnl.conv_cutover", 512);

    /**
     * Whether float32 normalisation runs on oneDNN ({@link DnnlNorm}); {@code -Dtangent.dnnl.norm=false}
     * keeps it on the Java kernels (for measuring one against the other, benchmarks/NN-KERNELS.md).
     */
    public static final boolean NORM = Boolean.parseBoolean(System.getProperty("tangent.dnnl.norm", "true"));

    private volatile long eltwiseCutover = ELTWISE_CUTOVER;
    private volatile long unaryCutover = Math.min(UNARY_CUTOVER, ELTWISE_CUTOVER);
    private volatile long matmulCutover = MATMUL_CUTOVER;
    private volatile long convCutover = Math.min(CONV_CUTOVER, MATMUL_CUTOVER);

    private final PrimitiveCache cache;
    private final DnnlLinear linear;
    private final DnnlNn nn;
    private final DnnlNorm norm;
    private final String description;

    /** Sets the OpenMP team size of the calling thread (oneDNN's OpenMP build). */
    @FunctionalInterface
    public interface ThreadCount {
        void apply(int n);
    }

    /** An accelerator on oneDNN's CPU engine 0; the library must be loaded ({@link DnnlLibrary}). */
    public DnnlAccelerator(int capacity) {
        DnnlLibrary.ensureAvailable();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(C_POINTER);
            Dnnl.check(dnnl_engine_create(out, dnnl_cpu(), 0), "dnnl_engine_create");
            this.cache = new PrimitiveCache(out.get(C_POINTER, 0), capacity);
        }
        this.linear = new DnnlLinear(cache);
        this.nn = new DnnlNn(cache, this);
        this.norm = new DnnlNorm(cache, this);
        this.description = "oneDNN " + DnnlLibrary.version().orElse("?") + " (" + DnnlLibrary.libraryPath()
                .map(Object::toString).orElse("?") + ")" + (NORM ? "" : ", normalisation on Java (tangent.dnnl.norm=false)");
    }

    /**
     * Sets the sizes below which work stays on the Java kernels (0 and 0 send everything oneDNN
     * implements to oneDNN, as the tests do). Unary ops use the smaller of this and
     * {@link #UNARY_CUTOVER}, convolutions the smaller of {@code matmulMacs} and {@link #CONV_CUTOVER}.
     */
    public void cutovers(long eltwiseElements, long matmulMacs) {
        this.eltwiseCutover = eltwiseElements;
        this.unaryCutover = Math.min(UNARY_CUTOVER, eltwiseElements);
        this.matmulCutover = matmulMacs;
        this.convCutover = Math.min(CONV_CUTOVER, matmulMacs);
    }

    /** The convolution cut-over in multiply-adds. */
    public long convCutover() {
        return convCutover;
    }

    /** The element-wise cut-over in elements. */
    public long eltwiseCutover() {
        return eltwiseCutover;
    }

    /** Bytes of weight matrices packed for matmuls ({@link PackedWeights}), process-wide. */
    public static long packedWeightBytes() {
        return PackedWeights.bytes();
    }

    /** Weight packings run so far, process-wide (each a reorder of one matrix view into one layout). */
    public static long packedWeightPacks() {
        return PackedWeights.packs();
    }

    /**
     * Sets the budget of packed weight copies in bytes, process-wide ({@code -Dtangent.dnnl.packed_weights_mb},
     * default 1 GiB; 0 turns packing off); copies already made stay until their weights are freed.
     */
    public static void packedWeightBudget(long bytes) {
        PackedWeights.limit(bytes);
    }

    /** The budget of packed weight copies in bytes (0: packing off). */
    public static long packedWeightBudget() {
        return PackedWeights.limit();
    }

    /** The matmul cut-over in multiply-adds. */
    public long matmulCutover() {
        return matmulCutover;
    }

    @Override
    public boolean takesElementwise(DType dtype, long n) {
        return dtype == DType.FLOAT32 && n >= eltwiseCutover;
    }

    /** Installs how to set the per-thread OpenMP team size. */
    public void threadCount(ThreadCount tc) {
        cache.threadCount(tc);
    }

    @Override
    public String description() {
        return description;
    }

    /** Primitive cache hits so far. */
    public long cacheHits() {
        return cache.hits();
    }

    /** Primitive cache misses (primitive creations or unimplemented lookups) so far. */
    public long cacheMisses() {
        return cache.misses();
    }

    /** Primitives currently cached. */
    public int cacheSize() {
        return cache.size();
    }

    // ------------------------------------------------------------------ ops

    /*
     * Not sent to oneDNN because its kernels treat non-finite or subnormal inputs unlike PyTorch
     * (NonFiniteTest): relu(nan) = 0, rsqrt(-inf) = 0, neg(0) = +0, exp(nan) = inf, elu(-0) = +0,
     * log of a subnormal as of the smallest normal; in the fused jvp, leaky_relu's slope at nan,
     * pow's tangent at +-inf and silu's sign of zero; prod of subnormals; softmax of rows holding
     * nan or inf. Those run on the next kernel in line.
     */
    @Override
    public boolean unary(Prim op, Attrs.Scalars attrs, Operand x, Operand out) {
        if (!f32(x, out) || out.numel() < unaryCutover || !sameLayout(x, out)) {
            return false;
        }
        float alpha = 0;
        float beta = 0;
        int alg;
        switch (op) {
            case TANH -> alg = dnnl_eltwise_tanh();
            case SIGMOID -> alg = dnnl_eltwise_logistic();
            case LEAKY_RELU -> {
                alg = dnnl_eltwise_relu();
                alpha = (float) attrs.p0();
            }
            case GELU -> alg = dnnl_eltwise_gelu_erf();
            case GELU_TANH -> alg = dnnl_eltwise_gelu_tanh();
            case SQRT -> alg = dnnl_eltwise_sqrt();
            case SQUARE -> alg = dnnl_eltwise_square();
            case ABS -> alg = dnnl_eltwise_abs();
            case SILU -> {
                alg = dnnl_eltwise_swish();
                alpha = 1f;
            }
            case POW_SCALAR -> {
                if (Math.abs(attrs.p0()) == 0.5) {
                    return false; // PyTorch's sqrt / rsqrt there: (-0) ** 0.5 = -0, (-inf) ** 0.5 = NaN
                }
                alg = dnnl_eltwise_pow();
                alpha = 1f;
                beta = (float) attrs.p0();
            }
            case RECIPROCAL -> {
                alg = dnnl_eltwise_pow();
                alpha = 1f;
                beta = -1f;
            }
            default -> {
                return false;
            }
        }
        int a = alg;
        float al = alpha;
        float be = beta;
        PrimitiveKey key = new PrimitiveKey(1, new long[] {alg, Float.floatToIntBits(alpha), Float.floatToIntBits(beta)}, x, out);
        return cache.run(key, arena -> {
            MemorySegment src = md(arena, x.shape(), x.strides());
            MemorySegment dst = md(arena, out.shape(), out.strides());
            return cache.create(arena, "dnnl_eltwise_forward_primitive_desc_create", (pd, attr) ->
                    dnnl_eltwise_forward_primitive_desc_create(pd, cache.engine(), dnnl_forward_inference(), a, src, dst, al, be, attr),
                    new int[] {DNNL_ARG_SRC(), DNNL_ARG_DST()}, src, dst);
        }, x, out);
    }

    /**
     * y = op(x) by the eltwise forward primitive, then ty = op'(x)·t by the eltwise backward one
     * (diff_src from diff_dst = t), reading y where oneDNN's "use dst" form exists.
     */
    @Override
    public boolean unaryJvp(Prim op, Attrs.Scalars attrs, Operand x, Operand t, Operand y, Operand ty) {
        if (!f32(x, t, y, ty) || y.numel() < unaryCutover || !x.isContiguous() || !t.isContiguous()) {
            return false;
        }
        int bwd;
        float alpha = 0;
        float beta = 0;
        boolean useDst = true;
        switch (op) {
            case TANH -> bwd = dnnl_eltwise_tanh_use_dst_for_bwd();
            case SIGMOID -> bwd = dnnl_eltwise_logistic_use_dst_for_bwd();
            case SQRT -> bwd = dnnl_eltwise_sqrt_use_dst_for_bwd();
            default -> {
                useDst = false;
                switch (op) {
                    case GELU -> bwd = dnnl_eltwise_gelu_erf();
                    case GELU_TANH -> bwd = dnnl_eltwise_gelu_tanh();
                    case SQUARE -> bwd = dnnl_eltwise_square();
                    default -> {
                        return false;
                    }
                }
            }
        }
        if (!unary(op, attrs, x, y)) {
            return false;
        }
        int b = bwd;
        float al = alpha;
        float be = beta;
        Operand data = useDst ? y : x;
        int dataArg = useDst ? DNNL_ARG_DST() : DNNL_ARG_SRC();
        PrimitiveKey key = new PrimitiveKey(6, new long[] {bwd, Float.floatToIntBits(alpha), Float.floatToIntBits(beta)}, t, data, ty);
        return cache.run(key, arena -> {
            MemorySegment dd = md(arena, t.shape(), t.strides());
            MemorySegment dm = md(arena, data.shape(), data.strides());
            MemorySegment ds = md(arena, ty.shape(), ty.strides());
            MemorySegment out = arena.allocate(C_POINTER);
            Dnnl.check(dnnl_eltwise_forward_primitive_desc_create(out, cache.engine(), dnnl_forward_training(), b, dm, dm,
                    al, be, MemorySegment.NULL), "dnnl_eltwise_forward_primitive_desc_create");
            MemorySegment hint = out.get(C_POINTER, 0);
            try {
                return cache.create(arena, "dnnl_eltwise_backward_primitive_desc_create", (pd, attr) ->
                        dnnl_eltwise_backward_primitive_desc_create(pd, cache.engine(), b, ds, dd, dm, al, be, hint, attr),
                        new int[] {DNNL_ARG_DIFF_DST(), dataArg, DNNL_ARG_DIFF_SRC()}, dd, dm, ds);
            } finally {
                dnnl_primitive_desc_destroy(hint);
            }
        }, t, data, ty);
    }

    @Override
    public boolean binary(Prim op, Operand a, Operand b, Operand out) {
        if (!f32(a, b, out) || out.numel() < eltwiseCutover) {
            return false;
        }
        int alg;
        boolean commutative = true;
        switch (op) {
            case ADD -> alg = dnnl_binary_add();
            case MUL -> alg = dnnl_binary_mul();
            case MAXIMUM -> alg = dnnl_binary_max();
            case MINIMUM -> alg = dnnl_binary_min();
            case SUB -> {
                alg = dnnl_binary_sub();
                commutative = false;
            }
            case DIV -> {
                alg = dnnl_binary_div();
                commutative = false;
            }
            default -> {
                return false;
            }
        }
        // oneDNN broadcasts src1 only: a broadcast first operand of a commutative op is swapped.
        if (isBroadcast(a)) {
            if (!commutative || isBroadcast(b)) {
                return false;
            }
            Operand t = a;
            a = b;
            b = t;
        }
        if (op == Prim.MAXIMUM || op == Prim.MINIMUM) {
            return false; // oneDNN's max/min do not propagate NaN as PyTorch does
        }
        if (!sameLayout(a, out) || (!isBroadcast(b) && Arrays.equals(b.shape(), out.shape()) && !sameLayout(b, out))) {
            return false;
        }
        int al = alg;
        Operand s0 = a;
        Operand s1 = b;
        PrimitiveKey key = new PrimitiveKey(2, new long[] {alg}, s0, s1, out);
        return cache.run(key, arena -> {
            MemorySegment m0 = md(arena, s0.shape(), s0.strides());
            MemorySegment m1 = broadcastMd(arena, s1);
            MemorySegment dst = md(arena, out.shape(), out.strides());
            return cache.create(arena, "dnnl_binary_primitive_desc_create", (pd, attr) ->
                    dnnl_binary_primitive_desc_create(pd, cache.engine(), al, m0, m1, dst, attr),
                    new int[] {DNNL_ARG_SRC_0(), DNNL_ARG_SRC_1(), DNNL_ARG_DST()}, m0, m1, dst);
        }, s0, s1, out);
    }

    /**
     * Whether an element-wise operand is laid out like the output. Between different layouts (a
     * transposed view into a fresh output) oneDNN's eltwise and binary fall back to their reference
     * kernels: {@code q.mul(s)} of a [4, 128, 64] head-split view took 1.5 ms there against 0.11 ms
     * in the Java kernel (benchmarks/ANALYSIS.md), so such ops go to the next kernel in line.
     */
    private static boolean sameLayout(Operand x, Operand out) {
        long[] shape = out.shape();
        long[] a = x.strides();
        long[] b = out.strides();
        if (a.length != b.length || !Arrays.equals(x.shape(), shape)) {
            return false;
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > 1 && a[i] != b[i]) { // a size-1 dim's stride places nothing
                return false;
            }
        }
        return true;
    }

    /**
     * Elements per output below which, or a layout in which, a sum stays on Java. oneDNN's reduction
     * is fast only over a long run of trailing elements: it took 110 ms to sum [32, 64, 56, 56]
     * over dim 1 (Java's strided walk then: 12 ms; its column tiles since: 4.1 ms), 26 ms for dim 0
     * of [1024, 1024] (Java 5.9, since 0.78), 4.3 ms for dims (2, 3)
     * of [32, 512, 7, 7] (49 elements an output; Java 0.29), 0.60 ms for the last dim of [4096, 64]
     * (Java 0.25), but 0.37 ms for the last dim of [1024, 1024] (Java 1.17) and 1.1 ms for the last
     * of [2048, 3136] (Java 7.7); at 128 and 256 elements the two were level (1 thread; the [32, 64, 56, 56] rows: KernelProbe sum with -Dtangent.dnnl=true/false).
     */
    static final long MIN_REDUCED_SUFFIX = 512;

    /**
     * The elements each output sums when x and out are contiguous and the reduced dims are exactly
     * x's trailing dims (after dims of size 1): their product; else 0.
     */
    static long reducedSuffix(Operand x, Operand out) {
        return x.isContiguous() && out.isContiguous() ? Shapes.trailingReduced(x.shape(), out.shape()) : 0;
    }

    @Override
    public boolean reduce(Prim op, Operand x, Operand out) {
        if (!f32(x, out) || x.numel() < eltwiseCutover || x.dim() == 0
                || Arrays.equals(x.shape(), out.shape())) {
            return false; // nothing reduced: oneDNN rejects src == dst dims; the Java copy is exact
        }
        int alg = switch (op) {
            case SUM -> dnnl_reduction_sum();
            case PROD -> dnnl_reduction_mul();
            case AMAX -> dnnl_reduction_max();
            case AMIN -> dnnl_reduction_min();
            default -> -1;
        };
        if (alg < 0 || op == Prim.AMAX || op == Prim.AMIN || op == Prim.PROD) {
            return false; // max/min: NaN propagation differs from PyTorch; prod flushes subnormals
        }
        if (reducedSuffix(x, out) < MIN_REDUCED_SUFFIX) {
            return false;
        }
        PrimitiveKey key = new PrimitiveKey(3, new long[] {alg}, x, out);
        return cache.run(key, arena -> {
            MemorySegment src = md(arena, x.shape(), x.strides());
            MemorySegment dst = md(arena, out.shape(), out.strides());
            return cache.create(arena, "dnnl_reduction_primitive_desc_create", (pd, attr) ->
                    dnnl_reduction_primitive_desc_create(pd, cache.engine(), alg, src, dst, 0f, 0f, attr),
                    new int[] {DNNL_ARG_SRC(), DNNL_ARG_DST()}, src, dst);
        }, x, out);
    }

    @Override
    public boolean softmax(Prim op, Operand x, int dim, Operand out) {
        if (!f32(x, out) || x.numel() < eltwiseCutover || x.dim() == 0 || !DnnlDescriptors.allFinite(x)) {
            return false; // rows holding nan or inf are not all-nan as in PyTorch
        }
        int alg = op == Prim.LOG_SOFTMAX ? dnnl_softmax_log() : dnnl_softmax_accurate();
        PrimitiveKey key = new PrimitiveKey(4, new long[] {alg, dim}, x, out);
        return cache.run(key, arena -> {
            MemorySegment src = md(arena, x.shape(), x.strides());
            MemorySegment dst = md(arena, out.shape(), out.strides());
            return cache.create(arena, "dnnl_softmax_forward_primitive_desc_create", (pd, attr) ->
                    dnnl_softmax_forward_primitive_desc_create(pd, cache.engine(), dnnl_forward_inference(), alg, src, dst, dim, attr),
                    new int[] {DNNL_ARG_SRC(), DNNL_ARG_DST()}, src, dst);
        }, x, out);
    }

    @Override
    public boolean matmul(Operand a, Operand b, Operand out) {
        if (!f32(a, b, out)) {
            return false;
        }
        long[] os = out.shape();
        int r = os.length;
        long m = os[r - 2];
        long n = os[r - 1];
        long k = a.shape()[r - 1];
        if (m * n * k < matmulCutover || k == 0 || r > 12 || expandedMatrix(a) || expandedMatrix(b)
                || expandedInBoth(a, b)) {
            return false;
        }
        // a 2-D right-hand side is read packed from its second use on (PackedWeights)
        PackedWeights.Uses pw = r == 2 && b.dim() == 2 ? PackedWeights.wanted(b) : null;
        boolean packed = pw != null;
        PrimitiveKey key = new PrimitiveKey(5, new long[] {packed ? 1 : 0}, a, b, out);
        return cache.run(key, arena -> {
            MemorySegment ma = broadcastMd(arena, a);
            MemorySegment mb = packed ? DnnlDescriptors.anyMd(arena, b.shape()) : broadcastMd(arena, b);
            MemorySegment mc = md(arena, out.shape(), out.strides());
            return cache.create(arena, "dnnl_matmul_primitive_desc_create", (pd, attr) ->
                    dnnl_matmul_primitive_desc_create(pd, cache.engine(), ma, mb, MemorySegment.NULL, mc, attr),
                    new int[] {DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS(), DNNL_ARG_DST()}, ma, mb, mc);
        }, 1, packed ? (want, repack) -> pw.packed(b, want, repack) : null, a, b, out);
    }

    /** One matmul primitive with the bias argument and eltwise / binary-multiply post-ops ({@link DnnlLinear}). */
    @Override
    public boolean linear(Operand x, Operand w, Operand bias, Prim act, Operand scale, Operand out) {
        return linear.linear(x, w, bias, act, scale, out, matmulCutover);
    }

    @Override
    public boolean activationSlope(Prim act, Operand y, Operand s) {
        return linear.slope(act, y, s);
    }

    // ------------------------------------------------------------------ nn (DnnlNn)

    @Override
    public boolean conv2d(Attrs.Conv a, Operand x, Operand w, Operand out) {
        return nn.conv2d(a, x, w, out);
    }

    @Override
    public boolean conv2dInputGrad(Attrs.Conv a, Operand g, Operand w, Operand gx) {
        return nn.conv2dInputGrad(a, g, w, gx);
    }

    @Override
    public boolean conv2dWeightGrad(Attrs.Conv a, Operand x, Operand g, Operand gw) {
        return nn.conv2dWeightGrad(a, x, g, gw);
    }

    /**
     * max_pool2d's values on oneDNN when the input is contiguous and holds no NaN, infinity or -0
     * ({@link DnnlNn#maxPool2d}); else, and for the indices, Java. oneDNN's max pooling lets no
     * NaN win (PyTorch's max_pool2d returns NaN for a window holding one) and returns -FLT_MAX for
     * a window of -inf — {@code DnnlNnTest.oneDnnMaxPoolingRunsOnlyOnFiniteInput} checks that this
     * still holds. Measured: 9.4 ms in Java against 0.39 ms on oneDNN for ResNet-18's 64x112x112
     * max pooling at batch 1 (benchmarks/NN-KERNELS.md).
     */
    @Override
    public boolean maxPool2d(Attrs.Pool a, Operand x, Operand out, Operand indices) {
        return out != null && indices == null && nn.maxPool2d(a, x, out);
    }

    @Override
    public boolean avgPool2d(Attrs.Pool a, Operand x, Operand out) {
        return nn.avgPool2d(a, x, out);
    }

    @Override
    public boolean avgPool2dGrad(Attrs.Pool a, Operand g, Operand gx) {
        return nn.avgPool2dGrad(a, g, gx);
    }

    /** Layer, batch (inference) and group normalisation and the layer norm's Jacobian ({@link DnnlNorm}). */
    @Override
    public boolean norm(Prim op, Attrs a, Operand[] in, Operand out) {
        return NORM && norm.norm(op, a, in, out);
    }

    /** The convolution and pooling kernels (tests and measurements reach their layout switch here). */
    DnnlNn nn() {
        return nn;
    }
}
