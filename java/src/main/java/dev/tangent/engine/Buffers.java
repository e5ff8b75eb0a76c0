package dev.tangent.engine;

import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import dev.tangent.ops.Shapes;
import java.util.Arrays;

/** Allocation of results and the plain (unrecorded) layout helpers the kernels' preparation uses. */
final class Buffers {
    private Buffers() {}

    /** New contiguous memory of this shape and dtype, owned by the current scope. */
    static Operand allocate(long[] shape, DType dtype, Device device) {
        long bytes = Shapes.numel(shape) * dtype.byteSize();
        Storage st = Storage.allocate(Backends.of(device), bytes);
        TensorAccess.get().register(st);
        return Operand.contiguous(st, dtype, shape);
    }

    /** A plain tensor over new contiguous memory. */
    static Tensor empty(long[] shape, DType dtype, Device device) {
        return TensorAccess.get().plain(allocate(shape, dtype, device));
    }

    /** A view of x broadcast to {@code shape} (stride 0 on broadcast dims). */
    static Operand expand(Operand x, long[] shape) {
        if (Arrays.equals(x.shape(), shape)) {
            return x;
        }
        int off = shape.length - x.dim();
        long[] st = new long[shape.length];
        for (int i = off; i < shape.length; i++) {
            long cur = x.shape()[i - off];
            st[i] = cur == shape[i] ? x.strides()[i - off] : 0;
        }
        return new Operand(x.storage(), x.dtype(), shape.clone(), st, x.offset());
    }

    /** x converted to {@code dt} by a plain (unrecorded) copy; x itself when already of that dtype. */
    static Operand cast(Operand x, DType dt) {
        if (x.dtype() == dt) {
            return x;
        }
        Operand out = allocate(x.shape(), dt, x.device());
        Launch.run("to", () -> x.backend().copy(x, out), x, out);
        return out;
    }

    /** x itself when contiguous, else a plain (unrecorded) contiguous copy. */
    static Operand contiguous(Operand x) {
        if (x.isContiguous()) {
            return x;
        }
        Operand out = allocate(x.shape(), x.dtype(), x.device());
        Launch.run("contiguous", () -> x.backend().copy(x, out), x, out);
        return out;
    }
}
