package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import dev.tangent.Tangent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Many threads on one block, and many calls: the same bits as one thread, and no growth of
 * Tangent's live native bytes. The short soak runs 10,000 calls; {@code -Dtangent.soak=true} runs
 * 100,000.
 */
class ConcurrencyAndLeakTest {
    static final int THREADS = 8;

    static int soakCalls() {
        return Boolean.getBoolean("tangent.soak") ? 100_000 : 10_000;
    }

    /** Live bytes once the garbage collector has run the cleaners of unscoped leftovers. */
    static long settledLiveBytes() throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 30; i++) {
            System.gc();
            Thread.sleep(10);
            long now = Tangent.liveBytes();
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    @Test
    void eightThreadsRunningJvpOnOneBlockGiveTheSerialBits() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            Block block = Models.MLP.factory().get();
            block.initialize(m, DataType.FLOAT32, new Shape(4, 20));
            int cases = 16;
            float[][] serialOut = new float[cases][];
            float[][] serialJvp = new float[cases][];
            for (int i = 0; i < cases; i++) {
                try (NDManager c = m.newSubManager()) {
                    NDJvpResult r = DjlFunctional.jvp(block, new NDList(Engines.gaussian(c, i, 1, 4, 20)),
                            new NDList(Engines.gaussian(c, 100 + i, 1, 4, 20)));
                    serialOut[i] = r.output().head().toFloatArray();
                    serialJvp[i] = r.jvp().head().toFloatArray();
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<float[][]>> results = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    for (int rep = 0; rep < 4; rep++) {
                        final int i = (t * 4 + rep) % cases;
                        results.add(pool.submit(() -> {
                            // each thread uses its own manager; block and parameters are shared
                            try (NDManager c = m.newSubManager()) {
                                NDJvpResult r = DjlFunctional.jvp(block, new NDList(Engines.gaussian(c, i, 1, 4, 20)),
                                        new NDList(Engines.gaussian(c, 100 + i, 1, 4, 20)));
                                return new float[][] {r.output().head().toFloatArray(), r.jvp().head().toFloatArray(),
                                    {i}};
                            }
                        }));
                    }
                }
                for (Future<float[][]> f : results) {
                    float[][] r = f.get();
                    int i = (int) r[2][0];
                    assertArrayEquals(serialOut[i], r[0], 0f, "output bit-identical, case " + i);
                    assertArrayEquals(serialJvp[i], r[1], 0f, "jvp bit-identical, case " + i);
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void jvpAndInferenceCallsLeakNoNativeMemory() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            Block block = Models.MLP.factory().get();
            block.initialize(m, DataType.FLOAT32, new Shape(2, 20));
            float[] xv = Engines.gaussian(m, 1, 1, 2, 20).toFloatArray();
            float[] vv = Engines.gaussian(m, 2, 1, 2, 20).toFloatArray();
            Shape shape = new Shape(2, 20);
            // warm up (caches, lazily created state), then measure
            for (int i = 0; i < 200; i++) {
                try (NDManager c = m.newSubManager()) {
                    DjlFunctional.jvp(block, new NDList(c.create(xv, shape)), new NDList(c.create(vv, shape)));
                }
            }
            long before = settledLiveBytes();
            int n = soakCalls();
            long peak = 0;
            for (int i = 0; i < n; i++) {
                // DJL's rule: results belong to the manager of the array operated on; here the per-call one
                try (NDManager c = m.newSubManager()) {
                    NDArray x = c.create(xv, shape);
                    NDJvpResult r = DjlFunctional.jvp(block, new NDList(x), new NDList(c.create(vv, shape)));
                    // a DJL user's inference on the engine, in the same per-call manager
                    block.forward(new ai.djl.training.ParameterStore(c, false), new NDList(x.add(r.jvp().head().mean())),
                            false).head().sum();
                }
                if (i % 1000 == 0) {
                    peak = Math.max(peak, Tangent.liveBytes() - before);
                }
            }
            long after = settledLiveBytes();
            System.out.printf("%d jvp + forward calls: live bytes %d -> %d (peak growth %d)%n", n, before, after, peak);
            assertEquals(before, after, "no growth of live native bytes over " + n + " calls");
            assertTrue(peak < 1 << 20, "memory is returned call by call, not at the end: peak growth " + peak);
        }
    }

    /** float[] in, float[] out: a user's Translator over a block with a 20-feature input. */
    static final class Features implements Translator<float[], float[]> {
        @Override
        public NDList processInput(TranslatorContext ctx, float[] input) {
            return new NDList(ctx.getNDManager().create(input, new Shape(1, input.length)));
        }

        @Override
        public float[] processOutput(TranslatorContext ctx, NDList list) {
            return list.singletonOrThrow().softmax(-1).toFloatArray();
        }

        @Override
        public Batchifier getBatchifier() {
            return null;
        }
    }

    @Test
    void predictorsOnTheTangentEngineMatchPytorchFromManyThreadsWithoutLeaking() throws Exception {
        Path dir = Models.saved(Models.MLP, Engines.PYTORCH, 41);
        try (Model pt = Models.load(Models.MLP, Engines.PYTORCH, dir); Model tg = Models.load(Models.MLP, Engines.TANGENT, dir);
                Predictor<float[], float[]> ptp = pt.newPredictor(new Features());
                Predictor<float[], float[]> shared = tg.newPredictor(new Features())) {
            int cases = 32;
            float[][] in = new float[cases][20];
            float[][] want = new float[cases][];
            java.util.Random r = new java.util.Random(5);
            for (int i = 0; i < cases; i++) {
                for (int k = 0; k < 20; k++) {
                    in[i][k] = (float) r.nextGaussian();
                }
                want[i] = ptp.predict(in[i]);
            }
            float[][] serial = new float[cases][];
            for (int i = 0; i < cases; i++) {
                serial[i] = shared.predict(in[i]);
                assertTrue(Engines.relErr(serial[i], want[i]) <= 1e-5, "case " + i);
            }
            long before = settledLiveBytes();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    final int seed = t;
                    done.add(pool.submit(() -> {
                        // one shared predictor, and one per thread: both are safe on the Tangent engine
                        try (Predictor<float[], float[]> own = tg.newPredictor(new Features())) {
                            for (int k = 0; k < 200; k++) {
                                int i = (seed * 7 + k) % cases;
                                assertArrayEquals(serial[i], shared.predict(in[i]), 0f);
                                assertArrayEquals(serial[i], own.predict(in[i]), 0f);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            long after = settledLiveBytes();
            assertEquals(before, after, "8 threads x 400 predictions leave no native memory behind");
        }
    }
}
