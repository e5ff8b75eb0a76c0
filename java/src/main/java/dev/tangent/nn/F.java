package dev.tangent.nn;

import dev.tangent.DType;
import dev.tangent.Tensor;
import dev.tangent.engine.Dispatch;
import dev.tangent.engine.Linear;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.NnShapes;
import dev.tangent.ops.Prim;
import java.util.Arrays;

/**
 * {@code torch.nn.functional} in Java: PyTorch's names (camelCase), argument order and defaults
 * (as overloads). Inputs are NCHW (or NCL / NC for the 1-d forms). Every function is
 * differentiable in both modes, to any order; bad arguments throw {@link IllegalArgumentException}
 * (or {@link IndexOutOfBoundsException} for indices) naming the function and the shapes.
 * Normalisation and attention are in {@link Norm} and {@link Attention}, activations and losses in
 * {@link Activations}; this class is the one entry point.
 */
public final class F {
    private F() {}

    // ------------------------------------------------------------------ convolution

    /** {@code F.conv2d(x, w)}: stride 1, no padding, no bias. */
    public static Tensor conv2d(Tensor x, Tensor weight) {
        return conv2d(x, weight, null);
    }

    /** {@code F.conv2d(x, w, bias)}. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias) {
        return conv2d(x, weight, bias, pair(1), pair(0), pair(1), 1);
    }

    /** {@code F.conv2d(x, w, bias, stride, padding, dilation, groups)} with square geometry. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long stride, long padding, long dilation,
            long groups) {
        return conv2d(x, weight, bias, pair(stride), pair(padding), pair(dilation), groups);
    }

    /**
     * 2-d convolution of x [N, C, H, W] (or [C, H, W]) with weight [O, C / groups, kh, kw] and an
     * optional bias [O]; stride, padding and dilation are (h, w).
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation,
            long groups) {
        boolean batched = x.dim() == 4;
        if (x.dim() != 3 && x.dim() != 4) {
            throw new IllegalArgumentException("conv2d: expected 3-D (unbatched) or 4-D (batched) input, but got input"
                    + " of size " + Arrays.toString(x.shape()));
        }
        if (weight.dim() != 4) {
            throw new IllegalArgumentException("conv2d: expected a 4-D weight [out, in / groups, kh, kw], got "
                    + Arrays.toString(weight.shape()));
        }
        Tensor in = batched ? x : x.unsqueeze(0);
        Attrs.Conv c = conv(stride, padding, dilation, groups);
        // checked here, on the caller's shapes: inside a jvp the convolution may run on [x; dx] stacked
        NnShapes.conv2d("conv2d", in.shape(), weight.shape(), c);
        Tensor y = Dispatch.apply(Prim.CONV2D, c, in, weight);
        y = withBias("conv2d", y, bias, weight.size(0));
        return batched ? y : y.squeeze(0);
    }

    /** {@code F.conv1d(x, w)}. */
    public static Tensor conv1d(Tensor x, Tensor weight) {
        return conv1d(x, weight, null, 1, 0, 1, 1);
    }

