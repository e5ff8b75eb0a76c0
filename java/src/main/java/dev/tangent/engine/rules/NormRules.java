package dev.tangent.engine.rules;

import dev.tangent.Tensor;
import dev.tangent.engine.Dispatch;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.util.Arrays;

/**
 * Normalisation. With x̂ = (x - mean) rstd over a normalised group of n elements, rstd =
 * 1 / sqrt(var + eps), the Jacobian of x → x̂ is J = rstd (I - 11ᵀ/n - x̂x̂ᵀ/n): symmetric, so
 * one primitive, {@code LAYER_NORM_GRAD(x, g) = J g}, is both the jvp of the normalisation
 * (g = ẋ) and its vjp (g = the gradient of x̂); group_norm's is the same on an [N, G, M] reshape.
 * The affine part is element-wise in Tensor operations. {@code LAYER_NORM_GRAD} itself is linear
 * in g; its derivatives in x are PyTorch's (the forward derivative of its decomposition of
 * native_layer_norm_backward, and layer_norm_double_backward), term by term, so that non-finite
 * inputs and zero signs come out as in PyTorch (NonFiniteTest). Both are written in Tensor
 * operations (LAYER_NORM_GRAD among them), so every order can be differentiated again. Batch norm in
 * inference is affine in x: y = x alpha + beta, alpha = w rstd, beta = b - mean alpha, with
 * rules for the statistics, weight and bias too.
 */
final class NormRules {
    private NormRules() {}

    static Tensor jvp(Prim p, Attrs a, Tensor[] x, Tensor[] t, Tensor y) {
        return switch (p) {
            case LAYER_NORM -> layerNormJvp((Attrs.LayerNorm) a, x, t);
            case LAYER_NORM_GRAD -> gradJvp((Attrs.LayerNorm) a, x[0], x[1], t[0], t[1]);
            case BATCH_NORM -> batchNormJvp((Attrs.BatchNorm) a, x, t);
            case GROUP_NORM -> groupNormJvp((Attrs.GroupNorm) a, x, t);
            default -> throw new IllegalArgumentException("no jvp rule for " + p.opName());
        };
    }

    static void vjp(Prim p, Attrs a, Tensor[] x, Tensor y, Tensor g, boolean[] need, Tensor[] r) {
        switch (p) {
            case LAYER_NORM -> layerNormVjp((Attrs.LayerNorm) a, x, g, need, r);
            case LAYER_NORM_GRAD -> gradVjp((Attrs.LayerNorm) a, x[0], x[1], g, need, r);
            case BATCH_NORM -> batchNormVjp((Attrs.BatchNorm) a, x, g, need, r);
            case GROUP_NORM -> groupNormVjp((Attrs.GroupNorm) a, x, g, need, r);
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        }
    }

    // ------------------------------------------------------------------ layer norm

    /** J g for the normalisation {@code a} at x. */
    private static Tensor lng(Attrs.LayerNorm a, Tensor x, Tensor g) {
        return Dispatch.apply(Prim.LAYER_NORM_GRAD, a.plain(), x, g);
    }

    private static Tensor xhat(Attrs.LayerNorm a, Tensor x) {
        return Dispatch.apply(Prim.LAYER_NORM, a.plain(), x);
    }

    private static int[] normDims(Attrs.LayerNorm a, Tensor x) {
        int[] d = new int[a.dims()];
        for (int i = 0; i < d.length; i++) {
            d[i] = x.dim() - a.dims() + i;
        }
        return d;
    }

    private static Tensor layerNormJvp(Attrs.LayerNorm a, Tensor[] x, Tensor[] t) {
        int iw = 1;
        int ib = a.weight() ? 2 : 1;
        boolean tw = a.weight() && t[iw] != null;
        boolean tb = a.bias() && t[ib] != null;
        Tensor r;
        if (t[0] != null) {
            r = lng(a, x[0], t[0]);
        } else if (tw || tb) {
            r = centred(a, x[0]).mul(0.0);
        } else {
            return null;
        }
        if (a.weight()) {
            r = r.mul(x[iw]);
        }
        if (tw) {
            r = r.add(centred(a, x[0]).mul(rstd(a, x[0])).mul(t[iw]));
        }
        return tb ? r.add(t[ib]) : r;
    }

    /**
     * x - mean over the normalised dims. In the jvp with a weight or bias tangent, as PyTorch's
     * forward AD: an absent input tangent is materialised as zeros, so the normalisation's tangent
     * is {@code (x - mean) · 0} — NaN in groups whose statistics are NaN, a zero with the sign of
     * x - mean elsewhere — and x̂ is {@code (x - mean) · rstd} (not the forward kernel's value,
     * which adds PyTorch's absent bias, +0).
     */
    private static Tensor centred(Attrs.LayerNorm a, Tensor x) {
        return x.sub(x.mean(normDims(a, x), true));
    }

