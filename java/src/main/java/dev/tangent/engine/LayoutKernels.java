package dev.tangent.engine;

import dev.tangent.DType;
import dev.tangent.backend.HostRoundTrip;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;

/** Views (no kernel), copies, dtype and device conversion, slice_scatter and cat. */
final class LayoutKernels {
    private LayoutKernels() {}

    static Operand view(Prim p, Attrs a, Operand x) {
        return switch (p) {
            case RESHAPE -> {
                long[] target = ((Attrs.Shape) a).shape().clone();
                long[] st = Shapes.viewStrides(x.shape(), x.strides(), target);
                if (st == null) {
                    throw new IllegalStateException("reshape: no view of " + Shapes.str(x.shape()) + " as "
                            + Shapes.str(target));
                }
                yield x.view(target, st, x.offset());
            }
            case PERMUTE -> {
                int[] order = ((Attrs.Permutation) a).order();
                long[] s = new long[order.length];
                long[] st = new long[order.length];
                for (int i = 0; i < order.length; i++) {
                    s[i] = x.shape()[order[i]];
                    st[i] = x.strides()[order[i]];
                }
                yield x.view(s, st, x.offset());
            }
            case EXPAND -> Buffers.expand(x, ((Attrs.Shape) a).shape());
            case SLICE -> slice(x, (Attrs.Slice) a);
            default -> throw new AssertionError(p);
        };
    }

    private static Operand slice(Operand x, Attrs.Slice sl) {
        int d = sl.dim();
        long[] s = x.shape().clone();
        long[] st = x.strides().clone();
        s[d] = sl.length();
        st[d] = x.strides()[d] * sl.step();
        return x.view(s, st, x.offset() + sl.start() * x.strides()[d]);
    }

    static Operand other(Prim p, Attrs a, Operand[] in) {
        Operand x = in[0];
        return switch (p) {
            case CONTIGUOUS -> copy(x, x.dtype());
            case CAST -> copy(x, ((Attrs.Cast) a).dtype());
            case TO_DEVICE -> {
                Operand c = x.isContiguous() ? x : copy(x, x.dtype());
                Operand out = Buffers.allocate(c.shape(), c.dtype(), ((Attrs.Transfer) a).device());
                Launch.run("to", () -> HostRoundTrip.transfer(c, out), c, out);
                yield out;
            }
            case SLICE_SCATTER -> {
                Attrs.SliceScatter ss = (Attrs.SliceScatter) a;
                Operand out = Buffers.allocate(ss.shape(), x.dtype(), x.device());
                Launch.run("slice_scatter", () -> out.backend().fill(out, 0), new Operand[0], new Operand[] {out});
                Operand window = slice(out, ss.slice());
                Launch.run("slice_scatter", () -> x.backend().copy(x, window), x, window);
                yield out;
            }
            case CAT -> cat(((Attrs.Dim) a).dim(), in);
            default -> throw new AssertionError(p);
        };
    }

    private static Operand copy(Operand x, DType dt) {
        Operand out = Buffers.allocate(x.shape(), dt, x.device());
        Launch.run(dt == x.dtype() ? "contiguous" : "to", () -> x.backend().copy(x, out), x, out);
        return out;
    }

    private static Operand cat(int d, Operand[] in) {
        DType dt = in[0].dtype();
        for (Operand t : in) {
            dt = DType.promote(dt, t.dtype());
        }
        long[] s = in[0].shape().clone();
        long total = 0;
        for (Operand t : in) {
            total += t.shape()[d];
        }
        s[d] = total;
        Operand out = Buffers.allocate(s, dt, in[0].device());
        long at = 0;
        for (Operand t : in) {
            long n = t.shape()[d];
            if (n > 0) {
                Operand window = slice(out, new Attrs.Slice(d, at, at + n, 1));
                Launch.run("cat", () -> t.backend().copy(t, window), t, window);
            }
            at += n;
        }
        return out;
    }
}
