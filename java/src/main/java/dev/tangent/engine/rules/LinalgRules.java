package dev.tangent.engine.rules;

import dev.tangent.Tensor;
import dev.tangent.engine.Dispatch;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/** Batched matmul: bilinear, so the jvp is dA·B + A·dB and the vjp G·Bᵀ, Aᵀ·G. */
final class LinalgRules {
    private LinalgRules() {}

    static Tensor jvp(Tensor[] x, Tensor[] t) {
        Tensor r = Rules.add(t[0] == null ? null : mm(t[0], x[1]), t[1] == null ? null : mm(x[0], t[1]));
        if (r != null && t[1] == null) {
            r = r.add(absentTangentTerm(x[0], x[1], true));
        }
        if (r != null && t[0] == null) {
            r = r.add(absentTangentTerm(x[0], x[1], false));
        }
        return r;
    }

    /**
     * PyTorch's forward AD multiplies an absent tangent as zeros: {@code a @ 0} (right = true: b
     * has no tangent) is NaN in the rows of a that hold NaN or ±inf and zero elsewhere, {@code 0 @ b}
     * NaN in such columns of b. This is that term, by a reduction of {@code a * 0} (or b's) instead
     * of a second matmul, shaped to broadcast against {@code a @ b}.
     */
    static Tensor absentTangentTerm(Tensor a, Tensor b, boolean right) {
        if (right) {
            return a.mul(0.0).sum(-1, a.dim() >= 2 && b.dim() >= 2);
        }
        return b.dim() == 1 ? b.mul(0.0).sum(-1, false) : b.mul(0.0).sum(-2, a.dim() >= 2);
    }

    static void vjp(Tensor[] x, Tensor g, boolean[] need, Tensor[] r) {
        if (need[0]) {
            r[0] = mm(g, x[1].mT());
        }
        if (need[1]) {
            r[1] = mm(x[0].mT(), g);
        }
    }

    private static Tensor mm(Tensor a, Tensor b) {
        return Dispatch.apply(Prim.MATMUL, Attrs.NONE, a, b);
    }
}
