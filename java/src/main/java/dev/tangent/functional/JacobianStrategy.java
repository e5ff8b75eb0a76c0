package dev.tangent.functional;

/** How {@code jacobian} builds the matrix: a row per output element, or a column per input element. */
public enum JacobianStrategy {
    /** Reverse mode: one vjp per output element (PyTorch's {@code "reverse-mode"}). */
    REVERSE_MODE,
    /** Forward mode: one jvp per input element (PyTorch's {@code "forward-mode"}, needs vectorize). */
    FORWARD_MODE
}
