package dev.tangent.nn;

import dev.tangent.DType;
import dev.tangent.Tensor;
import java.util.Arrays;

/** Normalisation (batch, layer, group) and embedding, written in Tensor operations. */
public final class Norm {
    private Norm() {}

    /**
     * {@code batch_norm} over dim 1 of x [N, C, ...]. Inference ({@code training} false): with the
     * running statistics. Training: with this batch's mean and biased variance, and — where running
     * statistics were given — new ones: {@code (1 - momentum) · running + momentum · batch} (the
     * unbiased variance, as PyTorch). weight and bias [C] may be null.
     */
    public static BatchNormResult batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight,
            Tensor bias, boolean training, double momentum, double eps) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException("batch_norm: expected 2-D or more input [N, C, ...], got "
                    + Arrays.toString(x.shape()));
        }
        long c = x.size(1);
        checkVector("batch_norm", "weight", weight, c);
        checkVector("batch_norm", "bias", bias, c);
        checkVector("batch_norm", "running_mean", runningMean, c);
        checkVector("batch_norm", "running_var", runningVar, c);
        long[] perChannel = new long[x.dim()];
        Arrays.fill(perChannel, 1);
        perChannel[1] = c;
        if (!training) {
            if (runningMean == null || runningVar == null) {
                throw new IllegalArgumentException("batch_norm: running_mean and running_var must be defined in"
                        + " evaluation mode");
            }
            // PyTorch's form (batch_norm_cpu_collect_linear_and_constant_terms): y = x · alpha + beta,
            // alpha = invstd · weight, beta = bias - mean · alpha, invstd = 1 / sqrt(var + eps); two
            // passes over x instead of three, and PyTorch's rounding.
            Tensor invStd = runningVar.add(eps).rsqrt();
            Tensor alpha = weight == null ? invStd : invStd.mul(weight);
            Tensor meanAlpha = runningMean.mul(alpha);
            Tensor beta = bias == null ? meanAlpha.neg() : bias.sub(meanAlpha);
            Tensor y = x.mul(alpha.reshape(perChannel)).add(beta.reshape(perChannel));
            return new BatchNormResult(y, runningMean, runningVar);
        }
        int[] dims = new int[x.dim() - 1];
        dims[0] = 0;
        for (int i = 2; i < x.dim(); i++) {
            dims[i - 1] = i;
        }
        long count = x.numel() / c;
        if (count <= 1) {
            throw new IllegalArgumentException("batch_norm: expected more than 1 value per channel when training, got"
                    + " input size " + Arrays.toString(x.shape()));
        }
        Tensor mean = x.mean(dims, true);
        Tensor centered = x.sub(mean);
        Tensor var = centered.mul(centered).mean(dims, true);
        Tensor y = centered.mul(var.add(eps).rsqrt());
        y = affine(y, weight, bias, perChannel);
        Tensor newMean = null;
        Tensor newVar = null;
        if (runningMean != null) {
            newMean = runningMean.mul(1 - momentum).add(mean.reshape(c).detach().mul(momentum));
        }
        if (runningVar != null) {
            Tensor unbiased = var.reshape(c).detach().mul((double) count / (count - 1));
            newVar = runningVar.mul(1 - momentum).add(unbiased.mul(momentum));
        }
        return new BatchNormResult(y, newMean, newVar);
    }

    /** {@code layer_norm}: normalises over the last dims (their shape is {@code normalizedShape}). */
    public static Tensor layerNorm(Tensor x, long[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        int k = normalizedShape.length;
        long[] s = x.shape();
        if (k == 0 || k > s.length
                || !Arrays.equals(Arrays.copyOfRange(s, s.length - k, s.length), normalizedShape)) {
            throw new IllegalArgumentException("layer_norm: Given normalized_shape=" + Arrays.toString(normalizedShape)
                    + ", expected input with shape [*, " + Arrays.toString(normalizedShape).replaceAll("[\\[\\]]", "")
                    + "], but got input of size" + Arrays.toString(s));
        }
        for (Tensor p : new Tensor[] {weight, bias}) {
            if (p != null && !Arrays.equals(p.shape(), normalizedShape)) {
                throw new IllegalArgumentException("layer_norm: weight and bias must have the normalized shape "
                        + Arrays.toString(normalizedShape) + ", got " + Arrays.toString(p.shape()));
            }
        }
        int[] dims = new int[k];
        for (int i = 0; i < k; i++) {
            dims[i] = s.length - k + i;
        }
        Tensor centered = x.sub(x.mean(dims, true));
        Tensor y = centered.mul(centered.mul(centered).mean(dims, true).add(eps).rsqrt());
        if (weight != null) {
            y = y.mul(weight);
        }
        return bias == null ? y : y.add(bias);
    }

    /** {@code group_norm}: x [N, C, ...] normalised within each of {@code numGroups} channel groups. */
    public static Tensor groupNorm(Tensor x, long numGroups, Tensor weight, Tensor bias, double eps) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException("group_norm: expected at least 2-D input [N, C, ...], got "
                    + Arrays.toString(x.shape()));
        }
        long c = x.size(1);
        if (numGroups < 1 || c % numGroups != 0) {
            throw new IllegalArgumentException("group_norm: Expected number of channels in input to be divisible by"
                    + " num_groups, but got input of shape " + Arrays.toString(x.shape()) + " and num_groups="
                    + numGroups);
        }
        checkVector("group_norm", "weight", weight, c);
        checkVector("group_norm", "bias", bias, c);
        long n = x.size(0);
        Tensor g = x.reshape(n, numGroups, -1);
        Tensor centered = g.sub(g.mean(2, true));
        Tensor y = centered.mul(centered.mul(centered).mean(new int[] {2}, true).add(eps).rsqrt()).reshape(x.shape());
        long[] perChannel = new long[x.dim()];
        Arrays.fill(perChannel, 1);
        perChannel[1] = c;
        return affine(y, weight, bias, perChannel);
    }

    /** {@code embedding}: rows of weight [V, D] for int64 indices of any shape → indices.shape + [D]. */
    public static Tensor embedding(Tensor indices, Tensor weight) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("embedding: expected a 2-D weight [num_embeddings, dim], got "
                    + Arrays.toString(weight.shape()));
        }
        if (indices.dtype() != DType.INT64) {
            throw new IllegalArgumentException("embedding: Expected tensor for argument #1 'indices' to have scalar"
                    + " type Long; but got " + indices.dtype().torchName() + " instead");
        }
        long rows = weight.size(0);
        for (long i : indices.toLongArray()) {
            if (i < 0 || i >= rows) {
                throw new IndexOutOfBoundsException("embedding: index " + i + " is out of range for a table of " + rows
                        + " rows (weight " + Arrays.toString(weight.shape()) + ")");
            }
        }
        long[] s = indices.shape();
        long[] out = Arrays.copyOf(s, s.length + 1);
        out[s.length] = weight.size(1);
        return weight.indexSelect(0, indices.reshape(-1).to(weight.device())).reshape(out);
    }

    private static Tensor affine(Tensor y, Tensor weight, Tensor bias, long[] perChannel) {
        if (weight != null) {
            y = y.mul(weight.reshape(perChannel));
        }
        return bias == null ? y : y.add(bias.reshape(perChannel));
    }

    private static void checkVector(String op, String what, Tensor t, long c) {
        if (t != null && (t.dim() != 1 || t.size(0) != c)) {
            throw new IllegalArgumentException(op + ": expected " + what + " of shape [" + c + "], got "
                    + Arrays.toString(t.shape()));
        }
    }
}