    private static void layerNormVjp(Attrs.LayerNorm a, Tensor[] x, Tensor g, boolean[] need, Tensor[] r) {
        int iw = 1;
        int ib = a.weight() ? 2 : 1;
        if (need[0]) {
            r[0] = lng(a, x[0], a.weight() ? g.mul(x[iw]) : g);
        }
        if (a.weight() && need[iw]) {
            r[iw] = Rules.sumToShape(g.mul(xhat(a, x[0])), x[iw].shape(), x[iw].dtype());
        }
        if (a.bias() && need[ib]) {
            r[ib] = Rules.sumToShape(g, x[ib].shape(), x[ib].dtype());
        }
    }

    /** rstd over the normalised dims, kept as size-1 dims. */
    private static Tensor rstd(Attrs.LayerNorm a, Tensor x) {
        int[] dims = normDims(a, x);
        Tensor c = x.sub(x.mean(dims, true));
        return c.mul(c).mean(dims, true).add(a.eps()).rsqrt();
    }

    /**
     * The jvp of J g: in g, J ġ (J is linear in g); in x, the forward derivative of PyTorch's
     * decomposition of native_layer_norm_backward (the one its forward AD runs), term by term, so
     * that zero signs, NaN and infinities come out as there: with x_c = x - mean, x̂ = x_c rstd,
     * c2 = Σ g x̂ and inner = n g - Σ g - x̂ c2 (J g = rstd / n · inner),
     * {@code ṙ = -½ v̇ rstd³} with {@code v̇ = Σ (2/n ẋ) x_c}, {@code x̂' = ṙ x_c + (ẋ - mean(ẋ)) rstd},
     * and the result is {@code -(Σ(g x̂') x̂ + x̂' c2) · rstd / n + ṙ / n · inner}.
     */
    private static Tensor gradJvp(Attrs.LayerNorm a, Tensor x, Tensor g, Tensor tx, Tensor tg) {
        Tensor r = tg == null ? null : lng(a, x, tg);
        if (tx != null) {
            int[] dims = normDims(a, x);
            double n = groupSize(a, x);
            Tensor xc = x.sub(x.mean(dims, true));
            Tensor rs = rstd(a, x);
            Tensor xh = xc.mul(rs);
            Tensor dr = tx.mul(2.0 / n).mul(xc).sum(dims, true).mul(-0.5).mul(rs.pow(3));
            Tensor dxh = dr.mul(xc).add(tx.sub(tx.mean(dims, true)).mul(rs));
            Tensor c2 = g.mul(xh).sum(dims, true);
            Tensor dc3 = g.mul(dxh).sum(dims, true).mul(xh).add(dxh.mul(c2));
            Tensor inner = g.mul(n).sub(g.sum(dims, true)).sub(xh.mul(c2));
            r = Rules.add(r, dc3.neg().mul(rs.div(n)).add(dr.div(n).mul(inner)));
        }
        return r;
    }

    /** The number of elements in one normalised group (the product of the normalised sizes). */
    private static double groupSize(Attrs.LayerNorm a, Tensor x) {
        double n = 1;
        for (int d : normDims(a, x)) {
            n *= x.size(d);
        }
        return n;
    }

    /**
     * The vjp of J g: in g, J h (J is symmetric); in x, PyTorch's layer_norm_double_backward term by
     * term (no affine; zero signs, NaN and infinities as there): with x_c = x - mean, s = rstd,
     * {@code gI = x_c s³ (Σh Σg / n - Σ(h g) + 3 s² Σ(g x_c) Σ(h x_c) / n) / n
     * + Σ(h x_c) s³ / n · (Σg / n - g) + Σ(g x_c) s³ / n · (Σh / n - h)}.
     */
    private static void gradVjp(Attrs.LayerNorm a, Tensor x, Tensor g, Tensor h, boolean[] need, Tensor[] r) {
        if (need[1]) {
            r[1] = lng(a, x, h);
        }
        if (need[0]) {
            int[] dims = normDims(a, x);
            double n = groupSize(a, x);
            Tensor xc = x.sub(x.mean(dims, true));
            Tensor s = rstd(a, x);
            Tensor s3 = s.pow(3);
            Tensor gmu = g.mul(xc).sum(dims, true);
            Tensor gs = g.sum(dims, true);
            Tensor hs = h.sum(dims, true);
            Tensor hmu = h.mul(xc).sum(dims, true);
            Tensor allSub = hs.mul(gs).div(n).sub(h.mul(g).sum(dims, true))
                    .add(s.pow(2).mul(gmu).mul(hmu).mul(3.0 / n));
            Tensor t0 = xc.mul(s3).mul(allSub).div(n);
            Tensor t1 = hmu.mul(s3).div(n).mul(gs.div(n).sub(g));
            Tensor t2 = gmu.mul(s3).div(n).mul(hs.div(n).sub(h));
            r[0] = t0.add(t1).add(t2);
        }
    }

    // ------------------------------------------------------------------ batch norm (inference)

    /** [1, C, 1, ...] for x's rank: a per-channel vector's broadcast shape. */
    private static long[] perChannel(Tensor x) {
        long[] s = new long[x.dim()];
        Arrays.fill(s, 1);
        s[1] = x.size(1);
        return s;
    }

    /** Every dim but the channel dim 1. */
    private static int[] nonChannel(Tensor x) {
        int[] d = new int[x.dim() - 1];
        d[0] = 0;
        for (int i = 2; i < x.dim(); i++) {
            d[i - 1] = i;
        }
        return d;
    }

