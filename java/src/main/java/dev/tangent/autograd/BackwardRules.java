package dev.tangent.autograd;

import dev.tangent.DType;
import dev.tangent.Internal;
import dev.tangent.Tensor;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.util.Arrays;

/**
 * The vjp rule of every primitive, in one table, written in Tensor operations so that gradients
 * can be differentiated again ({@code createGraph}). A rule may return a gradient in the output's
 * (broadcast) shape; the engine sums it down to the input's shape.
 */
public final class BackwardRules {
    private BackwardRules() {}

    /** False for primitives whose output carries no gradient (comparisons). */
    public static boolean isDifferentiable(Prim p) {
        return p.kind() != Prim.Kind.COMPARE;
    }

    /**
     * Gradients with respect to each input of {@code y = p(x)} given the output gradient
     * {@code g}; entries are null where an input needs none ({@code need[i]} false) or cannot have one.
     */
    public static Tensor[] vjp(Prim p, Attrs a, Tensor[] x, Tensor y, Tensor g, boolean[] need) {
        Tensor[] r = new Tensor[x.length];
        switch (p.kind()) {
            case UNARY -> r[0] = unary(p, a, x[0], g, y);
            case BINARY -> binary(p, x[0], x[1], y, g, need, r);
            case COMPARE -> { }
            case WHERE -> {
                Tensor zero = g.mul(0.0);
                r[1] = need[1] ? Tensor.where(x[0], g, zero) : null;
                r[2] = need[2] ? Tensor.where(x[0], zero, g) : null;
            }
            case REDUCE -> r[0] = reduce(p, a, x[0], y, g);
            case SOFTMAX -> {
                int d = (int) a.integer(0);
                r[0] = p == Prim.SOFTMAX ? y.mul(g.sub(g.mul(y).sum(new int[] {d}, true)))
                        : g.sub(y.exp().mul(g.sum(new int[] {d}, true)));
            }
            case MATMUL -> {
                if (need[0]) {
                    r[0] = ForwardRules.mm(g, x[1].mT());
                }
                if (need[1]) {
                    r[1] = ForwardRules.mm(x[0].mT(), g);
                }
            }
            case VIEW -> r[0] = view(p, a, x[0], g);
            case OTHER -> other(p, a, x, g, need, r);
        }
        return r;
    }

    /**
     * g·f'(x): element-wise Jacobians are diagonal, so the jvp rule serves. Where nothing records a
     * graph (no createGraph, no forward level), the fused kernel computes it in one pass.
     */
    private static Tensor unary(Prim p, Attrs a, Tensor x, Tensor g, Tensor y) {
        if (p != Prim.SIGN && Internal.level(x) == 0 && Internal.level(g) == 0
                && (!GradMode.isEnabled() || !(x.requiresGrad() || g.requiresGrad()))) {
            Tensor[] fused = Internal.unaryJvp(p, a, x, g);
            if (fused != null) {
                return fused[1];
            }
        }
        return ForwardRules.unary(p, a, x, g, y);
    }

    private static void binary(Prim p, Tensor a, Tensor b, Tensor y, Tensor g, boolean[] need, Tensor[] r) {
        switch (p) {
            case ADD -> {
                r[0] = g;
                r[1] = g;
            }
            case SUB -> {
                r[0] = g;
                r[1] = need[1] ? g.neg() : null;
            }
            case MUL -> {
                r[0] = need[0] ? g.mul(b) : null;
                r[1] = need[1] ? g.mul(a) : null;
            }
            case DIV -> {
                r[0] = need[0] ? g.div(b) : null;
                r[1] = need[1] ? g.mul(y).div(b).neg() : null;
            }
            case POW -> {
                r[0] = need[0] ? g.mul(ForwardRules.powBaseGrad(a, b)) : null;
                r[1] = need[1] ? g.mul(ForwardRules.powExpGrad(a, b, y)) : null;
            }
            case MAXIMUM, MINIMUM -> {
                Tensor m = ForwardRules.selectMask(p, a, b, y.dtype());
                r[0] = need[0] ? g.mul(m) : null;
                r[1] = need[1] ? g.mul(m.rsub(1.0)) : null;
            }
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        }
    }

