package dev.tangent.functional;

/** How {@code jvp} computes its product. */
public enum JvpStrategy {
    /** True forward mode (dual numbers): one pass, no tape. The default. */
    FORWARD_MODE,
    /** PyTorch's double-backward trick: two reverse passes through a dummy cotangent. */
    DOUBLE_BACKWARD
}
