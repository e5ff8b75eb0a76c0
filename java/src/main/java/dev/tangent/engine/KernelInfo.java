package dev.tangent.engine;

import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * What a launched kernel computes, for those a recording may merge ({@link EpilogueFusion}): told
 * to the launch listener right after the kernel ({@link Launch#describe}), when the listener is a
 * {@link Sink}. Kernels without one are opaque to the merge.
 */
public sealed interface KernelInfo {
    /** The operands the kernel writes (they identify the launch the description belongs to). */
    Operand[] outputs();

    /**
     * {@code y = act(x W + bias)} and, when {@code dx} is not null, {@code dy} its jvp for constant
     * W and bias ({@code Backend.linear}, {@code Backend.linearJvp}); bias and act may be null.
     */
    record Linear(Operand x, Operand dx, Operand w, Operand bias, Prim act, Operand y, Operand dy) implements KernelInfo {
        @Override
        public Operand[] outputs() {
            return dy == null ? new Operand[] {y} : new Operand[] {y, dy};
        }
    }

    /** {@code out = op(a, b)} element-wise; a and b are views of out's shape. */
    record Binary(Prim op, Operand a, Operand b, Operand out) implements KernelInfo {
        @Override
        public Operand[] outputs() {
            return new Operand[] {out};
        }
    }

    /** {@code y = op(x)}, {@code ty = op'(x)·t} in one kernel ({@code Backend.unaryJvp}). */
    record UnaryJvp(Prim op, Attrs.Scalars attrs, Operand x, Operand t, Operand y, Operand ty) implements KernelInfo {
        @Override
        public Operand[] outputs() {
            return new Operand[] {y, ty};
        }
    }

    /** A launch listener that also takes the descriptions ({@code dev.tangent.autograd.Recording}'s). */
    interface Sink {
        /** What the kernel this listener was last told of computes. */
        void described(KernelInfo info);
    }
}
