package dev.tangent.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The jvp of {@code conv2d(x, w)} w.r.t. x alone carries PyTorch's forward-AD term for w's absent
 * tangent, {@code conv2d(x, 0)}: NaN at each output position whose receptive field (the group's
 * channels) holds a NaN or ±inf of x. On the CPU the tangent's convolution kernel adds it itself
 * after scanning x ({@code Backend.conv2dAbsentWeightTangent}); a plan records that kernel, so the
 * scan's branch is taken at run time. Checked against the definition, {@code conv2d(v, w) +
 * conv2d(x, zeros)} computed on plain tensors, over strides, padding, dilation, groups, both of the
 * fusion's forms (the stacked [x; v] convolution where w outweighs x, two convolutions else), a
 * strided x, float32 (oneDNN) and float64 (Java loops), eagerly and through a plan whose inputs
 * change between applies (finite, then not, then finite again).
 */
class ConvAbsentWeightTermTest {

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        // n, c, h, w, o, k, stride, padding, dilation, groups
        long[][] geo = {
            {1, 3, 9, 9, 4, 3, 1, 1, 1, 1},     // x outweighs w: two convolutions
            {2, 4, 8, 7, 6, 3, 2, 1, 1, 2},     // groups, stride
            {1, 8, 5, 5, 16, 3, 1, 2, 2, 4},    // w outweighs x: stacked; dilation, padding 2
            {1, 6, 6, 6, 6, 1, 1, 0, 1, 6},     // depthwise 1x1
            {3, 2, 11, 6, 5, 5, 3, 0, 1, 1},    // no padding, stride 3
            {1, 16, 3, 3, 32, 3, 1, 1, 1, 1},   // stacked, every output sees every input
        };
        for (long[] g : geo) {
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                for (boolean strided : new boolean[] {false, true}) {
                    a.add(Arguments.of(g, dt, strided));
                }
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{index}: {1} strided={2}")
    @MethodSource("cases")
    void matchesTheDefinitionEagerAndInPlans(long[] g, DType dt, boolean strided) {
        long n = g[0], c = g[1], h = g[2], wd = g[3], o = g[4], k = g[5];
        long[] stride = {g[6], g[6]};
        long[] padding = {g[7], g[7]};
        long[] dilation = {g[8], g[8]};
        long groups = g[9];
        try (Scope s = Scope.open()) {
            Tensor w = Tensor.randn(1, o, c / groups, k, k).to(dt);
            Function<Tensor, Tensor> f = t -> F.conv2d(t, w, null, stride, padding, dilation, groups);
            Tensor zero = Tensor.zerosLike(w);
            Function<Tensor, Tensor> fz = t -> F.conv2d(t, zero, null, stride, padding, dilation, groups);
            Tensor v = Tensor.randn(2, n, c, h, wd).to(dt);
            Tensor finite = input(3, n, c, h, wd, dt, strided, 0);
            Tensor poisoned = input(3, n, c, h, wd, dt, strided, 3);
            Tensor[] inputs = {finite, poisoned, input(4, n, c, h, wd, dt, strided, 1), finite};
            for (Tensor x : inputs) {
                JvpResult<Tensor> j = Functional.jvp(f, x, v);
                LinearEpilogueTest.close(f.apply(x), j.output(), "eager output");
                LinearEpilogueTest.close(definition(f, fz, x, v), j.jvp(), "eager jvp");
            }
            try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(f, finite)) {
                for (Tensor x : inputs) {
                    JvpResult<Tensor> r = plan.apply(x, v);
                    LinearEpilogueTest.close(f.apply(x), r.output(), "plan output");
                    LinearEpilogueTest.close(definition(f, fz, x, v), r.jvp(), "plan jvp");
                }
            }
            assertTrue(hasNaN(definition(f, fz, poisoned, v)), "the poisoned input reaches the tangent");
        }
    }

    /** PyTorch's forward AD for w without a tangent: conv2d(v, w) + conv2d(x, 0). */
    private static Tensor definition(Function<Tensor, Tensor> f, Function<Tensor, Tensor> zeroWeight, Tensor x, Tensor v) {
        return f.apply(v).add(zeroWeight.apply(x));
    }

    private static boolean hasNaN(Tensor t) {
        for (double d : t.toDoubleArray()) {
            if (Double.isNaN(d)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Random x with {@code bad} non-finite values (NaN, +inf, -inf in turn) at seeded positions;
     * strided: the same values read through a transposed copy's transpose (non-contiguous).
     */
    private static Tensor input(long seed, long n, long c, long h, long w, DType dt, boolean strided, int bad) {
        double[] d = Tensor.randn(seed, n, c, h, w).toDoubleArray();
        Random r = new Random(seed);
        double[] specials = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (int i = 0; i < bad; i++) {
            d[r.nextInt(d.length)] = specials[i % specials.length];
        }
        Tensor x = Tensor.of(d, dt, n, c, h, w);
        return strided ? x.transpose(2, 3).contiguous().transpose(2, 3) : x;
    }
}
