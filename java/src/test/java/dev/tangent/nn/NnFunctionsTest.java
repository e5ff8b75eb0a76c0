package dev.tangent.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.functional.Functional;
import dev.tangent.functional.GradCheck;
import dev.tangent.functional.JvpStrategy;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The composite functions of {@link F} — those written in Tensor operations rather than being
 * primitives (whose rules autograd/GradCheckTest covers): {@link GradCheck} (float64, forward and
 * reverse mode against central differences) at first and second order, on seeded inputs away from
 * kinks; then PyTorch's own derivative values at the kinks, and the semantics that derivative
 * checks cannot see (PyTorch's batch_norm formula and running statistics, cross_entropy's ignored
 * targets, class weights, probabilities and mean).
 */
class NnFunctionsTest {

    /** A gradcheck case: a function of a Tensor or a Tuple, and its inputs. */
    record Case(String name, Function<Value, Value> f, Supplier<Value> inputs) {}

    /** Uniform float64 values in [lo, hi], each at least 0.05 from every point of {@code avoid}. */
    static Tensor u(long seed, double lo, double hi, double[] avoid, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1;
        for (long s : shape) {
            n *= (int) s;
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            double x;
            boolean ok;
            do {
                x = lo + (hi - lo) * r.nextDouble();
                ok = true;
                for (double a : avoid) {
                    ok &= Math.abs(x - a) >= 0.05;
                }
            } while (!ok);
            d[i] = x;
        }
        return Tensor.of(d, shape);
    }

    static Tensor u(long seed, double lo, double hi, long... shape) {
        return u(seed, lo, hi, new double[0], shape);
    }

    static Tensor randn(long seed, long... shape) {
        return u(seed, -2, 2, shape);
    }

    static Tensor idx(long... v) {
        return Tensor.of(v, v.length);
    }

    static double[] avoid(double... xs) {
        return xs;
    }

    private static Function<Value, Value> f1(Function<Tensor, Tensor> f) {
        return v -> f.apply((Tensor) v);
    }

    private static Function<Value, Value> f2(java.util.function.BiFunction<Tensor, Tensor, Tensor> f) {
        return v -> f.apply(((Tuple) v).get(0), ((Tuple) v).get(1));
    }

    interface F3 {
        Tensor apply(Tensor a, Tensor b, Tensor c);
    }

    private static Function<Value, Value> f3(F3 f) {
        return v -> f.apply(((Tuple) v).get(0), ((Tuple) v).get(1), ((Tuple) v).get(2));
    }

    // ------------------------------------------------------------------ the composites

