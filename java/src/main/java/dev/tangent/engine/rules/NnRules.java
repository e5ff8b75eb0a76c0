package dev.tangent.engine.rules;

import dev.tangent.Tensor;
import dev.tangent.engine.Dispatch;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * Convolution and pooling. conv2d and its two adjoints are bilinear, so each one's jvp is the sum
 * of itself applied with one tangent at a time, and each one's vjp is one of the other two: the
 * three close under differentiation (hvp and double backward run through them). max_pool2d routes
 * tangents and gradients through the window maxima's indices (gather and scatter_add, which have
 * rules of their own); avg_pool2d and its adjoint are linear and each other's transposes.
 */
final class NnRules {
    private NnRules() {}

    static Tensor convJvp(Prim p, Attrs a, Tensor[] x, Tensor[] t) {
        Tensor first = t[0] == null ? null : Dispatch.apply(p, a, t[0], x[1]);
        Tensor second = t[1] == null ? null : Dispatch.apply(p, a, x[0], t[1]);
        Tensor r = Rules.add(first, second);
        if (r != null && t[1] == null) {
            r = r.add(absentTangentTerm(p, a, x[0], x[1], 1));
        }
        if (r != null && t[0] == null) {
            r = r.add(absentTangentTerm(p, a, x[0], x[1], 0));
        }
        return r;
    }

    /**
     * PyTorch's forward AD computes an absent tangent as zeros: {@code p(u, 0)} (absent = 1) or
     * {@code p(0, v)} (absent = 0), NaN wherever the zeros meet a NaN or ±inf of the other operand
     * (padding included, as its im2col multiplies the padded zeros). For conv2d, without a second
     * convolution of the full size: {@code conv2d(u, 0)} holds one value per group (every output
     * channel of a group has the same zero weights), and as {@code u * 0} is NaN exactly where u is
     * not finite, it is zero weights [g, 1, C/g] times u's channels (per pixel, u * 0 summed over each
     * group's input channels) followed by the k x k convolution with zero weights on those g
     * channels, with the op's stride, padding and dilation; returned as [N, 1, oh, ow] for
     * one group, which broadcasts over the output channels;
     * {@code conv2d(0, w)} is NaN in every position of an output channel whose weights hold a
     * non-finite value. The adjoints (used in higher orders only) compute {@code p} on
     * materialised zeros.
     */
    static Tensor absentTangentTerm(Prim p, Attrs a, Tensor u, Tensor v, int absent) {
        if (p == Prim.CONV2D) {
            Attrs.Conv c = (Attrs.Conv) a;
            if (absent == 0) {
                return v.mul(0.0).sum(new int[] {1, 2, 3}, false).reshape(1, v.size(0), 1, 1);
            }
            long n = u.size(0);
            long g = c.groups();
            long kh = v.size(2);
            long kw = v.size(3);
            long cg = u.size(1) / g;
            // u times a zero weight is 0 where u is finite and NaN where it is not, so zero weights
            // [g, 1, C/g] times u's channels (a matrix product per image and group) give, per
            // pixel, 0 or NaN as the group's channels hold a non-finite value; the k x k
            // convolution with zero weights then runs on those g channels, not on all of u's: at
            // batch 32 (64 channels, 56x56, 3x3) 1.6 ms against 13.4 ms for the k x k convolution
            // over all channels, a quarter of the layer's forward (KernelProbe conv, 1 thread).
            Tensor z = Tensor.full(0, v.dtype(), v.device(), g, 1, cg)
                    .matmul(u.reshape(n, g, cg, u.size(2) * u.size(3)))
                    .reshape(n, g, u.size(2), u.size(3));
            Tensor s = Dispatch.apply(Prim.CONV2D, c, z, Tensor.full(0, v.dtype(), v.device(), g, 1, kh, kw));
            if (g == 1) {
                return s;
            }
            long o = v.size(0);
            return s.reshape(n, g, 1, s.size(2), s.size(3)).expand(n, g, o / g, s.size(2), s.size(3))
                    .reshape(n, o, s.size(2), s.size(3));
        }
        return absent == 1 ? Dispatch.apply(p, a, u, Tensor.zerosLike(v)) : Dispatch.apply(p, a, Tensor.zerosLike(u), v);
    }