    private static Tensor reduce(Prim p, Attrs a, Tensor x, Tensor y, Tensor g) {
        int[] dims = a.intsAsInt();
        Tensor gk = ForwardRules.keptDims(g, x, dims, a.flag());
        Tensor yk = ForwardRules.keptDims(y, x, dims, a.flag());
        return switch (p) {
            case SUM -> gk.expand(x.shape());
            case PROD -> gk.mul(ForwardRules.prodGrad(x, yk, dims));
            case AMAX, AMIN -> {
                Tensor mask = x.eq(yk).to(x.dtype());
                yield gk.mul(mask).div(mask.sum(dims, true));
            }
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        };
    }

    private static Tensor view(Prim p, Attrs a, Tensor x, Tensor g) {
        return switch (p) {
            case RESHAPE -> g.reshape(x.shape());
            case PERMUTE -> {
                int[] perm = a.intsAsInt();
                int[] inv = new int[perm.length];
                for (int i = 0; i < perm.length; i++) {
                    inv[perm[i]] = i;
                }
                yield g.permute(inv);
            }
            case EXPAND -> g;
            case SLICE -> {
                long[] ints = Arrays.copyOf(a.ints(), 4 + x.dim());
                System.arraycopy(x.shape(), 0, ints, 4, x.dim());
                yield Internal.apply(Prim.SLICE_SCATTER, new Attrs(ints, new double[0], false), g);
            }
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        };
    }

    private static void other(Prim p, Attrs a, Tensor[] x, Tensor g, boolean[] need, Tensor[] r) {
        switch (p) {
            case CONTIGUOUS -> r[0] = g;
            case CAST -> r[0] = x[0].dtype().isFloatingPoint() ? g.to(x[0].dtype()) : null;
            case TO_DEVICE -> r[0] = g.to(x[0].device());
            case SLICE_SCATTER -> r[0] = Internal.apply(Prim.SLICE, Attrs.ints(Arrays.copyOf(a.ints(), 4)), g);
            case INDEX_SELECT -> r[0] = Internal.apply(Prim.INDEX_ADD, withShape(a.integer(0), x[0]), g, x[1]);
            case INDEX_ADD -> r[0] = Internal.apply(Prim.INDEX_SELECT, Attrs.ints(a.integer(0)), g, x[1]);
            case GATHER -> r[0] = Internal.apply(Prim.SCATTER_ADD, withShape(a.integer(0), x[0]), g, x[1]);
            case SCATTER_ADD -> r[0] = Internal.apply(Prim.GATHER, Attrs.ints(a.integer(0)), g, x[1]);
            case CAT -> {
                int d = (int) a.integer(0);
                long at = 0;
                for (int i = 0; i < x.length; i++) {
                    long n = x[i].size(d);
                    if (need[i]) {
                        r[i] = Internal.apply(Prim.SLICE, Attrs.ints(d, at, at + n, 1), g);
                    }
                    at += n;
                }
            }
            default -> throw new IllegalArgumentException("no vjp rule for " + p.opName());
        }
    }

    private static Attrs withShape(long dim, Tensor like) {
        long[] ints = new long[1 + like.dim()];
        ints[0] = dim;
        System.arraycopy(like.shape(), 0, ints, 1, like.dim());
        return Attrs.ints(ints);
    }

    /** Sums {@code g} down to {@code shape} (undoing broadcasting) and casts to {@code dtype}. */
    public static Tensor sumToShape(Tensor g, long[] shape, DType dtype) {
        long[] gs = g.shape();
        if (!Arrays.equals(gs, shape) && dev.tangent.ops.Shapes.broadcastsTo(gs, shape)) {
            g = g.expand(shape);
            gs = shape;
        }
        if (!Arrays.equals(gs, shape)) {
            int lead = gs.length - shape.length;
            int[] dims = new int[gs.length];
            int n = 0;
            for (int i = 0; i < gs.length; i++) {
                if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) {
                    dims[n++] = i;
                }
            }
            if (n > 0) {
                g = g.sum(Arrays.copyOf(dims, n), true);
            }
            if (lead > 0 || !Arrays.equals(g.shape(), shape)) {
                g = g.reshape(shape);
            }
        }
        if (g.dtype() != dtype && dtype.isFloatingPoint()) {
            g = g.to(dtype);
        }
        return g;
    }
}
