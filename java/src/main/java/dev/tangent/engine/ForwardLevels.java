package dev.tangent.engine;

/**
 * Forward-mode nesting levels, per thread: each jvp in progress owns a level one above the jvp
 * that encloses it, so a jvp inside a jvp never confuses the two tangents.
 */
public final class ForwardLevels {
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private ForwardLevels() {}

    /** Opens the next level on this thread and returns it. */
    public static int enter() {
        return ++DEPTH.get()[0];
    }

    /** Closes {@code level}, which must be the innermost open one. */
    public static void exit(int level) {
        int[] d = DEPTH.get();
        if (d[0] != level) {
            throw new IllegalStateException("forward-mode levels exited out of order: " + level + " vs " + d[0]);
        }
        d[0]--;
    }

    /** The innermost open level of this thread (0: none). */
    public static int current() {
        return DEPTH.get()[0];
    }
}
