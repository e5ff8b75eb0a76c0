package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DJL blocks give the PyTorch engine's outputs on the Tangent engine, from the same DJL .params file
 * (saved by either engine, loaded by the other): float32, 1e-5 relative (max-norm).
 */
class BlocksTest {
    static final double TOL = 1e-5;

    static Stream<Models.Spec> specs() {
        return Stream.of(Models.MLP, Models.MLP_RELU, Models.CONVNET, Models.RESNET18, Models.TRANSFORMER);
    }

    private static NDArray forward(Model model, NDArray x) {
        Block b = model.getBlock();
        return b.forward(new ParameterStore(model.getNDManager(), false), new NDList(x), false).singletonOrThrow();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void pytorchSavedParamsGiveTheSameOutputsOnTangent(Models.Spec spec) throws Exception {
        Path dir = Models.saved(spec, Engines.PYTORCH, 11);
        try (Model pt = Models.load(spec, Engines.PYTORCH, dir); Model tg = Models.load(spec, Engines.TANGENT, dir);
                NDManager pm = pt.getNDManager().newSubManager(); NDManager tm = tg.getNDManager().newSubManager()) {
            assertEquals("Tangent", tg.getNDManager().getEngine().getEngineName());
            NDArray want = forward(pt, Models.input(spec, pm, 5));
            NDArray got = forward(tg, Models.input(spec, tm, 5));
            assertEquals(want.getShape(), got.getShape());
            assertEquals(DataType.FLOAT32, got.getDataType());
            double err = Engines.relErr(got, want);
            System.out.printf("%s: max relative error %.2e%n", spec.name(), err);
            assertTrue(err <= TOL, spec.name() + ": relative error " + err);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void tangentInitializedAndSavedParamsLoadIntoPytorch(Models.Spec spec) throws Exception {
        Path dir = Models.saved(spec, Engines.TANGENT, 12);
        try (Model pt = Models.load(spec, Engines.PYTORCH, dir); Model tg = Models.load(spec, Engines.TANGENT, dir);
                NDManager pm = pt.getNDManager().newSubManager(); NDManager tm = tg.getNDManager().newSubManager()) {
            NDArray want = forward(pt, Models.input(spec, pm, 6));
            NDArray got = forward(tg, Models.input(spec, tm, 6));
            double err = Engines.relErr(got, want);
            System.out.printf("%s: max relative error %.2e%n", spec.name(), err);
            assertTrue(err <= TOL, spec.name() + ": relative error " + err);
        }
    }
}
