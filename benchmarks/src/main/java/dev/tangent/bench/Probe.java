package dev.tangent.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where the network code reports each layer call: {@link #NONE} just calls it (the benchmarks);
 * a {@link Timing} probe adds the call's time to its kind (the per-primitive profiler,
 * {@link NnProfile}). Both engines run their CPU ops synchronously, so the time of a call is the
 * time of its kernels plus the engine's own overhead for it.
 */
class Probe {
    static final Probe NONE = new Probe();
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    <T> T at(String kind, Supplier<T> op) {
        return op.get();
    }

    /**
     * Sums nanoseconds and calls per kind, in first-seen order. With {@code cpuTime} the clock is
     * the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID through ThreadMXBean): on a shared
     * machine a wall clock charges whatever op runs next with the time the scheduler gave other
     * processes, the thread's CPU time does not. It is the whole cost only when the engines compute
     * on the calling thread, i.e. at 1 thread (libtorch's intra-op pool and Tangent's OpenMP team of
     * one run in the caller).
     */
    static final class Timing extends Probe {
        final Map<String, long[]> byKind = new LinkedHashMap<>();
        private final boolean cpuTime;

        Timing(boolean cpuTime) {
            this.cpuTime = cpuTime;
        }

        long now() {
            return cpuTime ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
        }

        @Override
        <T> T at(String kind, Supplier<T> op) {
            long t0 = now();
            T r = op.get();
            long dt = now() - t0;
            long[] acc = byKind.computeIfAbsent(kind, k -> new long[2]);
            acc[0] += dt;
            acc[1]++;
            return r;
        }

        void clear() {
            byKind.clear();
        }
    }
}
