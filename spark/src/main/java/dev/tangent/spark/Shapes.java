package dev.tangent.spark;

import dev.tangent.Tensor;
import java.util.Arrays;

/** Checks that a model keeps its word about its output size. */
final class Shapes {
    private Shapes() {}

    static void checkOutput(PartitionSpec spec, Tensor result, int rows, int m) {
        long[] shape = result.shape();
        if (shape.length != 2 || shape[0] != rows || shape[1] != m) {
            throw new IllegalStateException(spec.who() + ": the model " + spec.model() + " returned shape "
                    + Arrays.toString(shape) + " for a batch of shape [" + rows + ", " + spec.model().inputSize()
                    + "]; expected [" + rows + ", " + m + "] (outputSize() = " + m + ", one output row per input row)");
        }
    }
}
