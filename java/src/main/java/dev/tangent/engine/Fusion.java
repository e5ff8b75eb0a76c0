package dev.tangent.engine;

import dev.tangent.Tensor;
import dev.tangent.autograd.GradMode;
import dev.tangent.engine.rules.Rules;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.ElementwiseMath;
import dev.tangent.ops.Prim;
import java.util.Arrays;

/**
 * Where a primitive and its jvp rule run as one fused kernel, and the fused forms themselves. The
 * rules stay the one definition; a fused kernel may replace a rule only where nothing needs the
 * rule as Tensor operations: plain primal and tangent (no enclosing forward level) and nothing
 * recorded for reverse mode ({@link #allowed}).
 */
public final class Fusion {
    private Fusion() {}

    /** The one fusion predicate: every operand plain and none recorded on the tape. */
    public static boolean allowed(Tensor... operands) {
        TensorAccess acc = TensorAccess.get();
        boolean recording = GradMode.isEnabled();
        for (Tensor t : operands) {
            if (t != null && (acc.level(t) != 0 || recording && t.requiresGrad())) {
                return false;
            }
        }
        return true;
    }

    /** {f(x), f'(x)·t} of a unary primitive in one kernel, or null where none applies. */
    public static Tensor[] unary(Prim p, Attrs.Scalars a, Tensor x, Tensor t) {
        if (!ElementwiseMath.hasTangent(p) || !allowed(x, t)) {
            return null;
        }
        TensorAccess acc = TensorAccess.get();
        Operand[] yt = ElementwiseKernels.unaryJvp(p, a, acc.value(x), acc.value(t));
        return yt == null ? null : new Tensor[] {acc.plain(yt[0]), acc.plain(yt[1])};
    }

    /**
     * {c, tc} of MUL or DIV (either tangent may be absent) or ADD/SUB (both present) in one kernel,
     * or null where none applies.
     */
    static Tensor[] binary(Prim p, Tensor a, Tensor ta, Tensor b, Tensor tb) {
        boolean form = p == Prim.MUL || p == Prim.DIV || ((p == Prim.ADD || p == Prim.SUB) && ta != null && tb != null);
        if (!form || !allowed(a, ta, b, tb)) {
            return null;
        }
        TensorAccess acc = TensorAccess.get();
        Operand[] ct = ElementwiseKernels.binaryJvp(p, acc.value(a), ta == null ? null : acc.value(ta),
                acc.value(b), tb == null ? null : acc.value(tb));
        return ct == null ? null : new Tensor[] {acc.plain(ct[0]), acc.plain(ct[1])};
    }

    /**
     * {@code x @ W} with its tangent {@code dx @ W} for a constant W. On the CPU, where nothing
     * needs the rule as Tensor operations, one fused kernel ({@code Backend.linearJvp}: the
     * batch-1 GEMV reading W once for both, or two oneDNN matmuls with no passes between); else
     * one matmul of {@code [x; dx]} stacked along the rows, W read once instead of twice, written
     * in primitives (valid under any level and on the tape). Null where neither applies.
     */
    static Tensor[] matmul(Tensor x, Tensor dx, Tensor w) {
        long[] xs = x.shape();
        long[] ws = w.shape();
        if (xs.length != 2 || ws.length != 2 || x.dtype() != w.dtype() || dx.dtype() != x.dtype()
                || !Arrays.equals(dx.shape(), xs) || xs[1] != ws[0]) {
            return null;
        }
        long m = xs[0];
        if (x.device().isCpu() && (m == 1 || EpilogueFusion.ENABLED)) {
            if (allowed(x, dx, w)) {
                TensorAccess acc = TensorAccess.get();
                Operand[] r = Linear.linearJvp(acc.value(x), acc.value(dx), acc.value(w), null, null);
                // The backend's kernel adds x @ 0 (W's absent tangent) itself.
                if (r != null) {
                    return new Tensor[] {acc.plain(r[0]), acc.plain(r[1])};
                }
            }
            if (m == 1) {
                // One row: two 1-row products (the rule); oneDNN's 2-row GEMM costs 2.2x a 1-row one
                // (measured), so stacking would not pay.
                return null;
            }
        }
        Tensor r = Dispatch.apply(Prim.MATMUL, Attrs.NONE, Tensor.cat(0, x, dx), w);
        return new Tensor[] {Dispatch.apply(Prim.SLICE, new Attrs.Slice(0, 0, m, 1), r),
                Dispatch.apply(Prim.SLICE, new Attrs.Slice(0, m, 2 * m, 1), r)
                        .add(Rules.constantOperandTerm(Prim.MATMUL, Attrs.NONE, x, w))};
    }

