package dev.tangent.engine.rules;

import dev.tangent.DType;
import dev.tangent.Tensor;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/** Reductions (sum, prod, amax, amin) and the softmax family. */
final class ReductionRules {
    private ReductionRules() {}

    static Tensor jvp(Prim p, Attrs attrs, Tensor x, Tensor t, Tensor y) {
        if (p == Prim.VAR || p == Prim.STD) {
            Attrs.Variance v = (Attrs.Variance) attrs;
            int[] over = v.dimNone() || x.dim() == 0 ? allDims(x) : v.dims().dims();
            Tensor dv = varBackward(t, x, v, true).sum(over, v.dims().keepdim());
            // std: PyTorch's var jvp / (2 · std), masked to 0 where std = 0
            return p == Prim.VAR ? dv : Tensor.where(y.ne(0.0), dv.div(y.mul(2.0)), 0.0);
        }
        Attrs.Dims a = (Attrs.Dims) attrs;
        int[] dims = a.dims();
        boolean keepdim = a.keepdim();
        return switch (p) {
            case SUM -> t.sum(dims, keepdim);
            case PROD -> t.mul(prodGrad(x, keptDims(y, x, a), dims, true)).sum(dims, keepdim);
            case AMAX, AMIN -> {
                Tensor mask = x.eq(keptDims(y, x, a)).to(x.dtype());
                yield t.mul(mask).sum(dims, keepdim).div(mask.sum(dims, keepdim));
            }
            case LOGSUMEXP -> {
                // PyTorch's logsumexp_jvp: sum(exp(x - amax) · t) / sum(exp(x - amax)), the max not masked
                Tensor e = x.numel() == 0 ? x.exp() : x.sub(x.amax(dims, true)).exp();
                yield e.mul(t).sum(dims, keepdim).div(e.sum(dims, keepdim));
            }
            case NORM -> {
                // PyTorch's norm_jvp (p = 2): sum(x · t) / ‖x‖, masked to 0 where ‖x‖ = 0
                Tensor s = x.mul(t).sum(dims, keepdim);
                yield Tensor.where(y.ne(0.0), s.div(y), 0.0);
            }
            default -> throw new IllegalArgumentException("no jvp rule for " + p.opName());
        };
    }

    static Tensor vjp(Prim p, Attrs attrs, Tensor x, Tensor y, Tensor g) {
        if (p == Prim.VAR || p == Prim.STD) {
            Attrs.Variance v = (Attrs.Variance) attrs;
            // std: PyTorch's std_backward, var_backward of g / (2 · std) masked to 0 where std = 0
            Tensor gv = p == Prim.VAR ? g : Tensor.where(y.ne(0.0), g.div(y.mul(2.0)), 0.0);
            return varBackward(gv, x, v, v.dims().keepdim());
        }
        Attrs.Dims a = (Attrs.Dims) attrs;
        int[] dims = a.dims();
        Tensor gk = keptDims(g, x, a);
        return switch (p) {
            case SUM -> gk.expand(x.shape());
            case PROD -> gk.mul(prodGrad(x, keptDims(y, x, a), dims, false));
            case AMAX, AMIN -> {
                Tensor mask = x.eq(keptDims(y, x, a)).to(x.dtype());
                yield gk.mul(mask).div(mask.sum(dims, true));
            }
            // PyTorch's logsumexp_backward: g · exp(x - result), from the rounded result
            case LOGSUMEXP -> gk.mul(x.sub(keptDims(y, x, a)).exp());
            case NORM -> {
                // PyTorch's norm_backward (p = 2): g · (x / ‖x‖), masked to 0 where ‖x‖ = 0
                Tensor yk = keptDims(y, x, a);
                yield gk.mul(Tensor.where(yk.ne(0.0), x.div(yk), 0.0));
            }
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        };
    }

    /**
     * PyTorch's var_backward: {@code 2 / (n - correction) · g · (x - mean(x))}, the mean over the
     * reduced dims; for {@code var()} of everything (dim=None) with n ≤ correction,
     * {@code g · (x == mean ? NaN : inf)}. {@code keepdim}: whether g has the reduced dims (size 1).
     * The jvp is this with the tangent as g, summed over the dims.
     */
    private static Tensor varBackward(Tensor g, Tensor x, Attrs.Variance v, boolean keepdim) {
        double c = v.correction();
        if (x.dim() == 0 || v.dimNone()) {
            double dof = x.numel() - c;
            Tensor mean = x.mean();
            if (dof <= 0) {
                return g.mul(Tensor.where(x.eq(mean), Tensor.full(Double.NaN, x.dtype(), x.device()), Double.POSITIVE_INFINITY));
            }
            return g.mul(2.0 / dof).mul(x.sub(mean));
        }
        int[] dims = v.dims().dims();
        Tensor gk = keepdim ? g : keptDims(g, x, v.dims());
        long n = 1;
        for (int d : dims) {
            n *= x.size(d);
        }
        return gk.mul(2.0 / (n - c)).mul(x.sub(x.mean(dims, true)));
    }

