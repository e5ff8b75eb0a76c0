package dev.tangent.engine;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A diagnostic: the wall time of every eagerly launched kernel, summed per op name, when the JVM
 * runs with {@code -Dtangent.profile.kernels=true} (off by default: then the launch path reads one
 * constant). It answers "where does a call's time go" by kernel; a compiled plan's replay runs its
 * recorded kernels without this path and is not counted. Counts from every thread; thread-safe.
 */
public final class KernelProfile {
    /** Whether kernels are timed ({@code tangent.profile.kernels}, read once). */
    public static final boolean ENABLED = Boolean.getBoolean("tangent.profile.kernels");
    private static final ConcurrentHashMap<String, LongAdder[]> TIMES = new ConcurrentHashMap<>();

    private KernelProfile() {}

    static void add(String op, long nanos) {
        LongAdder[] a = TIMES.computeIfAbsent(op, k -> new LongAdder[] {new LongAdder(), new LongAdder()});
        a[0].add(nanos);
        a[1].increment();
    }

    /** Per op name: {total nanoseconds, launches} since start-up or the last {@link #reset()}, sorted by name. */
    public static Map<String, long[]> snapshot() {
        Map<String, long[]> m = new TreeMap<>();
        TIMES.forEach((k, v) -> m.put(k, new long[] {v[0].sum(), v[1].sum()}));
        return m;
    }

    /** Forgets what was counted. */
    public static void reset() {
        TIMES.clear();
    }
}
