package dev.tangent;

import dev.tangent.engine.Dispatch;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Slicing, integer-tensor indexing, concatenation and stacking on top of the primitives. */
final class Indexing {
    private Indexing() {}

    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        int d = Shapes.wrapDim("index_select", dim, x.dim());
        Tensor idx = index.dim() == 0 ? index.reshape(1) : index;
        Tensor r = Dispatch.apply(Prim.INDEX_SELECT, new Attrs.Dim(d), x, idx);
        return r;
    }

    static Tensor gather(Tensor x, int dim, Tensor index) {
        int d = Shapes.wrapDim("gather", dim, x.dim());
        return Dispatch.apply(Prim.GATHER, new Attrs.Dim(d), x, index);
    }

    /** x[i0, i1, ...] with integer index tensors on the leading dims, broadcast together. */
    static Tensor advanced(Tensor x, Tensor... indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("index: at least one index tensor is required");
        }
        if (indices.length > x.dim()) {
            throw new IndexOutOfBoundsException("index: too many indices for tensor of dimension " + x.dim()
                    + " (got " + indices.length + ")");
        }
        long[] ishape = indices[0].value.shape();
        for (int i = 0; i < indices.length; i++) {
            if (indices[i].dtype() != DType.INT64) {
                throw new IllegalArgumentException("index: tensors used as indices must be long (int64), got "
                        + indices[i].dtype().torchName() + " at position " + i);
            }
            ishape = Shapes.broadcast("index", ishape, indices[i].value.shape());
        }
        // Flatten the indexed leading dims into one linear index.
        Tensor lin = null;
        long lead = 1;
        for (int i = 0; i < indices.length; i++) {
            long size = x.value.shape()[i];
            long[] v = indices[i].expand(ishape).contiguous().toLongArray();
            for (int j = 0; j < v.length; j++) {
                if (v[j] < -size || v[j] >= size) {
                    throw new IndexOutOfBoundsException("index: index " + v[j] + " is out of bounds for dimension " + i
                            + " with size " + size);
                }
                if (v[j] < 0) {
                    v[j] += size;
                }
            }
            Tensor t = Tensor.of(v, ishape);
            lin = lin == null ? t : lin.mul(Tensor.scalar(size, DType.INT64)).add(t);
            lead *= size;
        }
        long[] rest = Arrays.copyOfRange(x.value.shape(), indices.length, x.dim());
        long[] flatShape = new long[rest.length + 1];
        flatShape[0] = lead;
        System.arraycopy(rest, 0, flatShape, 1, rest.length);
        Tensor flat = x.reshape(flatShape);
        Tensor sel = indexSelect(flat, 0, lin.reshape(-1).to(x.device()));
        long[] outShape = new long[ishape.length + rest.length];
        System.arraycopy(ishape, 0, outShape, 0, ishape.length);
        System.arraycopy(rest, 0, outShape, ishape.length, rest.length);
        return sel.reshape(outShape);
    }

    static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors == null || tensors.isEmpty()) {
            throw new IllegalArgumentException("cat: expected a non-empty list of Tensors");
        }
        List<Tensor> parts = new ArrayList<>();
        Tensor first = null;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (t == null) {
                throw new NullPointerException("cat: tensor " + i + " is null");
            }
            // PyTorch skips legacy empty 1-D tensors of shape [0].
            if (t.dim() == 1 && t.value.shape()[0] == 0 && tensors.size() > 1) {
                continue;
            }
            if (t.dim() == 0) {
                throw new IllegalArgumentException("cat: zero-dimensional tensor (at position " + i
                        + ") cannot be concatenated");
            }
            if (first == null) {
                first = t;
            }
            parts.add(t);
        }
        if (first == null) {
            return tensors.get(0);
        }
        int d = Shapes.wrapDim("cat", dim, first.dim());
        for (int i = 0; i < parts.size(); i++) {
            Tensor t = parts.get(i);
            if (t.dim() != first.dim()) {
                throw new IllegalArgumentException("cat: tensors must have same number of dimensions: got "
                        + first.dim() + " and " + t.dim() + " (shapes " + Shapes.str(first.value.shape()) + " and "
                        + Shapes.str(t.value.shape()) + ")");
            }
            for (int j = 0; j < t.dim(); j++) {
                if (j != d && t.value.shape()[j] != first.value.shape()[j]) {
                    throw new IllegalArgumentException("cat: sizes of tensors must match except in dimension " + d
                            + ". Expected size " + first.value.shape()[j] + " but got size " + t.value.shape()[j] + " for tensor number "
                            + i + " in the list (shapes " + Shapes.str(first.value.shape()) + " and " + Shapes.str(t.value.shape()) + ")");
                }
            }
        }
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return Dispatch.apply(Prim.CAT, new Attrs.Dim(d), parts.toArray(new Tensor[0]));
    }
    static Tensor slice(Tensor x, int dim, long start, long end, long step) {
        int d = Shapes.wrapDim("slice", dim, x.dim());
        if (x.dim() == 0) {
            throw new IllegalArgumentException("slice: cannot slice a 0-dim tensor");
        }
        if (step <= 0) {
            throw new IllegalArgumentException("slice: step must be greater than zero, got " + step);
        }
        long n = x.value.shape()[d];
        long s = start < 0 ? Math.max(start + n, 0) : Math.min(start, n);
        long e = end < 0 ? Math.max(end + n, 0) : Math.min(end, n);
        if (e < s) {
            e = s;
        }
        if (s == 0 && e == n && step == 1) {
            return x;
        }
        return Dispatch.apply(Prim.SLICE, new Attrs.Slice(d, s, e, step), x);
    }

    static Tensor select(Tensor x, int dim, long index) {
        if (x.dim() == 0) {
            throw new IllegalArgumentException("select: select() cannot be applied to a 0-dim tensor.");
        }
        int d = Shapes.wrapDim("select", dim, x.dim());
        long n = x.value.shape()[d];
        if (index < -n || index >= n) {
            throw new IndexOutOfBoundsException("select: index " + index + " is out of range for dimension " + d
                    + " with size " + n + " (shape " + Shapes.str(x.value.shape()) + ")");
        }
        long i = index < 0 ? index + n : index;
        return Views.squeezeDims(Dispatch.apply(Prim.SLICE, new Attrs.Slice(d, i, i + 1, 1), x), new int[] {d});
    }

    static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("stack: expects a non-empty list of tensors");
        }
        long[] s0 = tensors.get(0).value.shape();
        int d = Shapes.wrapDim("stack", dim, s0.length + 1);
        List<Tensor> parts = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (!Arrays.equals(t.value.shape(), s0)) {
                throw new IllegalArgumentException("stack: expects each tensor to be equal size, but got "
                        + Shapes.str(s0) + " at entry 0 and " + Shapes.str(t.value.shape()) + " at entry " + i);
            }
            parts.add(t.unsqueeze(d));
        }
        return cat(parts, d);
    }
}
