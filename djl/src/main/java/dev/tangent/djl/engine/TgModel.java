package dev.tangent.djl.engine;

import ai.djl.BaseModel;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A DJL {@code Model} on the Tangent engine: a {@code Block} (built in Java) whose parameters are
 * initialized on Tangent or loaded from DJL {@code .params} files — any engine's, e.g. saved by
 * the PyTorch engine. Tangent has no model format of its own (no TorchScript), so {@code load}
 * needs the block set first.
 */
public class TgModel extends BaseModel {
    TgModel(String name, Device device) {
        super(name);
        manager = TgNDManager.system().newSubManager(device == null ? Device.cpu() : device);
        manager.setName("tangentModel");
        dataType = DataType.FLOAT32;
    }

    @Override
    public void load(Path modelPath, String prefix, Map<String, ?> options)
            throws IOException, MalformedModelException {
        setModelDir(modelPath);
        wasLoaded = true;
        if (block == null) {
            throw new MalformedModelException("Tangent engine: set the model's Block (model.setBlock(...)) before"
                    + " load; the engine loads DJL .params files into a block, it has no model format of its own");
        }
        loadBlock(prefix == null ? modelName : prefix, options);
    }
}