    static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        // normalisation
        cs.add(new Case("batch_norm eval, affine", f3((x, w, b) -> F.batchNorm(x, Tensor.of(new double[] {0.3, -0.2, 0.1}, 3),
                Tensor.of(new double[] {0.8, 1.3, 0.5}, 3), w, b, false, 0.1, 1e-5)),
                () -> Tuple.of(randn(1, 2, 3, 2, 2), randn(2, 3), randn(3, 3))));
        cs.add(new Case("batch_norm eval, 2-d input, no affine", f1(x -> F.batchNorm(x, Tensor.of(new double[] {0.5, -1}, 2),
                Tensor.of(new double[] {2, 0.25}, 2), null, null)), () -> randn(4, 4, 2)));
        cs.add(new Case("batch_norm train, affine", f3((x, w, b) -> F.batchNorm(x, null, null, w, b, true, 0.1, 1e-5)),
                () -> Tuple.of(randn(5, 3, 2, 2, 2), randn(6, 2), randn(7, 2))));
        cs.add(new Case("batch_norm train with running statistics", f1(x -> F.batchNormTraining(x, Tensor.zeros(DType.FLOAT64, 3),
                Tensor.ones(DType.FLOAT64, 3), null, null, 0.1, 1e-3).output()), () -> randn(8, 4, 3)));
        cs.add(new Case("layer_norm over 1 dim, affine", f3((x, w, b) -> F.layerNorm(x, new long[] {4}, w, b, 1e-5)),
                () -> Tuple.of(randn(9, 2, 3, 4), randn(10, 4), randn(11, 4))));
        cs.add(new Case("layer_norm over 2 dims", f1(x -> F.layerNorm(x, 3, 2)), () -> randn(12, 2, 3, 2)));
        cs.add(new Case("group_norm, affine", f3((x, w, b) -> F.groupNorm(x, 2, w, b)),
                () -> Tuple.of(randn(13, 2, 4, 3), randn(14, 4), randn(15, 4))));
        cs.add(new Case("group_norm, 1 group, 4-d", f1(x -> F.groupNorm(x, 1, null, null, 1e-3)), () -> randn(16, 1, 2, 2, 3)));
        // embedding, linear, dropout
        cs.add(new Case("embedding with repeated indices", f1(w -> F.embedding(Tensor.of(new long[] {0, 3, 3, 1, 0, 4}, 2, 3), w)
                .sin()), () -> randn(17, 5, 3)));
        cs.add(new Case("linear with bias", f3(F::linear), () -> Tuple.of(randn(18, 2, 3, 4), randn(19, 5, 4), randn(20, 5))));
        cs.add(new Case("linear, 1-d weight", f2((x, w) -> F.linear(x, w)), () -> Tuple.of(randn(21, 3, 4), randn(22, 4))));
        cs.add(new Case("dropout training, seeded", f1(x -> F.dropout(x, 0.4, true, 99)), () -> randn(23, 4, 5)));
        // attention
        cs.add(new Case("scaled_dot_product_attention", f3(F::scaledDotProductAttention),
                () -> Tuple.of(randn(24, 2, 3, 4), randn(25, 2, 5, 4), randn(26, 2, 5, 3))));
        cs.add(new Case("scaled_dot_product_attention, bool mask, scale 0.7", f3((q, k, v) -> F.scaledDotProductAttention(q, k,
                v, Tensor.of(new double[] {1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1}, 3, 4).gt(0.5), false, 0.7)),
                () -> Tuple.of(randn(27, 3, 4), randn(28, 4, 4), randn(29, 4, 2))));
        cs.add(new Case("scaled_dot_product_attention, float mask", f3((q, k, v) -> F.scaledDotProductAttention(q, k, v,
                u(30, -1, 1, 1, 3, 4), false, Double.NaN)),
                () -> Tuple.of(randn(31, 2, 3, 2), randn(32, 2, 4, 2), randn(33, 2, 4, 3))));
        cs.add(new Case("scaled_dot_product_attention, causal", f3((q, k, v) -> F.scaledDotProductAttention(q, k, v, null,
                true, Double.NaN)), () -> Tuple.of(randn(34, 4, 3), randn(35, 4, 3), randn(36, 4, 2))));
        // activations, each away from its kinks
        cs.add(new Case("relu", f1(F::relu), () -> u(40, -2, 2, avoid(0), 3, 4)));
        cs.add(new Case("relu6", f1(F::relu6), () -> u(41, -2, 8, avoid(0, 6), 3, 4)));
        cs.add(new Case("hardtanh", f1(x -> F.hardtanh(x, -0.5, 1.5)), () -> u(42, -2, 2, avoid(-0.5, 1.5), 3, 4)));
        cs.add(new Case("leaky_relu", f1(x -> F.leakyRelu(x, 0.1)), () -> u(43, -2, 2, avoid(0), 3, 4)));
        cs.add(new Case("elu", f1(x -> F.elu(x, 1.4)), () -> u(44, -2, 2, avoid(0), 3, 4)));
        cs.add(new Case("selu", f1(F::selu), () -> u(45, -3, 3, avoid(0), 3, 4)));
        cs.add(new Case("gelu", f1(F::gelu), () -> randn(46, 3, 4)));
        cs.add(new Case("gelu tanh", f1(x -> F.gelu(x, true)), () -> randn(47, 3, 4)));
        cs.add(new Case("silu", f1(F::silu), () -> randn(48, 3, 4)));
        cs.add(new Case("swish beta 1.5", f1(x -> F.swish(x, 1.5)), () -> randn(49, 3, 4)));
        cs.add(new Case("mish, beyond softplus' threshold too", f1(F::mish), () -> u(50, -25, 25, 3, 4)));
        cs.add(new Case("hardswish", f1(F::hardswish), () -> u(51, -5, 5, avoid(-3, 3), 3, 4)));
        cs.add(new Case("softsign", f1(F::softsign), () -> u(52, -3, 3, avoid(0), 3, 4)));
        cs.add(new Case("logsigmoid, to -30", f1(F::logsigmoid), () -> u(53, -30, 5, 3, 4)));
        cs.add(new Case("sigmoid", f1(F::sigmoid), () -> randn(54, 3, 4)));
        cs.add(new Case("tanh", f1(F::tanh), () -> randn(55, 3, 4)));
        cs.add(new Case("softplus", f1(F::softplus), () -> randn(56, 3, 4)));
        cs.add(new Case("softmax", f1(x -> F.softmax(x, 1)), () -> randn(57, 3, 4)));
        cs.add(new Case("log_softmax", f1(x -> F.logSoftmax(x, 0)), () -> randn(58, 3, 4)));
        // losses
        cs.add(new Case("mse_loss mean, both inputs", f2(F::mseLoss), () -> Tuple.of(randn(60, 3, 4), randn(61, 3, 4))));
        cs.add(new Case("mse_loss none", f2((x, t) -> F.mseLoss(x, t, "none")), () -> Tuple.of(randn(62, 2, 3), randn(63, 2, 3))));
        cs.add(new Case("cross_entropy", f1(z -> F.crossEntropy(z, idx(2, 0, 4, 1))), () -> randn(64, 4, 5)));
        cs.add(new Case("cross_entropy, ignored target, class weights", f1(z -> F.crossEntropy(z, idx(2, -100, 4, 1),
                Tensor.of(new double[] {0.5, 1, 2, 1.5, 0.2}, 5), -100, "mean")), () -> randn(65, 4, 5)));
        cs.add(new Case("cross_entropy none, [N, C, d]", f1(z -> F.crossEntropy(z, Tensor.of(new long[] {0, 2, 1, 1, 0, 2}, 2, 3),
                "none")), () -> randn(66, 2, 3, 3)));
        cs.add(new Case("cross_entropy with probabilities, both inputs", f2(F::crossEntropy),
                () -> Tuple.of(randn(67, 3, 4), u(68, 0, 1, 3, 4))));
        // pooling written as matmuls
        cs.add(new Case("adaptive_avg_pool2d 5x7 -> 3x4", f1(x -> F.adaptiveAvgPool2d(x, 3, 4)), () -> randn(70, 1, 2, 5, 7)));
        cs.add(new Case("adaptive_avg_pool2d 3x3 -> 5x2 (windows overlap)", f1(x -> F.adaptiveAvgPool2d(x, 5, 2).sin()),
                () -> randn(71, 2, 3, 3)));
        cs.add(new Case("adaptive_avg_pool2d 5x7 -> 1x1 (the plane's mean)", f1(x -> F.adaptiveAvgPool2d(x, 1).sin()),
                () -> randn(72, 2, 3, 5, 7)));
        return cs;
    }

    @TestFactory
    Stream<DynamicTest> gradcheckEveryComposite() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            try (Scope s = Scope.open()) {
                GradCheck.check(c.f(), c.inputs().get());
            }
        }));
    }

    /** Random tensors shaped like {@code like} (a Tensor or a Tuple). */
    static Value randomLike(Value like, long seed) {
        if (like instanceof Tensor t) {
            return u(seed, -1, 1, t.shape());
        }
        List<Tensor> r = new ArrayList<>();
        for (Tensor t : ((Tuple) like).tensors()) {
            r.add(u(seed++, -1, 1, t.shape()));
        }
        return Tuple.ofList(r);
    }

    /**
     * Second order: x -> vjp(f, x, v) in reverse mode (reverse over reverse) and x -> jvp(f, x, t)
     * in both modes (forward over forward, reverse over forward), each against finite differences.
     */
    @TestFactory
    Stream<DynamicTest> gradgradcheckEveryComposite() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            try (Scope s = Scope.open()) {
                Value in = c.inputs().get();
                Value v = randomLike(c.f().apply(in), 7);
                Value t = randomLike(in, 8);
                GradCheck.check((Value x) -> Functional.vjp(c.f(), x, v, true, false).vjp(), in,
                        GradCheck.Options.defaults().reverseOnly());
                GradCheck.check((Value x) -> Functional.jvp(c.f(), x, t, true, false).jvp(), in);
            }
        }));
    }

    // ------------------------------------------------------------------ PyTorch's derivatives at the kinks

    /** f(x) and f'(x) (jvp with v = 1, in {@code s}; and vjp) and f''(x), against PyTorch's values. */
    private static void atPoints(JvpStrategy s, Function<Tensor, Tensor> f, double[] x, double[] y, double[] d1,
            double[] d2) {
        try (Scope sc = Scope.open()) {
            Tensor in = Tensor.of(x, x.length);
            Tensor ones = Tensor.onesLike(in);
            assertArrayEquals(y, f.apply(in).toDoubleArray(), 1e-15, "value");
            assertArrayEquals(d1, Functional.jvp(f, in, ones, false, false, s).jvp().toDoubleArray(), 1e-15, "jvp");
            assertArrayEquals(d1, Functional.vjp(f, in, ones).vjp().toDoubleArray(), 1e-15, "vjp");
            Function<Tensor, Tensor> df = t -> Functional.jvp(f, t, Tensor.onesLike(t), true, false, s).jvp();
            if (d2 != null) {
                assertArrayEquals(d2, Functional.jvp(df, in, ones, false, false, s).jvp().toDoubleArray(), 1e-15,
                        "second derivative");
            }
        }
    }

    /** relu6 is hardtanh(x, 0, 6): PyTorch's hardtanh_backward is 0 at x = 0 and x = 6 (not clamp's 1). */
    @ParameterizedTest
    @EnumSource(JvpStrategy.class)
    void relu6AndHardtanhHaveDerivativeZeroAtTheirKinks(JvpStrategy s) {
        atPoints(s, F::relu6, new double[] {-1, 0, 3, 6, 7}, new double[] {0, 0, 3, 6, 6}, new double[] {0, 0, 1, 0, 0},
                new double[] {0, 0, 0, 0, 0});
        atPoints(s, x -> F.relu6(x.mul(4)), new double[] {0, 1.5, 1}, new double[] {0, 6, 4}, new double[] {0, 0, 4},
                new double[] {0, 0, 0});
        atPoints(s, F::hardtanh, new double[] {-1, -0.5, 1, 2}, new double[] {-1, -0.5, 1, 1},
                new double[] {0, 1, 0, 0}, new double[] {0, 0, 0, 0});
    }

    /**
     * PyTorch's hardswish derivatives (hardswish_backward since PyTorch 2.7, checked against
     * 2.13.0): 0 for x ≤ -3, x / 3 + 1/2 strictly inside (-3, 3), 1 for x ≥ 3 — so 0 at -3 and 1 at
     * 3 — and 0 at -inf, 1 at +inf and NaN; second derivative 1/3 strictly inside, 0 elsewhere, the
     * kinks included. Values: -0 below -3, NaN at -inf (x · 0), inf at +inf.
     */
    @ParameterizedTest
    @EnumSource(JvpStrategy.class)
    void hardswishHasPyTorchsDerivativesAtItsKinksAndInfinities(JvpStrategy s) {
        double inf = Double.POSITIVE_INFINITY;
        atPoints(s, F::hardswish, new double[] {-inf, -4, -3, 0, 1.5, 3, 4, inf},
                new double[] {Double.NaN, -0.0, -0.0, 0, 1.125, 3, 4, inf}, new double[] {0, 0, 0, 0.5, 1, 1, 1, 1},
                new double[] {0, 0, 0, 1.0 / 3, 1.0 / 3, 0, 0, 0});
        atPoints(s, F::hardswish, new double[] {Double.NaN}, new double[] {Double.NaN}, new double[] {1}, new double[] {0});
    }

    /**
     * mse_loss of shapes that differ but broadcast: PyTorch broadcasts (with a warning, logged once
     * here) — the same value and gradients as with both expanded to the broadcast shape.
     */
    @Test
    void mseLossBroadcastsTargetAndInputAsPyTorch() {
        try (Scope sc = Scope.open()) {
            Tensor x = u(90, -2, 2, new double[0], 4, 3);
            Tensor t = u(91, -2, 2, new double[0], 3);
            int before = Activations.mseLossBroadcasts();
            for (String red : new String[] {"mean", "sum", "none"}) {
                Function<Tuple, Tensor> broadcast = in -> F.mseLoss(in.get(0), in.get(1), red);
                Function<Tuple, Tensor> expanded = in -> F.mseLoss(in.get(0), in.get(1).expand(4, 3), red);
                Tuple in = Tuple.of(x, t);
                Tensor v = Tensor.onesLike(expanded.apply(in));
                var a = Functional.vjp(broadcast, in, v);
                var b = Functional.vjp(expanded, in, v);
                assertArrayEquals(b.output().shape(), a.output().shape(), red);
                assertArrayEquals(b.output().toDoubleArray(), a.output().toDoubleArray(), 0, red);
                for (int i = 0; i < 2; i++) {
                    assertArrayEquals(b.vjp().get(i).toDoubleArray(), a.vjp().get(i).toDoubleArray(), 1e-15, red + " vjp " + i);
                }
                // and the other way round: input [3], target [4, 3]
                Tensor y = F.mseLoss(t, x, red);
                assertArrayEquals(F.mseLoss(t.expand(4, 3), x, red).toDoubleArray(), y.toDoubleArray(), 0, red);
            }
            assertTrue(Activations.mseLossBroadcasts() >= before + 6, "each broadcasting call is counted");
        }
    }

    /** selu and elu at 0 take the negative branch (PyTorch's elu_backward: x <= 0): scale · alpha and alpha. */
    @ParameterizedTest
    @EnumSource(JvpStrategy.class)
    void seluAndEluAtZero(JvpStrategy s) {
        double alpha = 1.6732632423543772848170429916717;
        double scale = 1.0507009873554804934193349852946;
        atPoints(s, F::selu, new double[] {0, 1}, new double[] {0, scale}, new double[] {scale * alpha, scale},
                new double[] {scale * alpha, 0});
        atPoints(s, x -> F.elu(x, 0.7), new double[] {0}, new double[] {0}, new double[] {0.7}, new double[] {0.7});
    }

    /**
     * logsigmoid = min(x, 0) - log1p(exp(-|x|)): its derivative 1/2 at 0, and below -20 (where
     * softplus' threshold would make -softplus(-x) linear) PyTorch's 1 - sigmoid(x) and
     * -sigmoid(x)(1 - sigmoid(x)), not 1 and 0. No overflow at ±800.
     */
    @ParameterizedTest
    @EnumSource(JvpStrategy.class)
    void logsigmoidAtZeroAndFarBelowIt(JvpStrategy s) {
        double[] x = {-800, -21, 0, 21, 800};
        double[] y = new double[x.length];
        double[] d1 = new double[x.length];
        double[] d2 = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double z = Math.exp(-Math.abs(x[i]));
            double sig = x[i] >= 0 ? 1 / (1 + z) : z / (1 + z);
            y[i] = Math.min(x[i], 0) - Math.log1p(z);
            d1[i] = 1 - sig;
            d2[i] = -sig * (1 - sig);
        }
        assertNotEquals(1.0, d1[1], "the point below -20 must tell the two formulas apart");
        atPoints(s, F::logsigmoid, x, y, d1, d2);
        atPoints(s, F::logsigmoid, new double[] {0}, new double[] {-Math.log(2)}, new double[] {0.5},
                new double[] {-0.25});
    }

    @ParameterizedTest
    @EnumSource(JvpStrategy.class)
    void softsignMishReluAndLeakyReluAtZero(JvpStrategy s) {
        atPoints(s, F::softsign, new double[] {0}, new double[] {0}, new double[] {1}, new double[] {0});
        atPoints(s, F::mish, new double[] {0}, new double[] {0}, new double[] {0.6}, new double[] {0.64});
        atPoints(s, F::relu, new double[] {0}, new double[] {0}, new double[] {0}, new double[] {0});
        atPoints(s, x -> F.leakyRelu(x, 0.2), new double[] {0}, new double[] {0}, new double[] {0.2}, new double[] {0});
    }

    // ------------------------------------------------------------------ batch_norm

    /** Inference batch_norm is PyTorch's x · alpha + beta, alpha = weight / sqrt(var + eps), beta = bias - mean · alpha. */
    @Test
    void batchNormEvalIsPyTorchsAlphaBetaForm() {
        try (Scope s = Scope.open()) {
            double[] mean = {1000.25, -3.5};
            double[] var = {0.03, 2.5};
            double[] w = {1.7, -0.4};
            double[] b = {0.2, 0.9};
            Tensor x = u(80, 999, 1001, 3, 2, 4);
            double[] xs = x.toDoubleArray();
            double[] y = F.batchNorm(x, Tensor.of(mean, 2), Tensor.of(var, 2), Tensor.of(w, 2), Tensor.of(b, 2), false,
                    0.1, 1e-5).toDoubleArray();
            double[] noAffine = F.batchNorm(x, Tensor.of(mean, 2), Tensor.of(var, 2), null, null).toDoubleArray();
            for (int i = 0; i < xs.length; i++) {
                int c = (i / 4) % 2;
                double invstd = 1 / Math.sqrt(var[c] + 1e-5);
                double alpha = invstd * w[c];
                assertEquals(xs[i] * alpha + (b[c] - mean[c] * alpha), y[i], 0.0, "element " + i);
                assertEquals(xs[i] * invstd + (0 - mean[c] * invstd), noAffine[i], 0.0, "element " + i + " without affine");
            }
        }
    }

    /** Training: the batch's biased variance normalises; the running variance is updated with the unbiased one. */
    @Test
    void batchNormTrainingReturnsUpdatedRunningStatistics() {
        try (Scope s = Scope.open()) {
            Tensor x = randn(81, 3, 2, 2);
            double[] xs = x.toDoubleArray();
            Tensor rm = Tensor.of(new double[] {0.5, -0.5}, 2);
            Tensor rv = Tensor.of(new double[] {2, 3}, 2);
            BatchNormResult r = F.batchNormTraining(x, rm, rv, null, null, 0.2, 1e-5);
            double[] out = r.output().toDoubleArray();
            for (int c = 0; c < 2; c++) {
                double sum = 0;
                for (int n = 0; n < 3; n++) {
                    for (int k = 0; k < 2; k++) {
                        sum += xs[n * 4 + c * 2 + k];
                    }
                }
                double mean = sum / 6;
                double ss = 0;
                for (int n = 0; n < 3; n++) {
                    for (int k = 0; k < 2; k++) {
                        double d = xs[n * 4 + c * 2 + k] - mean;
                        ss += d * d;
                    }
                }
                assertEquals(0.8 * rm.toDoubleArray()[c] + 0.2 * mean, r.runningMean().toDoubleArray()[c], 1e-14);
                assertEquals(0.8 * rv.toDoubleArray()[c] + 0.2 * ss / 5, r.runningVar().toDoubleArray()[c], 1e-14);
                for (int n = 0; n < 3; n++) {
                    for (int k = 0; k < 2; k++) {
                        int i = n * 4 + c * 2 + k;
                        assertEquals((xs[i] - mean) / Math.sqrt(ss / 6 + 1e-5), out[i], 1e-13);
                    }
                }
            }
            assertFalse(r.runningMean().requiresGrad());
            // the given statistics are left as they were (tensors are immutable)
            assertArrayEquals(new double[] {0.5, -0.5}, rm.toDoubleArray());
            // training without running statistics returns none
            BatchNormResult none = F.batchNormTraining(x, null, null, null, null, 0.1, 1e-5);
            assertEquals(null, none.runningMean());
            assertArrayEquals(out, none.output().toDoubleArray());
        }
    }

    // ------------------------------------------------------------------ cross_entropy

    private static double[][] logSoftmaxRows(double[] z, int rows, int classes) {
        double[][] r = new double[rows][classes];
        for (int i = 0; i < rows; i++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                m = Math.max(m, z[i * classes + c]);
            }
            double s = 0;
            for (int c = 0; c < classes; c++) {
                s += Math.exp(z[i * classes + c] - m);
            }
            for (int c = 0; c < classes; c++) {
                r[i][c] = z[i * classes + c] - m - Math.log(s);
            }
        }
        return r;
    }

    /**
     * PyTorch's mean: targets equal to ignore_index (-100 by default) count neither in the sum nor
     * in the divisor; with class weights the divisor is the summed weight of the kept targets.
     */
    @Test
    void crossEntropyMeanLeavesIgnoredTargetsOutAndWeighs() {
        try (Scope s = Scope.open()) {
            Tensor z = randn(90, 4, 3);
            double[][] lp = logSoftmaxRows(z.toDoubleArray(), 4, 3);
            long[] t = {2, -100, 0, 1};
            double plain = -(lp[0][2] + lp[2][0] + lp[3][1]) / 3;
            assertEquals(plain, F.crossEntropy(z, idx(t)).item(), 1e-15);
            assertEquals(plain * 3, F.crossEntropy(z, idx(t), "sum").item(), 1e-14);
            assertArrayEquals(new double[] {-lp[0][2], 0, -lp[2][0], -lp[3][1]},
                    F.crossEntropy(z, idx(t), "none").toDoubleArray(), 1e-15);
            double[] w = {0.5, 2, 3};
            double weighted = -(3 * lp[0][2] + 0.5 * lp[2][0] + 2 * lp[3][1]) / (3 + 0.5 + 2);
            assertEquals(weighted, F.crossEntropy(z, idx(t), Tensor.of(w, 3), -100, "mean").item(), 1e-15);
            // another ignore_index: 0 (and -100 is then out of range, see NnBadInputTest)
            assertEquals(-(lp[0][2] + lp[3][1]) / 2, F.crossEntropy(z, idx(2, 0, 0, 1), null, 0, "mean").item(), 1e-15);
            // every target ignored: 0 / 0, as PyTorch
            assertTrue(Double.isNaN(F.crossEntropy(z, idx(-100, -100, -100, -100)).item()));
            // the gradient of an ignored row is zero
            double[] g = Functional.vjp((Tensor q) -> F.crossEntropy(q, idx(t)), z, Tensor.scalar(1.0)).vjp()
                    .toDoubleArray();
            assertArrayEquals(new double[] {0, 0, 0}, java.util.Arrays.copyOfRange(g, 3, 6));
        }
    }

    /** [N, C, d] logits with [N, d] targets equal the [N·d, C] rows; probabilities average over N. */
    @Test
    void crossEntropyOfSpatialLogitsAndOfProbabilities() {
        try (Scope s = Scope.open()) {
            Tensor z = randn(91, 2, 3, 4);
            Tensor t = Tensor.of(new long[] {0, 2, 1, 1, 2, 2, 0, 1}, 2, 4);
            Tensor rows = z.permute(0, 2, 1).reshape(8, 3);
            assertEquals(F.crossEntropy(rows, t.reshape(8)).item(), F.crossEntropy(z, t).item(), 1e-15);
            assertArrayEquals(new long[] {2, 4}, F.crossEntropy(z, t, "none").shape());
            // unbatched: [C] logits and a 0-d target
            Tensor z1 = randn(92, 5);
            assertEquals(-z1.logSoftmax(0).toDoubleArray()[3], F.crossEntropy(z1, Tensor.scalar(3, DType.INT64)).item(),
                    1e-15);
            // probabilities: -sum_c p log_softmax, mean over N
            Tensor p = u(93, 0, 1, 2, 3);
            Tensor z2 = randn(94, 2, 3);
            double[][] lp = logSoftmaxRows(z2.toDoubleArray(), 2, 3);
            double[] pv = p.toDoubleArray();
            double e = 0;
            for (int i = 0; i < 2; i++) {
                for (int c = 0; c < 3; c++) {
                    e -= pv[i * 3 + c] * lp[i][c];
                }
            }
            assertEquals(e / 2, F.crossEntropy(z2, p).item(), 1e-15);
            // one-hot probabilities are class indices
            Tensor onehot = Tensor.of(new double[] {0, 1, 0, 0, 0, 1}, 2, 3);
            assertEquals(F.crossEntropy(z2, idx(1, 2)).item(), F.crossEntropy(z2, onehot).item(), 1e-15);
        }
    }

    // ------------------------------------------------------------------ dropout

    @Test
    void dropoutInTrainingIsSeededAndScales() {
        try (Scope s = Scope.open()) {
            Tensor x = u(95, 1, 2, 1000);
            double[] a = F.dropout(x, 0.3, true, 5).toDoubleArray();
            assertArrayEquals(a, F.dropout(x, 0.3, true, 5).toDoubleArray(), "the same seed, the same mask");
            assertFalse(java.util.Arrays.equals(a, F.dropout(x, 0.3, true, 6).toDoubleArray()), "another seed, another mask");
            double[] xs = x.toDoubleArray();
            int zeros = 0;
            for (int i = 0; i < a.length; i++) {
                if (a[i] == 0) {
                    zeros++;
                } else {
                    assertEquals(xs[i] / 0.7, a[i], 1e-15);
                }
            }
            assertTrue(zeros > 230 && zeros < 370, "about 30% dropped: " + zeros);
            assertTrue(F.dropout(x, 0.3, false) == x, "not training: the identity");
        }
    }
}
