package dev.tangent.ops;

/**
 * Output sizes of convolution and pooling windows, as PyTorch computes them
 * ({@code conv_output_size}, {@code pooling_output_shape} with ceil mode, and the transposed
 * convolution's size), with the checks that name the op and the sizes at fault.
 */
public final class NnShapes {
    private NnShapes() {}

    /** floor((in + 2p - d (k - 1) - 1) / s) + 1; throws when the window does not fit. */
    public static long convOut(String op, long in, long k, long s, long p, long d) {
        long span = d * (k - 1) + 1;
        if (in + 2 * p < span) {
            throw new IllegalArgumentException(op + ": kernel size " + k + " (dilated to " + span
                    + ") is larger than the padded input size " + (in + 2 * p) + " (input " + in + ", padding " + p + ")");
        }
        return (in + 2 * p - span) / s + 1;
    }

    /** PyTorch's pooling_output_shape, with ceil mode (a last window must start inside the input or left padding). */
    public static long poolOut(String op, long in, long k, long s, long p, long d, boolean ceil) {
        if (p * 2 > k) {
            throw new IllegalArgumentException(op + ": pad should be at most half of effective kernel size, but got"
                    + " pad=" + p + ", kernel_size=" + k);
        }
        long span = d * (k - 1) + 1;
        long num = in + 2 * p - span + (ceil ? s - 1 : 0);
        if (num < 0) {
            throw new IllegalArgumentException(op + ": kernel size " + k + " (dilated to " + span
                    + ") is larger than the padded input size " + (in + 2 * p));
        }
        long out = num / s + 1;
        if (ceil && (out - 1) * s >= in + p) {
            out--;
        }
        if (out < 1) {
            throw new IllegalArgumentException(op + ": output size is too small (" + out + ") for input " + in);
        }
        return out;
    }

    /** The transposed convolution's output: (in - 1) s - 2p + d (k - 1) + outputPadding + 1. */
    public static long convTransposeOut(String op, long in, long k, long s, long p, long d, long outputPadding) {
        if (outputPadding >= s && outputPadding >= d) {
            throw new IllegalArgumentException(op + ": output padding must be smaller than either stride or dilation,"
                    + " but got output_padding=" + outputPadding + ", stride=" + s + ", dilation=" + d);
        }
        long out = (in - 1) * s - 2 * p + d * (k - 1) + outputPadding + 1;
        if (out < 1) {
            throw new IllegalArgumentException(op + ": output size " + out + " is too small (input " + in + ")");
        }
        return out;
    }
}