    static void convVjp(Prim p, Attrs a, Tensor[] x, Tensor g, boolean[] need, Tensor[] r) {
        switch (p) {
            case CONV2D -> {
                Attrs.Conv c = (Attrs.Conv) a;
                r[0] = need[0] ? Dispatch.apply(Prim.CONV2D_INPUT_GRAD, new Attrs.ConvGrad(c, x[0].shape()), g, x[1]) : null;
                r[1] = need[1] ? Dispatch.apply(Prim.CONV2D_WEIGHT_GRAD, new Attrs.ConvGrad(c, x[1].shape()), x[0], g) : null;
            }
            case CONV2D_INPUT_GRAD -> {
                // inputs (gy, w) -> gx: <g, IG(gy, w)> = <conv(g, w), gy>
                Attrs.Conv c = ((Attrs.ConvGrad) a).conv();
                r[0] = need[0] ? Dispatch.apply(Prim.CONV2D, c, g, x[1]) : null;
                r[1] = need[1] ? Dispatch.apply(Prim.CONV2D_WEIGHT_GRAD, new Attrs.ConvGrad(c, x[1].shape()), g, x[0]) : null;
            }
            case CONV2D_WEIGHT_GRAD -> {
                // inputs (x, gy) -> gw: <g, WG(x, gy)> = <conv(x, g), gy>
                Attrs.Conv c = ((Attrs.ConvGrad) a).conv();
                r[0] = need[0] ? Dispatch.apply(Prim.CONV2D_INPUT_GRAD, new Attrs.ConvGrad(c, x[0].shape()), x[1], g) : null;
                r[1] = need[1] ? Dispatch.apply(Prim.CONV2D, c, x[0], g) : null;
            }
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        }
    }

    static Tensor poolJvp(Prim p, Attrs a, Tensor x, Tensor t, Tensor y) {
        return switch (p) {
            case MAX_POOL2D -> {
                Tensor idx = flatIndices((Attrs.Pool) a, x, y);
                long[] ys = y.shape();
                long[] xs = x.shape();
                yield t.reshape(xs[0], xs[1], xs[2] * xs[3]).gather(2, idx).reshape(ys);
            }
            case AVG_POOL2D, AVG_POOL2D_GRAD -> Dispatch.apply(p, a, t);
            case MAX_POOL2D_INDICES -> null;
            default -> throw new IllegalArgumentException("no jvp rule for " + p.opName());
        };
    }

    static Tensor poolVjp(Prim p, Attrs a, Tensor x, Tensor y, Tensor g) {
        return switch (p) {
            case MAX_POOL2D -> {
                Tensor idx = flatIndices((Attrs.Pool) a, x, y);
                long[] xs = x.shape();
                long[] flat = {xs[0], xs[1], xs[2] * xs[3]};
                long[] ys = y.shape();
                yield Dispatch.apply(Prim.SCATTER_ADD, new Attrs.Scatter(2, flat),
                        g.reshape(ys[0], ys[1], ys[2] * ys[3]), idx).reshape(xs);
            }
            case AVG_POOL2D -> Dispatch.apply(Prim.AVG_POOL2D_GRAD, new Attrs.PoolGrad((Attrs.Pool) a, x.shape()), g);
            case AVG_POOL2D_GRAD -> Dispatch.apply(Prim.AVG_POOL2D, ((Attrs.PoolGrad) a).pool(), g);
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        };
    }

    /** Each window maximum's flat spatial index, as [N, C, oh * ow] for gather and scatter_add. */
    private static Tensor flatIndices(Attrs.Pool a, Tensor x, Tensor y) {
        long[] ys = y.shape();
        return Dispatch.apply(Prim.MAX_POOL2D_INDICES, a, x.detach()).reshape(ys[0], ys[1], ys[2] * ys[3]);
    }
}
