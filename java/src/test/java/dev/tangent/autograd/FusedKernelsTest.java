package dev.tangent.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpResult;
import dev.tangent.functional.VjpResult;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused primal+tangent kernels (taken when nothing records a graph) against the jvp rules as
 * Tensor operations (taken when the inputs require grad and createGraph keeps the graph): same
 * output, same tangent.
 */
class FusedKernelsTest {
    static Stream<Arguments> cases() {
        List<Object[]> fs = List.of(
                new Object[] {"tanh", (Function<Tensor, Tensor>) Tensor::tanh},
                new Object[] {"exp", (Function<Tensor, Tensor>) Tensor::exp},
                new Object[] {"sin", (Function<Tensor, Tensor>) Tensor::sin},
                new Object[] {"sigmoid", (Function<Tensor, Tensor>) Tensor::sigmoid},
                new Object[] {"gelu", (Function<Tensor, Tensor>) Tensor::gelu},
                new Object[] {"gelu_tanh", (Function<Tensor, Tensor>) x -> x.gelu(true)},
                new Object[] {"silu", (Function<Tensor, Tensor>) Tensor::silu},
                new Object[] {"softplus", (Function<Tensor, Tensor>) Tensor::softplus},
                new Object[] {"relu", (Function<Tensor, Tensor>) Tensor::relu},
                new Object[] {"elu", (Function<Tensor, Tensor>) Tensor::elu},
                new Object[] {"leaky", (Function<Tensor, Tensor>) x -> x.leakyRelu(0.1)},
                new Object[] {"clamp", (Function<Tensor, Tensor>) x -> x.clamp(-0.3, 0.4)},
                new Object[] {"pow2.5", (Function<Tensor, Tensor>) x -> x.abs().add(0.1).pow(2.5)},
                new Object[] {"erf", (Function<Tensor, Tensor>) Tensor::erf},
                new Object[] {"mul", (Function<Tensor, Tensor>) x -> x.sin().mul(x.exp())},
                new Object[] {"div", (Function<Tensor, Tensor>) x -> x.sin().div(x.exp())},
                new Object[] {"add", (Function<Tensor, Tensor>) x -> x.sin().add(x.cos())},
                new Object[] {"sub", (Function<Tensor, Tensor>) x -> x.sin().sub(x.cos())},
                new Object[] {"mul row", (Function<Tensor, Tensor>) x -> x.mul(x.get(0))},
                new Object[] {"div scalar", (Function<Tensor, Tensor>) x -> x.div(3.0).mul(2.0)},
                new Object[] {"mlp", (Function<Tensor, Tensor>) x -> x.matmul(x.T()).tanh().sum(1)});
        return fs.stream().flatMap(f -> Stream.of(DType.FLOAT32, DType.FLOAT64).flatMap(dt ->
                Stream.of(new long[] {3, 4}, new long[] {5, 1000}).map(s -> Arguments.of(f[0], f[1], dt, s))));
    }

    @ParameterizedTest(name = "{0} {2} {3}")
    @MethodSource("cases")
    void fusedEqualsRules(String name, Function<Tensor, Tensor> f, DType dt, long[] shape) {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.random(1, true, dt, shape);
            Tensor v = Tensor.random(2, true, dt, shape);
            JvpResult<Tensor> fused = Functional.jvp(f, x, v);
            Tensor xr = x.detach().setRequiresGrad(true);
            JvpResult<Tensor> rules = Functional.jvp(f, xr, v, true, false);
            assertEquals(dt, fused.jvp().dtype());
            double tol = dt == DType.FLOAT32 ? 2e-5 : 1e-12;
            assertClose(rules.output().toDoubleArray(), fused.output().toDoubleArray(), tol, name + " output");
            assertClose(rules.jvp().toDoubleArray(), fused.jvp().toDoubleArray(), tol, name + " jvp");
        }
    }

    @ParameterizedTest(name = "vjp {0} {2} {3}")
    @MethodSource("cases")
    void fusedVjpEqualsRules(String name, Function<Tensor, Tensor> f, DType dt, long[] shape) {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.random(1, true, dt, shape);
            Tensor u = Tensor.random(3, true, dt, f.apply(x).shape());
            VjpResult<Tensor, Tensor> fused = Functional.vjp(f, x, u);
            Tensor xr = x.detach().setRequiresGrad(true);
            VjpResult<Tensor, Tensor> rules = Functional.vjp(f, xr, u, true, false);
            double tol = dt == DType.FLOAT32 ? 2e-5 : 1e-12;
            assertClose(rules.vjp().toDoubleArray(), fused.vjp().toDoubleArray(), tol, name + " vjp");
        }
    }

    private static void assertClose(double[] want, double[] got, double tol, String what) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - got[i]);
            if (!(d <= tol * Math.max(1, Math.abs(want[i])))) {
                assertArrayEquals(want, got, what + " differs at " + i);
            }
        }
    }
}
