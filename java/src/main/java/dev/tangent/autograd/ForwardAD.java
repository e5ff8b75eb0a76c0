package dev.tangent.autograd;

import dev.tangent.Tensor;
import dev.tangent.engine.Dispatch;
import dev.tangent.engine.ForwardLevels;
import dev.tangent.engine.TensorAccess;

/**
 * Forward-mode AD as its own small module, like {@code torch.autograd.forward_ad}: open a
 * {@linkplain #dualLevel() dual level}, {@linkplain #makeDual make dual tensors} (a primal carrying
 * a tangent at that level), compute with them as with any tensor — every operation also computes
 * its tangent — and {@linkplain #unpackDual unpack} the result. Levels nest (a jvp inside a jvp),
 * each thread has its own.
 *
 * <pre>{@code
 * try (ForwardAD.DualLevel level = ForwardAD.dualLevel()) {
 *     Tensor y = ForwardAD.makeDual(x, v, level).exp().sum();
 *     Tensor jvp = ForwardAD.unpackDual(y, level).tangent();   // null: the tangent is zero
 * }
 * }</pre>
 */
public final class ForwardAD {
    private ForwardAD() {}

    /** A forward-mode level open on one thread; close it (innermost first) when done. */
    public static final class DualLevel implements AutoCloseable {
        private final int level;
        private boolean closed;

        private DualLevel(int level) {
            this.level = level;
        }

        /** The level's number (1 for the outermost). */
        public int level() {
            return level;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                ForwardLevels.exit(level);
            }
        }
    }

    /** A primal and its tangent at one level; the tangent is null where it is zero. */
    public record Dual(Tensor primal, Tensor tangent) {}

    /** Opens the next level on this thread ({@code with fwAD.dual_level()}). */
    public static DualLevel dualLevel() {
        return new DualLevel(ForwardLevels.enter());
    }

    /**
     * {@code primal + ε·tangent} at {@code level}: the tangent is broadcast to the primal's shape
     * and converted to its dtype; a null tangent gives back the primal.
     */
    public static Tensor makeDual(Tensor primal, Tensor tangent, DualLevel level) {
        return makeDual(primal, tangent, level.level);
    }

    /** {@link #makeDual(Tensor, Tensor, DualLevel)} by level number. */
    public static Tensor makeDual(Tensor primal, Tensor tangent, int level) {
        if (level < 1) {
            throw new IllegalArgumentException("makeDual: level must be at least 1, got " + level);
        }
        return Dispatch.makeDual(level, primal, tangent);
    }

    /** t's primal and tangent at {@code level} (t itself and null when t has no tangent there). */
    public static Dual unpackDual(Tensor t, DualLevel level) {
        return unpackDual(t, level.level);
    }

    /** {@link #unpackDual(Tensor, DualLevel)} by level number. */
    public static Dual unpackDual(Tensor t, int level) {
        TensorAccess acc = TensorAccess.get();
        return acc.level(t) == level ? new Dual(acc.primal(t), acc.tangent(t)) : new Dual(t, null);
    }

    /** The outermost level at which t carries a tangent (0 for a plain tensor). */
    public static int level(Tensor t) {
        return TensorAccess.get().level(t);
    }

    /** The plain tensor under every level of t (where the reverse-mode tape lives). */
    public static Tensor plain(Tensor t) {
        TensorAccess acc = TensorAccess.get();
        while (acc.level(t) > 0) {
            t = acc.primal(t);
        }
        return t;
    }

    /** t with its reverse-mode history dropped at every level and every tangent kept. */
    public static Tensor detachTape(Tensor t) {
        TensorAccess acc = TensorAccess.get();
        int l = acc.level(t);
        if (l == 0) {
            return t.detach();
        }
        Tensor tan = acc.tangent(t);
        return Dispatch.makeDual(l, detachTape(acc.primal(t)), tan == null ? null : detachTape(tan));
    }

    /** t with its plain tensor replaced by {@code base} (same shape and dtype), every level's tangent kept. */
    public static Tensor rebase(Tensor t, Tensor base) {
        TensorAccess acc = TensorAccess.get();
        int l = acc.level(t);
        return l == 0 ? base : Dispatch.makeDual(l, rebase(acc.primal(t), base), acc.tangent(t));
    }
}
