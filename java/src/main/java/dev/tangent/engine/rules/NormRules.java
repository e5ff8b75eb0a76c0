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
 * in g, and its derivative in x along u̇ (z = J g, a = mean(g x̂), β = mean(x̂ u̇), u = J u̇) is
 * {@code -rstd (β z + a u + x̂ mean(g u))}; its vjp in x for the gradient h is, by the symmetry of
 * J, {@code -rstd (mean(h z) x̂ + a J h + mean(h x̂) z)} (negated as 0 - v: zero results are +0,
 * as PyTorch's double backward gives in groups of zero variance). Both are written in Tensor operations
 * (LAYER_NORM_GRAD among them), so every order can be differentiated again. Batch norm in
 * inference is affine in x: y = x alpha + beta, alpha = w rstd, beta = b - mean alpha, with
 * rules for the statistics, weight and bias too.
 */
final class NormRules {
    private NormRules() {}

    static Tensor jvp(Prim p, Attrs a, Tensor[] x, Tensor[] t, Tensor y) {
        return switch (p) {
            case LAYER_NORM -> layerNormJvp((Attrs.LayerNorm) a, x, t);
            case LAYER_NORM_GRAD -> gradJvp((Attrs.LayerNorm) a, x[0], x[1], t[0], t[1], y);
            case BATCH_NORM -> batchNormJvp((Attrs.BatchNorm) a, x, t);
            case GROUP_NORM -> groupNormJvp((Attrs.GroupNorm) a, x, t);
            default -> throw new IllegalArgumentException("no jvp rule for " + p.opName());
        };
    }

    static void vjp(Prim p, Attrs a, Tensor[] x, Tensor y, Tensor g, boolean[] need, Tensor[] r) {
        switch (p) {
            case LAYER_NORM -> layerNormVjp((Attrs.LayerNorm) a, x, g, need, r);
            case LAYER_NORM_GRAD -> gradVjp((Attrs.LayerNorm) a, x[0], x[1], y, g, need, r);
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

    private static Tensor gradJvp(Attrs.LayerNorm a, Tensor x, Tensor g, Tensor tx, Tensor tg, Tensor z) {
        Tensor r = tg == null ? null : lng(a, x, tg);
        if (tx != null) {
            int[] dims = normDims(a, x);
            Tensor xh = xhat(a, x);
            Tensor u = lng(a, x, tx);
            Tensor beta = xh.mul(tx).mean(dims, true);
            Tensor alpha = g.mul(xh).mean(dims, true);
            Tensor gu = g.mul(u).mean(dims, true);
            Tensor dz = z.mul(beta).add(u.mul(alpha)).add(xh.mul(gu)).mul(rstd(a, x)).rsub(0.0);
            r = Rules.add(r, dz);
        }
        return r;
    }

    private static void gradVjp(Attrs.LayerNorm a, Tensor x, Tensor g, Tensor z, Tensor h, boolean[] need,
            Tensor[] r) {
        Tensor jh = lng(a, x, h);
        if (need[1]) {
            r[1] = jh;
        }
        if (need[0]) {
            int[] dims = normDims(a, x);
            Tensor xh = xhat(a, x);
            Tensor alpha = g.mul(xh).mean(dims, true);
            Tensor hz = h.mul(z).mean(dims, true);
            Tensor hx = h.mul(xh).mean(dims, true);
            r[0] = xh.mul(hz).add(jh.mul(alpha)).add(z.mul(hx)).mul(rstd(a, x)).rsub(0.0);
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
