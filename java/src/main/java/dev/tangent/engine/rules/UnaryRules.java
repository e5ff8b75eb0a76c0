package dev.tangent.engine.rules;

import dev.tangent.Tensor;
import dev.tangent.engine.Fusion;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.ElementwiseMath;
import dev.tangent.ops.Prim;

/**
 * Unary element-wise primitives. The jvp is the formula of {@link ElementwiseMath#jvp} evaluated on
 * tensors; the vjp is the same (an element-wise Jacobian is diagonal), run as the fused kernel
 * where nothing records a graph ({@link Fusion}).
 */
final class UnaryRules {
    private UnaryRules() {}

    static Tensor jvp(Prim p, Attrs.Scalars a, Tensor x, Tensor t, Tensor y) {
        return ElementwiseMath.jvp(p, a, TensorAlgebra.INSTANCE, x, y, t);
    }

    static Tensor vjp(Prim p, Attrs.Scalars a, Tensor x, Tensor g, Tensor y) {
        Tensor[] fused = Fusion.unary(p, a, x, g);
        return fused != null ? fused[1] : jvp(p, a, x, g, y);
    }
}
