package dev.tangent.engine.rules;

import dev.tangent.Tensor;
import dev.tangent.engine.Dispatch;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * where, index_select/index_add and gather/scatter_add: each pair is the other's transpose, so a
 * vjp is its partner applied to the gradient, and a jvp is the op applied to the tangent.
 */
final class IndexRules {
    private IndexRules() {}

    static Tensor whereJvp(Tensor[] x, Tensor[] t) {
        return t[1] == null && t[2] == null ? null
                : Tensor.where(x[0], Rules.orZeros(t[1], x[1]), Rules.orZeros(t[2], x[2]));
    }

    static void whereVjp(Tensor[] x, Tensor g, boolean[] need, Tensor[] r) {
        Tensor zero = g.mul(0.0);
        r[1] = need[1] ? Tensor.where(x[0], g, zero) : null;
        r[2] = need[2] ? Tensor.where(x[0], zero, g) : null;
    }

    static Tensor jvp(Prim p, Attrs a, Tensor[] x, Tensor[] t) {
        return t[0] == null ? null : Dispatch.apply(p, a, t[0], x[1]);
    }

    static Tensor vjp(Prim p, Attrs a, Tensor[] x, Tensor g) {
        return switch (p) {
            case INDEX_SELECT -> Dispatch.apply(Prim.INDEX_ADD,
                    new Attrs.Scatter(((Attrs.Dim) a).dim(), x[0].shape()), g, x[1]);
            case INDEX_ADD -> Dispatch.apply(Prim.INDEX_SELECT, new Attrs.Dim(((Attrs.Scatter) a).dim()), g, x[1]);
            case GATHER -> Dispatch.apply(Prim.SCATTER_ADD, new Attrs.Scatter(((Attrs.Dim) a).dim(), x[0].shape()),
                    g, x[1]);
            case SCATTER_ADD -> Dispatch.apply(Prim.GATHER, new Attrs.Dim(((Attrs.Scatter) a).dim()), g, x[1]);
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        };
    }
}
