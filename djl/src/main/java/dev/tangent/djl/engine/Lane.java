package dev.tangent.djl.engine;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The memory of one operation's result: a Tangent {@link Scope} opened on the thread that ran the
 * operation, holding that result's storage, and closed when the last array using it (the result
 * and any view of it) is closed.
 *
 * <p>This is how DJL's rules (closing an array or its manager frees its memory at once, from any
 * thread) are mapped onto Tangent's (a scope belongs to the thread that opened it, and only that
 * thread may close it). A lane counts the arrays that use it. When the count drops to zero on the
 * lane's own thread the scope closes at once; on another thread the lane is queued on its home
 * thread, which closes it at its next engine call ({@link Home#drain()}). Either way the arrays are
 * unusable at once (they throw {@link IllegalStateException}).
 */
final class Lane {
    private final Scope scope;
    private final Home home;
    private final AtomicInteger refs = new AtomicInteger(1);

    private Lane(Scope scope, Home home) {
        this.scope = scope;
        this.home = home;
    }

    /**
     * A new lane on this thread holding {@code t}'s storage (moved out of the scope it was made in,
     * which must be one of this thread's). The caller holds the one reference.
     */
    static Lane adopt(Tensor t) {
        Lane lane = new Lane(Scope.open(), Home.current());
        lane.scope.adopt(t);
        return lane;
    }

    /**
     * A new lane on this thread that is itself the scope every tensor made from now on (on this
     * thread, until another scope opens) belongs to: for computations whose intermediates must live
     * as long as the result (a graph kept for differentiation).
     */
    static Lane openCurrent() {
        return new Lane(Scope.open(), Home.current());
    }

    /** One more array uses this lane. */
    Lane retain() {
        int n;
        do {
            n = refs.get();
            if (n <= 0) {
                throw new IllegalStateException("Tangent engine: the array's memory was already freed");
            }
        } while (!refs.compareAndSet(n, n + 1));
        return this;
    }

    /** One array less; the last one frees the memory (now on the home thread, else at its next call). */
    void release() {
        if (refs.decrementAndGet() == 0) {
            if (home.isCurrentThread()) {
                scope.close();
            } else {
                home.defer(this);
            }
        }
    }

    /** Closes the scope; only on the home thread. */
    void closeNow() {
        scope.close();
    }

    /** The thread this lane's memory belongs to. */
    Home home() {
        return home;
    }
}
