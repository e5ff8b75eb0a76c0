package dev.tangent.engine;

import dev.tangent.DType;
import dev.tangent.Tensor;
import dev.tangent.autograd.GradMode;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * The kernels of the composite reductions ({@link Prim#isComposite()}): logsumexp, the 2-norm and
 * the variance computed by other primitives' kernels, on plain tensors with nothing recorded (so
 * on every backend and inside compiled plans), in PyTorch's order of operations. Their derivatives
 * are their own rules (PyTorch's formulas, {@code rules.ReductionRules}), not the chain rule
 * through these steps.
 */
final class CompositeKernels {
    private CompositeKernels() {}

    /** {@code p(x)} for a composite reduction; x is plain (level 0). */
    static Tensor run(Prim p, Attrs a, Tensor x) {
        try (GradMode.Guard g = GradMode.disable()) {
            return switch (p) {
                case LOGSUMEXP -> logsumexp((Attrs.Dims) a, x);
                case NORM -> norm((Attrs.Dims) a, x);
                case VAR -> var((Attrs.Variance) a, x, false);
                case STD -> var((Attrs.Variance) a, x, true);
                default -> throw new IllegalArgumentException(p.opName() + " is not a composite reduction");
            };
        }
    }

    /**
     * PyTorch's logsumexp: the max over the dims (0 where it is ±inf, so inf - inf gives no NaN)
     * subtracted, exp, sum, log, the max added back; log(sum(exp(x))) for an empty tensor (-inf).
     */
    private static Tensor logsumexp(Attrs.Dims a, Tensor x) {
        int[] dims = a.dims();
        if (x.numel() == 0) {
            return x.exp().sum(dims, a.keepdim()).log();
        }
        Tensor m = x.amax(dims, true);
        m = Tensor.where(m.abs().ne(Double.POSITIVE_INFINITY), m, 0.0); // not m * 0: -inf * 0 is NaN
        Tensor r = x.sub(m).exp().sum(dims, true).log().add(m);
        return a.keepdim() ? r : r.reshape(reducedShape(x, a));
    }

    /** sqrt(sum(x · x)) over the dims. */
    private static Tensor norm(Attrs.Dims a, Tensor x) {
        return x.mul(x).sum(a.dims(), a.keepdim()).sqrt();
    }

    /**
     * sum((x - mean)²) / max(0, n - correction) over the dims (NaN when n ≤ correction, as
     * PyTorch), and its square root for std; float32 is computed in float64 and rounded once, as
     * PyTorch's CPU kernel accumulates it (so the std of [max, max, -1, 1] is finite in float32).
     */
    private static Tensor var(Attrs.Variance v, Tensor x, boolean sqrt) {
        int[] dims = v.dims().dims();
        long n = 1;
        for (int d : dims) {
            n *= x.size(d);
        }
        Tensor xd = x.dtype() == DType.FLOAT32 ? x.to(DType.FLOAT64) : x;
        Tensor d = xd.sub(xd.sum(dims, true).div((double) n));
        Tensor r = d.mul(d).sum(dims, v.dims().keepdim()).div(Math.max(0, n - v.correction()));
        if (sqrt) {
            r = r.sqrt();
        }
        return r.to(x.dtype());
    }

    /** x's shape without the reduced dims. */
    private static long[] reducedShape(Tensor x, Attrs.Dims a) {
        long[] s = x.shape();
        long[] r = new long[s.length - a.dims().length];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (!a.reduces(i)) {
                r[j++] = s[i];
            }
        }
        return r;
    }
}
