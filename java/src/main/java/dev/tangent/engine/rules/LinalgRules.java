package dev.tangent.engine.rules;

import dev.tangent.Tensor;
import dev.tangent.engine.Dispatch;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/** Batched matmul: bilinear, so the jvp is dA·B + A·dB and the vjp G·Bᵀ, Aᵀ·G. */
final class LinalgRules {
    private LinalgRules() {}

    static Tensor jvp(Tensor[] x, Tensor[] t) {
        return Rules.add(t[0] == null ? null : mm(t[0], x[1]), t[1] == null ? null : mm(x[0], t[1]));
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
