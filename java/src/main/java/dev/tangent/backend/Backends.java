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
    private static volatile String cpuAcceleratorStatus = "none installed";
    private static final CpuBackend CPU = new CpuBackend(cpuAccelerator());
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

    /**
     * oneDNN for float32 CPU work unless disabled ({@code -Dtangent.dnnl=false}) or not loadable; then
     * the Java kernels do everything, and the reason is logged once and kept in
     * {@link #cpuAcceleratorStatus()}.
     */
    private static dev.tangent.backend.cpu.CpuAccelerator cpuAccelerator() {
        if (!Boolean.parseBoolean(System.getProperty("tangent.dnnl", "true"))) {
            cpuAcceleratorStatus = "disabled by -Dtangent.dnnl=false";
            return null;
        }
        try {
            if (!dev.tangent.backend.cpu.dnnl.DnnlLibrary.isAvailable()) {
                cpuAcceleratorStatus = dev.tangent.backend.cpu.dnnl.DnnlLibrary.unavailableReason().orElse("unavailable");
                return null;
            }
            var acc = new dev.tangent.backend.cpu.dnnl.DnnlAccelerator(
                    Integer.getInteger("tangent.dnnl.cache_capacity", 1024));
            // oneDNN's OpenMP build sizes each calling thread's team from that thread's setting.
            acc.threadCount(dev.tangent.bindings.omp.omp_h::omp_set_num_threads);
            cpuAcceleratorStatus = "active: " + acc.description();
            return acc;
        } catch (RuntimeException | LinkageError e) {
            cpuAcceleratorStatus = "oneDNN failed to start: " + e;
            System.getLogger("dev.tangent").log(System.Logger.Level.WARNING,
                    "Tangent: oneDNN failed to start, using the Java kernels: " + e);
            return null;
        }
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
