package dev.tangent.backend;

import dev.tangent.Device;
import dev.tangent.backend.cpu.CpuAccelerator;
import dev.tangent.backend.cpu.CpuBackend;
import dev.tangent.backend.cpu.dnnl.DnnlAccelerator;
import dev.tangent.backend.cpu.dnnl.DnnlLibrary;
import dev.tangent.backend.cuda.CudaBackend;
import dev.tangent.bindings.omp.omp_h;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The backend of each device — the CPU always, CUDA devices through {@link CudaBackend} when CUDA
 * is available (or a registered provider) — and the process-wide CPU kernel thread count.
 */
public final class Backends {
    private static volatile String cpuAcceleratorStatus = "none installed";
    /** tangent.dnnl / TANGENT_DNNL: "true" (default: oneDNN when it loads), "false", or "required". */
    private static final String DNNL_MODE = dnnlMode();
    /** Set when oneDNN is required but did not start: every use of the CPU backend throws with it. */
    private static volatile String requiredButMissing;
    private static volatile boolean threadsFixed = System.getProperty("tangent.num_threads") != null
            || System.getenv("TANGENT_NUM_THREADS") != null;
    private static volatile int numThreads = defaultThreads();
    private static final CpuBackend CPU = new CpuBackend(cpuAccelerator(), true);
    private static final Map<Device, Backend> OTHERS = new ConcurrentHashMap<>();
    private static volatile Function<Device, Backend> cudaProvider;

    private Backends() {}

    /** The backend for {@code device}; throws naming the reason when the device cannot be used. */
    public static Backend of(Device device) {
        if (device.isCpu()) {
            return cpu();
        }
        Backend b = OTHERS.get(device);
        if (b != null) {
            return b;
        }
        Function<Device, Backend> p = cudaProvider;
        if (p == null) {
            // The built-in CUDA backend; it throws naming the reason when CUDA is unavailable.
            p = CudaBackend::forDevice;
        }
        return OTHERS.computeIfAbsent(device, p);
    }

    private static int defaultThreads() {
        String p = System.getProperty("tangent.num_threads", System.getenv("TANGENT_NUM_THREADS"));
        if (p != null) {
            try {
                return Math.max(1, Integer.parseInt(p.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("tangent.num_threads must be a positive integer, got '" + p + "'");
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * The most threads one native CPU kernel may use (oneDNN's OpenMP team per calling thread); each
     * kernel's actual team comes from {@link ThreadBudget} unless the count was set explicitly.
     */
    public static int numThreads() {
        return numThreads;
    }

    /** Sets {@link #numThreads()} (at least 1): from now on every kernel uses exactly that many threads. */
    public static void numThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("setNumThreads: expected a positive number of threads, got " + n);
        }
        numThreads = n;
        threadsFixed = true;
    }

    /** True when the thread count was set explicitly (property, environment or {@link #numThreads(int)}). */
    public static boolean threadsFixed() {
        return threadsFixed;
    }

    /** Back to the adaptive default: up to the number of processors, decided per kernel ({@link ThreadBudget}). */
    public static void adaptiveThreads() {
        numThreads = Runtime.getRuntime().availableProcessors();
        threadsFixed = false;
    }

    /**
     * oneDNN for float32 CPU work unless disabled ({@code -Dtangent.dnnl=false}) or not loadable; then
     * the Java kernels do everything, and the reason is logged once and kept in
     * {@link #cpuAcceleratorStatus()}.
     */
    private static CpuAccelerator cpuAccelerator() {
        if (DNNL_MODE.equals("false")) {
            cpuAcceleratorStatus = "disabled by tangent.dnnl=false";
            return null;
        }
        CpuAccelerator acc = startDnnl();
        if (acc == null && DNNL_MODE.equals("required")) {
            requiredButMissing = "oneDNN is required (tangent.dnnl=required) but did not start: " + cpuAcceleratorStatus;
        }
        return acc;
    }

    private static String dnnlMode() {
        String v = System.getProperty("tangent.dnnl");
        if (v == null) {
            v = System.getenv("TANGENT_DNNL");
        }
        v = v == null ? "true" : v.trim().toLowerCase(java.util.Locale.ROOT);
        if (!v.equals("true") && !v.equals("false") && !v.equals("required")) {
            throw new IllegalArgumentException("tangent.dnnl must be true, false or required, got '" + v + "'");
        }
        return v;
    }

    private static CpuAccelerator startDnnl() {
        try {
            if (!DnnlLibrary.isAvailable()) {
                cpuAcceleratorStatus = DnnlLibrary.unavailableReason().orElse("unavailable");
                return null;
            }
            var acc = new DnnlAccelerator(Integer.getInteger("tangent.dnnl.cache_capacity", 1024));
            // oneDNN's OpenMP build sizes each calling thread's team from that thread's setting.
            acc.threadCount(omp_h::omp_set_num_threads);
            cpuAcceleratorStatus = "active: " + acc.description();
            return acc;
        } catch (RuntimeException | LinkageError e) {
            cpuAcceleratorStatus = "oneDNN failed to start: " + e;
            System.getLogger("dev.tangent").log(System.Logger.Level.WARNING,
                    "Tangent: oneDNN failed to start, using the Java kernels: " + e);
            return null;
        }
    }

    /**
     * The CPU backend. Throws {@link IllegalStateException} with the loader's reason when oneDNN is
     * required ({@code tangent.dnnl=required}) but did not start.
     */
    public static CpuBackend cpu() {
        String missing = requiredButMissing;
        if (missing != null) {
            throw new IllegalStateException(missing);
        }
        return CPU;
    }

    /** A one-line description of the CPU kernels in use, e.g. {@code oneDNN 3.x} or {@code Java (reason)}. */
    public static String cpuKernels() {
        CpuAccelerator a = CPU.accelerator();
        if (requiredButMissing != null) {
            return "none: " + requiredButMissing;
        }
        String own = CPU.nativeKernels() ? "; Tangent's native kernels " + dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary.isa()
                : "";
        return (a == null ? "Java kernels (no native accelerator: " + cpuAcceleratorStatus + ")" : a.description()) + own;
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
