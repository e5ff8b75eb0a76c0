package dev.tangent.djl.engine;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineProvider;

/** Registers the {@link TangentEngine} with DJL (through {@code META-INF/services}). */
public class TangentEngineProvider implements EngineProvider {
    @Override
    public String getEngineName() {
        return TangentEngine.ENGINE_NAME;
    }

    @Override
    public int getEngineRank() {
        return TangentEngine.RANK;
    }

    @Override
    public Engine getEngine() {
        return TangentEngine.instance();
    }
}
