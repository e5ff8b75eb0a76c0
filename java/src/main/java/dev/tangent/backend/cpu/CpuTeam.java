package dev.tangent.backend.cpu;

import dev.tangent.backend.ThreadBudget;
import dev.tangent.backend.WorkerPool;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits one call of Tangent's own native kernels (libtangent_cpu: element-wise, binary, sum) over
 * the team {@link dev.tangent.backend.ThreadBudget} granted the kernel. The range is cut into
 * chunks of {@link #CHUNK} elements that the calling thread and up to team - 1 helpers (threads
 * of the process's {@link WorkerPool}) take in turn from a shared counter, so a
 * helper that is late (its core busy with another process, or just waking up) takes fewer chunks
 * or none, and the call is never much slower than on the calling thread alone; the call returns
 * once every chunk taken has ended (a helper that starts after that finds none and touches no
 * memory). The native kernels run on the threads that call them (no OpenMP inside); oneDNN's
 * kernels keep their own OpenMP team. Helpers of a kernel whose team runs on borrowed cores
 * ({@link ThreadBudget#enterBorrowing}) stop taking chunks as soon as no core slot is free: the
 * caller then takes the rest; after such a job a helper watches the idle core briefly for the next
 * one ({@link #WATCH_NANOS}).
 */
final class CpuTeam {
    /** Elements a chunk: 64 K (a float32 sin of them ~40 µs, more than a helper's wake-up). */
    static final long CHUNK = Long.getLong("tangent.cpu.native.chunk", 1L << 16);

    /** The work of elements {@code [from, to)}. */
    @FunctionalInterface
    interface Range {
        void run(long from, long to);
    }

    private static final LongAdder SPLIT = new LongAdder();

    /**
     * How long a borrowed helper watches for the next job: 400 µs ({@code tangent.cpu.helper_watch_us}),
     * long enough to bridge one request thread's gap between calls as well as between layers (at
     * 100 µs the eager batch-1 jvp's p99 was ~30 % higher: benchmarks/SERVING.md, "Watching 400 µs
     * instead of 100").
     */
    static final long WATCH_NANOS = Long.getLong("tangent.cpu.helper_watch_us", 400L) * 1000;
    /** Helpers watching for a borrowed job right now. */
    private static final AtomicInteger SPINNERS = new AtomicInteger();
    /** The next borrowed job, for a watching helper to take. */
    private static final AtomicReference<Job> HANDOFF = new AtomicReference<>();

    private CpuTeam() {}

    /** Calls split over a team so far, process-wide (a test's proof that a kernel was split). */
    static long splitCalls() {
        return SPLIT.sum();
    }

    /**
     * Runs {@code body} over {@code [0, n)}: on the calling thread alone when {@code team} is 1 or
     * n is at most two chunks, else in chunks of {@code chunk} elements (a multiple of the caller's
     * alignment) shared with up to {@code team - 1} helpers. Rethrows the first failure once every
     * chunk taken has ended.
     */
    static void forRange(int team, long n, long chunk, Range body) {
        long chunks = (n + chunk - 1) / chunk;
        if (team <= 1 || chunks <= 2) {
            body.run(0, n);
            return;
        }
        SPLIT.increment();
        Job job = new Job(n, chunk, (int) Math.min(chunks, Integer.MAX_VALUE), body, Thread.currentThread(),
                ThreadBudget.borrowedTeam());
        ExecutorService ex = WorkerPool.get();
        int helpers = (int) Math.min(team - 1, chunks - 1);
        for (int h = 0; h < helpers; h++) {
            if (job.borrowed) {
                // a helper still watching the idle core takes it without a wake-up
                if (!(SPINNERS.get() > 0 && HANDOFF.compareAndSet(null, job))) {
                    ex.execute(() -> helpBorrowed(job));
                }
            } else {
                ex.execute(job::work);
            }
        }
        job.work();
        job.awaitTaken();
        Throwable failure = job.failure.get();
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    /**
     * A borrowed helper's task: the job, then, while the core stays idle, up to {@link #WATCH_NANOS}
     * watching for the next borrowed job ({@link #HANDOFF}) so that the next kernel of the same call
     * (a batch-1 model's next layer, tens of µs later) needs no wake-up. A job left in the hand-off
     * after the watch ends is harmless: its caller takes every chunk nobody took, and a later helper
     * that finds it finds no chunk left.
     */
    private static void helpBorrowed(Job job) {
        job.work();
        SPINNERS.incrementAndGet();
        try {
            long t0 = System.nanoTime();
            while (System.nanoTime() - t0 < WATCH_NANOS && ThreadBudget.coreIdle()) {
                Job next = HANDOFF.getAndSet(null);
                if (next != null) {
                    next.work();
                    t0 = System.nanoTime();
                } else {
                    Thread.onSpinWait();
                }
            }
        } finally {
            SPINNERS.decrementAndGet();
        }
        Job left = HANDOFF.getAndSet(null);
        if (left != null) {
            left.work();
        }
    }

    /** One split call: the chunk counter, the chunks ended, the first failure. */
    private static final class Job {
        final long n;
        final long chunk;
        final int chunks;
        final Range body;
        final Thread caller;
        /** Helpers on borrowed cores: they stop taking chunks once no core slot is free. */
        final boolean borrowed;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger ended = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(long n, long chunk, int chunks, Range body, Thread caller, boolean borrowed) {
            this.borrowed = borrowed;
            this.n = n;
            this.chunk = chunk;
            this.chunks = chunks;
            this.body = body;
            this.caller = caller;
        }

        void work() {
            boolean helper = Thread.currentThread() != caller;
            int c;
            while (!(borrowed && helper && !ThreadBudget.coreIdle()) && (c = next.getAndIncrement()) < chunks) {
                try {
                    if (failure.get() == null) {
                        long from = c * chunk;
                        body.run(from, Math.min(n, from + chunk));
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    if (ended.incrementAndGet() == chunks && helper) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }

        /** Waits (spinning briefly, then parked) until every chunk has ended. */
        void awaitTaken() {
            for (int spins = 0; ended.get() < chunks; spins++) {
                if (spins < 2000) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 50_000);
                }
            }
        }
    }
}
