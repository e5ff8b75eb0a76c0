package dev.tangent.nn;

import dev.tangent.DType;
import dev.tangent.Tensor;
import java.util.Arrays;

/** The activations DJL and PyTorch have beyond Tensor's own, and the losses, in Tensor operations. */
public final class Activations {
    private static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    private static final double SELU_SCALE = 1.0507009873554804934193349852946;

    private Activations() {}

    /** min(max(x, 0), 6). */
    public static Tensor relu6(Tensor x) {
        return x.clamp(0, 6);
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

    /** x · relu6(x + 3) / 6. */
    public static Tensor hardswish(Tensor x) {
        return x.mul(relu6(x.add(3.0))).div(6.0);
    }

    /** x / (1 + |x|). */
    public static Tensor softsign(Tensor x) {
        return x.div(x.abs().add(1.0));
    }

    /** log(sigmoid(x)) = -softplus(-x). */
    public static Tensor logsigmoid(Tensor x) {
        return x.neg().softplus().neg();
    }

    /** The squared error between x and target, reduced by "mean", "sum" or "none". */
    public static Tensor mseLoss(Tensor x, Tensor target, String reduction) {
        if (!Arrays.equals(x.shape(), target.shape())) {
            throw new IllegalArgumentException("mse_loss: input " + Arrays.toString(x.shape()) + " and target "
                    + Arrays.toString(target.shape()) + " have different shapes");
        }
        Tensor d = x.sub(target);
        return reduce("mse_loss", d.mul(d), reduction);
    }

    /** Cross entropy of logits [N, C] (or [C]) against int64 class indices [N] (or []). */
    public static Tensor crossEntropy(Tensor logits, Tensor target, String reduction) {
        if (target.dtype() != DType.INT64) {
            throw new IllegalArgumentException("cross_entropy: expected int64 class indices as target, got "
                    + target.dtype().torchName());
        }
        boolean batched = logits.dim() == 2;
        if (!(batched && target.dim() == 1 && target.size(0) == logits.size(0)) && !(logits.dim() == 1 && target.dim() == 0)) {
            throw new IllegalArgumentException("cross_entropy: expected logits [N, C] with target [N] (or [C] with a"
                    + " 0-d target), got " + Arrays.toString(logits.shape()) + " and " + Arrays.toString(target.shape()));
        }
        long classes = logits.size(-1);
        for (long t : target.toLongArray()) {
            if (t < 0 || t >= classes) {
                throw new IndexOutOfBoundsException("cross_entropy: target " + t + " is out of bounds for " + classes
                        + " classes");
            }
        }
        Tensor z = batched ? logits : logits.unsqueeze(0);
        Tensor t = (batched ? target : target.reshape(1)).unsqueeze(1).to(logits.device());
        Tensor nll = z.logSoftmax(1).gather(1, t).squeeze(1).neg();
        return reduce("cross_entropy", batched ? nll : nll.squeeze(0), reduction);
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
