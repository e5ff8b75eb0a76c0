package dev.tangent.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Operand;
import dev.tangent.engine.TensorAccess;
import dev.tangent.ops.Prim;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Java kernels' float32 loops for comparisons (into bool masks) and where() against the same
 * kernels on float64 copies (the generic loop, through double): the same mask and the same values
 * bit for bit, with NaN, ±inf and ±0 in the inputs, for same-shape, broadcast scalar and strided
 * (transposed) operands.
 */
class JavaCompareWhereTest {
    private static Operand o(Tensor t) {
        return TensorAccess.get().value(t);
    }

    private static Tensor data(long seed, long... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (long s : shape) {
            n *= (int) s;
        }
        double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0};
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = r.nextInt(6) == 0 ? special[r.nextInt(special.length)] : r.nextInt(7) - 3;
        }
        return Tensor.of(d, DType.FLOAT32, shape);
    }

    /** {a, b} pairs: same shape, b a 0-dim scalar, a transposed (strided) against b. */
    private static Tensor[][] operands() {
        Tensor a = data(1, 5, 33);
        // the kernels take operands already broadcast to the output's shape (stride 0 where expanded)
        return new Tensor[][] {{a, data(2, 5, 33)}, {a, Tensor.of(new double[] {0.0}, DType.FLOAT32).expand(5, 33)},
            {a, Tensor.of(new double[] {Double.NaN}, DType.FLOAT32).expand(5, 33)},
            {data(3, 33, 5).transpose(0, 1), data(4, 5, 33)}};
    }

    @ParameterizedTest
    @EnumSource(value = Prim.class, names = {"LT", "LE", "GT", "GE", "EQ", "NE"})
    void float32ComparisonsMatchTheGenericLoop(Prim op) {
        try (Scope s = Scope.open()) {
            for (Tensor[] ab : operands()) {
                long[] shape = new long[] {5, 33};
                Tensor got = Tensor.zeros(DType.BOOL, shape);
                Tensor want = Tensor.zeros(DType.BOOL, shape);
                JavaElementwise.binary(op, o(ab[0]), o(ab[1]), o(got));
                JavaElementwise.binary(op, o(ab[0].to(DType.FLOAT64)), o(ab[1].to(DType.FLOAT64)), o(want));
                assertArrayEquals(want.toDoubleArray(), got.toDoubleArray(), op + " b strides " + java.util.Arrays.toString(ab[1].stride()));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Prim.class, names = {"LE", "GT"})
    void float32WhereMatchesTheGenericLoop(Prim maskOp) {
        try (Scope s = Scope.open()) {
            for (Tensor[] ab : operands()) {
                long[] shape = new long[] {5, 33};
                Tensor mask = Tensor.zeros(DType.BOOL, shape);
                JavaElementwise.binary(maskOp, o(data(9, 5, 33)), o(Tensor.of(new double[] {0.0}, DType.FLOAT32).expand(5, 33)),
                        o(mask));
                Tensor got = Tensor.zeros(DType.FLOAT32, shape);
                Tensor want = Tensor.zeros(DType.FLOAT64, shape);
                JavaElementwise.where(o(mask), o(ab[1]), o(ab[0]), o(got));
                JavaElementwise.where(o(mask), o(ab[1].to(DType.FLOAT64)), o(ab[0].to(DType.FLOAT64)), o(want));
                double[] w = want.toDoubleArray();
                double[] g = got.toDoubleArray();
                long[] wb = new long[w.length];
                long[] gb = new long[g.length];
                for (int i = 0; i < w.length; i++) {
                    wb[i] = Double.doubleToLongBits(w[i]);
                    gb[i] = Double.doubleToLongBits(g[i]);
                }
                assertArrayEquals(wb, gb, "where, a strides " + java.util.Arrays.toString(ab[1].stride()));
            }
        }
    }
}
