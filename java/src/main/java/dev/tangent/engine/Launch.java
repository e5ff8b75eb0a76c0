package dev.tangent.engine;

import dev.tangent.backend.Operand;

/**
 * Runs one kernel: holds the storages it reads for the duration ({@code acquire} / {@code release},
 * so a scope closed by another thread meanwhile cannot free memory under it),
 * then tells the listener of this thread, if any (a recording: {@code dev.tangent.autograd.Recording}),
 * with an {@link Elementwise} description where the kernel is element-wise (or a full sum).
 */
public final class Launch {
    private static final ThreadLocal<Listener> LISTENER = new ThreadLocal<>();

    /** Told of every kernel this thread launches while installed ({@link #listen}). */
    public interface Listener {
        void launched(Runnable kernel, Operand[] reads, Operand[] writes);

        /**
         * As {@link #launched(Runnable, Operand[], Operand[])}, with what an element-wise kernel
         * computes ({@code null} for other kernels); by default that is dropped.
         */
        default void launched(Runnable kernel, Operand[] reads, Operand[] writes, Elementwise what) {
            launched(kernel, reads, writes);
        }
    }

    private Launch() {}

    /**
     * Runs {@code kernel}, which reads {@code reads} and writes {@code writes}; {@code op} names
     * the operation in the exception thrown when an operand's storage is already closed.
     */
    public static void run(String op, Runnable kernel, Operand[] reads, Operand[] writes) {
        run(op, kernel, reads, writes, null);
    }

    /** True when this thread has a listener: only then is an {@link Elementwise} description worth making. */
    public static boolean listening() {
        return LISTENER.get() != null;
    }

    /**
     * Runs a fused kernel that may decline its operands (returns false, writing nothing): the
     * listener is told only when it ran, so a recording keeps the kernels that replace it instead.
     * The recorded kernel throws {@link IllegalStateException} should it decline on a replay.
     */
    static boolean runFused(String op, java.util.function.BooleanSupplier kernel, Operand[] reads, Operand[] writes,
            Elementwise what) {
        boolean[] done = new boolean[1];
        hold(op, () -> done[0] = kernel.getAsBoolean(), reads);
        Listener l = LISTENER.get();
        if (done[0] && l != null) {
            l.launched(() -> {
                if (!kernel.getAsBoolean()) {
                    throw new IllegalStateException(op + ": a fused kernel recorded in a plan declined its operands"
                            + " on replay (nothing written); was the CPU configuration changed since?");
                }
            }, reads, writes, what);
        }
        return done[0];
    }

    /** {@link #run(String, Runnable, Operand[], Operand[])} with the kernel's element-wise description (or null). */
    static void run(String op, Runnable kernel, Operand[] reads, Operand[] writes, Elementwise what) {
        hold(op, kernel, reads);
        Listener l = LISTENER.get();
        if (l != null) {
            l.launched(kernel, reads, writes, what);
        }
    }

    /** Runs {@code kernel} holding the storages of {@code reads} that another thread could close; tells no listener. */
    static void hold(String op, Runnable kernel, Operand[] reads) {
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
            if (KernelProfile.ENABLED) {
                long t0 = System.nanoTime();
                kernel.run();
                KernelProfile.add(op, System.nanoTime() - t0);
            } else {
                kernel.run();
            }
        } finally {
            for (int r = 0; held != 0; r++, held >>>= 1) {
                if ((held & 1) != 0) {
                    reads[r].storage().release();
                }
            }
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

    /**
     * Tells this thread's listener what the kernel just launched computes, when the listener takes
     * such descriptions ({@link KernelInfo.Sink}: a recording, for {@link EpilogueFusion}).
     */
    static void describe(KernelInfo info) {
        if (LISTENER.get() instanceof KernelInfo.Sink s) {
            s.described(info);
        }
    }

    /** Whether {@link #describe} would tell anyone (so callers make no description for nobody). */
    static boolean describing() {
        return LISTENER.get() instanceof KernelInfo.Sink;
    }
}
