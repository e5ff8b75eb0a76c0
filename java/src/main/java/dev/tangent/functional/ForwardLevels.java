package dev.tangent.functional;

/**
 * Forward-mode nesting levels, per thread: each jvp in progress owns a level one above the jvp
 * that encloses it, so a jvp inside a jvp never confuses the two tangents.
 */
final class ForwardLevels {
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private ForwardLevels() {}

    static int enter() {
        return ++DEPTH.get()[0];
    }

    static void exit(int level) {
        int[] d = DEPTH.get();
        if (d[0] != level) {
            throw new IllegalStateException("forward-mode levels exited out of order: " + level + " vs " + d[0]);
        }
        d[0]--;
    }
}
