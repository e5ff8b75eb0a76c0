package dev.tangent.engine;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.NnShapes;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.util.Arrays;

/**
 * Normalisation: PyTorch's shape checks (naming the op and the shapes), one floating dtype, and
 * the launch on contiguous operands (a strided operand is copied first: the kernels read rows).
 */
final class NormKernels {
    private NormKernels() {}

    static Operand norm(Prim p, Attrs a, Operand[] in) {
        String op = p == Prim.LAYER_NORM_GRAD ? "layer_norm_backward" : p.opName();
        Operand x = in[0];
        DType dt = x.dtype();
        for (Operand o : in) {
            if (!o.dtype().isFloatingPoint() || o.dtype() != dt) {
                throw new IllegalArgumentException(op + ": expected floating point operands of one dtype, got "
                        + Arrays.toString(Arrays.stream(in).map(t -> t.dtype().torchName()).toArray()));
            }
        }
        long[] xs = x.shape();
        switch (p) {
            case LAYER_NORM -> {
                Attrs.LayerNorm ln = (Attrs.LayerNorm) a;
                long[] normalized = trailing(op, xs, ln.dims());
                NnShapes.layerNorm(xs, normalized, ln.weight() ? in[1].shape() : null,
                        ln.bias() ? in[ln.weight() ? 2 : 1].shape() : null);
                count(op, in, 1 + (ln.weight() ? 1 : 0) + (ln.bias() ? 1 : 0));
            }
            case LAYER_NORM_GRAD -> {
                trailing(op, xs, ((Attrs.LayerNorm) a).dims());
                count(op, in, 2);
                if (!Arrays.equals(xs, in[1].shape())) {
                    throw new IllegalArgumentException(op + ": input " + Shapes.str(xs) + " and gradient "
                            + Shapes.str(in[1].shape()) + " differ in shape");
                }
            }
            case BATCH_NORM -> {
                Attrs.BatchNorm bn = (Attrs.BatchNorm) a;
                long c = NnShapes.channels(op, xs);
                count(op, in, 3 + (bn.weight() ? 1 : 0) + (bn.bias() ? 1 : 0));
                String[] names = {"running_mean", "running_var", bn.weight() ? "weight" : "bias", "bias"};
                for (int i = 1; i < in.length; i++) {
                    NnShapes.channelVector(op, names[i - 1], in[i].shape(), c);
                }
            }
            case GROUP_NORM -> {
                Attrs.GroupNorm gn = (Attrs.GroupNorm) a;
                NnShapes.groups(xs, gn.groups());
                count(op, in, 1 + (gn.weight() ? 1 : 0) + (gn.bias() ? 1 : 0));
                for (int i = 1; i < in.length; i++) {
                    NnShapes.channelVector(op, gn.weight() && i == 1 ? "weight" : "bias", in[i].shape(), xs[1]);
                }
            }
            default -> throw new AssertionError(p);
        }
        Operand[] c = new Operand[in.length];
        for (int i = 0; i < in.length; i++) {
            c[i] = Buffers.contiguous(in[i]);
        }
        Operand out = Buffers.allocate(xs.clone(), dt, x.device());
        Launch.run(op, () -> x.backend().norm(p, a, c, out), c, new Operand[] {out});
        return out;
    }

    /** The last {@code k} sizes of xs (k between 1 and its rank). */
    private static long[] trailing(String op, long[] xs, int k) {
        if (k < 1 || k > xs.length) {
            throw new IllegalArgumentException(op + ": cannot normalise over the last " + k + " dims of an input of"
                    + " shape " + Shapes.str(xs));
        }
        return Arrays.copyOfRange(xs, xs.length - k, xs.length);
    }

    private static void count(String op, Operand[] in, int expected) {
        if (in.length != expected) {
            throw new IllegalArgumentException(op + ": expected " + expected + " operands, got " + in.length);
        }
    }
}
