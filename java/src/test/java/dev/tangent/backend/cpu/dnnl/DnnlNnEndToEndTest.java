package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.backend.cpu.dnnl.DnnlAcceleratorTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.backend.Backends;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpResult;
import dev.tangent.functional.VjpResult;
import dev.tangent.nn.F;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * float32 end to end: jvp and vjp of F.conv2d, F.conv_transpose2d, F.max_pool2d and F.avg_pool2d
 * (alone and composed) with the convolutions and average pooling on oneDNN (cut-overs 0), against
 * the same calls on the Java kernels in float32 and in float64.
 */
class DnnlNnEndToEndTest {
    private static DnnlAccelerator acc;

    @BeforeAll
    static void setUp() {
        acc = new DnnlAccelerator(256);
        acc.cutovers(0, 0);
    }

    private static long[] p(long a, long b) {
        return new long[] {a, b};
    }

    /** A function of (x, w), its input shapes, and its name. */
    record Case(String name, Function<Tuple, Tensor> f, long[] xs, long[] ws) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("conv2d s(2,1) p(1,2) groups 2",
                        in -> F.conv2d(in.get(0), in.get(1), null, p(2, 1), p(1, 2), p(1, 1), 2),
                        new long[] {2, 4, 9, 11}, new long[] {6, 2, 3, 3}),
                new Case("conv2d depthwise dilated, transposed input",
                        in -> F.conv2d(in.get(0).transpose(2, 3), in.get(1), null, p(1, 1), p(2, 2), p(2, 2), 8),
                        new long[] {1, 8, 10, 7}, new long[] {16, 1, 3, 3}),
                new Case("conv_transpose2d s2 p1 output_padding 1",
                        in -> F.convTranspose2d(in.get(0), in.get(1), null, p(2, 2), p(1, 1), p(1, 1), 1, p(1, 1)),
                        new long[] {2, 6, 5, 4}, new long[] {6, 3, 3, 3}),
                new Case("max_pool2d(conv2d) 3x3 s2 p1",
                        in -> F.maxPool2d(F.conv2d(in.get(0), in.get(1), null, 1, 1, 1, 1), p(3, 3), p(2, 2), p(1, 1),
                                p(1, 1), false),
                        new long[] {2, 3, 13, 12}, new long[] {16, 3, 3, 3}),
                new Case("avg_pool2d(conv2d) ceil, exclude padding",
                        in -> F.avgPool2d(F.conv2d(in.get(0), in.get(1), null, 2, 3, 1, 1), p(3, 3), p(2, 2), p(1, 1),
                                true, false, 0),
                        new long[] {3, 5, 17, 15}, new long[] {16, 5, 7, 7}),
                new Case("avg_pool2d(tanh(conv2d)) 2x2, include padding",
                        in -> F.avgPool2d(F.conv2d(in.get(0), in.get(1)).tanh(), 2, 2, 1, false, true),
                        new long[] {2, 16, 8, 9}, new long[] {32, 16, 1, 1}),
                new Case("residual block conv-relu-conv + x, max_pool2d",
                        in -> {
                            Tensor x = in.get(0);
                            Tensor h = F.conv2d(x, in.get(1), null, 1, 1, 1, 1).relu();
                            return F.maxPool2d(F.conv2d(h, in.get(1), null, 1, 1, 1, 1).add(x), 2);
                        },
                        new long[] {2, 8, 12, 12}, new long[] {8, 8, 3, 3}))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void jvpAndVjpOnOneDnnMatchJavaInFloat32AndFloat64(Case c) {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.randn(1, c.xs());
            Tensor w = Tensor.randn(2, c.ws()).mul(0.3);
            Tensor dx = Tensor.randn(3, c.xs());
            Tensor dw = Tensor.randn(4, c.ws()).mul(0.3);
            Tuple in = Tuple.of(x, w);
            Tuple v = Tuple.of(dx, dw);
            Tuple in64 = Tuple.of(x.toDouble(), w.toDouble());
            Tuple v64 = Tuple.of(dx.toDouble(), dw.toDouble());

            long before = acc.cacheHits() + acc.cacheMisses();
            JvpResult<Tensor> got = with(acc, () -> Functional.jvp(c.f(), in, v));
            assertTrue(acc.cacheHits() + acc.cacheMisses() > before, "oneDNN should have run");
            JvpResult<Tensor> java32 = with(null, () -> Functional.jvp(c.f(), in, v));
            JvpResult<Tensor> java64 = with(null, () -> Functional.jvp(c.f(), in64, v64));
            assertClose(java32.output(), got.output(), 1e-4, c + " output vs Java float32");
            assertClose(java32.jvp(), got.jvp(), 1e-4, c + " jvp vs Java float32");
            assertClose(java64.output().toFloat(), got.output(), 1e-4, c + " output vs float64");
            assertClose(java64.jvp().toFloat(), got.jvp(), 1e-4, c + " jvp vs float64");

            // a jvp in x alone with w constant: the fused convolution of [x; dx]
            Function<Tensor, Tensor> ofX = t -> c.f().apply(Tuple.of(t, w));
            Function<Tensor, Tensor> ofX64 = t -> c.f().apply(Tuple.of(t, w.toDouble()));
            JvpResult<Tensor> gotX = with(acc, () -> Functional.jvp(ofX, x, dx));
            JvpResult<Tensor> wantX = with(null, () -> Functional.jvp(ofX64, x.toDouble(), dx.toDouble()));
            assertClose(wantX.jvp().toFloat(), gotX.jvp(), 1e-4, c + " jvp in x vs float64");

            // reverse mode: the input and weight gradients (backward data, backward weights, pooling backward)
            Tensor g = Tensor.randn(5, got.output().shape());
            VjpResult<Tuple, Tensor> r = with(acc, () -> Functional.vjp(c.f(), in, g));
            VjpResult<Tuple, Tensor> r64 = with(null, () -> Functional.vjp(c.f(), in64, g.toDouble()));
            for (int i = 0; i < 2; i++) {
                assertClose(r64.vjp().get(i).toFloat(), r.vjp().get(i), 1e-4, c + " vjp " + List.of("x", "w").get(i));
            }
        }
    }

    /** Runs with the global CPU backend's accelerator replaced (null: Java kernels only). */
    private static synchronized <T> T with(DnnlAccelerator a, Supplier<T> f) {
        var cpu = Backends.cpu();
        var prev = cpu.accelerator();
        cpu.accelerator(a);
        try {
            return f.get();
        } finally {
            cpu.accelerator(prev);
        }
    }
}
