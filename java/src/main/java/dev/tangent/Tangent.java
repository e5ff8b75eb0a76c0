package dev.tangent;

import dev.tangent.backend.Backends;
import dev.tangent.backend.cpu.CpuAccelerator;

/**
 * Process-wide settings and facts: the CPU kernels' thread count and which kernels are in use.
 */
public final class Tangent {
    private static volatile int numThreads = defaultThreads();

    private Tangent() {}

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
     * Threads each native CPU kernel may use (oneDNN's OpenMP team per calling thread); Java
     * kernels run on the calling thread. Default: {@code tangent.num_threads} / {@code
     * TANGENT_NUM_THREADS}, else the number of processors.
     */
    public static void setNumThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("setNumThreads: expected a positive number of threads, got " + n);
        }
        numThreads = n;
    }

    /** The current CPU kernel thread count. */
    public static int numThreads() {
        return numThreads;
    }

    /** A one-line description of the CPU kernels in use, e.g. {@code oneDNN 3.x} or {@code Java (reason)}. */
    public static String cpuKernels() {
        CpuAccelerator a = Backends.cpu().accelerator();
        return a == null ? "Java kernels (no native accelerator: " + Backends.cpuAcceleratorStatus() + ")"
                : a.description();
    }
}
