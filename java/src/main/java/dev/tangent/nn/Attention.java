package dev.tangent.nn;

import dev.tangent.DType;
import dev.tangent.Tensor;
import java.util.Arrays;

/** Scaled dot-product attention, written in Tensor operations (two matmuls and a softmax). */
public final class Attention {
    private Attention() {}

    /**
     * softmax(q kᵀ · scale + mask) v over the last two dims of q [..., L, E], k [..., S, E], v [..., S, Ev].
     * A bool mask [L, S] (broadcastable) keeps where true; a float mask is added. {@code isCausal}
     * keeps position j ≤ i only. A NaN {@code scale} means 1 / sqrt(E).
     */
    public static Tensor scaledDotProduct(Tensor q, Tensor k, Tensor v, Tensor mask, boolean isCausal, double scale) {
        if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2 || q.size(-1) != k.size(-1) || k.size(-2) != v.size(-2)) {
            throw new IllegalArgumentException("scaled_dot_product_attention: expected q [..., L, E], k [..., S, E], v"
                    + " [..., S, Ev], got " + Arrays.toString(q.shape()) + ", " + Arrays.toString(k.shape()) + ", "
                    + Arrays.toString(v.shape()));
        }
        if (isCausal && mask != null) {
            throw new IllegalArgumentException("scaled_dot_product_attention: is_causal and attn_mask cannot both be"
                    + " given");
        }
        double s = Double.isNaN(scale) ? 1.0 / Math.sqrt(q.size(-1)) : scale;
        // Scale whichever is smaller, a contiguous q [.., L, E] or the scores [.., L, S] (the same
        // mathematically; a head-split view of q would be copied by the scaling).
        Tensor scores = q.isContiguous() && q.size(-1) <= k.size(-2) ? q.mul(s).matmul(k.mT())
                : q.matmul(k.mT()).mul(s);
        long l = q.size(-2);
        long sl = k.size(-2);
        if (isCausal) {
            mask = Tensor.arange(0, l, 1, DType.INT64).unsqueeze(1).ge(Tensor.arange(0, sl, 1, DType.INT64).unsqueeze(0))
                    .to(q.device());
        }
        if (mask != null) {
            checkMask(mask, scores.shape(), q, k);
            scores = mask.dtype() == DType.BOOL ? Tensor.where(mask, scores, Double.NEGATIVE_INFINITY)
                    : scores.add(mask);
        }
        return scores.softmax(-1).matmul(v);
    }

    /** A bool or floating point mask that broadcasts with the scores [..., L, S]. */
    private static void checkMask(Tensor mask, long[] scores, Tensor q, Tensor k) {
        long[] m = mask.shape();
        boolean fits = mask.dtype() == DType.BOOL || mask.dtype().isFloatingPoint();
        for (int i = 1; fits && i <= Math.min(m.length, scores.length); i++) {
            long a = m[m.length - i];
            long b = scores[scores.length - i];
            fits = a == b || a == 1 || b == 1;
        }
        if (!fits) {
            throw new IllegalArgumentException("scaled_dot_product_attention: expected a bool or floating point attn_mask"
                    + " broadcastable to the attention weights " + Arrays.toString(scores) + " (q "
                    + Arrays.toString(q.shape()) + ", k " + Arrays.toString(k.shape()) + "), got "
                    + mask.dtype().torchName() + " " + Arrays.toString(m));
        }
    }
}
