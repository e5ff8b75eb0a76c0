package dev.tangent.backend.cpu;

import dev.tangent.backend.ThreadBudget;
import dev.tangent.backend.ThreadPlacement;
import dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary;
import java.lang.foreign.MemorySegment;

/**
 * {@link ThreadPlacement} through libtangent_cpu's {@code tangent_cpu_thread_id},
 * {@code tangent_cpu_affinity_get/_set}, {@code tangent_cpu_place_on_current_cpu} and
 * {@code tangent_cpu_wait_policy_begin/_end} (Linux).
 * Installed into {@link ThreadBudget} by the first CPU backend with native kernels, unless
 * {@code -Dtangent.budget.place_wakeups=false}; {@code -Dtangent.budget.batch_wait=true} makes a
 * waiter sleep as SCHED_BATCH.
 */
final class NativeThreadPlacement implements ThreadPlacement {
    /** Whether slot hand-overs place the waiter on the releaser's CPU ({@code tangent.budget.place_wakeups}, default on). */
    static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("tangent.budget.place_wakeups", "true"));
    /**
     * Whether a waiter sleeps as SCHED_BATCH ({@code tangent.budget.batch_wait}, default off: it
     * kept the eager forward's tail down but halved the calls/s at 4 request threads;
     * benchmarks/SERVING.md, "Placed wake-ups").
     */
    static final boolean BATCH_WAIT = Boolean.parseBoolean(System.getProperty("tangent.budget.batch_wait", "false"));
    private static final NativeThreadPlacement INSTANCE = new NativeThreadPlacement();

    private NativeThreadPlacement() {}

    /** Installs the placement into {@link ThreadBudget} (once; a no-op when disabled or the library is absent). */
    static void install() {
        if (ENABLED && NativeKernels.enabled() && ThreadBudget.placement() == null) {
            ThreadBudget.placeWakeups(INSTANCE);
        }
    }

    @Override
    public long maskBytes() {
        return NativeCpuLibrary.affinityBytes();
    }

    @Override
    public int currentThreadId() {
        return NativeCpuLibrary.threadId();
    }

    @Override
    public void saveMask(MemorySegment mask) {
        NativeCpuLibrary.affinityGet(mask);
    }

    @Override
    public void restoreMask(MemorySegment mask) {
        NativeCpuLibrary.affinitySet(mask);
    }

    @Override
    public boolean enterWait() {
        return BATCH_WAIT && NativeCpuLibrary.waitPolicyBegin();
    }

    @Override
    public void exitWait(boolean changed) {
        NativeCpuLibrary.waitPolicyEnd(changed);
    }

    @Override
    public boolean placeOnCurrentCpu(int threadId, MemorySegment allowed) {
        return NativeCpuLibrary.placeOnCurrentCpu(threadId, allowed);
    }
}
