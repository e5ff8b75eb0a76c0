package dev.tangent.engine;

import dev.tangent.DType;
import dev.tangent.Tensor;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;

/** index_select, index_add, gather and scatter_add, with the index checks PyTorch makes. */
final class IndexKernels {
    private IndexKernels() {}

    static Operand run(Prim p, Attrs a, Operand[] in) {
        Operand x = in[0];
        return switch (p) {
            case INDEX_SELECT -> {
                int d = ((Attrs.Dim) a).dim();
                Operand idx = checkIndex("index_select", in[1], x.dim() == 0 ? 1 : x.shape()[d], d, true);
                long[] s = x.shape().clone();
                if (s.length > 0) {
                    s[d] = idx.numel();
                }
                Operand out = Buffers.allocate(s, x.dtype(), x.device());
                Launch.run("index_select", () -> x.backend().indexSelect(x, d, idx, out),
                        new Operand[] {x, idx}, new Operand[] {out});
                yield out;
            }
            case INDEX_ADD -> {
                Attrs.Scatter sc = (Attrs.Scatter) a;
                int d = sc.dim();
                Operand idx = checkIndex("index_add", in[1], sc.shape().length == 0 ? 1 : sc.shape()[d], d, true);
                Operand out = zeros(sc.shape(), x);
                Launch.run("index_add", () -> x.backend().indexAdd(out, d, idx, x),
                        new Operand[] {out, idx, x}, new Operand[] {out});
                yield out;
            }
            case GATHER -> {
                int d = ((Attrs.Dim) a).dim();
                Operand idx = checkIndex("gather", in[1], x.dim() == 0 ? 1 : x.shape()[d], d, false);
                if (idx.dim() != x.dim()) {
                    throw new IllegalArgumentException("gather: index tensor must have the same number of dimensions"
                            + " as input tensor (index " + Shapes.str(idx.shape()) + ", input " + Shapes.str(x.shape())
                            + ")");
                }
                for (int i = 0; i < idx.dim(); i++) {
                    if (i != d && idx.shape()[i] > x.shape()[i]) {
                        throw new IllegalArgumentException("gather: size does not match at dimension " + i
                                + ": index " + Shapes.str(idx.shape()) + ", input " + Shapes.str(x.shape()));
                    }
                }
                Operand out = Buffers.allocate(idx.shape(), x.dtype(), x.device());
                Launch.run("gather", () -> x.backend().gather(x, d, idx, out),
                        new Operand[] {x, idx}, new Operand[] {out});
                yield out;
            }
            case SCATTER_ADD -> {
                Attrs.Scatter sc = (Attrs.Scatter) a;
                int d = sc.dim();
                Operand idx = checkIndex("scatter_add", in[1], sc.shape().length == 0 ? 1 : sc.shape()[d], d, false);
                Operand out = zeros(sc.shape(), x);
                Launch.run("scatter_add", () -> x.backend().scatterAdd(out, d, idx, x),
                        new Operand[] {out, idx, x}, new Operand[] {out});
                yield out;
            }
            default -> throw new AssertionError(p);
        };
    }

    private static Operand zeros(long[] shape, Operand like) {
        Operand out = Buffers.allocate(shape, like.dtype(), like.device());
        Launch.run("zeros", () -> out.backend().fill(out, 0), new Operand[0], new Operand[] {out});
        return out;
    }

    /** Checks an index's dtype and range; negative indices are wrapped into a copy. */
    private static Operand checkIndex(String op, Operand idx, long size, int dim, boolean oneDim) {
        if (idx.dtype() != DType.INT64) {
            throw new IllegalArgumentException(op + ": expected an int64 index tensor, got " + idx.dtype().torchName());
        }
        if (oneDim && idx.dim() > 1) {
            throw new IllegalArgumentException(op + ": index must be 0-D or 1-D, got shape " + Shapes.str(idx.shape()));
        }
        TensorAccess acc = TensorAccess.get();
        long[] v = acc.plain(idx).toLongArray();
        boolean negative = false;
        for (long i : v) {
            if (i < -size || i >= size) {
                throw new IndexOutOfBoundsException(op + ": index " + i + " is out of bounds for dimension " + dim
                        + " with size " + size);
            }
            negative |= i < 0;
        }
        if (!negative) {
            return idx;
        }
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0) {
                v[i] += size;
            }
        }
        return acc.value(Tensor.of(v, idx.shape()).to(idx.device()));
    }
}
