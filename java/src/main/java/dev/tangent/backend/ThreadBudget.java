package dev.tangent.backend;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many threads a native CPU kernel may use, decided per kernel: by its size, so work too small
 * to pay for waking a second thread runs on the calling thread alone (like PyTorch's grain
 * sizes); and by a process-wide budget, so that several application threads computing at once
 * never bring more compute threads than there are cores (each kernel gets its share of the cores
 * among the kernels running at that moment). A thread count set explicitly
 * ({@code tangent.num_threads}, {@code TANGENT_NUM_THREADS}, {@code Tangent.setNumThreads}) is used
 * as is for every kernel instead.
 *
 * <p>Grains (work per thread worth a thread) are measured on the build machine; see README
 * "Threads and serving" for the command. Properties {@code tangent.grain.matmul} (multiply-adds)
 * and {@code tangent.grain.eltwise} (elements) override them.
 */
public final class ThreadBudget {
    /** Multiply-adds per thread below which a matmul or convolution is not split. */
    public static final long MATMUL_GRAIN = Long.getLong("tangent.grain.matmul", 1L << 22);
    /** Elements per thread below which an element-wise, reduction or softmax kernel is not split. */
    public static final long ELTWISE_GRAIN = Long.getLong("tangent.grain.eltwise", 1L << 17);

    private static final int CORES = Runtime.getRuntime().availableProcessors();
    private static final AtomicInteger RUNNING = new AtomicInteger();
    /** Per thread: [0] the team {@link #enter} granted, [1] 1 while {@link #serial} is on. */
    private static final ThreadLocal<int[]> GRANTED = ThreadLocal.withInitial(() -> new int[2]);

    private ThreadBudget() {}

    /**
     * Starts a native kernel of {@code work} units, {@code grain} units per thread: returns (and
     * records for {@link #granted()}) the team size it may use. Pair with {@link #exit()}.
     */
    public static int enter(long work, long grain) {
        int running = RUNNING.incrementAndGet();
        int max = Backends.numThreads();
        int[] g = GRANTED.get();
        int n;
        if (g[1] != 0) {
            n = 1;
        } else if (Backends.threadsFixed()) {
            n = max;
        } else {
            long bySize = Math.max(1, work / Math.max(1, grain));
            int share = Math.max(1, CORES / running);
            n = (int) Math.min(Math.min(bySize, max), share);
        }
        g[0] = n;
        return n;
    }

    /** Ends the kernel started by {@link #enter}. */
    public static void exit() {
        RUNNING.decrementAndGet();
        GRANTED.get()[0] = 0;
    }

    /**
     * The team size for the kernel this thread is running: the fixed count if one was set, else
     * what {@link #enter} granted, else (a kernel called outside {@link #enter}) {@link
     * Backends#numThreads()}; 1 while {@link #serial} is on.
     */
    public static int granted() {
        int[] t = GRANTED.get();
        if (t[1] != 0) {
            return 1;
        }
        if (Backends.threadsFixed()) {
            return Backends.numThreads();
        }
        int g = t[0];
        return g == 0 ? Backends.numThreads() : g;
    }

    /**
     * While on, every kernel this thread runs gets a team of one, whatever the size or a fixed
     * count: for callers that split work into small pieces themselves (a plan's element-wise
     * chains run block by block). Returns the previous setting, to restore.
     */
    public static boolean serial(boolean on) {
        int[] t = GRANTED.get();
        boolean prev = t[1] != 0;
        t[1] = on ? 1 : 0;
        return prev;
    }

    /** Kernels inside {@link #enter}/{@link #exit} right now, over all threads. */
    public static int running() {
        return RUNNING.get();
    }
}