    private static int[] allDims(Tensor x) {
        int[] d = new int[x.dim()];
        for (int i = 0; i < d.length; i++) {
            d[i] = i;
        }
        return d;
    }

    static Tensor softmaxJvp(Prim p, Attrs.Dim a, Tensor t, Tensor y) {
        int[] d = {a.dim()};
        return p == Prim.SOFTMAX ? y.mul(t.sub(y.mul(t).sum(d, true))) : t.sub(y.exp().mul(t).sum(d, true));
    }

    static Tensor softmaxVjp(Prim p, Attrs.Dim a, Tensor g, Tensor y) {
        int[] d = {a.dim()};
        return p == Prim.SOFTMAX ? y.mul(g.sub(g.mul(y).sum(d, true))) : g.sub(y.exp().mul(g.sum(d, true)));
    }

    /**
     * d prod(x over dims) / d x_i, as PyTorch's prod_backward computes it: y / x where x holds no
     * zero at all (so inf / inf = NaN stays, as there), else the product of the other elements by
     * exclusive products from both ends, accumulated in float64 and stored in x's dtype (PyTorch's
     * CPU cumprod). Written in Tensor ops so that it is right to second order too. The branch reads
     * x (one reduction to the host), as PyTorch's does. The jvp ({@code forward}) always takes the
     * product of the others, as PyTorch's forward AD does (its prod_backward takes that path for the
     * wrapped tensors of torch.func): prod([inf, inf, 1, 2])'s tangent is inf there, not inf / inf.
     */
    private static Tensor prodGrad(Tensor x, Tensor y, int[] dims, boolean forward) {
        if (x.dim() == 0) {
            return Tensor.onesLike(x);
        }
        if (x.numel() == 0) {
            return Tensor.zerosLike(x);   // nothing to differentiate (and no slices to multiply)
        }
        if (!forward && x.eq(0.0).sum().item() == 0) {
            return y.div(x);
        }
        if (dims.length == 1) {
            return othersAlong(x, dims[0]);
        }
        int r = x.dim();
        int[] perm = new int[r];
        int k = 0;
        for (int d = 0; d < r; d++) {
            if (!contains(dims, d)) {
                perm[k++] = d;
            }
        }
        int kept = k;
        for (int d : dims) {
            perm[k++] = d;
        }
        Tensor p = x.permute(perm);
        long[] ps = p.shape();
        long[] flat = new long[kept + 1];
        flat[kept] = 1;
        for (int d = 0; d < r; d++) {
            if (d < kept) {
                flat[d] = ps[d];
            } else {
                flat[kept] *= ps[d];
            }
        }
        Tensor o = othersAlong(p.reshape(flat), kept).reshape(ps);
        int[] inv = new int[r];
        for (int i = 0; i < r; i++) {
            inv[perm[i]] = i;
        }
        return o.permute(inv);
    }

    /** For each element along dim, the product of the others (left part times right part). */
    private static Tensor othersAlong(Tensor x, int dim) {
        long n = x.size(dim);
        long[] one = x.shape();
        one[dim] = 1;
        Tensor xd = x.to(DType.FLOAT64);
        java.util.List<Tensor> left = new java.util.ArrayList<>();
        Tensor[] right = new Tensor[(int) n];
        Tensor acc = Tensor.full(1, DType.FLOAT64, x.device(), one);
        for (long i = 0; i < n; i++) {
            left.add(acc);
            if (i < n - 1) {
                acc = acc.mul(xd.slice(dim, i, i + 1));
            }
        }
        acc = Tensor.full(1, DType.FLOAT64, x.device(), one);
        for (long i = n - 1; i >= 0; i--) {
            right[(int) i] = acc;
            if (i > 0) {
                acc = acc.mul(xd.slice(dim, i, i + 1));
            }
        }
        Tensor l = Tensor.cat(left, dim).to(x.dtype());
        Tensor rr = Tensor.cat(java.util.Arrays.asList(right), dim).to(x.dtype());
        return l.mul(rr);
    }

    private static boolean contains(int[] a, int v) {
        for (int e : a) {
            if (e == v) {
                return true;
            }
        }
        return false;
    }

    /** A reduction's result (or gradient) viewed with the reduced dims kept as size 1. */
    private static Tensor keptDims(Tensor r, Tensor x, Attrs.Dims a) {
        if (a.keepdim()) {
            return r;
        }
        long[] shape = x.shape();
        for (int d : a.dims()) {
            shape[d] = 1;
        }
        return r.reshape(shape);
    }
}
