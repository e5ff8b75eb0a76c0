package dev.tangent;

import dev.tangent.autograd.BackwardRules;
import dev.tangent.autograd.ForwardRules;
import dev.tangent.autograd.GradMode;
import dev.tangent.autograd.Node;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.util.Arrays;

/**
 * Applies a primitive: forward mode first (a dual input of the highest level is split into primal
 * and tangent, the primitive runs on the primals and its jvp rule on the tangents), then the plain
 * computation, recorded on the reverse-mode tape when an input requires grad.
 */
final class Dispatch {
    private Dispatch() {}

    static Tensor apply(Prim p, Attrs a, Tensor... in) {
        int level = 0;
        for (int i = 0; i < in.length; i++) {
            if (in[i] == null) {
                throw new NullPointerException(p.opName() + ": argument " + i + " is null");
            }
            level = Math.max(level, in[i].level);
        }
        return level > 0 ? applyDual(level, p, a, in) : applyPlain(p, a, in);
    }

    private static Tensor applyDual(int level, Prim p, Attrs a, Tensor[] in) {
        Tensor[] primals = new Tensor[in.length];
        Tensor[] tangents = new Tensor[in.length];
        boolean any = false;
        for (int i = 0; i < in.length; i++) {
            if (in[i].level == level) {
                primals[i] = in[i].primal;
                tangents[i] = in[i].tangent;
                any |= tangents[i] != null;
            } else {
                primals[i] = in[i];
            }
        }
        if (any && p.kind() == Prim.Kind.UNARY && p != Prim.SIGN && fusable(primals[0], tangents[0])) {
            Tensor[] yt = Compute.unaryJvp(p, a, primals[0], tangents[0]);
            if (yt != null) {
                return makeDual(level, yt[0], yt[1]);
            }
        }
        if (any && (p == Prim.MUL || p == Prim.DIV || ((p == Prim.ADD || p == Prim.SUB)
                && tangents[0] != null && tangents[1] != null))
                && fusable(primals[0], tangents[0] == null ? primals[0] : tangents[0])
                && fusable(primals[1], tangents[1] == null ? primals[1] : tangents[1])) {
            Tensor[] ct = Compute.binaryJvp(p, primals[0], tangents[0], primals[1], tangents[1]);
            if (ct != null) {
                return makeDual(level, ct[0], ct[1]);
            }
        }
        if (any && p == Prim.MATMUL && tangents[1] == null && tangents[0] != null) {
            Tensor fused = fusedMatmul(level, primals[0], tangents[0], primals[1]);
            if (fused != null) {
                return fused;
            }
        }
        Tensor y = apply(p, a, primals);
        if (!any || !y.dtype.isFloatingPoint()) {
            return y;
        }
        Tensor ty = ForwardRules.jvp(p, a, primals, tangents, y);
        return ty == null ? y : makeDual(level, y, ty);
    }

    /**
     * The fused kernel may replace the primitive and its jvp rule only where nothing needs the rule
     * as Tensor operations: plain primal and tangent (no enclosing forward level), nothing recorded
     * for reverse mode.
     */
    private static boolean fusable(Tensor x, Tensor t) {
        return x.level == 0 && t.level == 0
                && (!GradMode.isEnabled() || !(x.requiresGrad || t.requiresGrad));
    }

    /**
     * Primal+tangent fusion for {@code x @ W} with a constant W: one matmul of {@code [x; dx]}
     * stacked along the rows reads W once instead of twice (what decides the cost at small batch).
     */
    private static Tensor fusedMatmul(int level, Tensor x, Tensor dx, Tensor w) {
        if (x.shape.length != 2 || w.shape.length != 2 || x.dtype != w.dtype || dx.dtype != x.dtype
                || !Arrays.equals(dx.shape, x.shape) || x.shape[1] != w.shape[0]) {
            return null;
        }
        long m = x.shape[0];
        if (m == 1 && x.device().isCpu()) {
            // oneDNN's AVX2 GEMM has no good 2-row kernel: [x; dx] @ W took 221 µs against 100 µs
            // for one row (1024x1024 weights, 1 thread), so two 1-row products are cheaper.
            return null;
        }
        Tensor r = apply(Prim.MATMUL, Attrs.NONE, Tensor.cat(0, x, dx), w);
        Tensor y = apply(Prim.SLICE, Attrs.ints(0, 0, m, 1), r);
        Tensor ty = apply(Prim.SLICE, Attrs.ints(0, m, 2 * m, 1), r);
        return makeDual(level, y, ty);
    }

    /** Wraps primal and tangent at {@code level}, fitting the tangent to the primal's shape and dtype. */
    static Tensor makeDual(int level, Tensor primal, Tensor tangent) {
        if (tangent == null) {
            return primal;
        }
        if (!Arrays.equals(tangent.shape, primal.shape)) {
            tangent = tangent.expand(primal.shape);
        }
        if (tangent.dtype != primal.dtype) {
            tangent = tangent.to(primal.dtype);
        }
        return new Tensor(level, primal, tangent);
    }

    private static Tensor applyPlain(Prim p, Attrs a, Tensor[] in) {
        Tensor y = Compute.run(p, a, in);
        if (GradMode.isEnabled() && y.dtype.isFloatingPoint() && BackwardRules.isDifferentiable(p)) {
            boolean req = false;
            for (Tensor t : in) {
                req |= t.requiresGrad;
            }
            if (req) {
                y.gradFn = new Node(p, a, in, y);
                y.requiresGrad = true;
            }
        }
        return y;
    }

    /** Copy to another device; differentiable (tangents and gradients travel back and forth). */
    static Tensor transfer(Tensor x, Device target) {
        return apply(Prim.TO_DEVICE, Attrs.ints(target.type().ordinal(), target.index()), x);
    }
}
