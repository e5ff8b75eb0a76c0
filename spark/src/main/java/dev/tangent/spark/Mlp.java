package dev.tangent.spark;

import dev.tangent.Tensor;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * A multilayer perceptron as a {@link TangentModel}: {@code f(x) = act(...act(x·W1 + b1)...)·Wk + bk},
 * the activation between layers and none after the last, float32. Layer l's weights are
 * {@code [sizes[l], sizes[l+1]]} row-major (input by output: {@code x·W}, i.e. the transpose of a
 * PyTorch {@code Linear.weight}), its bias {@code [sizes[l+1]]}.
 *
 * <p>The weights travel as Java arrays inside the task (fine up to a few MB) or, after
 * {@link #broadcast}, as one Spark broadcast variable fetched once per executor.
 */
public final class Mlp implements TangentModel {
    private static final long serialVersionUID = 1L;

    /** The activation between layers. */
    public enum Activation {
        TANH, RELU, SIGMOID, GELU, IDENTITY;

        Tensor apply(Tensor t) {
            return switch (this) {
                case TANH -> t.tanh();
                case RELU -> t.relu();
                case SIGMOID -> t.sigmoid();
                case GELU -> t.gelu();
                case IDENTITY -> t;
            };
        }
    }

    /**
     * The parameters: weights[l] and biases[l] for each layer l. (A class, not a record: Kryo 4, which
     * Spark uses, cannot build records.)
     */
    public static final class Parameters implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final float[][] weights;
        private final float[][] biases;

        public Parameters(float[][] weights, float[][] biases) {
            this.weights = weights;
            this.biases = biases;
        }

        public float[][] weights() {
            return weights;
        }

        public float[][] biases() {
            return biases;
        }
    }

    private final int[] sizes;
    private final Activation activation;
    private final Parameters inline;
    private final Broadcast<Parameters> shared;

    private Mlp(int[] sizes, Activation activation, Parameters inline, Broadcast<Parameters> shared) {
        this.sizes = sizes;
        this.activation = activation;
        this.inline = inline;
        this.shared = shared;
    }

    /**
     * An MLP with the given layer sizes ({@code sizes[0]} inputs, {@code sizes[k]} outputs),
     * weights and biases (copied).
     */
    public static Mlp of(Activation activation, float[][] weights, float[][] biases, int... sizes) {
        if (sizes.length < 2) {
            throw new IllegalArgumentException("Mlp.of: need at least an input and an output size, got "
                    + Arrays.toString(sizes));
        }
        int layers = sizes.length - 1;
        if (weights.length != layers || biases.length != layers) {
            throw new IllegalArgumentException("Mlp.of: " + layers + " layers need " + layers + " weights and biases, got "
                    + weights.length + " and " + biases.length);
        }
        float[][] w = new float[layers][];
        float[][] b = new float[layers][];
        for (int l = 0; l < layers; l++) {
            if (sizes[l] < 1 || sizes[l + 1] < 1) {
                throw new IllegalArgumentException("Mlp.of: sizes must be positive, got " + Arrays.toString(sizes));
            }
            if (weights[l].length != (long) sizes[l] * sizes[l + 1] || biases[l].length != sizes[l + 1]) {
                throw new IllegalArgumentException("Mlp.of: layer " + l + " needs " + sizes[l] + "x" + sizes[l + 1]
                        + " weights and " + sizes[l + 1] + " biases, got " + weights[l].length + " and "
                        + biases[l].length);
            }
            w[l] = weights[l].clone();
            b[l] = biases[l].clone();
        }
        return new Mlp(sizes.clone(), activation, new Parameters(w, b), null);
    }

    /**
     * Seeded N(0, 1/fan_in) weights and N(0, 0.01) biases (java.util.Random): reproducible
     * examples, tests and benchmarks.
     */
    public static Mlp random(long seed, Activation activation, int... sizes) {
        Random r = new Random(seed);
        int layers = sizes.length - 1;
        float[][] w = new float[Math.max(layers, 0)][];
        float[][] b = new float[Math.max(layers, 0)][];
        for (int l = 0; l < layers; l++) {
            double scale = 1 / Math.sqrt(sizes[l]);
            w[l] = new float[sizes[l] * sizes[l + 1]];
            for (int i = 0; i < w[l].length; i++) {
                w[l][i] = (float) (r.nextGaussian() * scale);
            }
            b[l] = new float[sizes[l + 1]];
            for (int i = 0; i < b[l].length; i++) {
                b[l][i] = (float) (r.nextGaussian() * 0.1);
            }
        }
        return of(activation, w, b, sizes);
    }

    /**
     * The same MLP with its parameters in a broadcast variable: tasks then carry only the sizes and
     * a handle, and each executor fetches the weights once.
     */
    public Mlp broadcast(SparkSession spark) {
        Parameters p = parameters();
        Broadcast<Parameters> b = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(p);
        return new Mlp(sizes, activation, null, b);
    }

    /** True when the parameters travel as a broadcast variable. */
    public boolean isBroadcast() {
        return shared != null;
    }

    /** Layer sizes, input first. */
    public int[] sizes() {
        return sizes.clone();
    }

    public Activation activation() {
        return activation;
    }

    /** The parameters (from the broadcast variable when broadcast). */
    public Parameters parameters() {
        return inline != null ? inline : shared.value();
    }

    @Override
    public int inputSize() {
        return sizes[0];
    }

    @Override
    public int outputSize() {
        return sizes[sizes.length - 1];
    }

    @Override
    public Function<Tensor, Tensor> build() {
        Parameters p = parameters();
        int layers = sizes.length - 1;
        Tensor[] w = new Tensor[layers];
        Tensor[] b = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            w[l] = Tensor.of(p.weights()[l], sizes[l], sizes[l + 1]);
            b[l] = Tensor.of(p.biases()[l], sizes[l + 1]);
        }
        Activation act = activation;
        return x -> {
            Tensor h = x;
            for (int l = 0; l < layers; l++) {
                h = h.matmul(w[l]).add(b[l]);
                if (l < layers - 1) {
                    h = act.apply(h);
                }
            }
            return h;
        };
    }

    @Override
    public String toString() {
        return "Mlp" + Arrays.toString(sizes) + " " + activation.name().toLowerCase(java.util.Locale.ROOT)
                + (shared != null ? " (broadcast " + shared.id() + ")" : "");
    }
}
