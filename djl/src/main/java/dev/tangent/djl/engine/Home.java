package dev.tangent.djl.engine;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the Tangent engine keeps per thread: lanes other threads released (closed here, at this
 * thread's next engine call), how deep this thread is inside {@code DjlFunctional} (where Tangent's
 * own scopes manage memory and the engine only wraps tensors), and the gradient collector open on
 * this thread (DJL's collectors are process-global; the Tangent engine's are per thread).
 */
public final class Home {
    private static final ThreadLocal<Home> CURRENT = ThreadLocal.withInitial(Home::new);

    private final Thread thread = Thread.currentThread();
    private final ConcurrentLinkedQueue<Lane> pending = new ConcurrentLinkedQueue<>();
    private int functional;
    private TgGradientCollector collector;

    private Home() {}

    /** This thread's state. */
    public static Home current() {
        return CURRENT.get();
    }

    boolean isCurrentThread() {
        return thread == Thread.currentThread();
    }

    void defer(Lane lane) {
        pending.add(lane);
    }

    /** Closes the lanes other threads released since the last call; on this thread only. */
    void drain() {
        if (!pending.isEmpty()) {
            Lane l;
            while ((l = pending.poll()) != null) {
                l.closeNow();
            }
        }
    }

    /** Number of lanes released by other threads and not yet closed here (for tests). */
    int pendingCount() {
        return pending.size();
    }

    /**
     * Enters functional mode on this thread: until the matching {@link #exitFunctional()}, engine
     * operations only wrap Tangent tensors (no lanes, no change of Tangent's grad mode), so that
     * tangents and the tape flow through a DJL block as through Tangent code. Used by
     * {@code DjlFunctional} and compiled plans.
     */
    public void enterFunctional() {
        drain();
        functional++;
    }

    /** Leaves functional mode (see {@link #enterFunctional()}). */
    public void exitFunctional() {
        if (functional == 0) {
            throw new IllegalStateException("Tangent engine: exitFunctional without enterFunctional");
        }
        functional--;
    }

    /** True inside {@code DjlFunctional} (or a plan) on this thread. */
    public boolean isFunctional() {
        return functional > 0;
    }

    TgGradientCollector collector() {
        return collector;
    }

    void collector(TgGradientCollector c) {
        this.collector = c;
    }
}
