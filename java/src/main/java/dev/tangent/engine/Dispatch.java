package dev.tangent.engine;

import dev.tangent.Tensor;
import dev.tangent.autograd.GradMode;
import dev.tangent.engine.rules.Rules;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.util.Arrays;

/**
 * Applies a primitive: forward mode first (a dual input of the highest level is split into primal
 * and tangent, the primitive runs on the primals and its jvp rule on the tangents, fused into one
 * kernel where {@link Fusion} allows), then the plain computation ({@link Kernels}); each level's
 * result is recorded on the reverse-mode tape when an input at that level requires grad.
 */
public final class Dispatch {
    private Dispatch() {}

    /** {@code p(in)} with attributes {@code a} (of {@link Prim#attrsType()}), through forward mode and the tape. */
    public static Tensor apply(Prim p, Attrs a, Tensor... in) {
        if (!p.attrsType().isInstance(a)) {
            throw new IllegalArgumentException(p.opName() + ": attributes " + a + " are not "
                    + p.attrsType().getSimpleName());
        }
        TensorAccess acc = TensorAccess.get();
        int level = 0;
        for (int i = 0; i < in.length; i++) {
            if (in[i] == null) {
                throw new NullPointerException(p.opName() + ": argument " + i + " is null");
            }
            level = Math.max(level, acc.level(in[i]));
        }
        return level > 0 ? applyDual(acc, level, p, a, in) : applyPlain(acc, p, a, in);
    }

    private static Tensor applyDual(TensorAccess acc, int level, Prim p, Attrs a, Tensor[] in) {
        Tensor[] primals = new Tensor[in.length];
        Tensor[] tangents = new Tensor[in.length];
        boolean any = false;
        for (int i = 0; i < in.length; i++) {
            if (acc.level(in[i]) == level) {
                primals[i] = acc.primal(in[i]);
                tangents[i] = acc.tangent(in[i]);
                any |= tangents[i] != null;
            } else {
                primals[i] = in[i];
            }
        }
        if (any) {
            Tensor[] fused = switch (p.kind()) {
                case UNARY -> Fusion.unary(p, (Attrs.Scalars) a, primals[0], tangents[0]);
                case BINARY -> Fusion.binary(p, primals[0], tangents[0], primals[1], tangents[1]);
                case MATMUL -> tangents[1] == null ? Fusion.matmul(primals[0], tangents[0], primals[1]) : null;
                case CONV -> p == Prim.CONV2D && tangents[1] == null
                        ? Fusion.conv2d((Attrs.Conv) a, primals[0], tangents[0], primals[1]) : null;
                case POOL -> p == Prim.MAX_POOL2D ? Fusion.maxPool2d((Attrs.Pool) a, primals[0], tangents[0]) : null;
                default -> null;
            };
            if (fused != null) {
                return record(acc, p, a, in, makeDual(acc, level, fused[0], fused[1]));
            }
        }
        Tensor y = apply(p, a, primals);
        if (!any || !y.dtype().isFloatingPoint()) {
            return record(acc, p, a, in, y);
        }
        return record(acc, p, a, in, makeDual(acc, level, y, Rules.jvp(p, a, primals, tangents, y)));
    }

    /**
     * Records {@code y = p(in)} on the tape at the level of its dual inputs, when one of them
     * requires grad: reverse mode then runs the rules on the dual tensors themselves, so a gradient
     * carries the enclosing jvp's tangents (forward-over-reverse, e.g. the jvp of a gradient).
     */
    private static Tensor record(TensorAccess acc, Prim p, Attrs a, Tensor[] in, Tensor y) {
        if (GradMode.isEnabled() && y.dtype().isFloatingPoint() && Rules.isDifferentiable(p) && acc.gradFn(y) == null) {
            for (Tensor t : in) {
                if (t.requiresGrad()) {
                    acc.setGradFn(y, new Node(p, a, in, y));
                    break;
                }
            }
        }
        return y;
    }

    /** Wraps primal and tangent at {@code level}, fitting the tangent to the primal's shape and dtype. */
    public static Tensor makeDual(int level, Tensor primal, Tensor tangent) {
        return makeDual(TensorAccess.get(), level, primal, tangent);
    }

    private static Tensor makeDual(TensorAccess acc, int level, Tensor primal, Tensor tangent) {
        if (tangent == null) {
            return primal;
        }
        if (!Arrays.equals(tangent.shape(), primal.shape())) {
            tangent = tangent.expand(primal.shape());
        }
        if (tangent.dtype() != primal.dtype()) {
            tangent = tangent.to(primal.dtype());
        }
        return acc.dual(level, primal, tangent);
    }

    private static Tensor applyPlain(TensorAccess acc, Prim p, Attrs a, Tensor[] in) {
        return record(acc, p, a, in, Kernels.run(p, a, in));
    }
}
