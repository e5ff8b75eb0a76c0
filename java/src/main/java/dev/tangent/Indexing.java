package dev.tangent;

import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Integer-tensor indexing and concatenation on top of the primitives. */
final class Indexing {
    private Indexing() {}

    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        int d = Shapes.wrapDim("index_select", dim, x.dim());
        Tensor idx = index.dim() == 0 ? index.reshape(1) : index;
        Tensor r = Dispatch.apply(Prim.INDEX_SELECT, Attrs.ints(d), x, idx);
        return r;
    }

    static Tensor gather(Tensor x, int dim, Tensor index) {
        int d = Shapes.wrapDim("gather", dim, x.dim());
        return Dispatch.apply(Prim.GATHER, Attrs.ints(d), x, index);
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
        long[] ishape = indices[0].shape;
        for (int i = 0; i < indices.length; i++) {
            if (indices[i].dtype != DType.INT64) {
                throw new IllegalArgumentException("index: tensors used as indices must be long (int64), got "
                        + indices[i].dtype.torchName() + " at position " + i);
            }
            ishape = Shapes.broadcast("index", ishape, indices[i].shape);
        }
        // Flatten the indexed leading dims into one linear index.
        Tensor lin = null;
        long lead = 1;
        for (int i = 0; i < indices.length; i++) {
            long size = x.shape[i];
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
        long[] rest = Arrays.copyOfRange(x.shape, indices.length, x.shape.length);
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
            if (t.dim() == 1 && t.shape[0] == 0 && tensors.size() > 1) {
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
                        + first.dim() + " and " + t.dim() + " (shapes " + Shapes.str(first.shape) + " and "
                        + Shapes.str(t.shape) + ")");
            }
            for (int j = 0; j < t.dim(); j++) {
                if (j != d && t.shape[j] != first.shape[j]) {
                    throw new IllegalArgumentException("cat: sizes of tensors must match except in dimension " + d
                            + ". Expected size " + first.shape[j] + " but got size " + t.shape[j] + " for tensor number "
                            + i + " in the list (shapes " + Shapes.str(first.shape) + " and " + Shapes.str(t.shape) + ")");
                }
            }
        }
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return Dispatch.apply(Prim.CAT, Attrs.ints(d), parts.toArray(new Tensor[0]));
    }
}
