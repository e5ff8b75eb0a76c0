package dev.tangent.engine;

import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * What a launched kernel computes, for those a recording may merge ({@link EpilogueFusion}): told
 * to the launch listener with the kernel. Kernels without one are opaque to it.
 */
public sealed interface KernelInfo {
    /**
     * {@code y = act(x W + bias)} and, when {@code dx} is not null, {@code dy} its jvp for constant
     * W and bias ({@code Backend.linear}, {@code Backend.linearJvp}); bias and act may be null.
     */
    record Linear(Operand x, Operand dx, Operand w, Operand bias, Prim act, Operand y, Operand dy) implements KernelInfo {}

    /** {@code out = op(a, b)} element-wise; a and b are views of out's shape. */
    record Binary(Prim op, Operand a, Operand b, Operand out) implements KernelInfo {}

    /** {@code y = op(x)}, {@code ty = op'(x)·t} in one kernel ({@code Backend.unaryJvp}). */
    record UnaryJvp(Prim op, Attrs.Scalars attrs, Operand x, Operand t, Operand y, Operand ty) implements KernelInfo {}
}
