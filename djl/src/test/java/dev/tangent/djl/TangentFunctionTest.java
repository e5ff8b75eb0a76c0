package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.Value;
import dev.tangent.djl.engine.TgNDArray;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.file.Path;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A block as a Tangent function ({@link DjlFunctional#asTangentFunction}) with its parameters in a
 * Tangent scope ({@link BlockFunction#loadParameters}): what a Spark partition does with a DJL model.
 */
class TangentFunctionTest {

    /** The parameters of the PyTorch-saved MLP, as DJL's Block.saveParameters bytes. */
    private static byte[] pytorchParameters(Path dir) throws Exception {
        try (Model pt = Models.load(Models.MLP, Engines.PYTORCH, dir)) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(b)) {
                pt.getBlock().saveParameters(out);
            }
            return b.toByteArray();
        }
    }

    @Test
    void parametersLoadIntoTheOpenScopeAndTheBlockRunsAsATangentFunction() throws Exception {
        Path dir = Models.saved(Models.MLP, Engines.PYTORCH, 21);
        byte[] params = pytorchParameters(dir);
        long baseline = ConcurrencyAndLeakTest.settledLiveBytes();
        try (Model pt = Models.load(Models.MLP, Engines.PYTORCH, dir); NDManager pm = pt.getNDManager().newSubManager()) {
            NDArray x = Models.input(Models.MLP, pm, 1);
            NDArray v = Models.input(Models.MLP, pm, 2);
            NDJvpResult want = DjlFunctional.jvp(pt.getBlock(), new NDList(x), new NDList(v));
            // (the PyTorch reference leaves unscoped leftovers that the garbage collector frees)
            long afterReference = ConcurrencyAndLeakTest.settledLiveBytes();
            try (Scope s = Scope.open(); NDManager tm = NDManager.newBaseManager(Engines.TANGENT)) {
                Block block = Models.MLP.factory().get();
                BlockFunction.loadParameters(block, tm, new ByteArrayInputStream(params));
                for (Pair<String, Parameter> p : block.getParameters()) {
                    assertTrue(p.getValue().getArray() instanceof TgNDArray, p.getKey());
                    assertSame(tm, p.getValue().getArray().getManager(), p.getKey());
                }
                assertTrue(Tangent.liveBytes() > afterReference, "the parameters are in native memory");
                // nothing of DJL's stays open on the thread: a tensor made now belongs to this scope
                Tensor made = Tensor.zeros(3);
                assertSame(s, Scope.current());
                Function<Value, Value> f = DjlFunctional.asTangentFunction(BlockFunction.of(block));
                Tensor tx = Interop.toTensor(x);
                Tensor tv = Interop.toTensor(v);
                JvpResult<Value> r = Functional.jvp(f, tx, tv);
                assertArrayEquals(want.output().head().toFloatArray(), ((Tensor) r.output()).toFloatArray(), 1e-6f);
                double err = Engines.relErr(want.jvp().head().toFloatArray(), ((Tensor) r.jvp()).toFloatArray());
                assertTrue(err <= 1e-6, "jvp through Functional vs DjlFunctional: " + err);
                // Tangent's own plan records the block's forward too
                try (JvpPlan<Value, Value> plan = JvpPlan.compile(f, tx)) {
                    Tensor jv = (Tensor) plan.apply(tx, tv).jvp();
                    assertTrue(Engines.relErr(want.jvp().head().toFloatArray(), jv.toFloatArray()) <= 1e-6);
                }
                assertEquals(3, made.numel());
            }
            assertEquals(afterReference, Tangent.liveBytes(), "closing the scope freed the parameters");
            want.output().close();
            want.jvp().close();
        }
        assertEquals(baseline, ConcurrencyAndLeakTest.settledLiveBytes());
    }

    @Test
    void loadingNeedsATangentManagerAndFunctionsNeedTangentOutputs() throws Exception {
        try (NDManager pm = NDManager.newBaseManager(Engines.PYTORCH)) {
            Block block = Models.MLP.factory().get();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BlockFunction.loadParameters(block, pm, new ByteArrayInputStream(new byte[0])));
            assertTrue(e.getMessage().contains("Tangent engine, got one of PyTorch"), e.getMessage());
            NDArray other = pm.ones(new ai.djl.ndarray.types.Shape(2));
            Function<Value, Value> f = DjlFunctional.asTangentFunction(in -> new NDList(other));
            try (Scope s = Scope.open()) {
                e = assertThrows(IllegalArgumentException.class, () -> f.apply(Tensor.zeros(2)));
                assertTrue(e.getMessage().contains("output 0 is an array of the PyTorch engine"), e.getMessage());
            }
        }
    }
}
