package dev.tangent.nn;

import dev.tangent.DType;
import dev.tangent.Tensor;
import dev.tangent.engine.Dispatch;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.NnShapes;
import dev.tangent.ops.Prim;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Normalisation (batch, layer, group) and embedding. layer_norm, group_norm and inference
 * batch_norm are one primitive each (one fused kernel: oneDNN's normalisation primitives for
 * float32); training batch_norm is written in Tensor operations.
 */
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
        long c = NnShapes.channels("batch_norm", x.shape());
        NnShapes.channelVector("batch_norm", "weight", shape(weight), c);
        NnShapes.channelVector("batch_norm", "bias", shape(bias), c);
        NnShapes.channelVector("batch_norm", "running_mean", shape(runningMean), c);
        NnShapes.channelVector("batch_norm", "running_var", shape(runningVar), c);
        long[] perChannel = new long[x.dim()];
        Arrays.fill(perChannel, 1);
        perChannel[1] = c;
        if (!training) {
            if (runningMean == null || runningVar == null) {
                throw new IllegalArgumentException("batch_norm: running_mean and running_var must be defined in"
                        + " evaluation mode");
            }
            // One fused pass, PyTorch's form (batch_norm_cpu_collect_linear_and_constant_terms):
            // y = x · alpha + beta, alpha = weight / sqrt(var + eps), beta = bias - mean · alpha.
            Tensor y = Dispatch.apply(Prim.BATCH_NORM, new Attrs.BatchNorm(eps, weight != null, bias != null),
                    operands(x, runningMean, runningVar, weight, bias));
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
        NnShapes.layerNorm(x.shape(), normalizedShape, shape(weight), shape(bias));
        return Dispatch.apply(Prim.LAYER_NORM, new Attrs.LayerNorm(normalizedShape.length, eps, weight != null,
                bias != null), operands(x, weight, bias));
    }

    /** {@code group_norm}: x [N, C, ...] normalised within each of {@code numGroups} channel groups. */
    public static Tensor groupNorm(Tensor x, long numGroups, Tensor weight, Tensor bias, double eps) {
        long c = NnShapes.channels("group_norm", x.shape());
        NnShapes.groups(x.shape(), numGroups);
        NnShapes.channelVector("group_norm", "weight", shape(weight), c);
        NnShapes.channelVector("group_norm", "bias", shape(bias), c);
        return Dispatch.apply(Prim.GROUP_NORM, new Attrs.GroupNorm(numGroups, eps, weight != null, bias != null),
                operands(x, weight, bias));
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

    private static long[] shape(Tensor t) {
        return t == null ? null : t.shape();
    }

    /** The given (non-null) tensors in order, promoted to one dtype (as the Tensor operations would). */
    private static Tensor[] operands(Tensor... ts) {
        List<Tensor> in = new ArrayList<>();
        DType dt = null;
        for (Tensor t : ts) {
            if (t != null) {
                in.add(t);
                dt = dt == null ? t.dtype() : DType.promote(dt, t.dtype());
            }
        }
        Tensor[] r = new Tensor[in.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = in.get(i).to(dt);
        }
        return r;
    }
}
