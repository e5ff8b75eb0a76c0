package dev.tangent.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.functional.Functional;
import dev.tangent.functional.GradCheck;
import dev.tangent.functional.JvpStrategy;
import dev.tangent.functional.VjpResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Derivatives at the points where a naive rule divides by zero, with PyTorch's values (analytic):
 * prod with zeros, pow at a zero base or zero exponent, the norm of a zero vector. Regression
 * tests for rules that returned NaN there.
 */
class SingularPointsTest {

    private static void assertValues(double[] expected, Tensor actual, String what) {
        assertArrayEquals(expected, actual.toDoubleArray(), 1e-12, what);
    }

    /** prod is multilinear, so its derivative at zeros is smooth: gradcheck it there, twice. */
    @Test
    void prodWithZerosPassesGradcheckAndGradgradcheck() {
        try (Scope s = Scope.open()) {
            // rows: no zero, one zero, two zeros, all zeros
            Tensor x = Tensor.of(new double[] {1.5, -2, 0.5, 2, 0, 3, 0, 1.5, 0, 0, 0, 0}, 4, 3);
            GradCheck.check(Tensor::prod, x);
            GradCheck.check((Tensor t) -> t.prod(1), x);
            GradCheck.check((Tensor t) -> t.prod(new int[] {0, 1}, true), x);
            GradCheck.check((Tensor t) -> t.T().prod(0), x);
            Tensor v = Tensor.of(new double[] {0.3, -0.7, 1.1, 0.2}, 4);
            GradCheck.check((Tensor t) -> Functional.vjp((Tensor z) -> z.prod(1), t, v, true, false).vjp(), x,
                    GradCheck.Options.defaults().reverseOnly());
            GradCheck.check((Tensor t) -> Functional.jvp((Tensor z) -> z.prod(1), t, x.sin(), true, false).jvp(), x);
        }
    }

    @ParameterizedTest
    @EnumSource(JvpStrategy.class)
    void prodWithZerosHasTheProductOfTheOthersAsDerivative(JvpStrategy strategy) {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(new double[] {2, 0, 3}, 3);
            VjpResult<Tensor, Tensor> r = Functional.vjp(Tensor::prod, x, Tensor.scalar(1.0));
            assertValues(new double[] {0, 6, 0}, r.vjp(), "d prod / dx at one zero");
            Tensor j = Functional.jvp(Tensor::prod, x, Tensor.of(new double[] {1, 1, 1}, 3), false, false, strategy).jvp();
            assertValues(new double[] {6}, j, "jvp of prod at one zero");
            Tensor two = Tensor.of(new double[] {0, 5, 0}, 3);
            assertValues(new double[] {0, 0, 0}, Functional.vjp(Tensor::prod, two, Tensor.scalar(1.0)).vjp(),
                    "d prod / dx at two zeros");
        }
    }

    /** PyTorch: d(a^b)/da = b a^(b-1) masked to 0 where b == 0; d(a^b)/db = a^b log a masked to 0 where a == 0, b >= 0. */
    @ParameterizedTest
    @EnumSource(JvpStrategy.class)
    void powAtZeroBaseAndZeroExponent(JvpStrategy strategy) {
        try (Scope s = Scope.open()) {
            Tensor a = Tensor.of(new double[] {0, 0, 2, 0}, 4);
            Tensor b = Tensor.of(new double[] {0, 2, 0, 1}, 4);
            VjpResult<Tuple, Tensor> r = Functional.vjp((Tuple t) -> t.get(0).pow(t.get(1)), Tuple.of(a, b),
                    Tensor.ones(DType.FLOAT64, 4));
            assertValues(new double[] {0, 0, 0, 1}, r.vjp().get(0), "d/da");
            assertValues(new double[] {0, 0, Math.log(2), 0}, r.vjp().get(1), "d/db");
            Tensor ones = Tensor.ones(DType.FLOAT64, 4);
            Tensor zeros = Tensor.zeros(DType.FLOAT64, 4);
            Tensor ja = Functional.jvp((Tuple t) -> t.get(0).pow(t.get(1)), Tuple.of(a, b), Tuple.of(ones, zeros),
                    false, false, strategy).jvp();
            assertValues(new double[] {0, 0, 0, 1}, ja, "jvp along a");
            Tensor jb = Functional.jvp((Tuple t) -> t.get(0).pow(t.get(1)), Tuple.of(a, b), Tuple.of(zeros, ones),
                    false, false, strategy).jvp();
            assertValues(new double[] {0, 0, Math.log(2), 0}, jb, "jvp along b");
        }
    }

    /** PyTorch: the gradient of the norm of a zero vector is 0, not NaN. */
    @ParameterizedTest
    @EnumSource(JvpStrategy.class)
    void normOfAZeroVector(JvpStrategy strategy) {
        try (Scope s = Scope.open()) {
            Tensor z = Tensor.zeros(DType.FLOAT64, 3);
            assertValues(new double[] {0, 0, 0}, Functional.vjp(Tensor::norm, z, Tensor.scalar(1.0)).vjp(), "grad of norm()");
            assertValues(new double[] {0}, Functional.jvp(Tensor::norm, z, Tensor.ones(DType.FLOAT64, 3), false, false,
                    strategy).jvp(), "jvp of norm()");
            Tensor m = Tensor.of(new double[] {0, 0, 3, 4}, 2, 2);
            VjpResult<Tensor, Tensor> r = Functional.vjp((Tensor t) -> t.norm(new int[] {1}, false), m,
                    Tensor.ones(DType.FLOAT64, 2));
            assertValues(new double[] {0, 5}, r.output(), "norms of the rows");
            assertValues(new double[] {0, 0, 0.6, 0.8}, r.vjp(), "grad of norm(dim 1) with a zero row");
            GradCheck.check((Tensor t) -> t.norm(new int[] {0}, true), Tensor.of(new double[] {0.3, -1.2, 2.0, 0.5}, 4));
        }
    }
}
