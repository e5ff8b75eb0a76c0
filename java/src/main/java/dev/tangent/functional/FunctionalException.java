package dev.tangent.functional;

/**
 * A call of the functional API that PyTorch would reject with a RuntimeError: a {@code v} of the
 * wrong shape or length, an output that is not a tensor, a strict-mode independence. The
 * {@link #kind()} names the failure the way the reference cases do.
 */
public final class FunctionalException extends IllegalArgumentException {
    /** Which rule the call broke. */
    public enum Kind {
        V_SHAPE_MISMATCH, V_NONE_MULTI_ELEMENT, V_LENGTH_MISMATCH, OUTPUT_NOT_TENSOR,
        STRICT_INDEPENDENT_INPUT, STRICT_OUTPUT_INDEPENDENT, INVALID_ARGUMENT
    }

    private final Kind kind;

    public FunctionalException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** Which rule the call broke. */
    public Kind kind() {
        return kind;
    }
}
