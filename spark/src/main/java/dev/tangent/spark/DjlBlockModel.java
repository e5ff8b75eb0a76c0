package dev.tangent.spark;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.djl.BlockFunction;
import dev.tangent.djl.DjlFunctional;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Function;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * A Deep Java Library (DJL) {@link Block} as a {@link TangentModel}: what travels is a serializable
 * factory of the block (its structure) and its parameters as DJL {@code .params} bytes ({@link
 * Block#saveParameters}'s format), inline or, after {@link #broadcast}, in a broadcast variable
 * fetched once per executor. Each partition makes a fresh block, loads the bytes into it as arrays
 * of Tangent's DJL engine ({@link BlockFunction#loadParameters}: their memory belongs to the
 * partition's scope) and runs its forward in inference mode through Tangent
 * ({@link DjlFunctional#asTangentFunction}): the jvp is Tangent's, no other DJL engine is needed on
 * the executors.
 *
 * <p>The block maps a float32 {@code [batch, inputSize]} array to one {@code [batch, outputSize]}
 * array and must be row-wise (see {@link TangentModel}): linear layers, element-wise activations,
 * batch norm in inference mode, a layer norm — not a block that mixes rows.
 *
 * <p>Needs {@code dev.tangent:tangent-djl} (and {@code ai.djl:api}) on the driver and executors:
 * tangent-spark depends on it optionally, so add it to the application (and its jars to
 * {@code --jars}).
 */
public final class DjlBlockModel implements TangentModel {
    private static final long serialVersionUID = 1L;
    /** Tangent's DJL engine (dev.tangent.djl.engine.TangentEngine.ENGINE_NAME). */
    private static final String ENGINE = "Tangent";

    /**
     * Makes the block, without parameters, on each executor: a serializable lambda or class, e.g.
     * {@code () -> new SequentialBlock().add(Linear.builder().setUnits(32).build()).add(Activation::tanh)}.
     */
    @FunctionalInterface
    public interface BlockFactory extends Serializable {
        /** A new block of the model's structure (uninitialized: its parameters are loaded afterwards). */
        Block newBlock();
    }

    private final BlockFactory factory;
    private final int inputSize;
    private final int outputSize;
    private final byte[] inline;
    private final Broadcast<byte[]> shared;

    private DjlBlockModel(BlockFactory factory, int inputSize, int outputSize, byte[] inline, Broadcast<byte[]> shared) {
        this.factory = factory;
        this.inputSize = inputSize;
        this.outputSize = outputSize;
        this.inline = inline;
        this.shared = shared;
    }

    /**
     * The model of a block whose parameters are set (trained or loaded, on any DJL engine):
     * {@code block}'s parameters are saved into bytes now, and {@code factory} must make blocks of
     * the same structure.
     *
     * @throws IllegalArgumentException as {@link #ofParameters}, or when the block cannot save its
     *     parameters (uninitialized)
     */
    public static DjlBlockModel of(BlockFactory factory, Block block, int inputSize) {
        if (block == null) {
            throw new IllegalArgumentException("DjlBlockModel.of: block is null");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            block.saveParameters(out);
        } catch (IOException e) {
            throw new UncheckedIOException("DjlBlockModel.of: saving the block's parameters", e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("DjlBlockModel.of: the block's parameters cannot be saved (is it"
                    + " initialized?): " + e, e);
        }
        return ofParameters(factory, bytes.toByteArray(), inputSize);
    }

    /**
     * The model of a DJL model saved in {@code modelDir} ({@code Model.save(modelDir, modelName)} on any
     * engine: {@code modelName-0000.params} or {@code modelName.params}); the file is read here, on the
     * driver, with {@code factory}'s block on Tangent's DJL engine.
     *
     * @throws IOException when the file cannot be read
     * @throws MalformedModelException when it does not fit the block (DJL's message)
     */
    public static DjlBlockModel load(BlockFactory factory, Path modelDir, String modelName, int inputSize)
            throws IOException, MalformedModelException {
        requireFactory(factory, "load");
        try (Model model = Model.newInstance(modelName, Device.cpu(), ENGINE)) {
            model.setBlock(factory.newBlock());
            model.load(modelDir, modelName);
            return of(factory, model.getBlock(), inputSize);
        }
    }

    /**
     * The model of parameters in {@link Block#saveParameters}'s format (a {@code .params} file after
     * DJL's header). Checked here: a block from {@code factory} loads them and maps a
     * {@code [1, inputSize]} input to one {@code [1, m]} output; m is {@link #outputSize()}.
     *
     * @throws IllegalArgumentException when the bytes do not fit the block, or the block's output is
     *     not one {@code [1, m]} array
     */
    @SuppressWarnings("try") // the scope frees the check's parameters and tensors
    public static DjlBlockModel ofParameters(BlockFactory factory, byte[] parameters, int inputSize) {
        requireFactory(factory, "ofParameters");
        if (parameters == null) {
            throw new IllegalArgumentException("DjlBlockModel.ofParameters: parameters is null");
        }
        if (inputSize < 1) {
            throw new IllegalArgumentException("DjlBlockModel: inputSize must be positive, got " + inputSize);
        }
        byte[] copy = parameters.clone();
        int outputSize;
        try (Scope s = Scope.open()) {
            Built f = build(factory, copy);
            try {
                outputSize = f.outputSize(inputSize);
            } finally {
                f.close();
            }
        }
        return new DjlBlockModel(factory, inputSize, outputSize, copy, null);
    }

    /**
     * The same model with its parameters in a broadcast variable: tasks then carry only the factory
     * and a handle, and each executor fetches the bytes once.
     */
    public DjlBlockModel broadcast(SparkSession spark) {
        Broadcast<byte[]> b = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(parameters());
        return new DjlBlockModel(factory, inputSize, outputSize, null, b);
    }

    /** True when the parameters travel as a broadcast variable. */
    public boolean isBroadcast() {
        return shared != null;
    }

    /** The parameters in {@link Block#saveParameters}'s format (from the broadcast variable when broadcast). */
    public byte[] parameters() {
        return inline != null ? inline : shared.value();
    }

    /** The factory that makes the block. */
    public BlockFactory factory() {
        return factory;
    }

    @Override
    public int inputSize() {
        return inputSize;
    }

    @Override
    public int outputSize() {
        return outputSize;
    }

    /**
     * A new block with the parameters loaded into Tangent arrays of the caller's scope, as a function;
     * closing it (the partition does) closes the DJL manager of those arrays.
     */
    @Override
    public Function<Tensor, Tensor> build() {
        return build(factory, parameters());
    }

    private static Built build(BlockFactory factory, byte[] parameters) {
        Block block = factory.newBlock();
        if (block == null) {
            throw new IllegalArgumentException("DjlBlockModel: the factory returned no block");
        }
        NDManager manager = NDManager.newBaseManager(Device.cpu(), ENGINE);
        try {
            BlockFunction.loadParameters(block, manager, new ByteArrayInputStream(parameters));
        } catch (IOException | MalformedModelException | RuntimeException e) {
            manager.close();
            throw new IllegalArgumentException("DjlBlockModel: the parameters (" + parameters.length
                    + " bytes) do not fit the factory's block " + block.getClass().getSimpleName() + ": " + e, e);
        }
        return new Built(DjlFunctional.asTangentFunction(BlockFunction.of(block)), manager);
    }

    private static void requireFactory(BlockFactory factory, String op) {
        if (factory == null) {
            throw new IllegalArgumentException("DjlBlockModel." + op + ": factory is null");
        }
    }

    @Override
    public String toString() {
        return "DjlBlockModel(" + inputSize + " -> " + outputSize + ", " + parameters().length + " parameter bytes"
                + (shared != null ? ", broadcast " + shared.id() : "") + ")";
    }

    /** The block's forward on Tangent tensors; closing it closes the parameters' DJL manager. */
    private static final class Built implements Function<Tensor, Tensor>, AutoCloseable {
        private final Function<Value, Value> forward;
        private final NDManager manager;

        Built(Function<Value, Value> forward, NDManager manager) {
            this.forward = forward;
            this.manager = manager;
        }

        @Override
        public Tensor apply(Tensor x) {
            Value y = forward.apply(x);
            if (y instanceof Tensor t) {
                return t;
            }
            throw new IllegalArgumentException("DjlBlockModel: the block must return one array, got "
                    + ((Tuple) y).size() + " for an input of shape " + Arrays.toString(x.shape()));
        }

        int outputSize(int inputSize) {
            Tensor y;
            try {
                y = apply(Tensor.zeros(1, inputSize));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("DjlBlockModel: the block fails on a [1, " + inputSize
                        + "] input: " + e.getMessage(), e);
            }
            long[] shape = y.shape();
            if (shape.length != 2 || shape[0] != 1 || shape[1] < 1 || shape[1] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("DjlBlockModel: the block maps a [1, " + inputSize + "] input to "
                        + Arrays.toString(shape) + "; it must give [1, m] (rows in, rows out)");
            }
            return (int) shape[1];
        }

        @Override
        public void close() {
            manager.close();
        }
    }
}
