package dev.tangent.engine;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.NnShapes;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.util.Arrays;

/** Convolution and pooling: PyTorch's argument checks (naming the op and the shapes), result shapes, launch. */
final class NnKernels {
    private NnKernels() {}

    static Operand conv(Prim p, Attrs a, Operand[] in) {
        return switch (p) {
            case CONV2D -> conv2d((Attrs.Conv) a, in[0], in[1]);
            case CONV2D_INPUT_GRAD -> inputGrad((Attrs.ConvGrad) a, in[0], in[1]);
            case CONV2D_WEIGHT_GRAD -> weightGrad((Attrs.ConvGrad) a, in[0], in[1]);
            default -> throw new AssertionError(p);
        };
    }

    static Operand pool(Prim p, Attrs a, Operand x) {
        String op = p.opName();
        if (p == Prim.AVG_POOL2D_GRAD) {
            Attrs.PoolGrad pg = (Attrs.PoolGrad) a;
            requireFloat4d(op, x);
            Operand gx = Buffers.allocate(pg.shape(), x.dtype(), x.device());
            Launch.run(op, () -> x.backend().avgPool2dGrad(pg.pool(), x, gx), x, gx);
            return gx;
        }
        Attrs.Pool pool = (Attrs.Pool) a;
        requireFloat4d(op, x);
        long[] os = poolShape(op, pool, x.shape());
        return switch (p) {
            case MAX_POOL2D -> {
                Operand out = Buffers.allocate(os, x.dtype(), x.device());
                Launch.run(op, () -> x.backend().maxPool2d(pool, x, out, null), x, out);
                yield out;
            }
            case MAX_POOL2D_INDICES -> {
                Operand idx = Buffers.allocate(os, DType.INT64, x.device());
                Launch.run(op, () -> x.backend().maxPool2d(pool, x, null, idx), x, idx);
                yield idx;
            }
            case AVG_POOL2D -> {
                Operand out = Buffers.allocate(os, x.dtype(), x.device());
                Launch.run(op, () -> x.backend().avgPool2d(pool, x, out), x, out);
                yield out;
            }
            default -> throw new AssertionError(p);
        };
    }

    /** The output shape of a pooling of an input of shape s, checking the geometry as PyTorch does. */
    private static long[] poolShape(String op, Attrs.Pool pool, long[] s) {
        String where = " (input " + Shapes.str(s) + ", kernel " + Arrays.toString(pool.kernel()) + ", stride "
                + Arrays.toString(pool.stride()) + ", padding " + Arrays.toString(pool.padding()) + ", dilation "
                + Arrays.toString(pool.dilation()) + ")";
        long oh = NnShapes.poolOut(op, s[2], pool.kernel()[0], pool.stride()[0], pool.padding()[0], pool.dilation()[0],
                pool.ceilMode(), where);
        long ow = NnShapes.poolOut(op, s[3], pool.kernel()[1], pool.stride()[1], pool.padding()[1], pool.dilation()[1],
                pool.ceilMode(), where);
        return new long[] {s[0], s[1], oh, ow};
    }

    /**
     * max_pool2d and its jvp for the input tangent t in one kernel ({@code Backend.maxPool2dJvp}):
     * {y, ty}, or null when the backend has none for the case (nothing written then).
     */
    static Operand[] maxPool2dJvp(Attrs.Pool pool, Operand x, Operand t) {
        String op = Prim.MAX_POOL2D.opName();
        if (x.dim() != 4 || !x.dtype().isFloatingPoint() || t.dtype() != x.dtype() || !Arrays.equals(t.shape(), x.shape())
                || !t.device().equals(x.device()) || !x.isContiguous() || !t.isContiguous()) {
            return null;
        }
        long[] os = poolShape(op, pool, x.shape());
        Operand y = Buffers.allocate(os, x.dtype(), x.device());
        Operand ty = Buffers.allocate(os.clone(), x.dtype(), x.device());
        boolean done = Launch.runFused(op, () -> x.backend().maxPool2dJvp(pool, x, t, y, ty), new Operand[] {x, t},
                new Operand[] {y, ty}, null);
        return done ? new Operand[] {y, ty} : ElementwiseKernels.declined(y, ty);
    }

    private static Operand conv2d(Attrs.Conv a, Operand x, Operand w) {
        String op = "conv2d";
        checkOperands(op, x, w);
        Operand out = Buffers.allocate(NnShapes.conv2d(op, x.shape(), w.shape(), a), x.dtype(), x.device());
        Launch.run(op, () -> x.backend().conv2d(a, x, w, out), new Operand[] {x, w}, new Operand[] {out});
        return out;
    }

