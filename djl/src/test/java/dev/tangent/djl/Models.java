package dev.tangent.djl;

import ai.djl.Model;
import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.util.Pair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Supplier;

/** The blocks the tests run on both engines, and saving one engine's parameters for the other. */
final class Models {
    private Models() {}

    /** A block, its input shape, and a name. */
    record Spec(String name, Supplier<Block> factory, Shape input) {}

    static final Spec MLP = new Spec("mlp", () -> new Mlp(20, 5, new int[] {32, 16}, Activation::tanh), new Shape(3, 20));
    static final Spec MLP_RELU = new Spec("mlp-relu", () -> new Mlp(20, 5, new int[] {32, 16}), new Shape(3, 20));
    static final Spec RESNET18 = new Spec("resnet18", () -> ResNetV1.builder().setImageShape(new Shape(3, 32, 32))
            .setNumLayers(18).setOutSize(10).build(), new Shape(1, 3, 32, 32));
    static final Spec CONVNET = new Spec("convnet", () -> new SequentialBlock()
            .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(8).optPadding(new Shape(1, 1)).build())
            .add(BatchNorm.builder().build())
            .add(Activation::relu)
            .add(Pool.maxPool2dBlock(new Shape(2, 2)))
            .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(6).optStride(new Shape(2, 2)).build())
            .add(Pool.avgPool2dBlock(new Shape(1, 1)))
            .add(Blocks.batchFlattenBlock())
            .add(Linear.builder().setUnits(7).build()), new Shape(2, 3, 12, 12));
    static final Spec TRANSFORMER = new Spec("transformer", () -> new TransformerEncoderBlock(16, 2, 32, 0.1f,
            Activation::gelu), new Shape(2, 5, 16));

    /**
     * Random parameter values: N(0, 0.3^2) weights, running variances in [0.5, 1.5], so that batch
     * norm in inference mode is not the identity.
     */
    static void randomize(Block block, long seed) {
        Random r = new Random(seed);
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[Math.toIntExact(a.size())];
            boolean variance = p.getValue().getType() == Parameter.Type.RUNNING_VAR;
            for (int i = 0; i < v.length; i++) {
                v[i] = variance ? 0.5f + r.nextFloat() : (float) r.nextGaussian() * 0.3f;
            }
            a.set(v);
        }
    }

    /**
     * A new temporary folder, deleted with its files when the JVM exits (so that test runs leave
     * nothing behind in the temporary directory).
     */
    static Path tempDir(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
        return dir;
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort at exit
        }
    }

    /** Initializes {@code spec}'s block on {@code engine}, randomizes it, saves it; returns the directory. */
    static Path saved(Spec spec, String engine, long seed) throws IOException {
        Path dir = tempDir("tangent-djl-" + spec.name());
        try (Model model = Model.newInstance(spec.name(), engine)) {
            Block b = spec.factory().get();
            model.setBlock(b);
            b.initialize(model.getNDManager(), DataType.FLOAT32, spec.input());
            randomize(b, seed);
            model.save(dir, spec.name());
        }
        return dir;
    }

    /** A model on {@code engine} whose block loads the parameters saved in {@code dir}. */
    static Model load(Spec spec, String engine, Path dir) throws Exception {
        Model model = Model.newInstance(spec.name(), engine);
        model.setBlock(spec.factory().get());
        model.load(dir, spec.name());
        return model;
    }

    /** Seeded N(0,1) input of the spec's shape. */
    static NDArray input(Spec spec, NDManager m, long seed) {
        return Engines.gaussian(m, seed, 1f, spec.input().getShape());
    }
}
