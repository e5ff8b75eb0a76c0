package dev.tangent.spark;

import dev.tangent.Tensor;
import java.io.Serializable;
import java.util.function.Function;

/**
 * What reaches Spark's executors instead of a model: a small serializable description that builds
 * the function once per partition there. It holds plain data (arrays, a broadcast variable, a
 * seed; a DJL block's factory and {@code .params} bytes: {@link DjlBlockModel}), never a
 * {@link Tensor}: tensors live in native memory and cannot be serialized.
 *
 * <p>The function maps a float32 batch {@code [batch, inputSize()]} to {@code [batch,
 * outputSize()]} and must be <b>row-wise</b>: row i of the result depends on row i of the input
 * only (a matmul by weights, element-wise ops, reductions over dim 1 — not over dim 0). The
 * transformers rely on this to pad the last batch and to put several directions in one batch.
 */
public interface TangentModel extends Serializable {

    /** Features per row (the length of each input row). */
    int inputSize();

    /** Values per row of the function's output. */
    int outputSize();

    /**
     * Builds the function on the executor. Tensors it creates (weights) belong to the scope the
     * caller has open, which the transformer closes when the partition ends; a function that is
     * also {@link AutoCloseable} is closed just before that scope.
     */
    Function<Tensor, Tensor> build();

    /** Builds the function; for {@link #of}: a serializable lambda or class. */
    @FunctionalInterface
    interface Builder extends Serializable {
        Function<Tensor, Tensor> build();
    }

    /**
     * A model from a serializable builder, e.g. {@code TangentModel.of(3, 3, () -> x -> x.tanh())}.
     * The builder must not capture a {@link Tensor}; capture arrays and make tensors inside it.
     */
    static TangentModel of(int inputSize, int outputSize, Builder builder) {
        return new Custom(inputSize, outputSize, builder);
    }

    /** A model made by {@link #of}. (A class, not a record: Kryo 4, which Spark uses, cannot build records.) */
    final class Custom implements TangentModel {
        private static final long serialVersionUID = 1L;
        private final int inputSize;
        private final int outputSize;
        private final Builder builder;

        Custom(int inputSize, int outputSize, Builder builder) {
            if (inputSize < 1 || outputSize < 1) {
                throw new IllegalArgumentException("TangentModel.of: sizes must be positive, got input "
                        + inputSize + ", output " + outputSize);
            }
            if (builder == null) {
                throw new IllegalArgumentException("TangentModel.of: builder is null");
            }
            this.inputSize = inputSize;
            this.outputSize = outputSize;
            this.builder = builder;
        }

        @Override
        public int inputSize() {
            return inputSize;
        }

        @Override
        public int outputSize() {
            return outputSize;
        }

        @Override
        public Function<Tensor, Tensor> build() {
            return builder.build();
        }

        @Override
        public String toString() {
            return "TangentModel(" + inputSize + " -> " + outputSize + ")";
        }
    }
}
