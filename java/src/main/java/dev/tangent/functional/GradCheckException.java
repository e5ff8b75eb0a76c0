package dev.tangent.functional;

/**
 * Thrown by {@link GradCheck} when an analytic Jacobian (forward or reverse mode) disagrees with
 * central finite differences: names the mode, the input and output at fault, the worst element
 * and both values.
 */
public final class GradCheckException extends RuntimeException {
    private final String mode;
    private final int inputIndex;
    private final int outputIndex;
    private final long inputElement;
    private final long outputElement;
    private final double analytic;
    private final double numerical;

    GradCheckException(String mode, int inputIndex, int outputIndex, long inputElement, long outputElement,
            double analytic, double numerical, double atol, double rtol) {
        super("gradcheck: " + mode + " Jacobian mismatch for output " + outputIndex + " with respect to input "
                + inputIndex + ": worst element d out[" + outputElement + "] / d in[" + inputElement
                + "] (flat, row-major) is " + analytic + " analytically but " + numerical
                + " by finite differences (|diff| " + Math.abs(analytic - numerical) + " > atol " + atol
                + " + rtol " + rtol + " * |numerical|)");
        this.mode = mode;
        this.inputIndex = inputIndex;
        this.outputIndex = outputIndex;
        this.inputElement = inputElement;
        this.outputElement = outputElement;
        this.analytic = analytic;
        this.numerical = numerical;
    }

    /** {@code "forward-mode"} (jvp columns) or {@code "reverse-mode"} (vjp rows). */
    public String mode() {
        return mode;
    }

    /** Index of the input (0 for a single tensor input). */
    public int inputIndex() {
        return inputIndex;
    }

    /** Index of the output (0 for a single tensor output). */
    public int outputIndex() {
        return outputIndex;
    }

    /** Flat row-major index of the worst element within the input. */
    public long inputElement() {
        return inputElement;
    }

    /** Flat row-major index of the worst element within the output. */
    public long outputElement() {
        return outputElement;
    }

    /** The analytic Jacobian entry at the worst element. */
    public double analytic() {
        return analytic;
    }

    /** The finite-difference Jacobian entry at the worst element. */
    public double numerical() {
        return numerical;
    }
}