    /** {@code F.conv1d(x, w, bias, stride, padding, dilation, groups)}: x [N, C, L] (or [C, L]), w [O, C / groups, k]. */
    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, long stride, long padding, long dilation,
            long groups) {
        if (x.dim() != 2 && x.dim() != 3) {
            throw new IllegalArgumentException("conv1d: expected 2-D (unbatched) or 3-D (batched) input, but got input"
                    + " of size " + Arrays.toString(x.shape()));
        }
        if (weight.dim() != 3) {
            throw new IllegalArgumentException("conv1d: expected a 3-D weight [out, in / groups, k], got "
                    + Arrays.toString(weight.shape()));
        }
        Tensor y = conv2d(x.unsqueeze(-2), weight.unsqueeze(2), bias, new long[] {1, stride}, new long[] {0, padding},
                new long[] {1, dilation}, groups);
        return y.squeeze(-2);
    }

    /** {@code F.conv_transpose2d(x, w, bias, stride, padding)} with output_padding 0, groups 1, dilation 1. */
    public static Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias, long stride, long padding) {
        return convTranspose2d(x, weight, bias, pair(stride), pair(padding), pair(0), 1, pair(1));
    }

    /**
     * Transposed 2-d convolution of x [N, C_in, H, W] with weight [C_in, C_out / groups, kh, kw]:
     * the adjoint of conv2d (its input gradient), output size (H - 1) s - 2p + d (k - 1) + output_padding + 1.
     */
    public static Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding,
            long[] outputPadding, long groups, long[] dilation) {
        if (x.dim() != 4 || weight.dim() != 4) {
            throw new IllegalArgumentException("conv_transpose2d: expected 4-D input and weight, got "
                    + Arrays.toString(x.shape()) + " and " + Arrays.toString(weight.shape()));
        }
        if (x.size(1) != weight.size(0)) {
            throw new IllegalArgumentException("conv_transpose2d: input " + Arrays.toString(x.shape()) + " has "
                    + x.size(1) + " channels but weight " + Arrays.toString(weight.shape()) + " expects " + weight.size(0));
        }
        Attrs.Conv c = conv(stride, padding, dilation, groups);
        long oh = NnShapes.convTransposeOut("conv_transpose2d", x.size(2), weight.size(2), stride[0], padding[0],
                dilation[0], outputPadding[0]);
        long ow = NnShapes.convTransposeOut("conv_transpose2d", x.size(3), weight.size(3), stride[1], padding[1],
                dilation[1], outputPadding[1]);
        long[] out = {x.size(0), weight.size(1) * groups, oh, ow};
        Tensor y = Dispatch.apply(Prim.CONV2D_INPUT_GRAD, new Attrs.ConvGrad(c, out), x, weight);
        return withBias("conv_transpose2d", y, bias, out[1]);
    }

    // ------------------------------------------------------------------ pooling

    /** {@code F.max_pool2d(x, k)}: stride k, no padding. */
    public static Tensor maxPool2d(Tensor x, long kernel) {
        return maxPool2d(x, kernel, kernel, 0);
    }

    /** {@code F.max_pool2d(x, k, stride, padding)} with square geometry. */
    public static Tensor maxPool2d(Tensor x, long kernel, long stride, long padding) {
        return maxPool2d(x, pair(kernel), pair(stride), pair(padding), pair(1), false);
    }

    /** 2-d max pooling of x [N, C, H, W] (or [C, H, W]); NaN propagates as in PyTorch. */
    public static Tensor maxPool2d(Tensor x, long[] kernel, long[] stride, long[] padding, long[] dilation,
            boolean ceilMode) {
        return pool2d("max_pool2d", Prim.MAX_POOL2D, x, new Attrs.Pool(kernel.clone(), stride.clone(), padding.clone(),
                dilation.clone(), ceilMode, true, 0));
    }

    /** {@code F.max_pool1d(x, k)}: stride k. */
    public static Tensor maxPool1d(Tensor x, long kernel) {
        return maxPool1d(x, kernel, kernel, 0, 1, false);
    }

    /** 1-d max pooling of x [N, C, L] (or [C, L]). */
    public static Tensor maxPool1d(Tensor x, long kernel, long stride, long padding, long dilation, boolean ceilMode) {
        if (x.dim() != 2 && x.dim() != 3) {
            throw new IllegalArgumentException("max_pool1d: expected 2-D or 3-D input, got " + Arrays.toString(x.shape()));
        }
        return maxPool2d(x.unsqueeze(-2), new long[] {1, kernel}, new long[] {1, stride}, new long[] {0, padding},
                new long[] {1, dilation}, ceilMode).squeeze(-2);
    }

    /** {@code F.avg_pool2d(x, k)}: stride k, no padding. */
    public static Tensor avgPool2d(Tensor x, long kernel) {
        return avgPool2d(x, kernel, kernel, 0, false, true);
    }

    /** {@code F.avg_pool2d(x, k, stride, padding, ceil_mode, count_include_pad)} with square geometry. */
    public static Tensor avgPool2d(Tensor x, long kernel, long stride, long padding, boolean ceilMode,
            boolean countIncludePad) {
        return avgPool2d(x, pair(kernel), pair(stride), pair(padding), ceilMode, countIncludePad, 0);
    }

    /** 2-d average pooling; {@code divisorOverride} 0 means none. */
    public static Tensor avgPool2d(Tensor x, long[] kernel, long[] stride, long[] padding, boolean ceilMode,
            boolean countIncludePad, long divisorOverride) {
        return pool2d("avg_pool2d", Prim.AVG_POOL2D, x, new Attrs.Pool(kernel.clone(), stride.clone(), padding.clone(),
                pair(1), ceilMode, countIncludePad, divisorOverride));
    }

    /** {@code F.adaptive_avg_pool2d(x, size)}: a square output. */
    public static Tensor adaptiveAvgPool2d(Tensor x, long size) {
        return adaptiveAvgPool2d(x, size, size);
    }

    /**
     * Adaptive average pooling to (oh, ow): output cell i averages input rows floor(i H / oh) to
     * ceil((i + 1) H / oh), as PyTorch; computed as P_h · x · P_wᵀ with the averaging matrices
     * (to 1 x 1: the plane's mean).
     */
    public static Tensor adaptiveAvgPool2d(Tensor x, long oh, long ow) {
        if (x.dim() != 3 && x.dim() != 4) {
            throw new IllegalArgumentException("adaptive_avg_pool2d: expected 3-D or 4-D input, got "
                    + Arrays.toString(x.shape()));
        }
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("adaptive_avg_pool2d: output size must be positive, got (" + oh + ", "
                    + ow + ")");
        }
        if (oh == 1 && ow == 1) {
            // global average pooling (ResNet's head): one mean over the plane; its jvp is the
            // tangent's mean, where the matmul form's is two products plus a NaN term for P_h's absent tangent
            return x.mean(new int[] {-2, -1}, true);
        }
        Tensor ph = averaging(x.size(-2), oh, x);
        Tensor pw = averaging(x.size(-1), ow, x);
        return ph.matmul(x).matmul(pw.mT());
    }

    // ------------------------------------------------------------------ the rest (delegated)

    /** {@code F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)}; see {@link Norm#batchNorm}. */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
            boolean training, double momentum, double eps) {
        return Norm.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps).output();
    }

    /** {@code F.batch_norm(x, running_mean, running_var, weight, bias, training=False)} with eps 1e-5. */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias) {
        return batchNorm(x, runningMean, runningVar, weight, bias, false, 0.1, 1e-5);
    }

    /** batch_norm in training mode with the updated running statistics; see {@link Norm#batchNorm}. */
    public static BatchNormResult batchNormTraining(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight,
            Tensor bias, double momentum, double eps) {
        return Norm.batchNorm(x, runningMean, runningVar, weight, bias, true, momentum, eps);
    }

    /** {@code F.layer_norm(x, normalized_shape, weight, bias, eps)}. */
    public static Tensor layerNorm(Tensor x, long[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        return Norm.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    /** {@code F.layer_norm(x, normalized_shape)}: no affine, eps 1e-5. */
    public static Tensor layerNorm(Tensor x, long... normalizedShape) {
        return Norm.layerNorm(x, normalizedShape, null, null, 1e-5);
    }

    /** {@code F.group_norm(x, num_groups, weight, bias, eps)}. */
    public static Tensor groupNorm(Tensor x, long numGroups, Tensor weight, Tensor bias, double eps) {
        return Norm.groupNorm(x, numGroups, weight, bias, eps);
    }

    /** {@code F.group_norm(x, num_groups, weight, bias)} with eps 1e-5. */
    public static Tensor groupNorm(Tensor x, long numGroups, Tensor weight, Tensor bias) {
        return Norm.groupNorm(x, numGroups, weight, bias, 1e-5);
    }

    /** {@code F.embedding(indices, weight)}: rows of weight [V, D] for int64 indices of any shape. */
    public static Tensor embedding(Tensor indices, Tensor weight) {
        return Norm.embedding(indices, weight);
    }

    /**
     * {@code F.linear(x, w, b)}: x @ wᵀ + b (b may be null). On the CPU the matmul and the bias are
     * one kernel (a oneDNN matmul with its bias argument, or for one row the native GEMV), and in a
     * jvp the tangent's matmul is part of it; the values are the composition's.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return linear(x, weight, bias, "none");
    }

    /**
     * {@code act(F.linear(x, w, b))}, the activation fused into the layer: {@code activation} is
     * "none", "tanh", "sigmoid", "relu", "gelu" or "gelu_tanh" (PyTorch's
     * {@code F.gelu(approximate='tanh')}). Not a PyTorch function — there one writes
     * {@code torch.tanh(F.linear(x, w, b))}, which gives the same values — but on the CPU the layer
     * with its activation is one kernel (a oneDNN matmul with bias and eltwise post-op, or for one
     * row the native GEMV with its tanh epilogue), and its jvp for constant weights one kernel too:
     * the tangent's matmul multiplied by the activation's slope as its post-op, PyTorch's
     * {@code x @ 0} term (NaN rows where x holds NaN or ±inf) included. Where no fused kernel applies
     * (float64, a GPU, weights that require grad, a graph to record) the composition runs.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias, String activation) {
        Prim act = switch (activation) {
            case "none" -> null;
            case "tanh" -> Prim.TANH;
            case "sigmoid" -> Prim.SIGMOID;
            case "relu" -> Prim.RELU;
            case "gelu" -> Prim.GELU;
            case "gelu_tanh" -> Prim.GELU_TANH;
            default -> throw new IllegalArgumentException("linear: unknown activation '" + activation
                    + "' (expected none, tanh, sigmoid, relu, gelu or gelu_tanh)");
        };
        if (weight.dim() != 2 && weight.dim() != 1) {
            throw new IllegalArgumentException("linear: expected a 1-D or 2-D weight, got " + Arrays.toString(weight.shape()));
        }
        if (x.dim() == 0 || x.size(-1) != weight.size(-1)) {
            throw new IllegalArgumentException("linear: input " + Arrays.toString(x.shape()) + " and weight "
                    + Arrays.toString(weight.shape()) + " cannot be multiplied (in_features " + weight.size(-1) + ")");
        }
        if (bias != null) {
            // The bias is added to the output [..., out] (or [...] for a 1-D weight): it must broadcast to it
            // without growing it — [out], [1] or 0-d in practice.
            long[] xs = x.shape();
            long[] out = Arrays.copyOf(xs, weight.dim() == 2 ? xs.length : xs.length - 1);
            if (weight.dim() == 2) {
                out[xs.length - 1] = weight.size(0);
            }
            long[] bs = bias.shape();
            boolean fits = bs.length <= out.length;
            for (int i = 1; fits && i <= bs.length; i++) {
                long b = bs[bs.length - i];
                fits = b == 1 || b == out[out.length - i];
            }
            if (!fits) {
                throw new IllegalArgumentException("linear: bias " + Arrays.toString(bs) + " does not broadcast to the"
                        + " output " + Arrays.toString(out) + " of input " + Arrays.toString(xs) + " and weight "
                        + Arrays.toString(weight.shape()) + (weight.dim() == 2 ? " (expected [" + weight.size(0) + "])" : ""));
            }
        }
        if (weight.dim() == 1) {
            Tensor y = x.matmul(weight);
            y = bias == null ? y : y.add(bias);
            return act == null ? y : Dispatch.apply(act, Attrs.Scalars.NONE, y);
        }
        long[] xs = x.shape();
        if (xs.length > 2 && x.isContiguous() && (bias == null || bias.dim() <= 1)) {
            // [..., K] as [rows, K] (a view): one 2-D layer
            long[] out = xs.clone();
            out[xs.length - 1] = weight.size(0);
            long rows = 1;
            for (int i = 0; i < xs.length - 1; i++) {
                rows *= xs[i];
            }
            return Linear.apply(x.reshape(rows, xs[xs.length - 1]), weight.mT(), bias, act).reshape(out);
        }
        return Linear.apply(x, weight.mT(), bias, act);
    }

    /** {@code F.linear(x, w)} without bias. */
    public static Tensor linear(Tensor x, Tensor weight) {
        return linear(x, weight, null);
    }

    /** {@code F.dropout(x, p, training=False)}: the identity; see {@link #dropout(Tensor, double, boolean, long)}. */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        if (training && p > 0) {
            throw new IllegalArgumentException("dropout: training mode needs a seed for its mask: dropout(x, p, true, seed)");
        }
        return dropout(x, p, training, 0);
    }

    /**
     * {@code F.dropout(x, p, training)}: when training, zeroes each element with probability p
     * (a mask from a generator seeded with {@code seed}: the same seed, the same mask) and scales
     * the rest by 1 / (1 - p); when not training, x itself.
     */
    public static Tensor dropout(Tensor x, double p, boolean training, long seed) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout: probability has to be between 0 and 1, but got " + p);
        }
        if (!training || p == 0) {
            return x;
        }
        if (p == 1) {
            return x.mul(0.0);
        }
        Tensor keep = Tensor.random(seed, false, DType.FLOAT64, x.shape()).ge(p).to(x.device());
        return Tensor.where(keep, x.mul(1.0 / (1.0 - p)), 0.0);
    }

    /** {@code F.scaled_dot_product_attention(q, k, v)}; see {@link Attention#scaledDotProduct}. */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v) {
        return Attention.scaledDotProduct(q, k, v, null, false, Double.NaN);
    }

    /**
     * {@code F.scaled_dot_product_attention(q, k, v, attn_mask, is_causal=..., scale=...)}: softmax(q kᵀ
     * · scale + mask) v over the last two dims; a bool mask keeps where true, a float mask is added;
     * NaN scale means 1 / sqrt(q.size(-1)).
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean isCausal,
            double scale) {
        return Attention.scaledDotProduct(q, k, v, attnMask, isCausal, scale);
    }

    // ------------------------------------------------------------------ activations and losses

    public static Tensor relu(Tensor x) { return x.relu(); }
    /** {@code F.relu6}: derivative 0 at the kinks 0 and 6, as PyTorch's (hardtanh). */
    public static Tensor relu6(Tensor x) { return Activations.relu6(x); }
    /** {@code F.hardtanh(x)}: clamp to [-1, 1], derivative 0 at the kinks. */
    public static Tensor hardtanh(Tensor x) { return Activations.hardtanh(x, -1, 1); }
    /** {@code F.hardtanh(x, min_val, max_val)}. */
    public static Tensor hardtanh(Tensor x, double minVal, double maxVal) { return Activations.hardtanh(x, minVal, maxVal); }
    public static Tensor leakyRelu(Tensor x, double negativeSlope) { return x.leakyRelu(negativeSlope); }
    public static Tensor elu(Tensor x, double alpha) { return x.elu(alpha); }
    public static Tensor selu(Tensor x) { return Activations.selu(x); }
    public static Tensor gelu(Tensor x) { return x.gelu(); }
    /** {@code F.gelu(x, approximate='tanh')} when {@code tanhApproximation}. */
    public static Tensor gelu(Tensor x, boolean tanhApproximation) { return x.gelu(tanhApproximation); }
    public static Tensor silu(Tensor x) { return x.silu(); }
    /** Swish with a slope: x · sigmoid(beta · x) (beta 1 is silu). */
    public static Tensor swish(Tensor x, double beta) { return Activations.swish(x, beta); }
    public static Tensor mish(Tensor x) { return Activations.mish(x); }
    public static Tensor hardswish(Tensor x) { return Activations.hardswish(x); }
    public static Tensor softsign(Tensor x) { return Activations.softsign(x); }
    public static Tensor logsigmoid(Tensor x) { return Activations.logsigmoid(x); }
    public static Tensor sigmoid(Tensor x) { return x.sigmoid(); }
    public static Tensor tanh(Tensor x) { return x.tanh(); }
    public static Tensor softplus(Tensor x) { return x.softplus(); }
    public static Tensor softmax(Tensor x, int dim) { return x.softmax(dim); }
    public static Tensor logSoftmax(Tensor x, int dim) { return x.logSoftmax(dim); }
    /**
     * {@code F.mse_loss(x, target)}: the mean of the squared differences. Shapes that differ but
     * broadcast are broadcast, as PyTorch (which warns; logged once here), see {@link Activations#mseLoss}.
     */
    public static Tensor mseLoss(Tensor x, Tensor target) { return Activations.mseLoss(x, target, "mean"); }
    /** {@code F.mse_loss(x, target, reduction)} with reduction "mean", "sum" or "none". */
    public static Tensor mseLoss(Tensor x, Tensor target, String reduction) { return Activations.mseLoss(x, target, reduction); }
    /**
     * {@code F.cross_entropy(logits, target)}: logits [N, C, d1, ...] (or [C]); target int64 class
     * indices [N, d1, ...] (or []) — those equal to -100, PyTorch's default ignore_index, are left
     * out, of the mean's count too — or class probabilities shaped like logits; mean.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target) { return Activations.crossEntropy(logits, target, "mean"); }
    /** {@code F.cross_entropy(logits, target, reduction)}. */
    public static Tensor crossEntropy(Tensor logits, Tensor target, String reduction) {
        return Activations.crossEntropy(logits, target, reduction);
    }
    /**
     * {@code F.cross_entropy(logits, target, weight, ignore_index=ignoreIndex, reduction=...)}: with
     * class weights [C] (or null), "mean" is the weighted mean (divided by the summed weights of
     * the targets not ignored); see {@link Activations#crossEntropy(Tensor, Tensor, Tensor, long, String)}.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Tensor weight, long ignoreIndex, String reduction) {
        return Activations.crossEntropy(logits, target, weight, ignoreIndex, reduction);
    }

    // ------------------------------------------------------------------ helpers

    static long[] pair(long v) {
        return new long[] {v, v};
    }

    private static Attrs.Conv conv(long[] stride, long[] padding, long[] dilation, long groups) {
        if (stride.length != 2 || padding.length != 2 || dilation.length != 2) {
            throw new IllegalArgumentException("conv2d: stride, padding and dilation must have 2 entries, got "
                    + Arrays.toString(stride) + ", " + Arrays.toString(padding) + ", " + Arrays.toString(dilation));
        }
        return new Attrs.Conv(stride.clone(), padding.clone(), dilation.clone(), groups);
    }

    private static Tensor withBias(String op, Tensor y, Tensor bias, long channels) {
        if (bias == null) {
            return y;
        }
        if (bias.dim() != 1 || bias.size(0) != channels) {
            throw new IllegalArgumentException(op + ": expected a bias of shape [" + channels + "], got "
                    + Arrays.toString(bias.shape()));
        }
        return y.add(bias.reshape(1, channels, 1, 1));
    }

    private static Tensor pool2d(String op, Prim p, Tensor x, Attrs.Pool a) {
        if (x.dim() != 3 && x.dim() != 4) {
            throw new IllegalArgumentException(op + ": expected 3-D or 4-D input, got " + Arrays.toString(x.shape()));
        }
        if (a.kernel().length != 2 || a.stride().length != 2 || a.padding().length != 2) {
            throw new IllegalArgumentException(op + ": kernel, stride and padding must have 2 entries, got kernel "
                    + Arrays.toString(a.kernel()) + ", stride " + Arrays.toString(a.stride()) + ", padding "
                    + Arrays.toString(a.padding()) + " (input " + Arrays.toString(x.shape()) + ")");
        }
        for (int i = 0; i < 2; i++) {
            if (a.kernel()[i] < 1 || a.stride()[i] < 1 || a.dilation()[i] < 1 || a.padding()[i] < 0) {
                throw new IllegalArgumentException(op + ": kernel, stride and dilation must be positive and padding"
                        + " non-negative, got kernel " + Arrays.toString(a.kernel()) + ", stride "
                        + Arrays.toString(a.stride()) + ", padding " + Arrays.toString(a.padding()) + ", dilation "
                        + Arrays.toString(a.dilation()) + " (input " + Arrays.toString(x.shape()) + ")");
            }
        }
        boolean batched = x.dim() == 4;
        Tensor y = Dispatch.apply(p, a, batched ? x : x.unsqueeze(0));
        return batched ? y : y.squeeze(0);
    }

    /** The (out x in) matrix whose row i averages inputs floor(i in / out) .. ceil((i + 1) in / out). */
    private static Tensor averaging(long in, long out, Tensor like) {
        double[] m = new double[Math.toIntExact(out * in)];
        for (long i = 0; i < out; i++) {
            long start = Math.floorDiv(i * in, out);
            long end = -Math.floorDiv(-(i + 1) * in, out);
            for (long j = start; j < end; j++) {
                m[(int) (i * in + j)] = 1.0 / (end - start);
            }
        }
        return Tensor.of(m, like.dtype(), out, in).to(like.device());
    }
}
