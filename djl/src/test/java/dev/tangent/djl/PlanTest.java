package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.tangent.Tangent;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Compiled plans for a fixed block and shapes: the facade's jvp, no native allocation per call, other shapes rejected. */
class PlanTest {

    private static void checkPlan(Models.Spec spec, NDManager inputs, Block block) throws Exception {
        NDArray x = Models.input(spec, inputs, 1);
        NDArray v = Models.input(spec, inputs, 2);
        NDJvpResult want = DjlFunctional.jvp(block, new NDList(x), new NDList(v));
        try (DjlJvpPlan plan = DjlJvpPlan.compile(block, new NDList(x))) {
            NDJvpResult got = plan.apply(new NDList(x), new NDList(v));
            assertEquals(want.jvp().head().getShape(), got.jvp().head().getShape());
            // A plan merges a linear layer's matmul, bias and activation into one fused kernel (oneDNN
            // post-ops; -Dtangent.fuse.epilogue); the eager facade runs them one by one, so the last
            // bit may differ (float32 rounding of the fused epilogue), never more.
            double outErr = Engines.relErr(got.output().head(), want.output().head());
            assertTrue(outErr <= 1e-6, spec.name() + " plan output vs facade output: " + outErr);
            double err = Engines.relErr(got.jvp().head(), want.jvp().head());
            assertTrue(err <= 1e-6, spec.name() + " plan jvp vs facade jvp: " + err);
            // steady state: nothing allocated per call
            plan.apply(new NDList(x), new NDList(v));
            long before = Tangent.liveBytes();
            int calls = spec == Models.RESNET18 ? 3 : 50;
            for (int i = 0; i < calls; i++) {
                NDJvpResult r = plan.apply(new NDList(x), new NDList(v));
                assertEquals(want.output().head().getShape(), r.output().head().getShape());
            }
            assertEquals(before, Tangent.liveBytes(), spec.name() + ": a plan call allocates no native memory");
            System.out.printf("%s plan: %d kernels per call, jvp vs facade %.1e%n", spec.name(), plan.kernelCount(), err);
            // other shapes are rejected, with the shape it was compiled for in the message
            long[] s = spec.input().getShape().clone();
            s[0] += 1;
            NDArray other = inputs.zeros(new Shape(s));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> plan.apply(new NDList(other), new NDList(other)));
            assertTrue(e.getMessage().contains("compiled for"), e.getMessage());
        }
    }

    @Test
    void mlpAndResNetPlansOnTangentEngineArrays() throws Exception {
        for (Models.Spec spec : new Models.Spec[] {Models.MLP, Models.RESNET18}) {
            try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
                Block block = spec.factory().get();
                block.initialize(m, DataType.FLOAT32, spec.input());
                Models.randomize(block, 3);
                checkPlan(spec, m, block);
            }
        }
    }

    @Test
    void aPytorchModelServedThroughAPlan() throws Exception {
        // a user's model as it is (PyTorch engine, PyTorch arrays): weights and inputs read without copying
        Path dir = Models.saved(Models.MLP, Engines.PYTORCH, 9);
        try (Model pt = Models.load(Models.MLP, Engines.PYTORCH, dir); NDManager pm = pt.getNDManager().newSubManager()) {
            checkPlan(Models.MLP, pm, pt.getBlock());
        }
    }
}
