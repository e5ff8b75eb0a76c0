package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's "For DJL users" examples, as written there (so that they keep compiling and running). */
class ReadmeExamplesTest {
    @Test
    void theSameProgramOnBothEngines() throws Exception {
        Path dir = Models.tempDir("readme-mlp");
        try (Model model = Model.newInstance("mlp", "PyTorch")) {
            model.setBlock(new Mlp(784, 10, new int[] {128, 64}));
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 784));
            model.save(dir, "mlp");
        }
        float[] pixels = Engines.gaussian(NDManager.newBaseManager("Tangent"), 3, 1, 784).toFloatArray();
        ConcurrencyAndLeakTest.Features translator = new ConcurrencyAndLeakTest.Features();
        float[][] results = new float[2][];
        String[] engines = {"PyTorch", "Tangent"};
        for (int e = 0; e < 2; e++) {
            try (Model model = Model.newInstance("mlp", engines[e])) {
                model.setBlock(new Mlp(784, 10, new int[] {128, 64}));
                model.load(dir, "mlp");
                try (Predictor<float[], float[]> p = model.newPredictor(translator)) {
                    float[] probabilities = p.predict(pixels);
                    results[e] = probabilities;
                }
            }
        }
        assertArrayEquals(results[0], results[1], 1e-6f);
    }

    @Test
    void jvpOfAnMlpAndAResNetInTenLines() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray x = Engines.gaussian(manager, 1, 1, 1, 784);
            NDArray v = Engines.gaussian(manager, 2, 1, 1, 784);
            NDArray u = Engines.gaussian(manager, 3, 1, 1, 10);
            NDArray image = Engines.gaussian(manager, 4, 1, 1, 3, 32, 32);
            NDArray direction = Engines.gaussian(manager, 5, 1, 1, 3, 32, 32);

            Block mlp = new Mlp(784, 10, new int[] {128, 64});
            mlp.initialize(manager, DataType.FLOAT32, new Shape(1, 784));                  // or model.load(...)
            NDJvpResult r = DjlFunctional.jvp(mlp, new NDList(x), new NDList(v));         // f(x) and J(x)·v, forward mode
            Block resnet = ResNetV1.builder().setImageShape(new Shape(3, 32, 32)).setNumLayers(18).setOutSize(10).build();
            resnet.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            NDArray jv = DjlFunctional.jvp(resnet, new NDList(image), new NDList(direction)).jvp().head();
            NDArray jac = DjlFunctional.jacobian(mlp, new NDList(x)).head();                // [1, 10, 1, 784]
            BlockFunction withWeights = BlockFunction.of(mlp).withParameters();           // w.r.t. the parameters too
            NDList grads = DjlFunctional.vjp(withWeights, withWeights.inputsWithParameters(new NDList(x)), new NDList(u)).vjp();
            try (DjlJvpPlan plan = DjlJvpPlan.compile(mlp, new NDList(x))) { plan.apply(new NDList(x), new NDList(v)); }

            assertEquals(new Shape(1, 10), r.jvp().head().getShape());
            assertEquals(new Shape(1, 10), jv.getShape());
            assertEquals(new Shape(1, 10, 1, 784), jac.getShape());
            assertEquals(7, grads.size());
            assertEquals("PyTorch", jv.getManager().getEngine().getEngineName());
        }
    }
}
