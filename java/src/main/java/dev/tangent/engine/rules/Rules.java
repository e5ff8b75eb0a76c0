package dev.tangent.engine.rules;

import dev.tangent.DType;
import dev.tangent.Tensor;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.util.Arrays;

/**
 * The rule table: for each primitive, its jvp rule and its vjp rule, found in the class of its
 * family ({@link UnaryRules}, {@link BinaryRules}, {@link ReductionRules}, {@link LinalgRules},
 * {@link ShapeRules}, {@link IndexRules}, {@link NnRules}) where the two sit side by side. Rules are written in
 * Tensor operations, so their results can be differentiated again (higher orders, createGraph).
 * A null tangent or gradient is a symbolic zero.
 */
public final class Rules {
    private Rules() {}

    /** False for primitives whose output carries no derivative (comparisons). */
    public static boolean isDifferentiable(Prim p) {
        return p.kind() != Prim.Kind.COMPARE && p != Prim.MAX_POOL2D_INDICES;
    }

    /**
     * Tangent of {@code y = p(x)} given the inputs' tangents {@code t} (null entries are zeros);
     * null when it is zero. The result may have a shape that broadcasts to y's.
     */
    public static Tensor jvp(Prim p, Attrs a, Tensor[] x, Tensor[] t, Tensor y) {
        return switch (p.kind()) {
            case UNARY -> t[0] == null ? null : UnaryRules.jvp(p, (Attrs.Scalars) a, x[0], t[0], y);
            case BINARY -> BinaryRules.jvp(p, x[0], x[1], t[0], t[1], y);
            case COMPARE -> null;
            case WHERE -> IndexRules.whereJvp(x, t);
            case REDUCE -> t[0] == null ? null : ReductionRules.jvp(p, a, x[0], t[0], y);
            case SOFTMAX -> t[0] == null ? null : ReductionRules.softmaxJvp(p, (Attrs.Dim) a, t[0], y);
            case MATMUL -> LinalgRules.jvp(x, t);
            case VIEW -> t[0] == null ? null : ShapeRules.jvp(p, a, t[0]);
            case CONV -> NnRules.convJvp(p, a, x, t);
            case POOL -> t[0] == null ? null : NnRules.poolJvp(p, a, x[0], t[0], y);
            case OTHER -> p == Prim.INDEX_SELECT || p == Prim.INDEX_ADD || p == Prim.GATHER || p == Prim.SCATTER_ADD
                    ? IndexRules.jvp(p, a, x, t) : ShapeRules.otherJvp(p, a, x, t);
        };
    }

    /**
     * Gradients with respect to each input of {@code y = p(x)} given the output gradient
     * {@code g}; entries are null where an input needs none ({@code need[i]} false) or cannot have
     * one. A gradient may have the output's (broadcast) shape: see {@link #sumToShape}.
     */
    public static Tensor[] vjp(Prim p, Attrs a, Tensor[] x, Tensor y, Tensor g, boolean[] need) {
        Tensor[] r = new Tensor[x.length];
        switch (p.kind()) {
            case UNARY -> r[0] = UnaryRules.vjp(p, (Attrs.Scalars) a, x[0], g, y);
            case BINARY -> BinaryRules.vjp(p, x[0], x[1], y, g, need, r);
            case COMPARE -> { }
            case WHERE -> IndexRules.whereVjp(x, g, need, r);
            case REDUCE -> r[0] = ReductionRules.vjp(p, a, x[0], y, g);
            case SOFTMAX -> r[0] = ReductionRules.softmaxVjp(p, (Attrs.Dim) a, g, y);
            case MATMUL -> LinalgRules.vjp(x, g, need, r);
            case VIEW -> r[0] = ShapeRules.vjp(p, a, x[0], g);
            case CONV -> NnRules.convVjp(p, a, x, g, need, r);
            case POOL -> r[0] = NnRules.poolVjp(p, a, x[0], y, g);
            case OTHER -> {
                if (p == Prim.INDEX_SELECT || p == Prim.INDEX_ADD || p == Prim.GATHER || p == Prim.SCATTER_ADD) {
                    r[0] = IndexRules.vjp(p, a, x, g);
                } else {
                    ShapeRules.otherVjp(p, a, x, g, need, r);
                }
            }
        }
        return r;
    }

    /**
     * The term PyTorch's forward AD adds for a matmul or conv2d operand without a tangent (its zeros
     * multiplied by the other operand: NaN where that operand holds NaN or ±inf), for fused jvps
     * with a constant second operand: {@code p(x, 0)} shaped to broadcast against the result.
     */
    public static Tensor constantOperandTerm(Prim p, Attrs a, Tensor x, Tensor w) {
        return p == Prim.MATMUL ? LinalgRules.absentTangentTerm(x, w, true) : NnRules.absentTangentTerm(p, a, x, w, 1);
    }

    /** Sums {@code g} down to {@code shape} (undoing broadcasting) and casts to {@code dtype}. */
    public static Tensor sumToShape(Tensor g, long[] shape, DType dtype) {
        long[] gs = g.shape();
        if (!Arrays.equals(gs, shape) && Shapes.broadcastsTo(gs, shape)) {
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

    /** a + b where either may be a symbolic zero (null). */
    static Tensor add(Tensor a, Tensor b) {
        if (a == null) {
            return b;
        }
        return b == null ? a : a.add(b);
    }

    /**
     * The one typed zero of the rules: {@code t}, or the zero tangent of {@code like} when t is a
     * symbolic zero (like's shape and device; like's dtype if floating point, else float32).
     */
    static Tensor orZeros(Tensor t, Tensor like) {
        if (t != null) {
            return t;
        }
        return Tensor.full(0, like.dtype().isFloatingPoint() ? like.dtype() : DType.FLOAT32, like.device(), like.shape());
    }
}
