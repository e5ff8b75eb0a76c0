package dev.tangent.backend.cpu.dnnl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Operand;
import dev.tangent.backend.cpu.CpuBackend;
import dev.tangent.engine.Dispatch;
import dev.tangent.engine.TensorAccess;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every oneDNN kernel against the Java kernel on awkward sizes and layouts, with the cut-overs at
 * zero so that oneDNN really runs; the primitive cache's counts; many threads on one primitive.
 */
class DnnlAcceleratorTest {
    private static final long[] SIZES = {1, 3, 17, 64, 1000};
    private static DnnlAccelerator acc;
    private static CpuBackend dnnl;
    private static final CpuBackend JAVA = new CpuBackend();

    @BeforeAll
    static void setUp() {
        acc = new DnnlAccelerator(256);
        acc.cutovers(0, 0);
        dnnl = new CpuBackend(acc);
    }

    @AfterAll
    static void report() {
        assertTrue(acc.cacheMisses() > 0 && acc.cacheHits() >= 0);
    }

    /** A random float32 tensor viewed with the given layout: plain, transposed, strided or offset. */
    static Tensor input(long seed, String layout, long... shape) {
        switch (layout) {
            case "contiguous":
                return Tensor.randn(seed, shape);
            case "transposed": {
                long[] rev = shape.clone();
                for (int i = 0; i < rev.length; i++) {
                    rev[i] = shape[shape.length - 1 - i];
                }
                return Tensor.randn(seed, rev).T();
            }
            case "step2": {
                long[] big = shape.clone();
                big[big.length - 1] = shape[shape.length - 1] * 2;
                return Tensor.randn(seed, big).slice(-1, 0, big[big.length - 1], 2);
            }
            default:
                throw new IllegalArgumentException(layout);
        }
    }

    static Tensor out(long[] shape, DType dt) {
        return Tensor.zeros(dt, shape);
    }

    /** What the kernels see of a tensor. */
    static Operand o(Tensor t) {
        return TensorAccess.get().value(t);
    }

