package dev.tangent.djl.engine;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tangent.Tangent;

/**
 * The "Tangent" DJL engine: DJL's NDArray API computed by Tangent (oneDNN and Tangent's kernels on
 * the CPU), with forward- and reverse-mode differentiation underneath.
 *
 * <p>Its rank ({@value #RANK}) is above PyTorch's (2), so with both on the class path PyTorch stays
 * DJL's default engine; choose Tangent with {@code NDManager.newBaseManager("Tangent")},
 * {@code Model.newInstance(name, "Tangent")}, {@code Criteria.optEngine("Tangent")} or
 * {@code -Dai.djl.default_engine=Tangent}.
 */
public final class TangentEngine extends Engine {
    /** The name DJL knows this engine by. */
    public static final String ENGINE_NAME = "Tangent";
    /** Above PyTorch's 2: PyTorch stays the default when both are present. */
    public static final int RANK = 10;

    private static final TangentEngine INSTANCE = new TangentEngine();

    private TangentEngine() {}

    /** The engine (one per process). */
    public static TangentEngine instance() {
        return INSTANCE;
    }

    @Override
    public Engine getAlternativeEngine() {
        // no automatic hand-off: unimplemented operations are strict (see Fallback)
        return null;
    }

    @Override
    public String getEngineName() {
        return ENGINE_NAME;
    }

    @Override
    public int getRank() {
        return RANK;
    }

    @Override
    public String getVersion() {
        String v = Tangent.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    @Override
    public boolean hasCapability(String capability) {
        return false;
    }

    @Override
    public Device defaultDevice() {
        return Device.cpu();
    }

    @Override
    public int getGpuCount() {
        return 0;
    }

    @Override
    public Model newModel(String name, Device device) {
        return new TgModel(name, device);
    }

    @Override
    public NDManager newBaseManager() {
        return TgNDManager.system().newSubManager();
    }

    @Override
    public NDManager newBaseManager(Device device) {
        return TgNDManager.system().newSubManager(device == null ? Device.cpu() : device);
    }

    /**
     * A gradient collector backed by Tangent's reverse mode, for this thread only (DJL's own are
     * process-wide): operations on this thread record on Tangent's tape until it closes.
     */
    @Override
    public GradientCollector newGradientCollector() {
        return new TgGradientCollector();
    }

    @Override
    public String toString() {
        return ENGINE_NAME + ":" + getVersion() + ", CPU kernels: " + Tangent.cpuKernels();
    }
}