    /** {max_pool2d(x), its jvp for the tangent t} in one kernel, or null where none applies. */
    static Tensor[] maxPool2d(Attrs.Pool a, Tensor x, Tensor t) {
        if (!allowed(x, t)) {
            return null;
        }
        TensorAccess acc = TensorAccess.get();
        Operand[] yt = NnKernels.maxPool2dJvp(a, acc.value(x), acc.value(t));
        return yt == null ? null : new Tensor[] {acc.plain(yt[0]), acc.plain(yt[1])};
    }

    /**
     * {@code conv2d(x, w)} with its tangent {@code conv2d(dx, w)} for a constant w: where w holds at
     * least as many elements as x, one convolution of {@code [x; dx]} stacked along the batch (w is
     * read once, the batch twice as wide: at batch 1, 512 channels, 7x7, 2.9 against 3.5 ms for two
     * convolutions); else two convolutions. The tangent carries w's absent-tangent term
     * ({@code conv2d(x, 0)}, NaN where x is not finite): where nothing needs the rule as Tensor
     * operations ({@link #allowed}), added by the tangent's convolution kernel itself after a scan
     * of x ({@link NnKernels#conv2dAbsentWeightTangent}; a plan's branch then happens at run time),
     * else as Tensor operations (valid under any level and on the tape).
     */
    static Tensor[] conv2d(Attrs.Conv a, Tensor x, Tensor dx, Tensor w) {
        if (x.dim() != 4 || dx.dtype() != x.dtype() || !Arrays.equals(dx.shape(), x.shape())) {
            return null;
        }
        boolean fused = allowed(x, dx, w);
        if (x.numel() > w.numel()) {
            // Activations outweigh the weights: reading w twice costs less than stacking's copy of
            // x and dx (at batch 32, 64 channels, 56x56, 1 thread: two convolutions 99.8 ms, the
            // stacked one 105.3 ms plus 3.7 ms of copying; KernelProbe conv), and y is the forward's own.
            Tensor y = Dispatch.apply(Prim.CONV2D, a, x, w);
            Tensor t = fused ? withAbsentWeightTerm(a, dx, w, x) : null;
            return new Tensor[] {y, t != null ? t
                    : Dispatch.apply(Prim.CONV2D, a, dx, w).add(Rules.constantOperandTerm(Prim.CONV2D, a, x, w))};
        }
        long n = x.size(0);
        Tensor in = Tensor.cat(0, x, dx);
        Tensor r = fused ? withAbsentWeightTerm(a, in, w, x) : null;
        boolean termAdded = r != null;
        if (!termAdded) {
            r = Dispatch.apply(Prim.CONV2D, a, in, w);
        }
        Tensor t = Dispatch.apply(Prim.SLICE, new Attrs.Slice(0, n, 2 * n, 1), r);
        return new Tensor[] {Dispatch.apply(Prim.SLICE, new Attrs.Slice(0, 0, n, 1), r),
                termAdded ? t : t.add(Rules.constantOperandTerm(Prim.CONV2D, a, x, w))};
    }

    /** {@code conv2d(in, w)} with x's absent-weight term in its last images, by one kernel; or null. */
    private static Tensor withAbsentWeightTerm(Attrs.Conv a, Tensor in, Tensor w, Tensor x) {
        TensorAccess acc = TensorAccess.get();
        Operand r = NnKernels.conv2dAbsentWeightTangent(a, acc.value(in), acc.value(w), acc.value(x));
        return r == null ? null : acc.plain(r);
    }
}
