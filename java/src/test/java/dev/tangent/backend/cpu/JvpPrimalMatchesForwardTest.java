package dev.tangent.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The primal output of a forward-mode jvp is bit for bit the plain forward's, whichever kernel the
 * CPU backend picks: Tangent's native SLEEF kernels, oneDNN's eltwise or the Java kernels. The
 * tangent is given dense and as a broadcast view (stride 0), which the fused native and oneDNN jvp
 * kernels decline while their forward kernels take x; sizes span the small (Java/native) and large
 * (oneDNN float32 from its cutover) cases. Regression: a broadcast tangent made the float64
 * gelu(tanh) primal come from the Java formula while the forward used the native one (about 100 ulp
 * apart near x = -3, where 1 + tanh cancels).
 */
class JvpPrimalMatchesForwardTest {
    private static final List<Object[]> OPS = List.of(
            new Object[] {"tanh", (UnaryOperator<Tensor>) Tensor::tanh},
            new Object[] {"sigmoid", (UnaryOperator<Tensor>) Tensor::sigmoid},
            new Object[] {"gelu", (UnaryOperator<Tensor>) Tensor::gelu},
            new Object[] {"gelu(tanh)", (UnaryOperator<Tensor>) t -> t.gelu(true)},
            new Object[] {"silu", (UnaryOperator<Tensor>) Tensor::silu},
            new Object[] {"leaky_relu", (UnaryOperator<Tensor>) t -> t.leakyRelu(0.1)},
            new Object[] {"abs", (UnaryOperator<Tensor>) Tensor::abs},
            new Object[] {"sqrt", (UnaryOperator<Tensor>) t -> t.abs().sqrt()},
            new Object[] {"square", (UnaryOperator<Tensor>) Tensor::square},
            new Object[] {"pow(1.5)", (UnaryOperator<Tensor>) t -> t.abs().pow(1.5)},
            new Object[] {"exp", (UnaryOperator<Tensor>) Tensor::exp},
            new Object[] {"sin", (UnaryOperator<Tensor>) Tensor::sin},
            new Object[] {"erf", (UnaryOperator<Tensor>) Tensor::erf},
            new Object[] {"relu", (UnaryOperator<Tensor>) Tensor::relu});

    static Stream<Arguments> cases() {
        return OPS.stream().flatMap(op -> Stream.of(DType.FLOAT32, DType.FLOAT64).flatMap(dt ->
                Stream.of(2L, 37L, 1L << 17).flatMap(n -> Stream.of(true, false).map(bcast ->
                        Arguments.of(op[0], op[1], dt, n, bcast)))));
    }

    @ParameterizedTest(name = "{0} {2} n={3} broadcast tangent {4}")
    @MethodSource("cases")
    void primalIsTheForward(String name, UnaryOperator<Tensor> f, DType dt, long n, boolean broadcastTangent) {
        try (Scope s = Scope.open()) {
            // values across the range where the formulas' roundings differ (1 + tanh cancels near -3)
            Tensor x = Tensor.random(7 + n, true, dt, n).mul(3);
            Tensor v = broadcastTangent ? Tensor.random(11, true, dt, 1).expand(n) : Tensor.random(11 + n, true, dt, n);
            double[] forward = f.apply(x).toDoubleArray();
            double[] primal = Functional.jvp((Tensor t) -> f.apply(t), x, v).output().toDoubleArray();
            for (int i = 0; i < forward.length; i++) {
                int at = i;
                assertEquals(Double.doubleToRawLongBits(forward[i]), Double.doubleToRawLongBits(primal[i]),
                        () -> name + " " + dt + " element " + at + ": forward " + forward[at] + ", jvp primal " + primal[at]);
            }
        }
    }
}
