package dev.tangent.engine.rules;

import dev.tangent.Tensor;
import dev.tangent.engine.Dispatch;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * Views (reshape, permute, expand, slice), copies (contiguous, cast, to_device), slice_scatter and
 * cat: linear maps, so each jvp applies the op to the tangent and each vjp applies its transpose.
 */
final class ShapeRules {
    private ShapeRules() {}

    static Tensor jvp(Prim p, Attrs a, Tensor t) {
        return p == Prim.RESHAPE ? t.reshape(((Attrs.Shape) a).shape()) : Dispatch.apply(p, a, t);
    }

    static Tensor vjp(Prim p, Attrs a, Tensor x, Tensor g) {
        return switch (p) {
            case RESHAPE -> g.reshape(x.shape());
            case PERMUTE -> Dispatch.apply(Prim.PERMUTE, ((Attrs.Permutation) a).inverse(), g);
            case EXPAND -> g;
            case SLICE -> Dispatch.apply(Prim.SLICE_SCATTER, new Attrs.SliceScatter((Attrs.Slice) a, x.shape()), g);
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        };
    }

    static Tensor otherJvp(Prim p, Attrs a, Tensor[] x, Tensor[] t) {
        return switch (p) {
            case CONTIGUOUS -> t[0] == null ? null : t[0].contiguous();
            case CAST -> t[0] == null || !((Attrs.Cast) a).dtype().isFloatingPoint() ? null
                    : t[0].to(((Attrs.Cast) a).dtype());
            case TO_DEVICE, SLICE_SCATTER -> t[0] == null ? null : Dispatch.apply(p, a, t[0]);
            case CAT -> {
                Tensor[] parts = new Tensor[x.length];
                for (int i = 0; i < x.length; i++) {
                    parts[i] = Rules.orZeros(t[i], x[i]);
                }
                yield Dispatch.apply(p, a, parts);
            }
            default -> throw new IllegalArgumentException("no jvp rule for " + p.opName());
        };
    }

    static void otherVjp(Prim p, Attrs a, Tensor[] x, Tensor g, boolean[] need, Tensor[] r) {
        switch (p) {
            case CONTIGUOUS -> r[0] = g;
            case CAST -> r[0] = x[0].dtype().isFloatingPoint() ? g.to(x[0].dtype()) : null;
            case TO_DEVICE -> r[0] = g.to(x[0].device());
            case SLICE_SCATTER -> r[0] = Dispatch.apply(Prim.SLICE, ((Attrs.SliceScatter) a).slice(), g);
            case CAT -> {
                int d = ((Attrs.Dim) a).dim();
                long at = 0;
                for (int i = 0; i < x.length; i++) {
                    long n = x[i].size(d);
                    if (need[i]) {
                        r[i] = Dispatch.apply(Prim.SLICE, new Attrs.Slice(d, at, at + n, 1), g);
                    }
                    at += n;
                }
            }
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        }
    }
}
