package dev.tangent.engine.rules;

import dev.tangent.Tensor;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/** Reductions (sum, prod, amax, amin) and the softmax family. */
final class ReductionRules {
    private ReductionRules() {}

    static Tensor jvp(Prim p, Attrs.Dims a, Tensor x, Tensor t, Tensor y) {
        int[] dims = a.dims();
        boolean keepdim = a.keepdim();
        return switch (p) {
            case SUM -> t.sum(dims, keepdim);
            case PROD -> t.mul(prodGrad(x, keptDims(y, x, a), dims)).sum(dims, keepdim);
            case AMAX, AMIN -> {
                Tensor mask = x.eq(keptDims(y, x, a)).to(x.dtype());
                yield t.mul(mask).sum(dims, keepdim).div(mask.sum(dims, keepdim));
            }
            default -> throw new IllegalArgumentException("no jvp rule for " + p.opName());
        };
    }

    static Tensor vjp(Prim p, Attrs.Dims a, Tensor x, Tensor y, Tensor g) {
        int[] dims = a.dims();
        Tensor gk = keptDims(g, x, a);
        return switch (p) {
            case SUM -> gk.expand(x.shape());
            case PROD -> gk.mul(prodGrad(x, keptDims(y, x, a), dims));
            case AMAX, AMIN -> {
                Tensor mask = x.eq(keptDims(y, x, a)).to(x.dtype());
                yield gk.mul(mask).div(mask.sum(dims, true));
            }
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        };
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
     * d prod(x over dims) / d x_i = the product of the other elements, also where x has zeros
     * (y / x would give 0/0). At a zero it is (product of the non-zero elements) times (product
     * of the other zeros): 1 for a lone zero, the other zero's value for two (0, but with the right
     * derivative), 0 for more. Written in Tensor ops so that it is right to second order too; the
     * division uses a denominator with ones at the zeros so no NaN reaches any branch.
     */
    private static Tensor prodGrad(Tensor x, Tensor y, int[] dims) {
        Tensor zero = x.eq(0.0);
        Tensor nonZero = Tensor.where(x.ne(0.0), x, 1.0);
        Tensor zeros = zero.to(x.dtype()).sum(dims, true);
        Tensor productOfNonZeros = nonZero.prod(dims, true);
        Tensor otherZero = Tensor.where(zero, x, 0.0).sum(dims, true).sub(x);
        Tensor atZero = Tensor.where(zeros.eq(1.0), productOfNonZeros,
                Tensor.where(zeros.eq(2.0), productOfNonZeros.mul(otherZero), 0.0));
        return Tensor.where(zero, atZero, y.div(nonZero));
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
