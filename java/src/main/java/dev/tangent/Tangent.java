package dev.tangent;

import dev.tangent.backend.Backends;
import dev.tangent.backend.NativeMemory;

/**
 * Process-wide settings and facts: the CPU kernels' thread count and which kernels are in use.
 */
public final class Tangent {
    private Tangent() {}

    /**
     * Threads each native CPU kernel may use (oneDNN's OpenMP team per calling thread); Java
     * kernels run on the calling thread. Default: {@code tangent.num_threads} / {@code
     * TANGENT_NUM_THREADS}, else the number of processors.
     */
    public static void setNumThreads(int n) {
        Backends.numThreads(n);
    }

    /** The current CPU kernel thread count. */
    public static int numThreads() {
        return Backends.numThreads();
    }

    /**
     * Bytes of host memory Tangent holds for tensors right now (its own accounting of native
     * allocations; freed tensors are subtracted as their memory is released).
     */
    public static long liveBytes() {
        return NativeMemory.liveBytes();
    }

    /** A one-line description of the CPU kernels in use, e.g. {@code oneDNN 3.x} or {@code Java (reason)}. */
    public static String cpuKernels() {
        return Backends.cpuKernels();
    }
}
