package dev.tangent.ops;

import java.util.Arrays;

/**
 * Output sizes of convolution and pooling windows, as PyTorch computes them
 * ({@code conv_output_size}, {@code pooling_output_shape} with ceil mode, and the transposed
 * convolution's size), and the shape checks of normalisation, each naming the op and the sizes at
 * fault.
 */
public final class NnShapes {
    private NnShapes() {}

    /**
     * PyTorch's checks of a 2-d convolution of an input [N, C, H, W] with a weight
     * [O, C / groups, kh, kw] — geometry, channels and groups, window size — each message naming
     * the op and both shapes; returns the output shape [N, O, oh, ow]. Called before the
     * convolution is dispatched (by {@code F.conv2d}, so that a jvp's fused [x; dx] batch never
     * shows in a message) and again by the kernel.
     */
    public static long[] conv2d(String op, long[] xs, long[] ws, Attrs.Conv a) {
        String where = operands(xs, ws);
        if (xs.length != 4 || ws.length != 4) {
            throw new IllegalArgumentException(op + ": expected 4-d input and weight (NCHW)" + where);
        }
        checkGeometry(op, a, where);
        checkChannels(op, a, xs, ws);
        long oh = convOut(op, xs[2], ws[2], a.stride()[0], a.padding()[0], a.dilation()[0], where);
        long ow = convOut(op, xs[3], ws[3], a.stride()[1], a.padding()[1], a.dilation()[1], where);
        return new long[] {xs[0], ws[0], oh, ow};
    }

    /** " (input [..], weight [..])", for messages. */
    public static String operands(long[] xs, long[] ws) {
        return " (input " + Shapes.str(xs) + ", weight " + Shapes.str(ws) + ")";
    }

    /** Stride and dilation positive, padding non-negative, groups positive; {@code where} is appended to messages. */
    public static void checkGeometry(String op, Attrs.Conv a, String where) {
        for (int i = 0; i < 2; i++) {
            if (a.stride()[i] < 1 || a.dilation()[i] < 1 || a.padding()[i] < 0) {
                throw new IllegalArgumentException(op + ": stride and dilation must be positive and padding"
                        + " non-negative, got stride " + Arrays.toString(a.stride()) + ", padding "
                        + Arrays.toString(a.padding()) + ", dilation " + Arrays.toString(a.dilation()) + where);
            }
        }
        if (a.groups() < 1) {
            throw new IllegalArgumentException(op + ": non-positive groups is not supported (groups=" + a.groups() + ")"
                    + where);
        }
    }

    /** PyTorch's channel checks between an input shape [N, C, H, W] and a weight [O, C/g, kh, kw]. */
    public static void checkChannels(String op, Attrs.Conv a, long[] xs, long[] ws) {
        long g = a.groups();
        if (ws[0] % g != 0) {
            throw new IllegalArgumentException(op + ": out channels " + ws[0] + " (weight " + Shapes.str(ws)
                    + ") must be divisible by groups=" + g + " (input " + Shapes.str(xs) + ")");
        }
        if (xs[1] != ws[1] * g) {
            throw new IllegalArgumentException(op + ": Given groups=" + g + ", weight of size " + Shapes.str(ws)
                    + ", expected input" + Shapes.str(xs) + " to have " + ws[1] * g + " channels, but got " + xs[1]
                    + " channels instead");
        }
    }

    /** floor((in + 2p - d (k - 1) - 1) / s) + 1; throws when the window does not fit. */
    public static long convOut(String op, long in, long k, long s, long p, long d) {
        return convOut(op, in, k, s, p, d, "");
    }

    /**
     * {@link #convOut(String, long, long, long, long, long)} with {@code context} (e.g. the operand
     * shapes) appended to the message of the exception.
     */
    public static long convOut(String op, long in, long k, long s, long p, long d, String context) {
        long span = d * (k - 1) + 1;
        if (in + 2 * p < span) {
            throw new IllegalArgumentException(op + ": kernel size " + k + " (dilated to " + span
                    + ") is larger than the padded input size " + (in + 2 * p) + " (input " + in + ", padding " + p + ")"
                    + context);
        }
        return (in + 2 * p - span) / s + 1;
    }

    /** PyTorch's pooling_output_shape, with ceil mode (a last window must start inside the input or left padding). */
    public static long poolOut(String op, long in, long k, long s, long p, long d, boolean ceil) {
        return poolOut(op, in, k, s, p, d, ceil, "");
    }

    /** {@link #poolOut(String, long, long, long, long, long, boolean)} with {@code context} appended to messages. */
    public static long poolOut(String op, long in, long k, long s, long p, long d, boolean ceil, String context) {
        if (p * 2 > k) {
            throw new IllegalArgumentException(op + ": pad should be at most half of effective kernel size, but got"
                    + " pad=" + p + ", kernel_size=" + k + context);
        }
        long span = d * (k - 1) + 1;
        long num = in + 2 * p - span + (ceil ? s - 1 : 0);
        if (num < 0) {
            throw new IllegalArgumentException(op + ": kernel size " + k + " (dilated to " + span
                    + ") is larger than the padded input size " + (in + 2 * p) + " (input " + in + ", padding " + p + ")"
                    + context);
        }
        long out = num / s + 1;
        if (ceil && (out - 1) * s >= in + p) {
            out--;
        }
        if (out < 1) {
            throw new IllegalArgumentException(op + ": output size is too small (" + out + ") for input " + in + context);
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
    // ------------------------------------------------------------------ normalisation

    /**
     * PyTorch's layer_norm checks: x's trailing dims are {@code normalized} (not empty), weight and
     * bias (null: absent) have that shape.
     */
    public static void layerNorm(long[] xs, long[] normalized, long[] ws, long[] bs) {
        int k = normalized.length;
        if (k == 0 || k > xs.length || !Arrays.equals(Arrays.copyOfRange(xs, xs.length - k, xs.length), normalized)) {
            throw new IllegalArgumentException("layer_norm: Given normalized_shape=" + Arrays.toString(normalized)
                    + ", expected input with shape [*, " + Arrays.toString(normalized).replaceAll("[\\[\\]]", "")
                    + "], but got input of size" + Arrays.toString(xs));
        }
        for (long[] p : new long[][] {ws, bs}) {
            if (p != null && !Arrays.equals(p, normalized)) {
                throw new IllegalArgumentException("layer_norm: weight and bias must have the normalized shape "
                        + Arrays.toString(normalized) + ", got " + Arrays.toString(p));
            }
        }
    }

    /** The channel count of a batch_norm / group_norm input [N, C, ...]; throws below 2 dims. */
    public static long channels(String op, long[] xs) {
        if (xs.length < 2) {
            throw new IllegalArgumentException(op + ": expected 2-D or more input [N, C, ...], got "
                    + Arrays.toString(xs));
        }
        return xs[1];
    }

    /** A per-channel parameter (weight, bias, running statistics) of shape [c], or null (absent). */
    public static void channelVector(String op, String what, long[] ps, long c) {
        if (ps != null && (ps.length != 1 || ps[0] != c)) {
            throw new IllegalArgumentException(op + ": expected " + what + " of shape [" + c + "], got "
                    + Arrays.toString(ps));
        }
    }

    /** group_norm: the groups divide the channels of x [N, C, ...]. */
    public static void groups(long[] xs, long groups) {
        long c = channels("group_norm", xs);
        if (groups < 1 || c % groups != 0) {
            throw new IllegalArgumentException("group_norm: Expected number of channels in input to be divisible by"
                    + " num_groups, but got input of shape " + Arrays.toString(xs) + " and num_groups=" + groups);
        }
    }
}
