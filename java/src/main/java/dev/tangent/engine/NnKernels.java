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
        long[] s = x.shape();
        long oh = NnShapes.poolOut(op, s[2], pool.kernel()[0], pool.stride()[0], pool.padding()[0], pool.dilation()[0],
                pool.ceilMode());
        long ow = NnShapes.poolOut(op, s[3], pool.kernel()[1], pool.stride()[1], pool.padding()[1], pool.dilation()[1],
                pool.ceilMode());
        long[] os = {s[0], s[1], oh, ow};
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

    private static Operand conv2d(Attrs.Conv a, Operand x, Operand w) {
        String op = "conv2d";
        checkOperands(op, x, w);
        checkGeometry(op, a);
        long[] xs = x.shape();
        long[] ws = w.shape();
        checkChannels(op, a, xs, ws);
        long oh = NnShapes.convOut(op, xs[2], ws[2], a.stride()[0], a.padding()[0], a.dilation()[0]);
        long ow = NnShapes.convOut(op, xs[3], ws[3], a.stride()[1], a.padding()[1], a.dilation()[1]);
        Operand out = Buffers.allocate(new long[] {xs[0], ws[0], oh, ow}, x.dtype(), x.device());
        Launch.run(op, () -> x.backend().conv2d(a, x, w, out), new Operand[] {x, w}, new Operand[] {out});
        return out;
    }

    private static Operand inputGrad(Attrs.ConvGrad a, Operand g, Operand w) {
        String op = "conv_transpose2d";
        checkOperands(op, g, w);
        checkGeometry(op, a.conv());
        long[] xs = a.shape();
        long[] ws = w.shape();
        long[] gs = g.shape();
        if (xs.length != 4) {
            throw new IllegalArgumentException(op + ": expected a 4-d result shape, got " + Shapes.str(xs));
        }
        checkChannels(op, a.conv(), xs, ws);
        if (gs[1] != ws[0]) {
            throw new IllegalArgumentException(op + ": input " + Shapes.str(gs) + " has " + gs[1]
                    + " channels but weight " + Shapes.str(ws) + " expects " + ws[0]);
        }
        long oh = NnShapes.convOut(op, xs[2], ws[2], a.conv().stride()[0], a.conv().padding()[0], a.conv().dilation()[0]);
        long ow = NnShapes.convOut(op, xs[3], ws[3], a.conv().stride()[1], a.conv().padding()[1], a.conv().dilation()[1]);
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
        checkGeometry(op, a.conv());
        long[] ws = a.shape();
        long[] xs = x.shape();
        checkChannels(op, a.conv(), xs, ws);
        long oh = NnShapes.convOut(op, xs[2], ws[2], a.conv().stride()[0], a.conv().padding()[0], a.conv().dilation()[0]);
        long ow = NnShapes.convOut(op, xs[3], ws[3], a.conv().stride()[1], a.conv().padding()[1], a.conv().dilation()[1]);
        if (!Arrays.equals(g.shape(), new long[] {xs[0], ws[0], oh, ow})) {
            throw new IllegalArgumentException(op + ": gradient " + Shapes.str(g.shape()) + " is not the output shape "
                    + Shapes.str(new long[] {xs[0], ws[0], oh, ow}) + " of input " + Shapes.str(xs) + " and weight "
                    + Shapes.str(ws));
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

    private static void checkGeometry(String op, Attrs.Conv a) {
        for (int i = 0; i < 2; i++) {
            if (a.stride()[i] < 1 || a.dilation()[i] < 1 || a.padding()[i] < 0) {
                throw new IllegalArgumentException(op + ": stride and dilation must be positive and padding"
                        + " non-negative, got stride " + Arrays.toString(a.stride()) + ", padding "
                        + Arrays.toString(a.padding()) + ", dilation " + Arrays.toString(a.dilation()));
            }
        }
        if (a.groups() < 1) {
            throw new IllegalArgumentException(op + ": non-positive groups is not supported (groups=" + a.groups() + ")");
        }
    }

    /** PyTorch's channel checks between an input shape [N, C, H, W] and a weight [O, C/g, kh, kw]. */
    private static void checkChannels(String op, Attrs.Conv a, long[] xs, long[] ws) {
        long g = a.groups();
        if (ws[0] % g != 0) {
            throw new IllegalArgumentException(op + ": out channels " + ws[0] + " (weight " + Shapes.str(ws)
                    + ") must be divisible by groups=" + g);
        }
        if (xs[1] != ws[1] * g) {
            throw new IllegalArgumentException(op + ": Given groups=" + g + ", weight of size " + Shapes.str(ws)
                    + ", expected input" + Shapes.str(xs) + " to have " + ws[1] * g + " channels, but got " + xs[1]
                    + " channels instead");
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
