package dev.tangent.backend;

import java.lang.foreign.MemorySegment;

/**
 * Where a thread woken for a core slot runs ({@link ThreadBudget}). When a slot is handed over,
 * the releasing thread restricts the waiter it wakes to the CPU it is running on itself, so the
 * scheduler does not queue the waiter behind the other busy core (benchmarks/SERVING.md, "Placed
 * wake-ups"); the waiter, once running, puts back the CPU mask it saved before it slept. A
 * placement may also have the waiter sleep under a batch policy ({@link #enterWait}), so its
 * wake-up does not preempt the releaser on that CPU (the CPU backend's does only with {@code
 * -Dtangent.budget.batch_wait=true}). The CPU
 * backend installs one ({@link ThreadBudget#placeWakeups}) where its native library can (Linux);
 * without one the operating system places the waiter. The mask a waiter puts back is the one it
 * had when it parked: a change another thread makes to it meanwhile is overwritten. Implementations
 * are thread-safe; each method acts on the calling thread unless it names another.
 */
public interface ThreadPlacement {
    /** Bytes of a saved CPU mask. */
    long maskBytes();

    /** The calling thread's kernel thread id. */
    int currentThreadId();

    /** Saves the calling thread's CPU mask into {@code mask} ({@link #maskBytes()} bytes); throws if the OS refuses. */
    void saveMask(MemorySegment mask);

    /** Sets the calling thread's CPU mask from {@code mask}; throws if the OS refuses. */
    void restoreMask(MemorySegment mask);

    /**
     * Before the calling thread sleeps: a scheduling policy whose wake-up does not preempt the
     * running thread (Linux: SCHED_BATCH in place of SCHED_OTHER), or nothing; returns whether it
     * changed anything (a thread under another policy is left alone). Throws if the OS refuses.
     */
    boolean enterWait();

    /** After the calling thread woke: undoes {@link #enterWait} when it {@code changed} something. */
    void exitWait(boolean changed);

    /**
     * Restricts thread {@code threadId} to the CPU the caller runs on now, unless that CPU is not in
     * {@code allowed} (the thread's own mask, as {@link #saveMask} saved it: an application's own
     * pinning is respected); false when it did nothing or the OS refused (the waiter then wakes
     * wherever the scheduler puts it).
     */
    boolean placeOnCurrentCpu(int threadId, MemorySegment allowed);
}
