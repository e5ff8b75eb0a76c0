package dev.tangent.nn;

import dev.tangent.DType;
import dev.tangent.Tensor;
import java.util.Arrays;

/** The activations DJL and PyTorch have beyond Tensor's own, and the losses, in Tensor operations. */
public final class Activations {
    private static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    private static final double SELU_SCALE = 1.0507009873554804934193349852946;

    private Activations() {}

    /**
     * {@code F.relu6}: hardtanh(x, 0, 6), min(max(x, 0), 6). Its derivative is PyTorch's
     * {@code hardtanh_backward}: 1 strictly inside (0, 6) and 0 at the kinks 0 and 6 themselves (not
     * clamp's derivative, which is 1 at its bounds).
     */
    public static Tensor relu6(Tensor x) {
        return hardtanh(x, 0, 6);
    }

    /**
     * {@code F.hardtanh(x, min_val, max_val)}: x clamped to [min, max], with PyTorch's derivative 1 on
     * the open interval (min, max) and 0 elsewhere, kinks included (a NaN stays NaN, derivative 1).
     */
    public static Tensor hardtanh(Tensor x, double min, double max) {
        if (!(min <= max)) {
            throw new IllegalArgumentException("hardtanh: min_val cannot be greater than max_val, got min_val=" + min
                    + ", max_val=" + max);
        }
        Tensor lo = Tensor.full(min, x.dtype(), x.device());
        Tensor hi = Tensor.full(max, x.dtype(), x.device());
        // where() masks are constants: below/above (kinks included) the branch is a constant, slope 0.
        return Tensor.where(x.le(min), lo, Tensor.where(x.ge(max), hi, x));
    }

    /** scale · elu(x, alpha) with SELU's constants. */
    public static Tensor selu(Tensor x) {
        return x.elu(SELU_ALPHA).mul(SELU_SCALE);
    }

    /** x · sigmoid(beta · x). */
    public static Tensor swish(Tensor x, double beta) {
        return beta == 1.0 ? x.silu() : x.mul(x.mul(beta).sigmoid());
    }

    /** x · tanh(softplus(x)). */
    public static Tensor mish(Tensor x) {
        return x.mul(x.softplus().tanh());
    }

    /**
     * {@code F.hardswish}: x · min(max(x + 3, 0), 6) / 6, with PyTorch's values (its operations in
     * its order: -0 below -3, NaN at -inf, x · 6 / 6 above 3, which overflows past max / 6) and
     * PyTorch's derivatives ({@code hardswish_backward} since PyTorch 2.7): 0 for x ≤ -3 (-inf
     * included), x / 3 + 1/2 strictly inside (-3, 3), 1 for x ≥ 3 (+inf included) and at NaN (its
     * scalar loop); second derivative 1/3 strictly inside, 0 elsewhere, the kinks ±3 included.
     * Written per region, each region's formula evaluated where it is finite: below -3 a detached
     * x · 0 / 6 (derivative exactly 0, even against an infinite cotangent); inside, x · (x + 3) / 6
     * on x with the other regions' elements replaced by 0 (no inf · 0 in its rule); at x ≥ 3 and
     * NaN, x · 6 / 6.
     */
    public static Tensor hardswish(Tensor x) {
        Tensor below = x.le(-3.0);
        Tensor inside = x.lt(3.0);
        Tensor low = x.detach().mul(0.0).div(6.0);
        Tensor xm = Tensor.where(inside, Tensor.where(x.gt(-3.0), x, 0.0), 0.0);
        Tensor mid = xm.mul(xm.add(3.0)).div(6.0);
        return Tensor.where(inside, Tensor.where(below, low, mid), x.mul(6.0).div(6.0));
    }

    /** x / (1 + |x|). */
    public static Tensor softsign(Tensor x) {
        return x.div(x.abs().add(1.0));
    }

    /**
     * {@code F.logsigmoid}: log(sigmoid(x)) as PyTorch computes it, min(x, 0) - log1p(exp(-|x|)),
     * which never overflows. (Not -softplus(-x): softplus turns linear beyond its threshold 20, which
     * makes the value, the derivative 1 - sigmoid(-x) and the second derivative differ from PyTorch's
     * for x below -20 by up to e^-20 ≈ 2e-9.) The derivative is PyTorch's
     * {@code log_sigmoid_backward}: 1 - z / (1 + z) for x < 0, z / (1 + z) for x ≥ 0 (z = exp(-|x|)),
     * 1/2 at 0: -|x| is written as where(x < 0, x, -x) so that its slope at 0 is -1, not abs's 0.
     */
    public static Tensor logsigmoid(Tensor x) {
        Tensor negative = x.lt(0.0);
        Tensor minusAbs = Tensor.where(negative, x, x.neg());
        return Tensor.where(negative, x, 0.0).sub(minusAbs.exp().log1p());
    }

