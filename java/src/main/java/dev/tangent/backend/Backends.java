package dev.tangent.backend;

import dev.tangent.Device;
import dev.tangent.backend.cpu.CpuBackend;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The backend of each device: the CPU always; CUDA devices through
 * {@link dev.tangent.backend.cuda.CudaBackend} when CUDA is available (or a registered provider).
 */
public final class Backends {
    private static final CpuBackend CPU = new CpuBackend();
    private static volatile String cpuAcceleratorStatus = "none installed";
    private static final Map<Device, Backend> OTHERS = new ConcurrentHashMap<>();
    private static volatile Function<Device, Backend> cudaProvider;

    private Backends() {}

    /** The backend for {@code device}; throws naming the reason when the device cannot be used. */
    public static Backend of(Device device) {
        if (device.isCpu()) {
            return CPU;
        }
        Backend b = OTHERS.get(device);
        if (b != null) {
            return b;
        }
        Function<Device, Backend> p = cudaProvider;
        if (p == null) {
            // The built-in CUDA backend; it throws naming the reason when CUDA is unavailable.
            p = dev.tangent.backend.cuda.CudaBackend::forDevice;
        }
        return OTHERS.computeIfAbsent(device, p);
    }

    /** The CPU backend. */
    public static CpuBackend cpu() {
        return CPU;
    }

    /** Why the CPU runs without a native accelerator (or how it got one). */
    public static String cpuAcceleratorStatus() {
        return cpuAcceleratorStatus;
    }

    /** Records the accelerator's load status (used by the oneDNN loader). */
    public static void cpuAcceleratorStatus(String status) {
        cpuAcceleratorStatus = status;
    }

    /** Installs the factory that makes a backend per CUDA device. */
    public static void cudaProvider(Function<Device, Backend> provider) {
        cudaProvider = provider;
    }
}
