package dev.tangent.engine;

import dev.tangent.backend.Operand;

/**
 * Runs one kernel: holds the storages it reads for the duration ({@code acquire} / {@code release},
 * so a scope closed by another thread meanwhile cannot free memory under it),
 * then tells the listener of this thread, if any (a recording: {@code dev.tangent.autograd.Recording}).
 */
public final class Launch {
    private static final ThreadLocal<Listener> LISTENER = new ThreadLocal<>();

    /** Told of every kernel this thread launches while installed ({@link #listen}). */
    public interface Listener {
        /** {@code info} says what the kernel computes, or is null (an opaque kernel). */
        void launched(Runnable kernel, Operand[] reads, Operand[] writes, KernelInfo info);
    }

    private Launch() {}

    /**
     * Runs {@code kernel}, which reads {@code reads} and writes {@code writes}; {@code op} names
     * the operation in the exception thrown when an operand's storage is already closed.
     */
    public static void run(String op, Runnable kernel, Operand[] reads, Operand[] writes) {
        run(op, kernel, reads, writes, null);
    }

    /** {@link #run(String, Runnable, Operand[], Operand[])} with what the kernel computes, for the listener. */
    public static void run(String op, Runnable kernel, Operand[] reads, Operand[] writes, KernelInfo info) {
        // Writes go to fresh results of this thread: nobody else can close them. Reads of memory a
        // scope of this thread owns cannot be closed by another thread either (keep, adopt and close
        // are the owner thread's); everything else is held for the kernel's duration.
        TensorAccess acc = TensorAccess.get();
        long held = 0;
        try {
            for (int r = 0; r < reads.length; r++) {
                if (!acc.heldByThisThread(reads[r].storage())) {
                    reads[r].storage().acquire(op);
                    held |= 1L << r;
                }
            }
            kernel.run();
        } finally {
            for (int r = 0; held != 0; r++, held >>>= 1) {
                if ((held & 1) != 0) {
                    reads[r].storage().release();
                }
            }
        }
        Listener l = LISTENER.get();
        if (l != null) {
            l.launched(kernel, reads, writes, info);
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
