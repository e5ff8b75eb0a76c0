package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.tangent.djl.engine.TangentEngine;
import dev.tangent.djl.engine.TgModel;
import dev.tangent.djl.engine.TgNDManager;
import org.junit.jupiter.api.Test;

/** DJL finds the Tangent engine through META-INF/services, and PyTorch stays the default. */
class EngineDiscoveryTest {
    @Test
    void bothEnginesAreRegisteredAndPyTorchStaysTheDefault() {
        assertTrue(Engine.getAllEngines().contains("Tangent"), Engine.getAllEngines().toString());
        assertTrue(Engine.getAllEngines().contains("PyTorch"), Engine.getAllEngines().toString());
        assertEquals("PyTorch", Engine.getDefaultEngineName());
        assertEquals("PyTorch", Engine.getInstance().getEngineName());
        assertTrue(Engines.tangent().getRank() > Engines.pytorch().getRank());
        assertInstanceOf(TangentEngine.class, Engine.getEngine("Tangent"));
    }

    @Test
    void chosenByNameByModelAndByTheDefaultEngineProperty() throws Exception {
        try (NDManager m = NDManager.newBaseManager("Tangent")) {
            assertInstanceOf(TgNDManager.class, m);
            assertEquals("Tangent", m.getEngine().getEngineName());
        }
        try (Model model = Model.newInstance("m", "Tangent")) {
            assertInstanceOf(TgModel.class, model);
            assertInstanceOf(TgNDManager.class, model.getNDManager());
        }
        String before = System.getProperty("ai.djl.default_engine");
        System.setProperty("ai.djl.default_engine", "Tangent");
        try (NDManager m = NDManager.newBaseManager()) {
            assertInstanceOf(TgNDManager.class, m);
        } finally {
            if (before == null) {
                System.clearProperty("ai.djl.default_engine");
            } else {
                System.setProperty("ai.djl.default_engine", before);
            }
        }
        assertEquals("PyTorch", Engine.getInstance().getEngineName());
    }

    @Test
    void criteriaSelectsTheEngine() throws Exception {
        ai.djl.nn.Block block = ai.djl.nn.core.Linear.builder().setUnits(2).build();
        java.nio.file.Path dir = Models.tempDir("tangent-criteria");
        try (Model pt = Model.newInstance("lin", "PyTorch")) {
            pt.setBlock(block);
            block.initialize(pt.getNDManager(), ai.djl.ndarray.types.DataType.FLOAT32, new ai.djl.ndarray.types.Shape(1, 3));
            pt.save(dir, "lin");
        }
        ai.djl.nn.Block fresh = ai.djl.nn.core.Linear.builder().setUnits(2).build();
        ai.djl.repository.zoo.Criteria<ai.djl.ndarray.NDList, ai.djl.ndarray.NDList> c = ai.djl.repository.zoo.Criteria.builder()
                .setTypes(ai.djl.ndarray.NDList.class, ai.djl.ndarray.NDList.class)
                .optModelPath(dir).optModelName("lin").optBlock(fresh).optEngine("Tangent")
                .optOption("hasParameter", "true").build();
        try (ai.djl.repository.zoo.ZooModel<ai.djl.ndarray.NDList, ai.djl.ndarray.NDList> model = c.loadModel()) {
            assertEquals("Tangent", model.getNDManager().getEngine().getEngineName());
        }
    }
}
