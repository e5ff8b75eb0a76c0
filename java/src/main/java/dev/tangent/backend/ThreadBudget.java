package dev.tangent.backend;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many threads a CPU kernel may use, decided per kernel, and a process-wide budget of cores
 * shared by every thread that computes.
 *
 * <ul>
 *   <li><b>By size</b>: a kernel gets one thread per grain of work ({@link #MATMUL_GRAIN}
 *       multiply-adds, {@link #ELTWISE_GRAIN} elements), at least one, at most
 *       {@link Backends#numThreads()}: work too small to pay for waking a second thread runs on the
 *       calling thread alone (like PyTorch's grain sizes).
 *   <li><b>By budget</b>: the process holds one slot per core. A kernel of at least a gate's worth
 *       of work ({@link #MATMUL_GATE}, {@link #ELTWISE_GATE}) takes a slot before it runs, waiting
 *       in arrival order when all are taken, and adds more slots for its team only when they are
 *       free and nobody waits. So however many application threads call Tangent at once, at most
 *       one thread per core computes a sizeable kernel: the others wait their turn instead of
 *       preempting each other (which costs throughput and, worse, turns a call of 0.2 ms into one
 *       of tens of ms whenever the scheduler parks it mid-kernel). Kernels below the gate run at
 *       once on the calling thread (a few µs; waiting would cost more). A call of many kernels
 *       with no user code between them (a compiled plan's replay) takes one slot for all of them
 *       instead ({@link #enterCall}).
 * </ul>
 * A thread count set explicitly ({@code tangent.num_threads}, {@code TANGENT_NUM_THREADS},
 * {@code Tangent.setNumThreads}) is used as is for every kernel instead, without slots.
 *
 * <p>Grains are measured on the build machine; see README "Threads and serving" for the command.
 * Properties {@code tangent.grain.matmul} (multiply-adds), {@code tangent.grain.eltwise} (elements),
 * {@code tangent.gate.matmul}, {@code tangent.gate.eltwise} override them; {@code
 * tangent.budget.slots} sets the number of slots (default: the processors; {@code 0} turns the
 * budget off, leaving only the split by size and by the number of kernels running); {@code
 * tangent.budget.per_call=false} makes {@link #enterCall} take nothing (a slot per kernel again);
 * {@code tangent.budget.spin_us} (default 0) makes a thread waiting for a slot yield its core for up
 * to that many microseconds before it parks ({@link CoreSlots}; benchmarks/SERVING.md has the
 * trade-off). A thread woken for a slot is first placed on the releasing thread's CPU where the
 * CPU backend installed a {@link ThreadPlacement} ({@link #placeWakeups}; {@code
 * tangent.budget.place_wakeups=false} turns that off).
 */
public final class ThreadBudget {
    /**
     * Multiply-adds per thread below which a matmul or convolution is not split: 4 M, so a second
     * thread joins from 8 M (GrainProbe on the quiet 2-core build machine, two runs, load average
     * 0.9-1.2: [m,1024]x[1024,1024] gained 1.25-1.32x at m = 8 (8 M), 1.45-1.78x from m = 16 up,
     * 0.94-1.06x at m = 4; square products lost below 256^3 (17 M: 0.96-0.98x) and gained from 320^3;
     * a batch-1 784x1024 layer, 0.8 M, stays on the calling thread).
     */
    public static final long MATMUL_GRAIN = Long.getLong("tangent.grain.matmul", 1L << 22);
    /**
     * Elements per thread below which an element-wise, reduction or softmax kernel is not split: 2 M,
     * so a second thread joins from 4 M (GrainProbe, same runs: at 1 M elements tanh gained 1.18x but
     * add 0.96-1.27x, at 4 M tanh 1.68x and add 0.99-1.55x; and the element-wise benchmark at 1 M
     * elements ran slower on 2 threads than on 1: 1,860 against 1,595 us, before Tangent's own
     * kernels took its ops; those use {@link #NATIVE_ELTWISE_GRAIN}).
     */
    public static final long ELTWISE_GRAIN = Long.getLong("tangent.grain.eltwise", 1L << 21);
    /**
     * Elements per thread below which Tangent's own element-wise, binary and sum kernels
     * (libtangent_cpu, contiguous float operands) are not split: 256 K, so a second thread joins
     * from 512 K. They split into 64 K-element chunks that the threads take in turn (a helper that
     * wakes late takes fewer), unlike oneDNN's static OpenMP split, so they pay for a second thread
     * at sizes where oneDNN's kernels do not (see README "Threads and serving"). Measured with
     * ElementwiseProbe (benchmarks; {@code taskset -c 0,1}, 7 rounds, medians, 2 cores otherwise
     * idle): the eager {@code (x.sin()*x.exp()).sum()} at 512 K elements 492 us on 1 thread, 360 on
     * 2; at 256 K 208 and 205 (the helper wakes too late to take one of the 4 chunks: no loss); at
     * 1 M (JMH) 1,227 and 649.
     */
    public static final long NATIVE_ELTWISE_GRAIN = Long.getLong("tangent.grain.native_eltwise", 1L << 18);
    /**
     * Multiply-adds per thread below which Tangent's native batch-1 GEMV (a linear layer or matmul
     * of one float32 row) is not split over output columns: 256 K, so a 784x1024 layer (0.8 M; its
     * jvp, W streamed once for primal and tangent, 1.6 M) takes a second thread — on a borrowed
     * core only ({@link #enterBorrowing}). It streams W from memory, so a helper pays where a
     * compute-bound GEMM's does not; its chunks are taken in turn ({@code CpuTeam}), so a helper
     * that wakes late costs little. ServingLoad at one request thread, the batch-1 MLP forward:
     * 5,178 and 5,661 calls/s at 256 K against 4,088 and 4,622 at 512 K (only the 1024x1024 layer
     * split) and 4,162 and 3,832 unsplit (benchmarks/SERVING.md, "Borrowed cores").
     */
    public static final long NATIVE_GEMV_GRAIN = Long.getLong("tangent.grain.gemv", 1L << 18);
    /** Multiply-adds from which a matmul or convolution takes a core slot (a batch-1 784x1024 GEMV: 0.8 M). */
    public static final long MATMUL_GATE = Long.getLong("tangent.gate.matmul", 1L << 18);
    /** Elements from which an element-wise, reduction or softmax kernel takes a core slot. */
    public static final long ELTWISE_GATE = Long.getLong("tangent.gate.eltwise", 1L << 15);

    private static final int CORES = Runtime.getRuntime().availableProcessors();
    /** Core slots (0: no budget). */
    static final int SLOT_COUNT = Math.max(0, Integer.getInteger("tangent.budget.slots", CORES));
    /** How long a thread waiting for a slot yields its core before it parks ({@code tangent.budget.spin_us}). */
    static final long SPIN_NANOS = Math.max(0, Long.getLong("tangent.budget.spin_us", 0L)) * 1000;
    private static final CoreSlots SLOTS = new CoreSlots(SLOT_COUNT, SPIN_NANOS);
    private static final AtomicInteger RUNNING = new AtomicInteger();
    /**
     * How long the other threads must have taken no core slot before a kernel borrows the free ones
     * ({@link #enterBorrowing}): 1 ms ({@code tangent.budget.borrow_quiet_us}).
     */
    static final long BORROW_QUIET_NANOS = Long.getLong("tangent.budget.borrow_quiet_us", 1000L) * 1000;
    /**
     * The thread that last took a slot and when, and when a different thread last took one before
     * it (for {@link #quiet()}; updated without a lock: a heuristic).
     */
    private static volatile Thread lastTaker;
    private static volatile long lastTake = System.nanoTime() - (1L << 40);
    private static volatile long takeBefore = lastTake;
    private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);
    private static final LongAdder SLOTTED = new LongAdder();
    private static final LongAdder WAITS = new LongAdder();
    private static final LongAdder WAIT_NANOS = new LongAdder();
    private static final LongAdder BORROWED = new LongAdder();
    /** Whether {@link #enterCall} takes one slot for a whole call ({@code tangent.budget.per_call}, default on). */
    static final boolean PER_CALL = Boolean.parseBoolean(System.getProperty("tangent.budget.per_call", "true"));

    /** This thread's kernel: team granted, slots held, nesting depth. */
    private static final class State {
        int granted;
        int slots;
        int depth;
        /** While {@link #serial} is on: every kernel gets a team of one. */
        boolean serial;
        /** Whether the kernel's helpers run on borrowed cores ({@link #enterBorrowing}). */
        boolean borrowed;
        /** Nesting depth of {@link #enterCall}. */
        int callDepth;
        /** Whether the outermost {@link #enterCall} holds a slot (its kernels then take none more for themselves). */
        boolean callSlot;
    }

    private ThreadBudget() {}

    /** {@link #enter(long, long, long)} for a matmul or convolution of {@code macs} multiply-adds. */
    public static int enterMatmul(long macs) {
        return enter(macs, MATMUL_GRAIN, MATMUL_GATE);
    }

    /** {@link #enter(long, long, long)} for an element-wise, reduction or pooling kernel of {@code elements}. */
    public static int enterEltwise(long elements) {
        return enter(elements, ELTWISE_GRAIN, ELTWISE_GATE);
    }

    /**
     * Starts a CPU kernel of {@code work} units, {@code grain} units per thread, that takes a core
     * slot from {@code gate} units: returns (and records for {@link #granted()}) the team size it
     * may use, waiting for a slot first when the budget is spent. Pair with {@link #exit()} in a
     * {@code finally}. A kernel started inside another on the same thread gets the outer one's team
     * and takes nothing more.
     */
    public static int enter(long work, long grain, long gate) {
        return enter(work, grain, gate, false);
    }

    /**
     * As {@link #enter(long, long, long)}, except that the team beyond the kernel's first thread
     * borrows idle cores instead of taking their slots: it grows by the slots free right now
     * without holding them, so a thread that arrives meanwhile takes its slot without waiting, and
     * the borrowed helpers stop taking work as soon as no slot is free ({@link #coreIdle()}; a
     * {@code CpuTeam} split checks before each chunk). For kernels whose chunks are short and
     * taken in turn (Tangent's native batch-1 GEMV): at one request thread they get the idle
     * core, under load they never delay another call.
     */
    public static int enterBorrowing(long work, long grain, long gate) {
        return enter(work, grain, gate, true);
    }

    private static int enter(long work, long grain, long gate, boolean borrow) {
        State s = STATE.get();
        if (s.depth++ > 0) {
            return s.serial ? 1 : s.granted;
        }
        int running = RUNNING.incrementAndGet();
        int max = Backends.numThreads();
        int n;
        if (s.serial) {
            n = 1;
        } else if (Backends.threadsFixed()) {
            n = max;
        } else {
            long bySize = Math.max(1, work / Math.max(1, grain));
            int want = (int) Math.min(bySize, max);
            if (s.callSlot || (SLOT_COUNT > 0 && (work >= gate || want > 1))) {
                boolean mayBorrow = borrow && want > 1 && quiet();   // before this thread takes a slot
                // The first thread runs on the call's slot, or on one taken now (waiting in turn).
                int held = 0;
                if (!s.callSlot) {
                    takeSlot();
                    held = 1;
                }
                int team = 1;
                if (borrow) {
                    if (mayBorrow) {
                        team += Math.min(want - 1, SLOTS.available());
                        if (team > 1) {
                            BORROWED.increment();
                        }
                    }
                    s.borrowed = team > 1;
                } else {
                    // a team grows only into free slots
                    while (team < want && tryTakeFree()) {
                        held++;
                        team++;
                    }
                }
                s.slots = held;
                n = team;
            } else {
                n = Math.min(want, Math.max(1, CORES / running));
            }
        }
        s.granted = n;
        return n;
    }

    /** Whether this thread's kernel has helpers on borrowed cores ({@link #enterBorrowing}). */
    public static boolean borrowedTeam() {
        return STATE.get().borrowed;
    }

    /** Whether a core slot is free right now: a borrowed helper keeps working only while one is. */
    public static boolean coreIdle() {
        return SLOTS.available() > 0;
    }

    /**
     * Whether no other thread took a core slot in the last {@link #BORROW_QUIET_NANOS}: only then
     * does a kernel borrow the free cores (a free slot between two calls of another request thread
     * is not idle).
     */
    private static boolean quiet() {
        long othersLast = lastTaker == Thread.currentThread() ? takeBefore : lastTake;
        return System.nanoTime() - othersLast > BORROW_QUIET_NANOS;
    }

    /** Takes one slot, waiting in arrival order when none is free. */
    private static void takeSlot() {
        Thread me = Thread.currentThread();
        long now = System.nanoTime();
        if (lastTaker != me) {
            takeBefore = lastTake;   // the last take by a thread other than me
            lastTaker = me;
        }
        lastTake = now;
        if (!tryTakeFree()) {
            if (SLOTS.acquire()) {
                WAIT_NANOS.add(System.nanoTime() - now);
                WAITS.increment();
            }
        }
        SLOTTED.increment();
    }

    /**
     * Starts a call of many kernels on this thread (a compiled plan's replay): with the adaptive
     * default and the budget on, takes one core slot for the whole call, waiting in arrival order
     * when none is free, and the call's kernels take no slot for their first thread (a kernel that
     * wants a team adds only slots that are free while nobody waits). One wait per call instead of
     * one per sizeable kernel: a batch-1 call's kernels (~100 µs each) then do not hand a core over
     * (and wake the next thread) between each other. Re-entrant; inside a kernel it takes nothing.
     * Pair with {@link #exitCall()} in a {@code finally}. Off with {@code -Dtangent.budget.per_call=false}.
     */
    public static void enterCall() {
        State s = STATE.get();
        if (s.callDepth++ > 0 || s.depth > 0 || !PER_CALL || SLOT_COUNT == 0 || s.serial
                || Backends.threadsFixed()) {
            return;
        }
        takeSlot();
        s.callSlot = true;
    }

    /** Ends the call started by {@link #enterCall}: hands its slot to the next thread waiting. */
    public static void exitCall() {
        State s = STATE.get();
        if (s.callDepth == 0) {
            throw new IllegalStateException("ThreadBudget.exitCall without enterCall");
        }
        if (--s.callDepth > 0) {
            return;
        }
        if (s.callSlot) {
            s.callSlot = false;
            SLOTS.release(1);
        }
    }

    /** Whether this thread is inside {@link #enterCall} holding a call's slot. */
    public static boolean holdsCallSlot() {
        return STATE.get().callSlot;
    }

    /** A free slot if one is free and no thread waits for it (fair: a team never jumps the queue). */
    private static boolean tryTakeFree() {
        return SLOTS.tryAcquire();
    }

    /** Ends the kernel started by {@link #enter}: hands its slots to the threads waiting, in order. */
    public static void exit() {
        State s = STATE.get();
        if (s.depth == 0) {
            throw new IllegalStateException("ThreadBudget.exit without enter");
        }
        if (--s.depth > 0) {
            return;
        }
        RUNNING.decrementAndGet();
        s.granted = 0;
        s.borrowed = false;
        if (s.slots > 0) {
            int held = s.slots;
            s.slots = 0;
            SLOTS.release(held);
        }
    }

    /**
     * The team size for the kernel this thread is running: the fixed count if one was set, else
     * what {@link #enter} granted, else (a kernel called outside {@link #enter}) {@link
     * Backends#numThreads()}; 1 while {@link #serial} is on.
     */
    public static int granted() {
        State st = STATE.get();
        if (st.serial) {
            return 1;
        }
        if (Backends.threadsFixed()) {
            return Backends.numThreads();
        }
        int g = st.granted;
        return g == 0 ? Backends.numThreads() : g;
    }

    /**
     * While on, every kernel this thread runs gets a team of one, whatever the size or a fixed
     * count: for callers that split work into small pieces themselves (a plan's element-wise
     * chains run block by block). Returns the previous setting, to restore.
     */
    public static boolean serial(boolean on) {
        State st = STATE.get();
        boolean prev = st.serial;
        st.serial = on;
        return prev;
    }

    /** Kernels inside {@link #enter}/{@link #exit} right now, over all threads. */
    public static int running() {
        return RUNNING.get();
    }

    /** Core slots free right now (the budget's size when no kernel holds one; 0 when it is off). */
    public static int freeSlots() {
        return SLOTS.available();
    }

    /** Threads waiting for a core slot right now (an estimate, for monitoring and tests). */
    public static int waiting() {
        return SLOTS.waiting();
    }

    /**
     * Counters since start-up, for monitoring: {kernels and calls ({@link #enterCall}) that took a
     * slot, of those the ones that waited for it, total nanoseconds waited, kernels that borrowed
     * idle cores ({@link #enterBorrowing}), waiters woken on the releaser's CPU ({@link #placeWakeups})}.
     */
    public static long[] slotStats() {
        return new long[] {SLOTTED.sum(), WAITS.sum(), WAIT_NANOS.sum(), BORROWED.sum(), SLOTS.placedWakeups()};
    }

    /**
     * Installs where a thread woken for a slot runs: the releasing thread restricts it to its own
     * CPU before waking it, and it puts its own CPU mask back once it runs ({@link ThreadPlacement}).
     * The CPU backend installs its native one on first use ({@code -Dtangent.budget.place_wakeups=false}
     * keeps the operating system's placement); null removes it.
     */
    public static void placeWakeups(ThreadPlacement placement) {
        SLOTS.placement(placement);
    }

    /** The placement installed by {@link #placeWakeups}, or null. */
    public static ThreadPlacement placement() {
        return SLOTS.placement();
    }

    /** The number of core slots ({@code tangent.budget.slots}, default the processors; 0: no budget). */
    public static int slots() {
        return SLOT_COUNT;
    }
}