    static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs(e[i] - a[i]);
            double bound = tol * Math.max(1, Math.abs(e[i]));
            if (!(d <= bound) && !(Float.isNaN(e[i]) && Float.isNaN(a[i]))) {
                throw new AssertionError(what + ": element " + i + " java=" + e[i] + " onednn=" + a[i]);
            }
        }
    }

    static Stream<Arguments> unaryCases() {
        List<Arguments> r = new ArrayList<>();
        Object[][] ops = {
            {Prim.TANH, Attrs.Scalars.NONE}, {Prim.SIGMOID, Attrs.Scalars.NONE},
            {Prim.LEAKY_RELU, new Attrs.Scalars(0.01, 0)},
            {Prim.GELU, Attrs.Scalars.NONE}, {Prim.GELU_TANH, Attrs.Scalars.NONE}, {Prim.SQRT, Attrs.Scalars.NONE},
            {Prim.SQUARE, Attrs.Scalars.NONE}, {Prim.ABS, Attrs.Scalars.NONE}, {Prim.SILU, Attrs.Scalars.NONE},
            {Prim.POW_SCALAR, new Attrs.Scalars(3.0, 0)}, {Prim.RECIPROCAL, Attrs.Scalars.NONE},
        };
        for (Object[] op : ops) {
            for (long n : SIZES) {
                for (String layout : List.of("contiguous", "transposed", "step2")) {
                    r.add(Arguments.of(op[0], op[1], n, layout));
                }
            }
        }
        return r.stream();
    }

    @ParameterizedTest(name = "{0} n={2} {3}")
    @MethodSource("unaryCases")
    void unaryMatchesJava(Prim op, Attrs.Scalars attrs, long n, String layout) {
        try (Scope s = Scope.open()) {
            Tensor x = input(n, layout, 3, n);
            if (op == Prim.LOG || op == Prim.SQRT || op == Prim.RSQRT) {
                x = x.abs().add(0.1);
                if (!layout.equals("contiguous")) {
                    x = layout.equals("transposed") ? x.T().contiguous().T() : x;
                }
            }
            if (op == Prim.RECIPROCAL) {
                x = x.abs().add(0.5);
            }
            Tensor e = out(x.shape(), DType.FLOAT32);
            Tensor a = out(x.shape(), DType.FLOAT32);
            JAVA.unary(op, attrs, o(x), o(e));
            if (x.isContiguous()) {
                long before = acc.cacheHits() + acc.cacheMisses();
                assertTrue(acc.unary(op, attrs, o(x), o(a)), op + " should run on oneDNN");
                assertEquals(before + 1, acc.cacheHits() + acc.cacheMisses());
            } else {
                // oneDNN's eltwise wants the same layout in and out: strided inputs fall back to Java
                dnnl.unary(op, attrs, o(x), o(a));
            }
            assertClose(e, a, 2e-5, op + " " + layout);
        }
    }

    static Stream<Arguments> unaryJvpCases() {
        List<Arguments> r = new ArrayList<>();
        Object[][] ops = {
            {Prim.TANH, Attrs.Scalars.NONE}, {Prim.SIGMOID, Attrs.Scalars.NONE}, {Prim.SQRT, Attrs.Scalars.NONE},
            {Prim.GELU, Attrs.Scalars.NONE}, {Prim.GELU_TANH, Attrs.Scalars.NONE},
            {Prim.SQUARE, Attrs.Scalars.NONE},
        };
        for (Object[] op : ops) {
            for (long n : SIZES) {
                r.add(Arguments.of(op[0], op[1], n));
            }
        }
        return r.stream();
    }

    /** The fused primal+tangent kernel (eltwise forward + backward) against the Java one. */
    @ParameterizedTest(name = "{0} jvp n={2}")
    @MethodSource("unaryJvpCases")
    void fusedUnaryJvpMatchesJava(Prim op, Attrs.Scalars attrs, long n) {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.randn(n, 3, n);
            if (op == Prim.LOG || op == Prim.SQRT || op == Prim.POW_SCALAR) {
                x = x.abs().add(0.1);
            }
            Tensor t = Tensor.randn(n + 1, 3, n);
            long[] shape = x.shape();
            Tensor ye = out(shape, DType.FLOAT32);
            Tensor te = out(shape, DType.FLOAT32);
            Tensor y = out(shape, DType.FLOAT32);
            Tensor ty = out(shape, DType.FLOAT32);
            assertTrue(JAVA.unaryJvp(op, attrs, o(x), o(t), o(ye), o(te)));
            assertTrue(acc.unaryJvp(op, attrs, o(x), o(t), o(y), o(ty)), op + " should run on oneDNN");
            assertClose(ye, y, 2e-5, op + " primal");
            assertClose(te, ty, 5e-5, op + " tangent");
        }
    }

    static Stream<Arguments> binaryCases() {
        List<Arguments> r = new ArrayList<>();
        for (Prim op : List.of(Prim.ADD, Prim.SUB, Prim.MUL, Prim.DIV)) {
            for (long n : SIZES) {
                r.add(Arguments.of(op, new long[] {3, n}, new long[] {3, n}, "contiguous"));
                r.add(Arguments.of(op, new long[] {3, n}, new long[] {n}, "contiguous"));
                r.add(Arguments.of(op, new long[] {3, n}, new long[] {3, 1}, "contiguous"));
                r.add(Arguments.of(op, new long[] {3, n}, new long[] {3, n}, "transposed"));
                r.add(Arguments.of(op, new long[] {1, n}, new long[] {3, n}, "contiguous"));
            }
        }
        return r.stream();
    }

    @ParameterizedTest(name = "{0} {1}x{2} {3}")
    @MethodSource("binaryCases")
    void binaryMatchesJava(Prim op, long[] sa, long[] sb, String layout) {
        try (Scope s = Scope.open()) {
            Tensor a = input(1, layout, sa);
            Tensor b = input(2, layout, sb);
            if (op == Prim.DIV) {
                b = b.abs().add(0.5);
            }
            Tensor ref = Dispatch.apply(op, Attrs.NONE, a, b); // shape/broadcast through the library
            long[] shape = ref.shape();
            Tensor av = a.expand(shape);
            Tensor bv = b.expand(shape);
            Tensor e = out(shape, DType.FLOAT32);
            Tensor got = out(shape, DType.FLOAT32);
            JAVA.binary(op, o(av), o(bv), o(e));
            dnnl.binary(op, o(av), o(bv), o(got));
            assertClose(e, got, 1e-6, op + " " + Arrays.toString(sa) + " " + Arrays.toString(sb));
        }
    }

    @Test
    void broadcastFirstOperandOfCommutativeOpRunsOnOneDnn() {
        try (Scope s = Scope.open()) {
            Tensor a = Tensor.randn(1, 1, 1000).expand(3, 1000);
            Tensor b = Tensor.randn(2, 3, 1000);
            Tensor got = out(new long[] {3, 1000}, DType.FLOAT32);
            assertTrue(acc.binary(Prim.ADD, o(a), o(b), o(got)));
            Tensor e = out(new long[] {3, 1000}, DType.FLOAT32);
            JAVA.binary(Prim.ADD, o(a), o(b), o(e));
            assertClose(e, got, 1e-6, "add with broadcast src0");
        }
    }

    /**
     * Between layouts (a head-split view into a fresh contiguous output) oneDNN's binary runs its
     * reference kernel, 13x slower than Java's (benchmarks/ANALYSIS.md): the op declines there and
     * takes it when input and output share the layout, transposed or not.
     */
    @Test
    void binaryBetweenDifferentLayoutsDeclinesAndSameLayoutRuns() {
        try (Scope s = Scope.open()) {
            Tensor q = Tensor.randn(3, 1, 128, 4, 64).transpose(1, 2).reshape(4, 128, 64); // strides [64, 256, 1]
            Tensor scale = Tensor.full(0.125f, 1, 1, 1).expand(4, 128, 64);
            Tensor fresh = out(q.shape(), DType.FLOAT32);
            assertTrue(!acc.binary(Prim.MUL, o(q), o(scale), o(fresh)), "permuted src0, contiguous dst");
            assertTrue(!acc.binary(Prim.MUL, o(fresh), o(q), o(out(q.shape(), DType.FLOAT32))), "permuted src1");
            assertTrue(!acc.unary(Prim.TANH, Attrs.Scalars.NONE, o(q), o(fresh)), "permuted eltwise src");
            Tensor sameLayout = out(new long[] {1, 128, 4, 64}, DType.FLOAT32).transpose(1, 2).reshape(4, 128, 64);
            assertTrue(acc.binary(Prim.MUL, o(q), o(scale), o(sameLayout)), "src0 and dst share the permuted layout");
            Tensor e = out(q.shape(), DType.FLOAT32);
            JAVA.binary(Prim.MUL, o(q), o(scale), o(e));
            assertClose(e, sameLayout, 0, "mul in the permuted layout");
        }
    }

    static Stream<Arguments> reduceCases() {
        List<Arguments> r = new ArrayList<>();
        for (Prim op : List.of(Prim.SUM, Prim.PROD)) {
            for (long n : SIZES) {
                r.add(Arguments.of(op, n, new long[] {1, n}));  // reduce dim 0 -> keep [1, n]
                r.add(Arguments.of(op, n, new long[] {3, 1}));  // reduce dim 1
                r.add(Arguments.of(op, n, new long[] {1, 1}));  // all
            }
        }
        return r.stream();
    }

    @ParameterizedTest(name = "{0} n={1} -> {2}")
    @MethodSource("reduceCases")
    void reductionMatchesJava(Prim op, long n, long[] keep) {
        try (Scope s = Scope.open()) {
            Tensor x = op == Prim.PROD ? Tensor.rand(5, 3, n).mul(0.2).add(0.9) : Tensor.randn(5, 3, n);
            long[] outShape = {keep[0] == 1 ? 1 : 3, keep[1] == 1 ? 1 : n};
            Tensor e = out(outShape, DType.FLOAT32);
            Tensor got = out(outShape, DType.FLOAT32);
            JAVA.reduce(op, o(x), o(e));
            boolean reduces = !Arrays.equals(x.shape(), outShape);
            // prod stays on Java: oneDNN's flushes subnormals (NonFiniteTest); a sum goes to oneDNN
            // only over trailing dims of at least 512 elements an output (dim 1 of [3, n]: n; all: 3n)
            long perOutput = keep[0] == 1 && keep[1] == 1 ? 3 * n : keep[1] == 1 ? n : 0;
            boolean taken = reduces && op != Prim.PROD && perOutput >= 512;
            assertEquals(taken, acc.reduce(op, o(x), o(got)), op + " runs on oneDNN exactly when it sums >= 512 trailing elements");
            if (!taken) {
                dnnl.reduce(op, o(x), o(got));
            }
            assertClose(e, got, 1e-4, op + " n=" + n);
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("softmaxCases")
    void softmaxMatchesJava(Prim op, long n, int dim) {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.randn(9, 3, n).mul(3);
            Tensor e = out(x.shape(), DType.FLOAT32);
            Tensor got = out(x.shape(), DType.FLOAT32);
            JAVA.softmax(op, o(x), dim, o(e));
            assertTrue(acc.softmax(op, o(x), dim, o(got)));
            assertClose(e, got, 1e-5, op + " dim " + dim);
        }
    }

    /**
     * An empty view whose offset lies past its storage's end (rows 1.. of a [2, 0] tensor): the
     * finiteness check reads nothing. It sliced past the end and threw before.
     */
    @ParameterizedTest
    @EnumSource(value = Prim.class, names = {"SOFTMAX", "LOG_SOFTMAX"})
    void softmaxOfAnEmptyOffsetViewReadsNothing(Prim op) {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.randn(9, 2, 0).slice(0, 1, Long.MAX_VALUE);
            assertEquals(0, x.numel());
            Tensor got = out(x.shape(), DType.FLOAT32);
            acc.softmax(op, o(x), 1, o(got)); // taken or declined, but no out-of-bounds access
        }
    }

    static Stream<Arguments> softmaxCases() {
        List<Arguments> r = new ArrayList<>();
        for (Prim op : List.of(Prim.SOFTMAX, Prim.LOG_SOFTMAX)) {
            for (long n : SIZES) {
                r.add(Arguments.of(op, n, 1));
                r.add(Arguments.of(op, n, 0));
            }
        }
        return r.stream();
    }

    static Stream<Arguments> matmulCases() {
        List<Arguments> r = new ArrayList<>();
        for (long n : SIZES) {
            r.add(Arguments.of(new long[] {n, 17}, new long[] {17, 3}, false, false));
            r.add(Arguments.of(new long[] {3, n}, new long[] {n, 64}, true, false));
            r.add(Arguments.of(new long[] {17, 3}, new long[] {3, n}, false, true));
            r.add(Arguments.of(new long[] {2, 5, n}, new long[] {2, n, 3}, false, false));
            r.add(Arguments.of(new long[] {4, 3, n}, new long[] {n, 17}, false, false));   // broadcast batch
            r.add(Arguments.of(new long[] {2, 1, 3, n}, new long[] {5, n, 2}, true, true));
        }
        return r.stream();
    }

    @ParameterizedTest(name = "{0}@{1} ta={2} tb={3}")
    @MethodSource("matmulCases")
    void matmulMatchesJava(long[] sa, long[] sb, boolean ta, boolean tb) {
        try (Scope s = Scope.open()) {
            Tensor a = ta ? Tensor.randn(3, swapLast(sa)).mT() : Tensor.randn(3, sa);
            Tensor b = tb ? Tensor.randn(4, swapLast(sb)).mT() : Tensor.randn(4, sb);
            Tensor want = withJava(() -> a.matmul(b));
            long before = acc.cacheHits() + acc.cacheMisses();
            Tensor got = withAccelerator(() -> a.matmul(b));
            assertTrue(acc.cacheHits() + acc.cacheMisses() > before, "matmul should run on oneDNN");
            assertEquals(Arrays.toString(want.shape()), Arrays.toString(got.shape()));
            assertClose(want, got, 1e-4, "matmul " + Arrays.toString(sa) + "@" + Arrays.toString(sb));
        }
    }

    /**
     * Attention's q @ k^T with heads split by a transpose: a size-1 batch dim of a permuted view
     * must not get a stride equal to an inner dim's (oneDNN then read the wrong layout).
     */
    @Test
    void matmulOfPermutedViewsWithASizeOneBatchDim() {
        try (Scope s = Scope.open()) {
            Tensor q = Tensor.randn(5, 1, 128, 4, 64).transpose(1, 2);
            Tensor k = Tensor.randn(6, 1, 128, 4, 64).transpose(1, 2);
            Tensor want = withJava(() -> q.matmul(k.mT()));
            long before = acc.cacheHits() + acc.cacheMisses();
            Tensor got = withAccelerator(() -> q.matmul(k.mT()));
            assertTrue(acc.cacheHits() + acc.cacheMisses() > before, "matmul should run on oneDNN");
            assertClose(want, got, 1e-4, "q @ k.mT");
        }
    }

    @Test
    void eightThreadsOnOnePrimitiveGiveTheSameBitsAsOne() throws Exception {
        try (Scope s = Scope.open()) {
            Tensor a = Tensor.randn(11, 64, 256);
            Tensor b = Tensor.randn(12, 256, 128);
            Tensor x = Tensor.randn(13, 64, 1000);
            var cpu = dev.tangent.backend.Backends.cpu();
            var prev = cpu.accelerator();
            cpu.accelerator(acc);
            try {
            float[] mm = a.matmul(b).toFloatArray();
            float[] th = x.tanh().sum(1).toFloatArray();
            int threads = 8;
            CyclicBarrier go = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Boolean>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    fs.add(pool.submit(() -> {
                        go.await();
                        boolean same = true;
                        for (int i = 0; i < 50; i++) {
                            try (Scope inner = Scope.open()) {
                                same &= Arrays.equals(mm, a.matmul(b).toFloatArray());
                                same &= Arrays.equals(th, x.tanh().sum(1).toFloatArray());
                            }
                        }
                        return same;
                    }));
                }
                for (Future<Boolean> f : fs) {
                    assertTrue(f.get(), "a thread saw different bits");
                }
            } finally {
                pool.shutdown();
            }
            } finally {
                cpu.accelerator(prev);
            }
        }
    }

    @Test
    void cacheCountsHitsAndStaysBounded() {
        DnnlAccelerator small = new DnnlAccelerator(4);
        small.cutovers(0, 0);
        try (Scope s = Scope.open()) {
            for (int n = 1; n <= 10; n++) {
                Tensor x = Tensor.randn(n, n, 8);
                Tensor y = out(x.shape(), DType.FLOAT32);
                assertTrue(small.unary(Prim.TANH, Attrs.Scalars.NONE, o(x), o(y)));
                assertTrue(small.unary(Prim.TANH, Attrs.Scalars.NONE, o(x), o(y)));
            }
        }
        assertEquals(10, small.cacheMisses());
        assertEquals(10, small.cacheHits());
        assertEquals(4, small.cacheSize());
    }

    @Test
    void threadCountReachesOpenMpOfTheCallingThread() {
        boolean wasFixed = dev.tangent.Tangent.threadsFixed();
        int before = dev.tangent.Tangent.numThreads();
        acc.threadCount(dev.tangent.bindings.omp.omp_h::omp_set_num_threads);
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.randn(1, 64, 64);
            for (int n : new int[] {1, 2, 3}) {
                dev.tangent.Tangent.setNumThreads(n);
                assertTrue(acc.unary(Prim.TANH, Attrs.Scalars.NONE, o(x), o(out(x.shape(), DType.FLOAT32))));
                assertEquals(n, dev.tangent.bindings.omp.omp_h.omp_get_max_threads());
            }
        } finally {
            restoreThreads(wasFixed, before);
        }
    }

    private static void restoreThreads(boolean wasFixed, int before) {
        if (wasFixed) {
            dev.tangent.Tangent.setNumThreads(before);
        } else {
            dev.tangent.Tangent.adaptiveThreads();
        }
    }

    /**
     * Adaptive threading reaches OpenMP through the CPU backend: a kernel too small for a second
     * thread runs on one, a large matmul gets every core (this thread is the only one computing).
     */
    @Test
    void adaptiveThreadsGiveSmallKernelsOneThreadAndLargeOnesTheCores() {
        boolean wasFixed = dev.tangent.Tangent.threadsFixed();
        int before = dev.tangent.Tangent.numThreads();
        acc.threadCount(dev.tangent.bindings.omp.omp_h::omp_set_num_threads);
        dev.tangent.backend.cpu.CpuBackend backend = new dev.tangent.backend.cpu.CpuBackend(acc);
        try (Scope s = Scope.open()) {
            dev.tangent.Tangent.adaptiveThreads();
            int cores = Runtime.getRuntime().availableProcessors();
            Tensor a = Tensor.randn(1, 512, 512);
            backend.matmul(o(a), o(a), o(out(new long[] {512, 512}, DType.FLOAT32)));
            assertEquals(cores, dev.tangent.bindings.omp.omp_h.omp_get_max_threads(), "512^3 matmul");
            Tensor small = Tensor.randn(2, 8, 8);
            backend.matmul(o(small), o(small), o(out(small.shape(), DType.FLOAT32)));
            assertEquals(1, dev.tangent.bindings.omp.omp_h.omp_get_max_threads(), "8^3 matmul");
            dev.tangent.Tangent.setNumThreads(1);
            backend.matmul(o(a), o(a), o(out(new long[] {512, 512}, DType.FLOAT32)));
            assertEquals(1, dev.tangent.bindings.omp.omp_h.omp_get_max_threads(), "fixed at 1");
        } finally {
            restoreThreads(wasFixed, before);
        }
    }

    /** Ops whose oneDNN kernels get non-finite inputs wrong stay on Java, so NaN and inf behave as in PyTorch. */
    @Test
    void opsWithNonPyTorchNanBehaviourStayOnJava() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.full(Float.NaN, 8192);
            for (Prim p : List.of(Prim.RELU, Prim.NEG, Prim.RSQRT, Prim.EXP, Prim.LOG, Prim.ELU)) {
                assertTrue(!acc.unary(p, Attrs.Scalars.of(1.0), o(x), o(out(x.shape(), DType.FLOAT32))), p.name());
            }
            assertTrue(!acc.unary(Prim.POW_SCALAR, Attrs.Scalars.of(0.5), o(x), o(out(x.shape(), DType.FLOAT32))));
            assertTrue(!acc.unaryJvp(Prim.SILU, Attrs.Scalars.NONE, o(x), o(x), o(out(x.shape(), DType.FLOAT32)),
                    o(out(x.shape(), DType.FLOAT32))));
            assertTrue(!acc.softmax(Prim.SOFTMAX, o(x.reshape(64, 128)), 1, o(out(new long[] {64, 128}, DType.FLOAT32))));
            assertTrue(!acc.reduce(Prim.PROD, o(x.reshape(64, 128)), o(out(new long[] {64, 1}, DType.FLOAT32))));
            assertTrue(!acc.unaryJvp(Prim.LEAKY_RELU, new Attrs.Scalars(0.01, 0), o(x), o(x), o(out(x.shape(), DType.FLOAT32)),
                    o(out(x.shape(), DType.FLOAT32))));
            assertTrue(!acc.unaryJvp(Prim.POW_SCALAR, new Attrs.Scalars(3.0, 0), o(x), o(x), o(out(x.shape(), DType.FLOAT32)),
                    o(out(x.shape(), DType.FLOAT32))));
            assertTrue(Float.isNaN(withAccelerator(() -> x.relu()).toFloatArray()[0]), "relu(nan) = nan");
        }
    }

    @Test
    void float64StaysOnJava() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.randn(1, 100, 100).toDouble();
            assertTrue(!acc.unary(Prim.EXP, Attrs.Scalars.NONE, o(x), o(out(x.shape(), DType.FLOAT64))));
            assertTrue(!acc.matmul(o(x), o(x), o(out(x.shape(), DType.FLOAT64))));
        }
    }

    private static long[] swapLast(long[] s) {
        long[] r = s.clone();
        long t = r[r.length - 1];
        r[r.length - 1] = r[r.length - 2];
        r[r.length - 2] = t;
        return r;
    }

    /** Runs with the global CPU backend's accelerator replaced by the test's (cut-overs at zero). */
    static synchronized Tensor withAccelerator(java.util.function.Supplier<Tensor> f) {
        return withAcc(acc, f);
    }

    static synchronized Tensor withJava(java.util.function.Supplier<Tensor> f) {
        return withAcc(null, f);
    }

    /** Runs f with only {@code a} (or only the Java kernels) under the CPU backend: no native CPU kernels. */
    private static Tensor withAcc(DnnlAccelerator a, java.util.function.Supplier<Tensor> f) {
        var cpu = dev.tangent.backend.Backends.cpu();
        var prev = cpu.accelerator();
        boolean nat = cpu.nativeKernels();
        cpu.accelerator(a);
        cpu.nativeKernels(false);
        try {
            return f.get();
        } finally {
            cpu.accelerator(prev);
            cpu.nativeKernels(nat);
        }
    }

    /**
     * Threads that keep evicting each other's primitives from a cache of 2: an entry evicted
     * between its lookup and the run's read lock is looked up again without that lock (a lookup
     * that evicts takes the write lock, which a reader cannot take: the old code could hang here).
     */
    @Test
    void evictionRacesNeverHang() throws Exception {
        DnnlAccelerator small = new DnnlAccelerator(2);
        small.cutovers(0, 0);
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread th = new Thread(r, "eviction-race");
            th.setDaemon(true);   // a hung worker must not keep the test JVM alive
            return th;
        });
        try (Scope s = Scope.open()) {
            List<Future<Boolean>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                fs.add(pool.submit(() -> {
                    boolean all = true;
                    for (int i = 0; i < 300; i++) {
                        try (Scope inner = Scope.open()) {
                            long m = 2 + (seed * 300 + i) % 7;   // 7 shapes over 2 slots: constant eviction
                            Tensor a = Tensor.randn(i, m, 8);
                            Tensor b = Tensor.randn(i + 1, 8, 5);
                            all &= small.matmul(o(a), o(b), o(out(new long[] {m, 5}, DType.FLOAT32)));
                        }
                    }
                    return all;
                }));
            }
            for (Future<Boolean> f : fs) {
                assertTrue(f.get(60, java.util.concurrent.TimeUnit.SECONDS), "every matmul ran on oneDNN");
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
