package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** DJL's GradientCollector on Tangent's reverse mode: PyTorch's gradients, one collector per thread. */
class GradientCollectorTest {

    private static float[][] paramGrads(Model model, float[] x) {
        NDManager root = model.getNDManager();
        try (NDManager m = root.newSubManager()) {
            NDArray in = m.create(x, new Shape(3, 20));
            try (GradientCollector gc = root.getEngine().newGradientCollector()) {
                NDArray y = model.getBlock().forward(new ParameterStore(m, false), new NDList(in), true).head();
                gc.backward(y.tanh().sum());
            }
            float[][] g = new float[6][];
            int i = 0;
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                g[i++] = p.getValue().getArray().getGradient().toFloatArray();
            }
            return g;
        }
    }

    @Test
    void parameterGradientsEqualThePytorchEngines() throws Exception {
        Path dir = Models.saved(Models.MLP, Engines.PYTORCH, 17);
        float[] x = Engines.gaussian(NDManager.newBaseManager(Engines.TANGENT), 3, 1, 3, 20).toFloatArray();
        try (Model pt = Models.load(Models.MLP, Engines.PYTORCH, dir); Model tg = Models.load(Models.MLP, Engines.TANGENT, dir)) {
            for (Model model : new Model[] {pt, tg}) {
                for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                    p.getValue().getArray().setRequiresGradient(true);
                }
            }
            float[][] want = paramGrads(pt, x);
            float[][] got = paramGrads(tg, x);
            for (int i = 0; i < 6; i++) {
                double err = Engines.relErr(got[i], want[i]);
                assertTrue(err <= 1e-5, "parameter " + i + ": " + err);
            }
            try (GradientCollector gc = tg.getNDManager().getEngine().newGradientCollector()) {
                gc.zeroGradients();
            }
            NDArray w = tg.getBlock().getParameters().get(0).getValue().getArray();
            assertEquals(0f, w.getGradient().abs().sum().getFloat());
        }
    }

    @Test
    void oneCollectorPerThreadAndNothingRecordedOutside() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            NDArray x = m.create(new float[] {1, 2, 3});
            x.setRequiresGradient(true);
            NDArray outside = x.mul(2);
            assertFalse(Interop.toTensor(outside).requiresGrad(), "no collector on this thread: nothing recorded");
            try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                assertThrows(IllegalStateException.class, () -> m.getEngine().newGradientCollector(),
                        "one per thread, as DJL's one per process");
                gc.backward(x.square().sum());
            }
            ContractBase.assertClose(x.getGradient(), 1e-6, 2, 4, 6);

            // two threads, each with its own collector, at the same time (DJL's PyTorch collector is process-wide)
            ExecutorService pool = Executors.newFixedThreadPool(2);
            CountDownLatch bothOpen = new CountDownLatch(2);
            try {
                Future<float[]> a = pool.submit(() -> gradOfCube(bothOpen, 2f));
                Future<float[]> b = pool.submit(() -> gradOfCube(bothOpen, 3f));
                ContractBase.assertClose(NDManager.newBaseManager(Engines.TANGENT).create(a.get()), 1e-5, 12);
                ContractBase.assertClose(NDManager.newBaseManager(Engines.TANGENT).create(b.get()), 1e-5, 27);
            } finally {
                pool.shutdown();
            }
        }
    }

    private static float[] gradOfCube(CountDownLatch bothOpen, float v) throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            NDArray x = m.create(new float[] {v});
            x.setRequiresGradient(true);
            try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                bothOpen.countDown();
                bothOpen.await();
                gc.backward(x.pow(3).sum());
            }
            return x.getGradient().toFloatArray();
        }
    }
}
