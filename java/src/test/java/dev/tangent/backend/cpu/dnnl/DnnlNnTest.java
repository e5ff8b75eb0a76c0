package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.backend.cpu.dnnl.DnnlAcceleratorTest.assertClose;
import static dev.tangent.backend.cpu.dnnl.DnnlAcceleratorTest.o;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.cpu.CpuBackend;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.NnShapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The oneDNN convolution and pooling kernels against the Java reference kernels (JavaNn) on awkward
 * sizes and layouts, in both the plain and the blocked layout, with the cut-overs at zero so that
 * oneDNN really runs; many threads on one primitive; what stays on Java and why.
 */
class DnnlNnTest {
    private static DnnlAccelerator acc;
    private static final CpuBackend JAVA = new CpuBackend();

    @BeforeAll
    static void setUp() {
        acc = new DnnlAccelerator(256);
        acc.cutovers(0, 0);
    }

    /**
     * A convolution case: input [n, c, h, w] in a layout, weight [o, c / groups, kh, kw] in a layout,
     * stride, padding, dilation as (h, w).
     */
    record ConvCase(long n, long c, long h, long w, long o, long kh, long kw, long[] stride, long[] pad, long[] dil,
            long groups, String xLayout, String wLayout) {
        Attrs.Conv attrs() {
            return new Attrs.Conv(stride, pad, dil, groups);
        }

        long[] xShape() {
            return new long[] {n, c, h, w};
        }

        long[] wShape() {
            return new long[] {o, c / groups, kh, kw};
        }

        long[] outShape() {
            return new long[] {n, o, NnShapes.convOut("t", h, kh, stride[0], pad[0], dil[0]),
                NnShapes.convOut("t", w, kw, stride[1], pad[1], dil[1])};
        }

        @Override
        public String toString() {
            return "x" + Arrays.toString(xShape()) + " " + xLayout + " w" + Arrays.toString(wShape()) + " " + wLayout
                    + " s" + Arrays.toString(stride) + " p" + Arrays.toString(pad) + " d" + Arrays.toString(dil)
                    + " g" + groups;
        }
    }

    private static long[] p(long a, long b) {
        return new long[] {a, b};
    }

    static List<ConvCase> convCases() {
        return List.of(
                new ConvCase(1, 3, 11, 13, 5, 3, 3, p(1, 1), p(1, 1), p(1, 1), 1, "contiguous", "contiguous"),
                new ConvCase(2, 6, 9, 7, 4, 3, 2, p(2, 1), p(1, 0), p(1, 1), 2, "transposed", "contiguous"),
                new ConvCase(3, 4, 10, 10, 4, 3, 3, p(1, 1), p(2, 2), p(2, 2), 4, "channels_last", "contiguous"),
                new ConvCase(2, 8, 13, 11, 16, 1, 1, p(2, 2), p(0, 0), p(1, 1), 1, "step2", "contiguous"),
                new ConvCase(1, 4, 7, 9, 8, 3, 3, p(3, 2), p(1, 1), p(1, 2), 4, "contiguous", "transposed"),
                new ConvCase(2, 5, 17, 5, 3, 5, 3, p(1, 2), p(2, 1), p(3, 1), 1, "transposed", "io_swapped"),
                new ConvCase(2, 16, 8, 8, 32, 3, 3, p(1, 1), p(1, 1), p(1, 1), 1, "contiguous", "contiguous"),
                new ConvCase(1, 3, 23, 21, 16, 7, 7, p(2, 2), p(3, 3), p(1, 1), 1, "contiguous", "contiguous"),
                new ConvCase(3, 32, 6, 5, 32, 3, 3, p(1, 1), p(1, 1), p(1, 1), 32, "transposed", "contiguous"),
                new ConvCase(2, 16, 9, 9, 24, 1, 1, p(3, 3), p(0, 0), p(1, 1), 2, "channels_last", "contiguous"),
                new ConvCase(3, 4, 6, 7, 5, 1, 1, p(1, 2), p(2, 3), p(1, 1), 1, "expanded", "contiguous"),
                new ConvCase(2, 6, 8, 8, 6, 2, 2, p(1, 1), p(1, 0), p(3, 2), 3, "contiguous", "expanded"));
    }

