package dev.tangent.engine;

import dev.tangent.Tensor;
import dev.tangent.autograd.GradMode;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * Linear layers with their epilogue, {@code act(x @ w + bias)}, as one kernel where the backend
 * has one (on the CPU: a oneDNN matmul with post-ops, or the batch-1 GEMV), and the jvp of such a
 * layer as one kernel for primal and tangent ({@code Backend.linearJvp}: on the CPU, from 2 rows
 * with an activation one matmul of {@code [x; dx]} and one native pass, else two matmuls with
 * their epilogues). Everywhere else — float64, a GPU, inputs that need
 * the rules as Tensor operations (an enclosing forward level, a tape) — the composition of
 * primitives runs, so the rules stay the one definition ({@link Fusion#allowed}).
 */
public final class Linear {
    private Linear() {}

    /** Whether {@code act} may follow a linear layer here: null (none), TANH, SIGMOID, RELU, GELU or GELU_TANH. */
    public static boolean isActivation(Prim act) {
        return act == null || act == Prim.TANH || act == Prim.SIGMOID || act == Prim.RELU || act == Prim.GELU
                || act == Prim.GELU_TANH;
    }

    /**
     * {@code act(x @ w + bias)} for a 2-D x [M, K] and w [K, N] (bias null or broadcasting to
     * [M, N], act as {@link #isActivation}); other ranks run as the composition.
     */
    public static Tensor apply(Tensor x, Tensor w, Tensor bias, Prim act) {
        if (!isActivation(act)) {
            throw new IllegalArgumentException("linear: " + act.opName() + " is not an activation a linear layer fuses");
        }
        TensorAccess acc = TensorAccess.get();
        if (EpilogueFusion.ENABLED && x.dim() == 2 && w.dim() == 2 && (bias == null || bias.dim() >= 1)
                && x.device().isCpu()) {
            int lx = acc.level(x);
            if (lx == 0 && Fusion.allowed(x, w, bias)) {
                Operand b = bias == null ? null : acc.value(bias);
                Operand y = linear(acc.value(x), acc.value(w), b, act);
                if (y != null) {
                    return acc.plain(y);
                }
                if (act != null && (y = linear(acc.value(x), acc.value(w), b, null)) != null) {
                    return activation(acc.plain(y), act);
                }
            } else if (lx > 0 && !(GradMode.isEnabled() && x.requiresGrad())) {
                Tensor px = acc.primal(x);
                Tensor tx = acc.tangent(x);
                if (tx != null && Fusion.allowed(px, tx, w, bias)) {
                    Operand b = bias == null ? null : acc.value(bias);
                    Operand[] r = linearJvp(acc.value(px), acc.value(tx), acc.value(w), b, act);
                    if (r != null) {
                        return Dispatch.makeDual(lx, acc.plain(r[0]), acc.plain(r[1]));
                    }
                    if (act != null && (r = linearJvp(acc.value(px), acc.value(tx), acc.value(w), b, null)) != null) {
                        return activation(Dispatch.makeDual(lx, acc.plain(r[0]), acc.plain(r[1])), act);
                    }
                }
            }
        }
        Tensor y = x.matmul(w);
        return activation(bias == null ? y : y.add(bias), act);
    }

    private static Tensor activation(Tensor y, Prim act) {
        return act == null ? y : Dispatch.apply(act, Attrs.Scalars.NONE, y);
    }

    private static boolean compatible(Operand x, Operand w, Operand bias) {
        return x.dim() == 2 && w.dim() == 2 && x.shape()[1] == w.shape()[0] && w.dtype() == x.dtype()
                && w.device().equals(x.device())
                && (bias == null || bias.dtype() == x.dtype() && bias.device().equals(x.device()));
    }

    /** {@code act(x W + bias)} by the backend's fused kernel, or null when it has none (nothing kept). */
    static Operand linear(Operand x, Operand w, Operand bias, Prim act) {
        if (!compatible(x, w, bias)) {
            return null;
        }
        Operand y = Buffers.allocate(new long[] {x.shape()[0], w.shape()[1]}, x.dtype(), x.device());
        boolean[] done = new boolean[1];
        Operand[] reads = bias == null ? new Operand[] {x, w} : new Operand[] {x, w, bias};
        Launch.run("linear", () -> done[0] = w.backend().linear(x, w, bias, act, y), reads, new Operand[] {y});
        if (done[0] && Launch.describing()) {
            Launch.describe(new KernelInfo.Linear(x, null, w, bias, act, y, null));
        }
        return done[0] ? y : null;
    }

    /**
     * {y, dy} of {@code act(x W + bias)} for a constant W and bias by the backend's fused kernel,
     * PyTorch's {@code x @ 0} term included; null when it has none.
     */
    static Operand[] linearJvp(Operand x, Operand dx, Operand w, Operand bias, Prim act) {
        if (!compatible(x, w, bias) || dx.dtype() != x.dtype() || !java.util.Arrays.equals(dx.shape(), x.shape())
                || !dx.device().equals(x.device())) {
            return null;
        }
        long[] shape = {x.shape()[0], w.shape()[1]};
        Operand y = Buffers.allocate(shape, x.dtype(), x.device());
        Operand dy = Buffers.allocate(shape, x.dtype(), x.device());
        boolean[] done = new boolean[1];
        Operand[] reads = bias == null ? new Operand[] {x, dx, w} : new Operand[] {x, dx, w, bias};
        Launch.run("linear", () -> done[0] = w.backend().linearJvp(x, dx, w, bias, act, y, dy), reads,
                new Operand[] {y, dy});
        if (done[0] && Launch.describing()) {
            Launch.describe(new KernelInfo.Linear(x, dx, w, bias, act, y, dy));
        }
        return done[0] ? new Operand[] {y, dy} : null;
    }
}
