package dev.tangent.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.autograd.ForwardAD;
import dev.tangent.backend.Backends;
import dev.tangent.backend.cpu.CpuAccelerator;
import dev.tangent.backend.cpu.CpuBackend;
import dev.tangent.backend.cpu.CpuLinear;
import dev.tangent.backend.cpu.dnnl.DnnlAccelerator;
import dev.tangent.backend.cpu.dnnl.DnnlLibrary;
import dev.tangent.functional.Func;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import dev.tangent.functional.Linearized;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fused linear epilogues ({@code F.linear(x, w, b, act)} eager, and the recording's merge of
 * {@code x.matmul(w).add(b).act()} in plans and linearize) against the composition of primitives
 * with the rules as Tensor operations (what runs when a graph is recorded): same values to float32
 * tolerance, same NaN and ±inf — PyTorch's {@code x @ 0} term included — and proof that the fused
 * kernels ran ({@link CpuLinear#launches()}, the plan's kernel count).
 */
class LinearEpilogueTest {
    private static final String[] ACTS = {"none", "tanh", "sigmoid", "relu", "gelu", "gelu_tanh"};

    static Tensor act(Tensor y, String act) {
        return switch (act) {
            case "none" -> y;
            case "tanh" -> y.tanh();
            case "sigmoid" -> y.sigmoid();
            case "relu" -> y.relu();
            case "gelu" -> y.gelu();
            case "gelu_tanh" -> y.gelu(true);
            default -> throw new IllegalArgumentException(act);
        };
    }

    /** The weight [out, in] as F.linear takes it: "plain" row-major, "kn" a transposed view of [in, out], "step2" every other column. */
    static Tensor weight(long seed, String layout, long out, long in) {
        double scale = 1 / Math.sqrt(in);
        return switch (layout) {
            case "plain" -> Tensor.randn(seed, out, in).mul(scale);
            case "kn" -> Tensor.randn(seed, in, out).mul(scale).mT();
            case "step2" -> Tensor.randn(seed, out, 2 * in).mul(scale).slice(1, 0, 2 * in, 2);
            default -> throw new IllegalArgumentException(layout);
        };
    }

    static Stream<Arguments> shapes() {
        List<Arguments> a = new ArrayList<>();
        long[][] sizes = {{1, 784, 1024}, {1, 33, 17}, {3, 20, 7}, {64, 784, 1024}, {67, 129, 33}, {1024, 256, 128}};
        String[] layouts = {"plain", "kn", "step2"};
        int i = 0;
        for (long[] s : sizes) {
            for (String act : ACTS) {
                a.add(Arguments.of(s[0], s[1], s[2], layouts[i++ % layouts.length], act, i % 4 != 0, DType.FLOAT32));
            }
            for (String act : new String[] {"none", "tanh"}) {
                a.add(Arguments.of(s[0], s[1], s[2], layouts[i++ % layouts.length], act, true, DType.FLOAT64));
            }
        }
        return a.stream();
    }

    /** Runs {@code f} with the CPU backend on its Java kernels only (no oneDNN, no native library): the unfused path. */
    static <T> T onJavaKernels(Supplier<T> f) {
        CpuBackend cpu = Backends.cpu();
        CpuAccelerator prevAcc = cpu.accelerator();
        boolean prevNative = cpu.nativeKernels();
        cpu.accelerator(null);
        cpu.nativeKernels(false);
        try {
            return f.get();
        } finally {
            cpu.accelerator(prevAcc);
            cpu.nativeKernels(prevNative);
        }
    }

    /**
     * Eager forward and jvp of F.linear(x, w, b, act) against the unfused composition on the Java
     * kernels. float32 takes the fused kernels (asserted where this machine has them); float64 has
     * none (oneDNN's CPU matmul is float32/bf16/int8 only, the GEMV float32) and must run the
     * composition.
     */
    @ParameterizedTest(name = "B={0} K={1} N={2} w={3} {4} bias={5} {6}")
    @MethodSource("shapes")
    void eagerEqualsUnfusedJavaKernels(long b, long k, long n, String layout, String act, boolean withBias, DType dt) {
        try (Scope s = Scope.open()) {
            Tensor w = weight(10 + k, layout, n, k).to(dt);
            Tensor bias = withBias ? Tensor.randn(11, n).mul(0.1).to(dt) : null;
            Tensor x = Tensor.randn(12, b, k).to(dt);
            Tensor v = Tensor.randn(13, b, k).to(dt);
            Function<Tensor, Tensor> fused = t -> F.linear(t, w, bias, act);
            Function<Tensor, Tensor> ops = t -> act(bias == null ? t.matmul(w.mT()) : t.matmul(w.mT()).add(bias), act);
            long before = CpuLinear.launches();
            Tensor y = fused.apply(x);
            JvpResult<Tensor> j = Functional.jvp(fused, x, v);
            long launched = CpuLinear.launches() - before;
            JvpResult<Tensor> ref = onJavaKernels(() -> Functional.jvp(ops, x, v));
            assertEquals(dt, y.dtype(), "forward dtype");
            assertEquals(dt, j.jvp().dtype(), "jvp dtype");
            close(ref.output(), y, "forward");
            close(ref.output(), j.output(), "jvp output");
            close(ref.jvp(), j.jvp(), "jvp");
            if (dt == DType.FLOAT64) {
                assertEquals(0, launched, "float64 runs the composition (no fused float64 kernel)");
            } else if (oneDnnOrNative(b, act) && (b == 1 || b * k * n >= DnnlAccelerator.MATMUL_CUTOVER)) {
                assertTrue(launched >= 2, "the fused kernels ran (forward and jvp)");
            }
        }
    }

    /** Whether this machine's CPU backend has a fused kernel for the case (native GEMV at one row, oneDNN above). */
    private static boolean oneDnnOrNative(long b, String act) {
        CpuBackend cpu = Backends.cpu();
        if (act.equals("relu")) {
            return cpu.accelerator() != null || cpu.nativeKernels();   // layer fused, relu after it
        }
        return b == 1 ? cpu.nativeKernels() || cpu.accelerator() != null : cpu.accelerator() != null;
    }

    /** A bias [1] or [out, ...] that is not a row, and 3-D inputs: the composition or the 2-D view, same values. */
    @Test
    void otherBiasShapesAndRanks() {
        try (Scope s = Scope.open()) {
            Tensor w = weight(1, "plain", 6, 5);
            Tensor x3 = Tensor.randn(2, 4, 3, 5);
            Tensor v3 = Tensor.randn(3, 4, 3, 5);
            for (Tensor bias : new Tensor[] {Tensor.randn(4, 1), Tensor.randn(5, 3, 6), Tensor.randn(6, 6)}) {
                Function<Tensor, Tensor> fused = t -> F.linear(t, w, bias, "tanh");
                Function<Tensor, Tensor> ops = t -> t.matmul(w.mT()).add(bias).tanh();
                JvpResult<Tensor> j = Functional.jvp(fused, x3, v3);
                JvpResult<Tensor> ref = onJavaKernels(() -> Functional.jvp(ops, x3, v3));
                assertEquals(List.of(4L, 3L, 6L), List.of(j.output().size(0), j.output().size(1), j.output().size(2)));
                close(ref.output(), j.output(), "output");
                close(ref.jvp(), j.jvp(), "jvp");
            }
        }
    }

    static Tensor mlpOps(Tensor x, Tensor[] p) {
        Tensor h = x.matmul(p[0]).add(p[1]).tanh();
        h = h.matmul(p[2]).add(p[3]).sigmoid();
        return h.matmul(p[4]).add(p[5]);
    }

    static Tensor[] mlpParams(long in, long hidden, long out) {
        return new Tensor[] {Tensor.randn(20, in, hidden).mul(1 / Math.sqrt(in)), Tensor.randn(21, hidden).mul(0.1),
                Tensor.randn(22, hidden, hidden).mul(1 / Math.sqrt(hidden)), Tensor.randn(23, hidden).mul(0.1),
                Tensor.randn(24, hidden, out).mul(1 / Math.sqrt(hidden)), Tensor.randn(25, out).mul(0.1)};
    }

    /** A plan of the op-by-op MLP replays one kernel per layer, fused, with the eager values. */
    @ParameterizedTest(name = "B={0}")
    @MethodSource("batches")
    void planMergesEachLayer(long b) {
        Assumptions.assumeTrue(Backends.cpu().accelerator() != null || b == 1 && Backends.cpu().nativeKernels(),
                "no fused CPU kernel on this machine");
        try (Scope s = Scope.open()) {
            Tensor[] p = mlpParams(96, 128, 10);
            Function<Tensor, Tensor> f = t -> mlpOps(t, p);
            Tensor x = Tensor.randn(30, b, 96);
            Tensor v = Tensor.randn(31, b, 96);
            JvpResult<Tensor> ref = onJavaKernels(() -> Functional.jvp(f, x, v));
            try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(f, x)) {
                long before = CpuLinear.launches();
                JvpResult<Tensor> r = plan.apply(x, v);
                assertEquals(3, CpuLinear.launches() - before, "three fused layer kernels per apply");
                assertEquals(3, plan.kernelCount(), "one kernel per layer");
                close(ref.output(), r.output(), "plan output");
                close(ref.jvp(), r.jvp(), "plan jvp");
                // new values through the same plan
                Tensor x2 = Tensor.randn(32, b, 96);
                Tensor v2 = Tensor.randn(33, b, 96);
                JvpResult<Tensor> ref2 = onJavaKernels(() -> Functional.jvp(f, x2, v2));
                JvpResult<Tensor> r2 = plan.apply(x2, v2);
                close(ref2.output(), r2.output(), "plan output 2");
                close(ref2.jvp(), r2.jvp(), "plan jvp 2");
            }
        }
    }

    static Stream<Long> batches() {
        return Stream.of(1L, 7L, 64L, 67L, 1024L);
    }

    /** An intermediate the function returns is not merged away: the plan still writes it. */
    @Test
    void planKeepsIntermediatesThatAreResults() {
        try (Scope s = Scope.open()) {
            Tensor[] p = mlpParams(16, 32, 4);
            Function<dev.tangent.Tuple, dev.tangent.Tuple> f = in -> {
                Tensor z = in.get(0).matmul(p[0]);
                return dev.tangent.Tuple.of(z, z.add(p[1]).tanh());
            };
            Tensor x = Tensor.randn(40, 8, 16);
            Tensor v = Tensor.randn(41, 8, 16);
            JvpResult<dev.tangent.Tuple> ref = Functional.jvp(f, dev.tangent.Tuple.of(x), dev.tangent.Tuple.of(v));
            try (JvpPlan<dev.tangent.Tuple, dev.tangent.Tuple> plan = JvpPlan.compile(f, dev.tangent.Tuple.of(x))) {
                JvpResult<dev.tangent.Tuple> r = plan.apply(dev.tangent.Tuple.of(x), dev.tangent.Tuple.of(v));
                for (int i = 0; i < 2; i++) {
                    close(ref.output().get(i), r.output().get(i), "output " + i);
                    close(ref.jvp().get(i), r.jvp().get(i), "jvp " + i);
                }
            }
        }
    }

    /** linearize of the op-by-op MLP: its tangent map equals eager jvps. */
    @Test
    void linearizeEqualsJvp() {
        try (Scope s = Scope.open()) {
            Tensor[] p = mlpParams(40, 64, 6);
            Function<Tensor, Tensor> f = t -> mlpOps(t, p);
            Tensor x = Tensor.randn(50, 16, 40);
            Linearized<Tensor, Tensor> lin = Func.linearize(f, x);
            for (int i = 0; i < 2; i++) {
                Tensor v = Tensor.randn(51 + i, 16, 40);
                JvpResult<Tensor> ref = onJavaKernels(() -> Functional.jvp(f, x, v));
                close(ref.jvp(), lin.jvp(v), "linearize jvp " + i);
            }
        }
    }

    /** Nested forward levels and taped inputs take the composition (the rules), with the same values. */
    @Test
    void nestedLevelsAndTapeUseTheRules() {
        try (Scope s = Scope.open()) {
            Tensor w = weight(60, "plain", 8, 12);
            Tensor bias = Tensor.randn(61, 8);
            Tensor x = Tensor.randn(62, 5, 12);
            Tensor v = Tensor.randn(63, 5, 12);
            Tensor u = Tensor.randn(64, 5, 12);
            // jvp of a jvp: the inner dual is at a lower level
            Function<Tensor, Tensor> inner = t -> Functional.jvp(z -> F.linear(z, w, bias, "tanh"), t, v, true, false).jvp();
            Function<Tensor, Tensor> innerOps = t -> Functional.jvp(z -> z.matmul(w.mT()).add(bias).tanh(), t, v, true, false).jvp();
            JvpResult<Tensor> a = Functional.jvp(inner, x, u);
            JvpResult<Tensor> b = Functional.jvp(innerOps, x, u);
            close(b.jvp(), a.jvp(), "second-order jvp");
            // reverse mode through F.linear
            Tensor xr = x.detach().setRequiresGrad(true);
            F.linear(xr, w, bias, "sigmoid").sum().backward();
            Tensor xo = x.detach().setRequiresGrad(true);
            xo.matmul(w.mT()).add(bias).sigmoid().sum().backward();
            close(xo.grad(), xr.grad(), "gradient");
        }
    }

    /**
     * NaN and ±inf in x (whole rows and single elements), in W and in the bias, on every CPU kernel
     * set: the fused kernels give the composition's NaN, ±inf and values — including the NaN rows of
     * PyTorch's {@code x @ 0} term, and tanh/sigmoid/gelu of ±inf through oneDNN's post-ops.
     */
    @ParameterizedTest(name = "{0} B={1}")
    @MethodSource("kernelSets")
    void nonFiniteMatchesComposition(String kernels, long b) {
        CpuBackend cpu = Backends.cpu();
        CpuAccelerator prevAcc = cpu.accelerator();
        boolean prevNative = cpu.nativeKernels();
        boolean dnnl = kernels.contains("onednn");
        Assumptions.assumeTrue(!dnnl || DnnlLibrary.isAvailable(), "oneDNN is not available");
        DnnlAccelerator acc = null;
        if (dnnl) {
            acc = new DnnlAccelerator(256);
            acc.cutovers(0, 0);
        }
        cpu.accelerator(acc);
        cpu.nativeKernels(kernels.contains("native"));
        try (Scope s = Scope.open()) {
            Assumptions.assumeTrue(!kernels.contains("native") || cpu.nativeKernels(), "libtangent_cpu.so is not loaded");
            long k = 9;
            long n = 6;
            float inf = Float.POSITIVE_INFINITY;
            float nan = Float.NaN;
            float[] xs = Tensor.randn(70, b, k).toFloatArray();
            float[] special = {nan, inf, -inf, 3e38f, -3e38f};
            for (int r = 0; r < b; r++) {
                if (r % 3 == 1) {
                    xs[(int) (r * k + r % k)] = special[r % special.length];
                }
            }
            if (b == 1) {
                xs[4] = inf;
            }
            float[] ws = Tensor.randn(71, n, k).toFloatArray();
            ws[(int) (2 * k + 3)] = nan;
            float[] bs = Tensor.randn(72, n).toFloatArray();
            bs[4] = inf;
            bs[5] = -inf;
            Tensor x = Tensor.of(xs, b, k);
            Tensor w = Tensor.of(ws, n, k);
            Tensor bias = Tensor.of(bs, n);
            Tensor v = Tensor.randn(73, b, k);
            for (String act : ACTS) {
                for (Tensor bb : new Tensor[] {bias, null}) {
                    Function<Tensor, Tensor> fused = t -> F.linear(t, w, bb, act);
                    Function<Tensor, Tensor> ops = t -> act(bb == null ? t.matmul(w.mT()) : t.matmul(w.mT()).add(bb), act);
                    String what = kernels + " " + act + (bb == null ? "" : " bias");
                    JvpResult<Tensor> ref = onJavaKernels(() -> Functional.jvp(ops, x, v));
                    close(ref.output(), fused.apply(x), what + " forward");
                    JvpResult<Tensor> j = Functional.jvp(fused, x, v);
                    close(ref.output(), j.output(), what + " jvp output");
                    close(ref.jvp(), j.jvp(), what + " jvp");
                    try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(ops, x)) {
                        JvpResult<Tensor> r = plan.apply(x, v);
                        close(ref.output(), r.output(), what + " plan output");
                        close(ref.jvp(), r.jvp(), what + " plan jvp");
                    }
                }
            }
        } finally {
            cpu.accelerator(prevAcc);
            cpu.nativeKernels(prevNative);
        }
    }

    static Stream<Arguments> kernelSets() {
        List<Arguments> a = new ArrayList<>();
        for (String k : new String[] {"java", "onednn", "native", "native+onednn"}) {
            for (long b : new long[] {1, 4, 70}) {
                a.add(Arguments.of(k, b));
            }
        }
        return a.stream();
    }

    /**
     * The stacked jvp ({@code [x; dx]} in one matmul, one native pass) at 2, 64, 67 and 300 rows (the
     * default window and past it), eager and in a
     * plan, x contiguous and with a row stride: values, NaN and ±inf (x rows, a W element, the bias)
     * equal to the composition on the Java kernels and to the two-matmul form, and it ran.
     */
    @ParameterizedTest(name = "B={0} {1}")
    @MethodSource("stackedCases")
    void stackedJvpEqualsComposition(long b, String act) {
        CpuBackend cpu = Backends.cpu();
        Assumptions.assumeTrue(cpu.accelerator() != null && cpu.nativeKernels(), "needs oneDNN and libtangent_cpu.so");
        long[] prev = CpuLinear.stackRows();
        try (Scope s = Scope.open()) {
            long k = 40;
            long n = 24;
            float[] xs = Tensor.randn(90, b, k + 3).toFloatArray();
            float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 3e38f};
            for (int r = 1; r < b; r += 3) {
                xs[(int) (r * (k + 3) + r % k)] = special[r % special.length];
            }
            float[] ws = Tensor.randn(91, n, k).mul(1 / Math.sqrt(k)).toFloatArray();
            ws[(int) (5 * k + 7)] = Float.NaN;
            float[] bs = Tensor.randn(92, n).toFloatArray();
            bs[3] = Float.POSITIVE_INFINITY;
            bs[9] = Float.NEGATIVE_INFINITY;
            Tensor w = Tensor.of(ws, n, k);
            Tensor wide = Tensor.of(xs, b, k + 3);
            Tensor v = Tensor.randn(93, b, k);
            for (Tensor x : new Tensor[] {wide.slice(1, 0, k, 1).contiguous(), wide.slice(1, 0, k, 1)}) {
                for (Tensor bias : new Tensor[] {Tensor.of(bs, n), null}) {
                    Function<Tensor, Tensor> fused = t -> F.linear(t, w, bias, act);
                    Function<Tensor, Tensor> ops = t -> act(bias == null ? t.matmul(w.mT()) : t.matmul(w.mT()).add(bias), act);
                    String what = act + (bias == null ? "" : " bias") + (x.isContiguous() ? "" : " strided x");
                    JvpResult<Tensor> ref = onJavaKernels(() -> Functional.jvp(ops, x, v));
                    CpuLinear.stackRows(Long.MAX_VALUE, Long.MAX_VALUE);
                    JvpResult<Tensor> two = Functional.jvp(fused, x, v);
                    CpuLinear.stackRows(2, Long.MAX_VALUE);
                    long before = CpuLinear.stackedLaunches();
                    JvpResult<Tensor> j = Functional.jvp(fused, x, v);
                    try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(ops, x)) {
                        JvpResult<Tensor> r = plan.apply(x, v);
                        assertTrue(CpuLinear.stackedLaunches() - before >= 2, what + ": the stacked kernel ran (eager and plan)");
                        close(ref.output(), r.output(), what + " plan output");
                        close(ref.jvp(), r.jvp(), what + " plan jvp");
                    }
                    close(ref.output(), j.output(), what + " jvp output");
                    close(ref.jvp(), j.jvp(), what + " jvp");
                    close(two.jvp(), j.jvp(), what + " jvp vs two matmuls");
                }
            }
        } finally {
            CpuLinear.stackRows(prev[0], prev[1]);
        }
    }

    static Stream<Arguments> stackedCases() {
        List<Arguments> a = new ArrayList<>();
        for (long b : new long[] {2, 64, 67, 300}) {
            for (String act : new String[] {"tanh", "sigmoid", "gelu", "gelu_tanh"}) {
                a.add(Arguments.of(b, act));
            }
        }
        return a.stream();
    }

    /** forward_ad: make_dual / unpack_dual around F.linear gives the fused result too. */
    @Test
    void forwardAdDual() {
        try (Scope s = Scope.open(); ForwardAD.DualLevel level = ForwardAD.dualLevel()) {
            Tensor w = weight(80, "kn", 16, 24);
            Tensor bias = Tensor.randn(81, 16);
            Tensor x = Tensor.randn(82, 3, 24);
            Tensor v = Tensor.randn(83, 3, 24);
            ForwardAD.Dual d = ForwardAD.unpackDual(F.linear(ForwardAD.makeDual(x, v, level), w, bias, "gelu"), level);
            JvpResult<Tensor> ref = Functional.jvp(t -> t.matmul(w.mT()).add(bias).gelu(),
                    x.detach().setRequiresGrad(true), v, true, false);
            close(ref.output(), d.primal(), "primal");
            close(ref.jvp(), d.tangent(), "tangent");
        }
    }

    /**
     * Same shape, dtype, NaN-ness and infinities; finite values within 2e-5 relative (2e-5 absolute
     * below 1) for float32, 1e-12 for float64.
     */
    static void close(Tensor want, Tensor got, String what) {
        assertEquals(List.of(toList(want.shape())), List.of(toList(got.shape())), what + " shape");
        assertEquals(want.dtype(), got.dtype(), what + " dtype");
        double tol = want.dtype() == DType.FLOAT64 ? 1e-12 : 2e-5;
        double[] a = want.toDoubleArray();
        double[] b = got.toDoubleArray();
        int bad = 0;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.length; i++) {
            boolean ok;
            if (Double.isNaN(a[i]) || Double.isNaN(b[i])) {
                ok = Double.isNaN(a[i]) && Double.isNaN(b[i]);
            } else if (Double.isInfinite(a[i]) || Double.isInfinite(b[i])) {
                ok = a[i] == b[i];
            } else {
                ok = Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(a[i]));
            }
            if (!ok && bad++ < 8) {
                sb.append("\n  [").append(i).append("] want ").append(a[i]).append(" got ").append(b[i]);
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + a.length + " elements differ:" + sb);
        }
    }

    private static List<Long> toList(long[] s) {
        List<Long> l = new ArrayList<>();
        for (long x : s) {
            l.add(x);
        }
        return l;
    }
}
