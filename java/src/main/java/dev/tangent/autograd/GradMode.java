package dev.tangent.autograd;

/**
 * Whether operations on tensors that require grad are recorded (per thread), like
 * {@code torch.no_grad()} / {@code torch.enable_grad()}.
 *
 * <pre>{@code
 * try (var g = GradMode.disable()) { ... nothing recorded here ... }
 * }</pre>
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    /** True when recording on this thread. */
    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Sets the mode until the returned guard closes, which restores the previous mode. */
    public static Guard set(boolean enabled) {
        boolean[] cell = ENABLED.get();
        boolean prev = cell[0];
        cell[0] = enabled;
        return new Guard(cell, prev);
    }

    /** {@code torch.no_grad()}. */
    public static Guard disable() {
        return set(false);
    }

    /** {@code torch.enable_grad()}. */
    public static Guard enable() {
        return set(true);
    }

    /** Restores the previous mode when closed. */
    public static final class Guard implements AutoCloseable {
        private final boolean[] cell;
        private final boolean prev;

        Guard(boolean[] cell, boolean prev) {
            this.cell = cell;
            this.prev = prev;
        }

        @Override
        public void close() {
            cell[0] = prev;
        }
    }
}