    static Stream<Arguments> convCasesByLayout() {
        List<Arguments> r = new ArrayList<>();
        for (ConvCase c : convCases()) {
            for (DnnlNn.Layout l : DnnlNn.Layout.values()) {
                r.add(Arguments.of(c, l));
            }
        }
        return r.stream();
    }

    /** A random float32 NCHW tensor of {@code shape} viewed in a layout. */
    static Tensor nchw(long seed, String layout, long[] s) {
        return switch (layout) {
            case "contiguous" -> Tensor.randn(seed, s);
            case "transposed" -> Tensor.randn(seed, s[0], s[1], s[3], s[2]).transpose(2, 3);
            case "channels_last" -> Tensor.randn(seed, s[0], s[2], s[3], s[1]).permute(0, 3, 1, 2);
            case "io_swapped" -> Tensor.randn(seed, s[1], s[0], s[2], s[3]).transpose(0, 1);
            case "step2" -> Tensor.randn(seed, s[0], s[1], s[2], 2 * s[3]).slice(3, 0, 2 * s[3], 2);
            case "expanded" -> Tensor.randn(seed, 1, s[1], s[2], s[3]).expand(s); // stride 0 on dim 0
            default -> throw new IllegalArgumentException(layout);
        };
    }

    static Tensor zeros(long[] shape) {
        return Tensor.zeros(DType.FLOAT32, shape);
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("convCasesByLayout")
    void convolutionAndItsAdjointsMatchJava(ConvCase c, DnnlNn.Layout layout) {
        acc.nn().forceLayout(layout);
        try (Scope s = Scope.open()) {
            Attrs.Conv a = c.attrs();
            Tensor x = nchw(1, c.xLayout(), c.xShape());
            Tensor w = nchw(2, c.wLayout(), c.wShape());
            Tensor g = nchw(3, c.xLayout().equals("step2") || c.xLayout().equals("expanded") ? "contiguous" : c.xLayout(),
                    c.outShape());

            Tensor want = zeros(c.outShape());
            Tensor got = zeros(c.outShape());
            JAVA.conv2d(a, o(x), o(w), o(want));
            assertTrue(acc.conv2d(a, o(x), o(w), o(got)), "conv2d should run on oneDNN");
            assertClose(want, got, 1e-4, "conv2d " + c);

            Tensor gxWant = zeros(c.xShape());
            Tensor gxGot = zeros(c.xShape());
            JAVA.conv2dInputGrad(a, o(g), o(w), o(gxWant));
            assertTrue(acc.conv2dInputGrad(a, o(g), o(w), o(gxGot)), "conv2d input grad should run on oneDNN");
            assertClose(gxWant, gxGot, 1e-4, "conv2d input grad " + c);

            Tensor gwWant = zeros(c.wShape());
            Tensor gwGot = zeros(c.wShape());
            JAVA.conv2dWeightGrad(a, o(x), o(g), o(gwWant));
            assertTrue(acc.conv2dWeightGrad(a, o(x), o(g), o(gwGot)), "conv2d weight grad should run on oneDNN");
            assertClose(gwWant, gwGot, 1e-4, "conv2d weight grad " + c);
        } finally {
            acc.nn().forceLayout(null);
        }
    }

    /** Output positions no window reaches (stride 3, kernel 1) get a zero input gradient, as in Java. */
    @Test
    void inputGradientIsZeroWhereNoWindowReaches() {
        try (Scope s = Scope.open()) {
            Attrs.Conv a = new Attrs.Conv(p(3, 3), p(0, 0), p(1, 1), 1);
            Tensor g = Tensor.randn(4, 2, 8, 4, 4);
            Tensor w = Tensor.randn(5, 8, 16, 1, 1);
            Tensor want = zeros(new long[] {2, 16, 11, 12});
            Tensor got = Tensor.full(Float.NaN, 2, 16, 11, 12); // garbage that must be overwritten
            JAVA.conv2dInputGrad(a, o(g), o(w), o(want));
            assertTrue(acc.conv2dInputGrad(a, o(g), o(w), o(got)));
            assertClose(want, got, 1e-4, "strided 1x1 input grad");
            assertEquals(0f, got.toFloatArray()[1]);
        }
    }

    /** A pooling case on an input [n, c, h, w] in a layout. */
    record PoolCase(long n, long c, long h, long w, long[] k, long[] s, long[] pad, boolean ceil, boolean includePad,
            long divisor, String layout) {
        Attrs.Pool attrs() {
            return new Attrs.Pool(k, s, pad, p(1, 1), ceil, includePad, divisor);
        }

        long[] xShape() {
            return new long[] {n, c, h, w};
        }

        long[] outShape() {
            return new long[] {n, c, NnShapes.poolOut("t", h, k[0], s[0], pad[0], 1, ceil),
                NnShapes.poolOut("t", w, k[1], s[1], pad[1], 1, ceil)};
        }

        /** What runs on oneDNN: no divisor override, and counting padding only where no window passes the right padding. */
        boolean onOneDnn() {
            if (divisor != 0) {
                return false;
            }
            long[] os = outShape();
            for (int i = 0; i < 2; i++) {
                long in = i == 0 ? h : w;
                if (includePad && (os[2 + i] - 1) * s[i] + k[i] > in + 2 * pad[i]) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            return "x" + Arrays.toString(xShape()) + " " + layout + " k" + Arrays.toString(k) + " s" + Arrays.toString(s)
                    + " p" + Arrays.toString(pad) + (ceil ? " ceil" : "") + (includePad ? " include_pad" : " exclude_pad")
                    + (divisor != 0 ? " divisor " + divisor : "");
        }
    }

    static Stream<PoolCase> poolCases() {
        List<PoolCase> r = new ArrayList<>();
        long[][] geo = {{3, 3, 2, 2, 1, 1}, {2, 2, 2, 2, 0, 0}, {3, 2, 2, 3, 1, 1}, {5, 3, 3, 1, 2, 0}, {1, 1, 2, 2, 0, 0}};
        String[] layouts = {"contiguous", "transposed", "channels_last", "step2"};
        int i = 0;
        for (long[] gm : geo) {
            for (boolean ceil : new boolean[] {false, true}) {
                for (boolean inc : new boolean[] {true, false}) {
                    String layout = layouts[i++ % layouts.length];
                    r.add(new PoolCase(2, 3, 13, 10, p(gm[0], gm[1]), p(gm[2], gm[3]), p(gm[4], gm[5]), ceil, inc, 0,
                            layout));
                }
            }
        }
        r.add(new PoolCase(1, 5, 7, 7, p(3, 3), p(2, 2), p(1, 1), false, true, 5, "contiguous"));
        r.add(new PoolCase(1, 64, 14, 14, p(2, 2), p(2, 2), p(0, 0), false, true, 0, "contiguous"));
        return r.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("poolCases")
    void averagePoolingAndItsAdjointMatchJava(PoolCase c) {
        CpuBackend dnnl = new CpuBackend(acc);
        try (Scope s = Scope.open()) {
            Attrs.Pool a = c.attrs();
            Tensor x = nchw(5, c.layout(), c.xShape());
            Tensor want = zeros(c.outShape());
            Tensor got = zeros(c.outShape());
            JAVA.avgPool2d(a, o(x), o(want));
            assertEquals(c.onOneDnn(), acc.avgPool2d(a, o(x), o(got)), "avg_pool2d on oneDNN");
            dnnl.avgPool2d(a, o(x), o(got)); // the backend's choice, whichever kernel runs
            assertClose(want, got, 1e-5, "avg_pool2d " + c);

            Tensor g = nchw(6, c.layout().equals("step2") ? "transposed" : c.layout(), c.outShape());
            Tensor gxWant = zeros(c.xShape());
            Tensor gxGot = Tensor.full(Float.NaN, c.xShape());
            JAVA.avgPool2dGrad(a, o(g), o(gxWant));
            assertEquals(c.onOneDnn(), acc.avgPool2dGrad(a, o(g), o(gxGot)), "avg_pool2d backward on oneDNN");
            dnnl.avgPool2dGrad(a, o(g), o(gxGot));
            assertClose(gxWant, gxGot, 1e-5, "avg_pool2d backward " + c);
        }
    }

    /**
     * Why max_pool2d runs on oneDNN only for input without NaN, infinities and -0: oneDNN's max
     * pooling lets no NaN win (PyTorch's max_pool2d returns NaN for every window that holds one) and
     * gives -FLT_MAX for a window of -inf. If this ever fails, oneDNN has become PyTorch-exact there
     * (DnnlAccelerator.maxPool2d). On finite input the accelerator takes the values (bit for bit
     * the Java kernel's) and declines NaN, -inf, -0, strided input and the indices.
     */
    @Test
    void oneDnnMaxPoolingRunsOnlyOnFiniteInput() {
        try (Scope s = Scope.open()) {
            Attrs.Pool a = new Attrs.Pool(p(3, 3), p(2, 2), p(1, 1), p(1, 1), false, true, 0);
            float[] v = Tensor.randn(7, 1, 16, 9, 9).toFloatArray();
            v[40] = Float.NaN;
            Tensor x = Tensor.of(v, 1, 16, 9, 9);
            long[] os = {1, 16, 5, 5};
            Tensor want = zeros(os);
            Tensor probe = zeros(os);
            JAVA.maxPool2d(a, o(x), o(want), null);
            assertTrue(acc.nn().maxPoolProbe(a, o(x), o(probe)));
            long javaNans = countNan(want);
            long oneDnnNans = countNan(probe);
            assertTrue(javaNans > 0, "PyTorch semantics: the NaN wins its windows");
            assertTrue(oneDnnNans < javaNans, "oneDNN's max pooling now propagates NaN (" + oneDnnNans + " of " + javaNans
                    + "): max_pool2d could move to oneDNN");
            // without NaN the two agree exactly: the difference is NaN only
            Tensor finite = Tensor.randn(8, 1, 16, 9, 9);
            Tensor fw = zeros(os);
            Tensor fp = zeros(os);
            JAVA.maxPool2d(a, o(finite), o(fw), null);
            assertTrue(acc.nn().maxPoolProbe(a, o(finite), o(fp)));
            assertArrayEquals(fw.toFloatArray(), fp.toFloatArray());
            // a window of -inf only: PyTorch gives -inf, oneDNN the lowest finite float
            Tensor ninf = Tensor.full(Float.NEGATIVE_INFINITY, 1, 16, 9, 9);
            Tensor np = zeros(os);
            assertTrue(acc.nn().maxPoolProbe(a, o(ninf), o(np)));
            assertEquals(-Float.MAX_VALUE, np.toFloatArray()[0], "oneDNN's max pooling now returns -inf for a"
                    + " window of -inf: check NaN too, max_pool2d could move to oneDNN");
            // the accelerator takes finite input (the Java kernel's bits) and declines the rest
            Tensor taken = Tensor.full(Float.NaN, os);
            assertTrue(acc.maxPool2d(a, o(finite), o(taken), null));
            assertArrayEquals(fw.toFloatArray(), taken.toFloatArray());
            assertFalse(acc.maxPool2d(a, o(x), o(zeros(os)), null), "NaN");
            assertFalse(acc.maxPool2d(a, o(ninf), o(zeros(os)), null), "-inf");
            float[] nz = finite.toFloatArray();
            nz[17] = -0f;
            assertFalse(acc.maxPool2d(a, o(Tensor.of(nz, 1, 16, 9, 9)), o(zeros(os)), null), "-0");
            assertFalse(acc.maxPool2d(a, o(finite.transpose(2, 3)), o(zeros(os)), null), "strided");
            assertFalse(acc.maxPool2d(a, o(finite), null, o(Tensor.zeros(DType.INT64, os))), "indices");
        }
    }

    private static long countNan(Tensor t) {
        long n = 0;
        for (float f : t.toFloatArray()) {
            if (Float.isNaN(f)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Eight threads running one cached convolution chain (and its adjoints, and average pooling)
     * get the bits one thread gets.
     */
    @Test
    void eightThreadsOnOneConvolutionGiveTheSameBitsAsOne() throws Exception {
        for (DnnlNn.Layout layout : DnnlNn.Layout.values()) {
            acc.nn().forceLayout(layout);
            try (Scope s = Scope.open()) {
                Attrs.Conv a = new Attrs.Conv(p(1, 1), p(1, 1), p(1, 1), 1);
                Tensor x = nchw(11, "transposed", new long[] {2, 16, 14, 14});
                Tensor w = Tensor.randn(12, 32, 16, 3, 3);
                Tensor g = Tensor.randn(13, 2, 32, 14, 14);
                float[][] one = convAll(a, x, w, g);
                int threads = 8;
                CyclicBarrier go = new CyclicBarrier(threads);
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                try {
                    List<Future<Boolean>> fs = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        fs.add(pool.submit(() -> {
                            go.await();
                            boolean same = true;
                            for (int i = 0; i < 20; i++) {
                                try (Scope inner = Scope.open()) {
                                    float[][] r = convAll(a, x, w, g);
                                    for (int k = 0; k < r.length; k++) {
                                        same &= Arrays.equals(one[k], r[k]);
                                    }
                                }
                            }
                            return same;
                        }));
                    }
                    for (Future<Boolean> f : fs) {
                        assertTrue(f.get(), layout + ": a thread saw different bits");
                    }
                } finally {
                    pool.shutdown();
                }
            } finally {
                acc.nn().forceLayout(null);
            }
        }
    }

    private static float[][] convAll(Attrs.Conv a, Tensor x, Tensor w, Tensor g) {
        Tensor y = zeros(new long[] {2, 32, 14, 14});
        Tensor gx = zeros(x.shape());
        Tensor gw = zeros(w.shape());
        assertTrue(acc.conv2d(a, o(x), o(w), o(y)));
        assertTrue(acc.conv2dInputGrad(a, o(g), o(w), o(gx)));
        assertTrue(acc.conv2dWeightGrad(a, o(x), o(g), o(gw)));
        Attrs.Pool pool = new Attrs.Pool(p(3, 3), p(2, 2), p(1, 1), p(1, 1), true, false, 0);
        long ph = NnShapes.poolOut("t", 14, 3, 2, 1, 1, true);
        Tensor py = zeros(new long[] {2, 16, ph, ph});
        Tensor pg = zeros(x.shape());
        assertTrue(acc.avgPool2d(pool, o(x), o(py)));
        assertTrue(acc.avgPool2dGrad(pool, o(py), o(pg)));
        return new float[][] {y.toFloatArray(), gx.toFloatArray(), gw.toFloatArray(), py.toFloatArray(), pg.toFloatArray()};
    }

    /**
     * What oneDNN refuses falls back to Java: average pooling with padding as large as the kernel
     * (PyTorch's front end rejects it, a kernel-level caller may still ask) is invalid for oneDNN; the
     * cache remembers that, and the backend's Java kernel computes it.
     */
    @Test
    void whatOneDnnRefusesFallsBackToJava() {
        CpuBackend dnnl = new CpuBackend(acc);
        try (Scope s = Scope.open()) {
            Attrs.Pool a = new Attrs.Pool(p(2, 2), p(2, 2), p(2, 2), p(1, 1), false, false, 0);
            Tensor x = Tensor.randn(41, 2, 3, 6, 6);
            long[] os = {2, 3, 5, 5};
            long misses = acc.cacheMisses();
            assertFalse(acc.avgPool2d(a, o(x), o(zeros(os))), "oneDNN takes padding >= kernel?");
            assertFalse(acc.avgPool2d(a, o(x), o(zeros(os))));
            assertEquals(misses + 1, acc.cacheMisses(), "the refusal is cached, not asked again");
            Tensor want = zeros(os);
            Tensor got = zeros(os);
            JAVA.avgPool2d(a, o(x), o(want));
            dnnl.avgPool2d(a, o(x), o(got));
            assertClose(want, got, 0, "Java kernel through the backend");
        }
    }

    /** float64, empty tensors and work below the cut-over stay on Java. */
    @Test
    void float64EmptyAndSmallWorkStayOnJava() {
        try (Scope s = Scope.open()) {
            Attrs.Conv a = new Attrs.Conv(p(1, 1), p(0, 0), p(1, 1), 1);
            Tensor x = Tensor.randn(1, 1, 2, 5, 5).toDouble();
            Tensor w = Tensor.randn(2, 3, 2, 3, 3).toDouble();
            assertFalse(acc.conv2d(a, o(x), o(w), o(Tensor.zeros(DType.FLOAT64, 1, 3, 3, 3))));
            Tensor e = Tensor.zeros(DType.FLOAT32, 0, 2, 5, 5);
            assertFalse(acc.conv2d(a, o(e), o(w.toFloat()), o(Tensor.zeros(DType.FLOAT32, 0, 3, 3, 3))));
            DnnlAccelerator defaults = new DnnlAccelerator(8);
            assertFalse(defaults.conv2d(a, o(x.toFloat()), o(w.toFloat()), o(zeros(new long[] {1, 3, 3, 3}))),
                    "162 multiply-adds are below the default cut-over");
            assertTrue(defaults.convCutover() > 162);
        }
    }

    /**
     * oneDNN fixes a primitive's thread count when it creates it, so the cache creates each primitive
     * under the OpenMP team it runs with and keys it by that team: the same matmul with a team of 1
     * and a team of 2 makes two primitives, each reused.
     */
    @Test
    void eachTeamSizeGetsItsOwnPrimitive() {
        boolean wasFixed = dev.tangent.Tangent.threadsFixed();
        int before = dev.tangent.Tangent.numThreads();
        DnnlAccelerator fresh = new DnnlAccelerator(16);
        fresh.cutovers(0, 0);
        long packing = PackedWeights.limit();
        PackedWeights.limit(0);   // b's second use would otherwise take the packed-weights primitive
        try (Scope s = Scope.open()) {
            dev.tangent.Tangent.setNumThreads(2);
            Tensor a = Tensor.randn(5, 8, 16);
            Tensor b = Tensor.randn(6, 16, 4);
            long m0 = fresh.cacheMisses();
            boolean prev = dev.tangent.backend.ThreadBudget.serial(true); // a team of one
            try {
                assertTrue(fresh.matmul(o(a), o(b), o(zeros(new long[] {8, 4}))));
                assertTrue(fresh.matmul(o(a), o(b), o(zeros(new long[] {8, 4}))));
            } finally {
                dev.tangent.backend.ThreadBudget.serial(prev);
            }
            assertEquals(m0 + 1, fresh.cacheMisses(), "one primitive for a team of 1, then reused");
            Tensor want = zeros(new long[] {8, 4});
            assertTrue(fresh.matmul(o(a), o(b), o(want))); // the fixed count: a team of 2
            assertTrue(fresh.matmul(o(a), o(b), o(zeros(new long[] {8, 4}))));
            assertEquals(m0 + 2, fresh.cacheMisses(), "a team of 2 gets its own primitive, then reused");
            Tensor ref = zeros(new long[] {8, 4});
            JAVA.matmul(o(a), o(b), o(ref));
            assertClose(ref, want, 1e-5, "the team-of-2 primitive's result");
        } finally {
            PackedWeights.limit(packing);
            if (wasFixed) {
                dev.tangent.Tangent.setNumThreads(before);
            } else {
                dev.tangent.Tangent.adaptiveThreads();
            }
        }
    }
}
