package dev.tangent.bench.djl;

import ai.djl.Model;
import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.tangent.Tangent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The DJL models of the engine benchmarks: built once, initialized on the PyTorch engine with seeded
 * random weights, saved as DJL .params, and loaded into a PyTorch-engine and a Tangent-engine model —
 * the same weights on both.
 */
final class DjlModels {
    private DjlModels() {}

    /** W2's MLP as a DJL block: 784 -> 1024 -> 1024 -> 10, tanh. */
    static final Supplier<Block> MLP = () -> new Mlp(784, 10, new int[] {1024, 1024}, Activation::tanh);
    /** ResNetV1-18 on 32x32 RGB images, 10 classes. */
    static final Supplier<Block> RESNET18 = () -> ResNetV1.builder().setImageShape(new Shape(3, 32, 32))
            .setNumLayers(18).setOutSize(10).build();

    /** Starts both engines with {@code threads} threads each, DJL offline; call before any other DJL use. */
    static void start(int threads) {
        String t = Integer.toString(threads);
        System.setProperty("ai.djl.pytorch.num_threads", t);
        System.setProperty("ai.djl.pytorch.num_interop_threads", t);
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        Engine.getEngine("PyTorch");
        Tangent.setNumThreads(threads);
    }

    /** Saves {@code factory}'s block, initialized on PyTorch from {@code seed}, and returns the folder. */
    static Path save(Supplier<Block> factory, Shape input, long seed) throws IOException {
        Path dir = Files.createTempDirectory("tangent-djl-bench");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | java.io.UncheckedIOException e) {
                // best effort at exit
            }
        }));
        try (Model m = Model.newInstance("net", "PyTorch")) {
            Block b = factory.get();
            m.setBlock(b);
            b.initialize(m.getNDManager(), DataType.FLOAT32, input);
            Random r = new Random(seed);
            for (Pair<String, Parameter> p : b.getParameters()) {
                NDArray a = p.getValue().getArray();
                float[] v = new float[Math.toIntExact(a.size())];
                boolean var = p.getValue().getType() == Parameter.Type.RUNNING_VAR;
                long fanIn = a.getShape().dimension() > 1 ? a.getShape().size() / a.getShape().get(0) : 1;
                for (int i = 0; i < v.length; i++) {
                    v[i] = var ? 0.5f + r.nextFloat() : (float) (r.nextGaussian() / Math.sqrt(fanIn));
                }
                a.set(v);
            }
            m.save(dir, "net");
        }
        return dir;
    }

    static Model load(Supplier<Block> factory, String engine, Path dir) throws Exception {
        Model m = Model.newInstance("net", engine);
        m.setBlock(factory.get());
        m.load(dir, "net");
        return m;
    }

    static NDArray gaussian(NDManager m, long seed, long... shape) {
        Random r = new Random(seed);
        float[] v = new float[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return m.create(v, new Shape(shape));
    }

    static NDArray forward(Block block, NDManager m, NDArray x) {
        return block.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
    }

    /**
     * The exact jvp a DJL user can write today for any block: PyTorch's double-backward trick through
     * DJL's internal JniUtils (benchmarks/DjlMlp does the same for the hand-written MLP).
     */
    static NDList doubleBackwardJvp(Block block, NDManager m, NDArray x, NDArray v) {
        try (GradientCollector gc = m.getEngine().newGradientCollector()) {
            NDArray xi = x.duplicate();
            xi.setRequiresGradient(true);
            NDArray out = forward(block, m, xi);
            NDArray u = out.zerosLike();
            u.setRequiresGradient(true);
            JniUtils.backward((PtNDArray) out, (PtNDArray) u, true, true);
            NDArray g = xi.getGradient();
            JniUtils.backward((PtNDArray) g, (PtNDArray) v, false, false);
            return new NDList(out, u.getGradient());
        }
    }

    /** The approximate one: (f(x + h v) - f(x)) / h, two forwards. */
    static NDList finiteDiffJvp(Block block, NDManager m, NDArray x, NDArray v) {
        float h = 1e-3f;
        NDArray out = forward(block, m, x);
        return new NDList(out, forward(block, m, x.add(v.mul(h))).sub(out).div(h));
    }
}
