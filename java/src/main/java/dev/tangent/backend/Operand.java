package dev.tangent.backend;

import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.ops.Shapes;

/**
 * What a kernel sees of a tensor: the memory (a {@link Storage}, never a bare address, so a launch
 * can hold it while the kernel runs), the element type, and the layout — shape, strides and offset
 * in elements. Kernels must not modify the arrays.
 */
public record Operand(Storage storage, DType dtype, long[] shape, long[] strides, long offset) {

    /** A contiguous operand over all of {@code storage}, shaped {@code shape}. */
    public static Operand contiguous(Storage storage, DType dtype, long[] shape) {
        return new Operand(storage, dtype, shape, Shapes.contiguousStrides(shape), 0);
    }

    /** Number of elements. */
    public long numel() {
        return Shapes.numel(shape);
    }

    /** Number of dims. */
    public int dim() {
        return shape.length;
    }

    /** True when the elements are row-major without gaps. */
    public boolean isContiguous() {
        return Shapes.isContiguous(shape, strides);
    }

    /** The device the memory is on. */
    public Device device() {
        return storage.device();
    }

    /** The backend that owns the memory. */
    public Backend backend() {
        return storage.backend();
    }

    /** Byte offset of the first element from the storage's start. */
    public long byteOffset() {
        return offset * dtype.byteSize();
    }

    /** Address (host or device) of the first element. */
    public long address() {
        return storage.address() + byteOffset();
    }

    /**
     * Another layout over the same memory. Throws when the layout would reach outside the storage,
     * so a view can never address memory that is not this operand's.
     */
    public Operand view(long[] newShape, long[] newStrides, long newOffset) {
        Operand v = new Operand(storage, dtype, newShape, newStrides, newOffset);
        v.checkBounds();
        return v;
    }

    /** This layout read as another dtype of the same size (bit reinterpretation). */
    public Operand withDType(DType other) {
        if (other.byteSize() != dtype.byteSize()) {
            throw new IllegalArgumentException("withDType: " + dtype + " and " + other + " differ in size");
        }
        return new Operand(storage, other, shape, strides, offset);
    }

    /** Throws IndexOutOfBoundsException when some element of this layout lies outside the storage. */
    public void checkBounds() {
        if (Shapes.numel(shape) == 0) {
            return;
        }
        long lo = offset;
        long hi = offset;
        for (int i = 0; i < shape.length; i++) {
            long span = (shape[i] - 1) * strides[i];
            if (span < 0) {
                lo += span;
            } else {
                hi += span;
            }
        }
        long elements = storage.byteSize() / dtype.byteSize();
        if (lo < 0 || hi >= elements) {
            throw new IndexOutOfBoundsException("view " + Shapes.str(shape) + " strides " + Shapes.str(strides)
                    + " offset " + offset + " reaches elements [" + lo + ", " + hi + "] of a storage of " + elements);
        }
    }

    @Override
    public String toString() {
        return "Operand[" + dtype + " " + Shapes.str(shape) + " strides " + Shapes.str(strides) + " offset " + offset
                + " on " + device() + "]";
    }
}
