package dev.tangent;

/**
 * Element types of a {@link Tensor}, named as PyTorch names them.
 *
 * <p>Floating types are differentiable; {@link #INT64} (indices) and {@link #BOOL} (masks from
 * comparisons) are not.
 */
public enum DType {
    /** 32-bit IEEE float, PyTorch's default dtype. */
    FLOAT32(4, "float32"),
    /** 64-bit IEEE float. */
    FLOAT64(8, "float64"),
    /** 64-bit signed integer (indices, {@code arange(n)}). */
    INT64(8, "int64"),
    /** Boolean mask stored as one byte per element (0 or 1). */
    BOOL(1, "bool");

    private final int byteSize;
    private final String torchName;

    DType(int byteSize, String torchName) {
        this.byteSize = byteSize;
        this.torchName = torchName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for the floating types, the only ones that carry gradients and tangents. */
    public boolean isFloatingPoint() {
        return this == FLOAT32 || this == FLOAT64;
    }

    /** PyTorch's name, e.g. {@code float32}. */
    public String torchName() {
        return torchName;
    }

    /**
     * PyTorch's type promotion for two operands of the same category (both dimensioned or both
     * zero-dimensional): bool &lt; int64 &lt; float32 &lt; float64.
     */
    public static DType promote(DType a, DType b) {
        return a.ordinalRank() >= b.ordinalRank() ? a : b;
    }

    int ordinalRank() {
        return switch (this) {
            case BOOL -> 0;
            case INT64 -> 1;
            case FLOAT32 -> 2;
            case FLOAT64 -> 3;
        };
    }

    /** 0 bool, 1 integer, 2 floating: the category PyTorch compares across dimensioned/0-dim operands. */
    public int category() {
        return switch (this) {
            case BOOL -> 0;
            case INT64 -> 1;
            case FLOAT32, FLOAT64 -> 2;
        };
    }
}
