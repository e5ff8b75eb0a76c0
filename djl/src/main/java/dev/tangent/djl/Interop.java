package dev.tangent.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Tensor;
import dev.tangent.djl.engine.DataTypes;
import dev.tangent.djl.engine.TgNDArray;
import dev.tangent.djl.engine.TgNDManager;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * DJL {@link NDArray}s and Tangent {@link Tensor}s over the same memory, without copying where the
 * memory allows it.
 *
 * <p><b>NDArray → Tensor</b> ({@link #toTensor}): a Tangent-engine array gives its own tensor. A CPU
 * array of another engine (PyTorch) of type float32, float64, int64 or boolean gives a tensor over
 * the array's memory through {@code toByteBuffer(true)} and {@link Tensor#wrap} — no copy when the
 * array is contiguous (a non-contiguous PyTorch array is first made contiguous by DJL, one copy owned
 * by the array's manager). Other types (int32, ...) and GPU arrays are copied into a Tangent-owned
 * tensor. <i>Ownership:</i> a wrapped tensor borrows the array's memory. Tangent never frees it, and
 * cannot see the array being closed: keep the array (and its manager) open while Tangent reads the
 * tensor — closing it meanwhile is the caller's error, as with any borrowed native memory.
 *
 * <p><b>Tensor → NDArray</b> ({@link #toNDArray}): for a Tangent-engine manager, an array over the
 * tensor itself (the tensor's Tangent scope still owns the memory). For another engine, the
 * manager's {@code create(ByteBuffer, ...)} gets a direct buffer over the tensor's memory
 * ({@link Tensor#toByteBuffer}); DJL's PyTorch engine wraps a direct CPU buffer without copying
 * ({@code from_blob}) and keeps the buffer as long as the array lives. The buffer holds the tensor's
 * memory, so the PyTorch array stays valid even after the tensor's scope closes: the memory returns
 * once the array is closed and the buffer garbage collected. Tensors are immutable: in-place
 * operations on such a PyTorch array would write into the tensor — don't. A non-contiguous tensor is
 * made contiguous first (one copy); a GPU tensor is copied to the host.
 */
public final class Interop {
    private Interop() {}

    /**
     * A tensor over {@code array}'s memory (no copy for Tangent arrays and contiguous CPU arrays of
     * type float32/float64/int64/boolean); otherwise a Tangent-owned copy in the current scope.
     */
    public static Tensor toTensor(NDArray array) {
        if (array instanceof TgNDArray) {
            return ((TgNDArray) array).getTensor();
        }
        Shape shape = array.getShape();
        DataType type = array.getDataType();
        if (!array.getDevice().isGpu() && shape.size() > 0 && directlyShared(type)) {
            ByteBuffer b = array.toByteBuffer(true);
            if (b.isDirect()) {
                MemorySegment seg = MemorySegment.ofBuffer(b);
                DType st = DataTypes.storage(type);
                if (seg.address() % st.byteSize() == 0 && seg.byteSize() >= shape.size() * st.byteSize()) {
                    return Tensor.wrap(seg, st, shape.getShape());
                }
            }
        }
        return copy(array);
    }

    /** True when {@link #toTensor} shares {@code array}'s memory instead of copying it. */
    public static boolean sharesMemory(NDArray array) {
        if (array instanceof TgNDArray) {
            return true;
        }
        return !array.getDevice().isGpu() && array.getShape().size() > 0 && directlyShared(array.getDataType())
                && array.toByteBuffer(true).isDirect();
    }

    /** A Tangent-owned copy of {@code array}'s values (in the current scope). */
    public static Tensor copy(NDArray array) {
        ByteBuffer b = array.toByteBuffer();
        Shape shape = array.getShape();
        DataType type = array.getDataType();
        DType st = DataTypes.storage(type);
        ByteBuffer direct = ByteBuffer.allocateDirect(Math.max(b.remaining(), 1)).order(ByteOrder.nativeOrder());
        direct.put(b.duplicate());
        direct.flip();
        if (DataTypes.storage(type) == DType.INT64 && type != DataType.INT64) {
            long[] v = new long[Math.toIntExact(shape.size())];
            for (int i = 0; i < v.length; i++) {
                v[i] = type == DataType.INT32 ? direct.getInt(i * 4)
                        : type == DataType.UINT8 ? (direct.get(i) & 0xff) : direct.get(i);
            }
            return Tensor.of(v, shape.getShape());
        }
        if (shape.size() == 0) {
            return Tensor.zeros(st, shape.getShape());
        }
        return Tensor.wrap(MemorySegment.ofBuffer(direct), st, shape.getShape()).clone();
    }

    /**
     * {@code tensor} as an array of {@code manager}'s engine: the same memory for the Tangent engine
     * and for DJL's PyTorch engine on the CPU (see the class comment for ownership).
     */
    public static NDArray toNDArray(Tensor tensor, NDManager manager) {
        if (manager instanceof TgNDManager) {
            return TgNDArray.wrap((TgNDManager) manager, tensor);
        }
        Tensor host = tensor.device().isCpu() ? tensor : tensor.to(Device.cpu());
        ByteBuffer b = host.contiguous().toByteBuffer();
        return manager.create(b, new Shape(tensor.shape()), DataTypes.of(tensor.dtype()));
    }

    /** An array of {@code manager} holding a copy of {@code tensor}'s values (any engine). */
    public static NDArray copyToNDArray(Tensor tensor, NDManager manager) {
        Tensor host = tensor.device().isCpu() ? tensor : tensor.to(Device.cpu());
        ByteBuffer view = host.contiguous().toByteBuffer();
        ByteBuffer b = manager.allocateDirect(Math.max(view.remaining(), 1));
        b.put(view);
        b.flip();
        return manager.create(b, new Shape(tensor.shape()), DataTypes.of(tensor.dtype()));
    }

    private static boolean directlyShared(DataType t) {
        return t == DataType.FLOAT32 || t == DataType.FLOAT64 || t == DataType.INT64 || t == DataType.BOOLEAN;
    }
}