    /**
     * {@code conv2d(in, w)} with {@code conv2d(x, 0)} (the absent weight tangent's term, see
     * {@code Backend.conv2dAbsentWeightTangent}) added to its last x.size(0) images in one kernel,
     * or null where the backend has none (nothing written then).
     */
    static Operand conv2dAbsentWeightTangent(Attrs.Conv a, Operand in, Operand w, Operand x) {
        String op = Prim.CONV2D.opName();
        checkOperands(op, in, w);
        if (x.dtype() != in.dtype() || !x.device().equals(in.device()) || !w.device().equals(in.device())
                || x.dim() != 4 || x.shape()[0] > in.shape()[0]
                || !Arrays.equals(x.shape(), 1, 4, in.shape(), 1, 4)) {
            return null;
        }
        Operand out = Buffers.allocate(NnShapes.conv2d(op, in.shape(), w.shape(), a), in.dtype(), in.device());
        boolean done = Launch.runFused(op, () -> in.backend().conv2dAbsentWeightTangent(a, in, w, x, out),
                new Operand[] {in, w, x}, new Operand[] {out}, null);
        if (!done) {
            ElementwiseKernels.declined(out);
            return null;
        }
        return out;
    }

    private static Operand inputGrad(Attrs.ConvGrad a, Operand g, Operand w) {
        String op = "conv_transpose2d";
        checkOperands(op, g, w);
        long[] xs = a.shape();
        long[] ws = w.shape();
        long[] gs = g.shape();
        String where = NnShapes.operands(gs, ws);
        NnShapes.checkGeometry(op, a.conv(), where);
        if (xs.length != 4) {
            throw new IllegalArgumentException(op + ": expected a 4-d result shape, got " + Shapes.str(xs));
        }
        NnShapes.checkChannels(op, a.conv(), xs, ws);
        if (gs[1] != ws[0]) {
            throw new IllegalArgumentException(op + ": input " + Shapes.str(gs) + " has " + gs[1]
                    + " channels but weight " + Shapes.str(ws) + " expects " + ws[0]);
        }
        long oh = NnShapes.convOut(op, xs[2], ws[2], a.conv().stride()[0], a.conv().padding()[0], a.conv().dilation()[0],
                where);
        long ow = NnShapes.convOut(op, xs[3], ws[3], a.conv().stride()[1], a.conv().padding()[1], a.conv().dilation()[1],
                where);
        if (gs[0] != xs[0] || gs[2] != oh || gs[3] != ow) {
            throw new IllegalArgumentException(op + ": input " + Shapes.str(gs) + " does not match output size "
                    + Shapes.str(xs) + " (which a convolution would map to [" + xs[0] + ", " + ws[0] + ", " + oh + ", "
                    + ow + "])");
        }
        Operand gx = Buffers.allocate(xs.clone(), g.dtype(), g.device());
        Launch.run(op, () -> g.backend().conv2dInputGrad(a.conv(), g, w, gx), new Operand[] {g, w},
                new Operand[] {gx});
        return gx;
    }

    private static Operand weightGrad(Attrs.ConvGrad a, Operand x, Operand g) {
        String op = "conv2d_weight";
        checkOperands(op, x, g);
        long[] ws = a.shape();
        long[] xs = x.shape();
        long[] ys = NnShapes.conv2d(op, xs, ws, a.conv());
        if (!Arrays.equals(g.shape(), ys)) {
            throw new IllegalArgumentException(op + ": gradient " + Shapes.str(g.shape()) + " is not the output shape "
                    + Shapes.str(ys) + " of input " + Shapes.str(xs) + " and weight " + Shapes.str(ws));
        }
        Operand gw = Buffers.allocate(ws.clone(), x.dtype(), x.device());
        Launch.run(op, () -> x.backend().conv2dWeightGrad(a.conv(), x, g, gw), new Operand[] {x, g},
                new Operand[] {gw});
        return gw;
    }

    private static void checkOperands(String op, Operand a, Operand b) {
        if (a.dim() != 4 || b.dim() != 4) {
            throw new IllegalArgumentException(op + ": expected 4-d input and weight (NCHW), got "
                    + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()));
        }
        if (a.dtype() != b.dtype() || !a.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected input and weight of one floating point dtype, got "
                    + a.dtype().torchName() + " and " + b.dtype().torchName());
        }
    }

    private static void requireFloat4d(String op, Operand x) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException(op + ": expected a 4-d (NCHW) input, got " + Shapes.str(x.shape()));
        }
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected a floating point tensor, got " + x.dtype().torchName());
        }
    }
}
