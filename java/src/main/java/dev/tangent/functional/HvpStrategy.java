package dev.tangent.functional;

/** How {@link Functional#hvp} and {@link Functional#vhp} compute a Hessian-vector product. */
public enum HvpStrategy {
    /** Reverse over reverse: the gradient of (gradient · v), what PyTorch's hvp computes. */
    REVERSE_OVER_REVERSE,
    /**
     * Forward over reverse: the jvp of the gradient in direction v (Pearlmutter; JAX's
     * {@code jvp(grad(f))}): one forward-mode pass over the reverse pass.
     */
    FORWARD_OVER_REVERSE
}
