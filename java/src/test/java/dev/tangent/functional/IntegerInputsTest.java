package dev.tangent.functional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Integer inputs cannot be differentiated: every API raises as PyTorch does ("only Tensors of
 * floating point dtype can require gradients"), under every strategy — no zero tangents.
 */
class IntegerInputsTest {
    private static void refused(Executable call) {
        FunctionalException e = assertThrows(FunctionalException.class, call);
        assertEquals(FunctionalException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("floating point") && e.getMessage().contains("int64"), e.getMessage());
    }

    @Test
    void everyApiRefusesIntegerInputs() {
        long live = Tangent.liveBytes();
        try (Scope s = Scope.open()) {
            Tensor i = Tensor.of(new long[] {1, 2, 3}, 3);
            Tensor f = Tensor.ones(3).toDouble();
            Function<Tensor, Tensor> sq = t -> t.mul(t).toDouble().sum();
            for (JvpStrategy st : JvpStrategy.values()) {
                refused(() -> Functional.jvp(sq, i, i, false, false, st));
            }
            refused(() -> Functional.vjp(sq, i, null));
            refused(() -> Functional.jacobian(sq, i));
            refused(() -> Functional.jacobian(sq, i, false, false, true, JacobianStrategy.FORWARD_MODE));
            refused(() -> Functional.hessian(sq, i));
            for (HvpStrategy st : HvpStrategy.values()) {
                refused(() -> Functional.hvp(sq, i, i, false, false, st));
                refused(() -> Functional.vhp(sq, i, i, false, false, st));
            }
            refused(() -> Func.linearize(sq, i));
            refused(() -> JvpPlan.compile(sq, i));
            // a tuple names the input at fault
            FunctionalException e = assertThrows(FunctionalException.class,
                    () -> Functional.jvp((Tuple t) -> t.get(0).add(t.get(1)), Tuple.of(f, i), Tuple.of(f, i)));
            assertTrue(e.getMessage().contains("inputs 1"), e.getMessage());
            // float inputs of the same functions still work
            double[] g = Functional.vjp(sq, Tensor.vector(1.0, 2.0, 3.0), null).vjp().toDoubleArray();
            assertEquals(4.0, g[1], 1e-12);
        }
        assertEquals(live, Tangent.liveBytes());
    }
}
