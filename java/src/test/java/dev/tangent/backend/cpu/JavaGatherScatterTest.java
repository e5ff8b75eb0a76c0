package dev.tangent.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Operand;
import dev.tangent.engine.TensorAccess;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java kernels' float32 gather and scatter_add loops against the generic loop on float64
 * copies: integer-valued data (sums exact in both), random in-range indices with repeats, along
 * every dim of a 3-d operand, with a contiguous and a strided (transposed) index and data.
 */
class JavaGatherScatterTest {
    private static Operand o(Tensor t) {
        return TensorAccess.get().value(t);
    }

    private static Tensor ints(long seed, int bound, DType dt, long... shape) {
        Random r = new Random(seed);
        int n = (int) (shape[0] * shape[1] * shape[2]);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = r.nextInt(bound) - (dt == DType.INT64 ? 0 : bound / 2);
        }
        return Tensor.of(d, dt, shape);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void float32MatchesTheGenericLoop(int dim) {
        try (Scope s = Scope.open()) {
            long[] xs = {4, 5, 6};
            long[] is = xs.clone();
            is[dim] = 3;
            for (boolean strided : new boolean[] {false, true}) {
                Tensor x = ints(1 + dim, 9, DType.FLOAT32, xs);
                Tensor idx = ints(2 + dim, (int) xs[dim], DType.INT64, is);
                if (strided) {
                    x = x.transpose(0, 2).contiguous().transpose(0, 2);
                    idx = idx.transpose(0, 2).contiguous().transpose(0, 2);
                }
                // gather: out [is] = x[.. idx ..]
                Tensor g32 = Tensor.zeros(DType.FLOAT32, is);
                Tensor g64 = Tensor.zeros(DType.FLOAT64, is);
                JavaIndexing.gather(o(x), dim, o(idx), o(g32));
                JavaIndexing.gather(o(x.to(DType.FLOAT64)), dim, o(idx), o(g64));
                assertArrayEquals(g64.toDoubleArray(), g32.toDoubleArray(), "gather dim " + dim + " strided " + strided);
                // scatter_add: out [xs] += src [is] at idx (repeated indices accumulate)
                Tensor src = ints(3 + dim, 9, DType.FLOAT32, is);
                Tensor s32 = ints(4, 5, DType.FLOAT32, xs);
                Tensor s64 = s32.to(DType.FLOAT64);
                JavaIndexing.scatterAdd(o(s32), dim, o(idx), o(src));
                JavaIndexing.scatterAdd(o(s64), dim, o(idx), o(src.to(DType.FLOAT64)));
                assertArrayEquals(s64.toDoubleArray(), s32.toDoubleArray(), "scatter_add dim " + dim + " strided " + strided);
            }
        }
    }
}