    private static final System.Logger LOG = System.getLogger(Activations.class.getName());
    private static final java.util.concurrent.atomic.AtomicInteger MSE_BROADCAST_WARNINGS =
            new java.util.concurrent.atomic.AtomicInteger();

    /**
     * The squared error between x and target, reduced by "mean", "sum" or "none". Shapes that
     * differ but broadcast are broadcast, as PyTorch does, which warns (once per process here, a
     * {@link System.Logger} warning with PyTorch's text): "mean" then averages over the broadcast
     * shape. Shapes that do not broadcast throw.
     */
    public static Tensor mseLoss(Tensor x, Tensor target, String reduction) {
        checkReduction("mse_loss", reduction);
        if (!Arrays.equals(x.shape(), target.shape())) {
            checkBroadcast("mse_loss", x.shape(), target.shape());
            if (MSE_BROADCAST_WARNINGS.getAndIncrement() == 0) {
                LOG.log(System.Logger.Level.WARNING, "mse_loss: Using a target size (torch.Size("
                        + Arrays.toString(target.shape()) + ")) that is different to the input size (torch.Size("
                        + Arrays.toString(x.shape()) + ")). This will likely lead to incorrect results due to"
                        + " broadcasting. Please ensure they have the same size.");
            }
        }
        Tensor d = x.sub(target);
        return reduce("mse_loss", d.mul(d), reduction);
    }

    /** How many mse_loss calls broadcast their input and target (the first one logged the warning). */
    static int mseLossBroadcasts() {
        return MSE_BROADCAST_WARNINGS.get();
    }

