package dev.tangent;

import dev.tangent.backend.Backends;
import dev.tangent.backend.NativeMemory;

/**
 * Process-wide settings and facts: the CPU kernels' thread count and which kernels are in use.
 */
public final class Tangent {
    private Tangent() {}

    /**
     * Fixes the number of threads every native CPU kernel uses (oneDNN's OpenMP team per calling
     * thread; Java kernels always run on the calling thread), like {@code torch.set_num_threads}.
     * Setting {@code tangent.num_threads} or {@code TANGENT_NUM_THREADS} does the same at start-up.
     *
     * <p>Without an explicit count Tangent is adaptive (see {@link #adaptiveThreads()}).
     *
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public static void setNumThreads(int n) {
        Backends.numThreads(n);
    }

    /**
     * Returns to the default, adaptive threading: each native kernel uses up to the number of
     * processors, fewer when it is too small to gain from more threads (below a measured grain of
     * work per thread) and never more than its share of the cores among the kernels running at
     * that moment, so several threads calling Tangent at once do not oversubscribe the machine.
     * Safe to call from any thread; affects kernels started afterwards.
     */
    public static void adaptiveThreads() {
        Backends.adaptiveThreads();
    }

    /**
     * The most threads one CPU kernel may use: the fixed count if one was set, else the number of
     * processors (each kernel's actual team may be smaller, see {@link #adaptiveThreads()}).
     */
    public static int numThreads() {
        return Backends.numThreads();
    }

    /** True when the thread count was fixed by {@link #setNumThreads}, the property or the environment. */
    public static boolean threadsFixed() {
        return Backends.threadsFixed();
    }

    /**
     * Bytes of host memory Tangent holds for tensors right now (its own accounting of native
     * allocations; freed tensors are subtracted as their memory is released).
     */
    public static long liveBytes() {
        return NativeMemory.liveBytes();
    }

    /**
     * Bytes of freed host blocks Tangent keeps for reuse (blocks of 256 KiB and more, up to
     * {@code tangent.host_cache_mb} MiB, default 512, 0 turns the cache off; not counted in
     * {@link #liveBytes()}). Reusing them spares each call the page faults of fresh memory.
     */
    public static long cachedBytes() {
        return NativeMemory.cachedBytes();
    }

    /**
     * Returns the cached free host blocks to the C allocator, like {@code torch.cuda.empty_cache()}
     * does for PyTorch's GPU cache; memory held by live tensors is untouched. Thread-safe.
     */
    public static void releaseCachedMemory() {
        NativeMemory.releaseCached();
    }

    /** A one-line description of the CPU kernels in use, e.g. {@code oneDNN 3.x} or {@code Java (reason)}. */
    public static String cpuKernels() {
        return Backends.cpuKernels();
    }
}
