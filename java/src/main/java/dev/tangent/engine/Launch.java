package dev.tangent.engine;

import dev.tangent.backend.Operand;

/**
 * Runs one kernel: holds the storages of its operands for the duration ({@code acquire} /
 * {@code release}, so a scope closed by another thread meanwhile cannot free memory under it),
 * then tells the listener of this thread, if any (a recording: {@code dev.tangent.autograd.Recording}).
 */
public final class Launch {
    private static final ThreadLocal<Listener> LISTENER = new ThreadLocal<>();

    /** Told of every kernel this thread launches while installed ({@link #listen}). */
    public interface Listener {
        void launched(Runnable kernel, Operand[] reads, Operand[] writes);
    }

    private Launch() {}

    /**
     * Runs {@code kernel}, which reads {@code reads} and writes {@code writes}; {@code op} names
     * the operation in the exception thrown when an operand's storage is already closed.
     */
    public static void run(String op, Runnable kernel, Operand[] reads, Operand[] writes) {
        int r = 0;
        int w = 0;
        try {
            for (; r < reads.length; r++) {
                reads[r].storage().acquire(op);
            }
            for (; w < writes.length; w++) {
                writes[w].storage().acquire(op);
            }
            kernel.run();
        } finally {
            for (int i = 0; i < r; i++) {
                reads[i].storage().release();
            }
            for (int i = 0; i < w; i++) {
                writes[i].storage().release();
            }
        }
        Listener l = LISTENER.get();
        if (l != null) {
            l.launched(kernel, reads, writes);
        }
    }

    /** Shorthand for a kernel with one input and one output. */
    public static void run(String op, Runnable kernel, Operand in, Operand out) {
        run(op, kernel, new Operand[] {in}, new Operand[] {out});
    }

    /** Installs (non-null) or removes (null) this thread's listener; returns the previous one. */
    public static Listener listen(Listener l) {
        Listener prev = LISTENER.get();
        if (l == null) {
            LISTENER.remove();
        } else {
            LISTENER.set(l);
        }
        return prev;
    }
}
