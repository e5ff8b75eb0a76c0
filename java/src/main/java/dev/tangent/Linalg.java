package dev.tangent;

import dev.tangent.engine.Dispatch;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;

/** torch.matmul's rules on top of the batched MATMUL primitive. */
final class Linalg {
    private Linalg() {}

    static Tensor matmul(Tensor a, Tensor b) {
        int ra = a.dim();
        int rb = b.dim();
        if (ra == 0 || rb == 0) {
            throw new IllegalArgumentException("matmul: both arguments to matmul need to be at least 1D, but they are "
                    + ra + "D and " + rb + "D (shapes " + Shapes.str(a.value.shape()) + " and " + Shapes.str(b.value.shape()) + ")");
        }
        if (ra == 1 && rb == 1) {
            if (a.value.shape()[0] != b.value.shape()[0]) {
                throw new IllegalArgumentException("matmul: inconsistent tensor size, expected tensor [" + a.value.shape()[0]
                        + "] and src [" + b.value.shape()[0] + "] to have the same number of elements");
            }
            return prim(a.unsqueeze(0), b.unsqueeze(1)).reshape();
        }
        long ka = a.value.shape()[ra - 1];
        long kb = b.value.shape()[Math.max(rb - 2, 0)];
        if (ka != kb && (ra == 1 || rb == 1)) {
            // Name the shapes as given, not the unsqueezed ones the primitive would see.
            throw new IllegalArgumentException("matmul: size mismatch, " + Shapes.str(a.value.shape()) + " @ "
                    + Shapes.str(b.value.shape()) + " (" + ka + " != " + kb + ")");
        }
        if (ra == 1) {
            Tensor r = prim(a.unsqueeze(0), b);
            return r.squeeze(-2);
        }
        if (rb == 1) {
            Tensor r = prim(a, b.unsqueeze(1));
            return r.squeeze(-1);
        }
        return prim(a, b);
    }

    private static Tensor prim(Tensor a, Tensor b) {
        return Dispatch.apply(Prim.MATMUL, Attrs.NONE, a, b);
    }
}