    private static Tensor batchNormJvp(Attrs.BatchNorm a, Tensor[] x, Tensor[] t) {
        int iw = 3;
        int ib = a.weight() ? 4 : 3;
        long[] pc = perChannel(x[0]);
        Tensor rs = x[2].add(a.eps()).rsqrt();
        Tensor alpha = a.weight() ? rs.mul(x[iw]) : rs;
        Tensor r = t[0] == null ? null : t[0].mul(alpha.reshape(pc));
        Tensor dalpha = null;
        if (t[2] != null) {
            Tensor dr = t[2].mul(rs.pow(3)).mul(-0.5);
            dalpha = a.weight() ? dr.mul(x[iw]) : dr;
        }
        if (a.weight() && t[iw] != null) {
            dalpha = Rules.add(dalpha, rs.mul(t[iw]));
        }
        if (dalpha != null) {
            r = Rules.add(r, x[0].sub(x[1].reshape(pc)).mul(dalpha.reshape(pc)));
        }
        if (t[1] != null) {
            r = Rules.add(r, t[1].mul(alpha).neg().reshape(pc));
        }
        if (a.bias() && t[ib] != null) {
            r = Rules.add(r, t[ib].reshape(pc));
        }
        return r;
    }

    private static void batchNormVjp(Attrs.BatchNorm a, Tensor[] x, Tensor g, boolean[] need, Tensor[] r) {
        int iw = 3;
        int ib = a.weight() ? 4 : 3;
        long[] pc = perChannel(x[0]);
        int[] other = nonChannel(x[0]);
        Tensor rs = x[2].add(a.eps()).rsqrt();
        Tensor alpha = a.weight() ? rs.mul(x[iw]) : rs;
        if (need[0]) {
            r[0] = g.mul(alpha.reshape(pc));
        }
        boolean needS1 = need[1] || a.bias() && need[ib];
        boolean needS2 = need[2] || a.weight() && need[iw];
        Tensor s1 = needS1 ? g.sum(other, false) : null;
        Tensor s2 = needS2 ? g.mul(x[0].sub(x[1].reshape(pc))).sum(other, false) : null;
        if (need[1]) {
            r[1] = s1.mul(alpha).neg();
        }
        if (need[2]) {
            Tensor gr = a.weight() ? s2.mul(x[iw]) : s2;
            r[2] = gr.mul(rs.pow(3)).mul(-0.5);
        }
        if (a.weight() && need[iw]) {
            r[iw] = s2.mul(rs);
        }
        if (a.bias() && need[ib]) {
            r[ib] = s1;
        }
    }

    // ------------------------------------------------------------------ group norm

    /** The layer norm over the last dim of x reshaped [N, G, C / G * ...]: group_norm's normalisation. */
    private static Attrs.LayerNorm grouped(Attrs.GroupNorm a) {
        return new Attrs.LayerNorm(1, a.eps(), false, false);
    }

    private static Tensor groupsView(Attrs.GroupNorm a, Tensor t) {
        return t.reshape(t.size(0), a.groups(), -1);
    }

    private static Tensor groupNormJvp(Attrs.GroupNorm a, Tensor[] x, Tensor[] t) {
        int iw = 1;
        int ib = a.weight() ? 2 : 1;
        boolean tw = a.weight() && t[iw] != null;
        boolean tb = a.bias() && t[ib] != null;
        long[] pc = perChannel(x[0]);
        Tensor r;
        if (t[0] != null) {
            r = lng(grouped(a), groupsView(a, x[0]), groupsView(a, t[0])).reshape(x[0].shape());
        } else if (tw || tb) {
            r = centred(grouped(a), groupsView(a, x[0])).mul(0.0).reshape(x[0].shape());
        } else {
            return null;
        }
        if (a.weight()) {
            r = r.mul(x[iw].reshape(pc));
        }
        if (tw) {
            Tensor xg = groupsView(a, x[0]);
            Tensor xh = centred(grouped(a), xg).mul(rstd(grouped(a), xg)).reshape(x[0].shape());
            r = r.add(xh.mul(t[iw].reshape(pc)));
        }
        return tb ? r.add(t[ib].reshape(pc)) : r;
    }

    private static void groupNormVjp(Attrs.GroupNorm a, Tensor[] x, Tensor g, boolean[] need, Tensor[] r) {
        int iw = 1;
        int ib = a.weight() ? 2 : 1;
        long[] pc = perChannel(x[0]);
        if (need[0]) {
            Tensor gx = a.weight() ? g.mul(x[iw].reshape(pc)) : g;
            r[0] = lng(grouped(a), groupsView(a, x[0]), groupsView(a, gx)).reshape(x[0].shape());
        }
        if (a.weight() && need[iw]) {
            r[iw] = g.mul(Dispatch.apply(Prim.GROUP_NORM, a.plain(), x[0])).sum(nonChannel(x[0]), false);
        }
        if (a.bias() && need[ib]) {
            r[ib] = g.sum(nonChannel(x[0]), false);
        }
    }
}