    /** PyTorch's broadcasting rule, failing with its message naming {@code op} and both shapes. */
    private static void checkBroadcast(String op, long[] a, long[] b) {
        int n = Math.max(a.length, b.length);
        for (int i = 1; i <= n; i++) {
            long da = i <= a.length ? a[a.length - i] : 1;
            long db = i <= b.length ? b[b.length - i] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": input " + Arrays.toString(a) + " and target "
                        + Arrays.toString(b) + " do not broadcast: the size of tensor a (" + da
                        + ") must match the size of tensor b (" + db + ") at non-singleton dimension " + (n - i));
            }
        }
    }

    /** PyTorch's default {@code ignore_index}: targets equal to it contribute nothing, not even to the mean's count. */
    public static final long IGNORE_INDEX = -100;

    /**
     * {@code F.cross_entropy(logits, target, weight, ignore_index=ignoreIndex, reduction=...)}.
     * logits [N, C, d1, ..., dk] (k ≥ 0) or [C]; the class dim is 1 (0 for [C]). target either:
     * <ul>
     *   <li>int64 class indices [N, d1, ..., dk] (or [] for [C] logits), each in [0, C) or equal to
     *       {@code ignoreIndex}: loss = -weight[t] · log_softmax(logits)[t]; "mean" divides the sum by
     *       the total weight of the targets not ignored (their count without weight), as
     *       {@code nll_loss} does; ignored positions have loss 0;</li>
     *   <li>class probabilities, floating point, shaped like logits: loss = -Σ_c weight[c] · p_c ·
     *       log_softmax(logits)_c; "mean" divides by N · d1 ⋯ dk.</li>
     * </ul>
     * weight is null or a [C] vector of class weights.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Tensor weight, long ignoreIndex, String reduction) {
        checkReduction("cross_entropy", reduction);
        if (logits.dim() < 1 || !logits.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("cross_entropy: expected floating point logits [N, C, d1, ...] or [C], got "
                    + logits.dtype().torchName() + " " + Arrays.toString(logits.shape()));
        }
        int classDim = logits.dim() == 1 ? 0 : 1;
        long classes = logits.size(classDim);
        if (weight != null && (weight.dim() != 1 || weight.size(0) != classes)) {
            throw new IllegalArgumentException("cross_entropy: expected a weight of shape [" + classes + "] (one per class"
                    + " of logits " + Arrays.toString(logits.shape()) + "), got " + Arrays.toString(weight.shape()));
        }
        if (target.dtype().isFloatingPoint()) {
            if (!Arrays.equals(target.shape(), logits.shape())) {
                throw new IllegalArgumentException("cross_entropy: class probabilities as target must have the shape of the"
                        + " logits " + Arrays.toString(logits.shape()) + ", got " + Arrays.toString(target.shape()));
            }
            Tensor terms = logits.logSoftmax(classDim).mul(target.to(logits.dtype()).to(logits.device()));
            if (weight != null) {
                long[] perClass = new long[logits.dim()];
                Arrays.fill(perClass, 1);
                perClass[classDim] = classes;
                terms = terms.mul(weight.reshape(perClass));
            }
            return reduce("cross_entropy", terms.sum(classDim).neg(), reduction);
        }
        if (target.dtype() != DType.INT64) {
            throw new IllegalArgumentException("cross_entropy: expected int64 class indices or floating point class"
                    + " probabilities as target, got " + target.dtype().torchName());
        }
        long[] ls = logits.shape();
        long[] expectedTarget = new long[ls.length - 1];
        for (int i = 0, j = 0; i < ls.length; i++) {
            if (i != classDim) {
                expectedTarget[j++] = ls[i];
            }
        }
        if (!Arrays.equals(target.shape(), expectedTarget)) {
            throw new IllegalArgumentException("cross_entropy: expected a target of shape " + Arrays.toString(expectedTarget)
                    + " for logits " + Arrays.toString(ls) + " (class dim " + classDim + " of size " + classes + "), got "
                    + Arrays.toString(target.shape()));
        }
        long[] t = target.toLongArray();
        long[] safe = new long[t.length];
        long kept = 0;
        for (int i = 0; i < t.length; i++) {
            if (t[i] == ignoreIndex) {
                continue;
            }
            if (t[i] < 0 || t[i] >= classes) {
                throw new IndexOutOfBoundsException("cross_entropy: Target " + t[i] + " is out of bounds for " + classes
                        + " classes (logits " + Arrays.toString(ls) + ", target " + Arrays.toString(target.shape())
                        + ", ignore_index " + ignoreIndex + ")");
            }
            safe[i] = t[i];
            kept++;
        }
        // rows [M, C]: the class dim moved last
        Tensor logp = logits.logSoftmax(classDim);
        Tensor rows = logp;
        if (logits.dim() == 1) {
            rows = logp.unsqueeze(0);
        } else if (logits.dim() > 2) {
            int[] perm = new int[ls.length];
            perm[0] = 0;
            for (int i = 2; i < ls.length; i++) {
                perm[i - 1] = i;
            }
            perm[ls.length - 1] = 1;
            rows = logp.permute(perm).reshape(-1, classes);
        }
        Tensor idx = Tensor.of(safe, safe.length).to(logits.device());
        Tensor nll = rows.gather(1, idx.unsqueeze(1)).squeeze(1).neg();
        Tensor w = weight == null ? null : weight.to(logits.dtype()).indexSelect(0, idx);
        Tensor loss = w == null ? nll : nll.mul(w);
        Tensor totalWeight = null;
        if (kept < t.length) {
            Tensor valid = target.reshape(-1).ne((double) ignoreIndex).to(logits.device());
            loss = Tensor.where(valid, loss, 0.0);
            if (w != null) {
                totalWeight = Tensor.where(valid, w, 0.0).sum();
            }
        } else if (w != null) {
            totalWeight = w.sum();
        }
        return switch (reduction) {
            case "none" -> loss.reshape(target.shape());
            case "sum" -> loss.sum();
            default -> totalWeight == null ? loss.sum().div((double) kept) : loss.sum().div(totalWeight);
        };
    }

    /** {@code F.cross_entropy(logits, target, reduction=...)}: no class weights, ignore_index -100. */
    public static Tensor crossEntropy(Tensor logits, Tensor target, String reduction) {
        return crossEntropy(logits, target, null, IGNORE_INDEX, reduction);
    }

    private static void checkReduction(String op, String reduction) {
        if (!"mean".equals(reduction) && !"sum".equals(reduction) && !"none".equals(reduction)) {
            throw new IllegalArgumentException(op + ": " + reduction + " is not a valid value for reduction"
                    + " (mean, sum or none)");
        }
    }

    private static Tensor reduce(String op, Tensor v, String reduction) {
        return switch (reduction) {
            case "mean" -> v.mean();
            case "sum" -> v.sum();
            case "none" -> v;
            default -> throw new IllegalArgumentException(op + ": " + reduction + " is not a valid value for reduction"
                    + " (mean, sum or none)");
        };
    }
}
