package dev.tangent.djl.engine;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tangent.DType;
import dev.tangent.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * DJL data types on Tangent tensors. float32, float64, int64 and boolean are Tangent's own types;
 * int32, int8 and uint8 (common in DJL: {@code arange(int)}, labels, images) are stored as int64
 * tensors and keep their DJL type on the array (values are converted when read or written as bytes).
 * float16, bfloat16 and the other types are not supported.
 */
public final class DataTypes {
    private DataTypes() {}

    /** The Tangent type that stores arrays of this DJL type. */
    public static DType storage(DataType t) {
        switch (t) {
            case FLOAT32:
                return DType.FLOAT32;
            case FLOAT64:
                return DType.FLOAT64;
            case INT64:
            case INT32:
            case INT8:
            case UINT8:
                return DType.INT64;
            case BOOLEAN:
                return DType.BOOL;
            default:
                throw new UnsupportedOperationException("Tangent engine: data type " + t
                        + " is not supported (float32, float64, int64, int32, int8, uint8 and boolean are)");
        }
    }

    /** The DJL type of a Tangent type. */
    public static DataType of(DType t) {
        switch (t) {
            case FLOAT32:
                return DataType.FLOAT32;
            case FLOAT64:
                return DataType.FLOAT64;
            case INT64:
                return DataType.INT64;
            case BOOL:
                return DataType.BOOLEAN;
            default:
                throw new AssertionError(t);
        }
    }

    /** True for the DJL integer types stored as int64. */
    static boolean isNarrowInt(DataType t) {
        return t == DataType.INT32 || t == DataType.INT8 || t == DataType.UINT8;
    }

    static long[] dims(Shape shape) {
        return shape.getShape();
    }

    /**
     * A Tangent-owned tensor holding {@code data} (read as {@code type}, native byte order for a
     * ByteBuffer, as DJL does), shaped {@code shape}. One copy for direct buffers and arrays.
     */
    static Tensor fromBuffer(Buffer data, Shape shape, DataType type) {
        int n = Math.toIntExact(shape.size());
        long[] dims = shape.getShape();
        if (data instanceof ByteBuffer) {
            ByteBuffer bb = ((ByteBuffer) data).duplicate().order(ByteOrder.nativeOrder());
            DType st = storage(type);
            if (!isNarrowInt(type) && bb.isDirect()) {
                MemorySegment seg = MemorySegment.ofBuffer(bb);
                if (seg.address() % st.byteSize() == 0) {
                    // wrap the caller's memory only for the copy: the result is Tangent's own
                    return Tensor.wrap(seg, st, dims).clone();
                }
            }
            switch (type) {
                case FLOAT32: {
                    float[] a = new float[n];
                    bb.asFloatBuffer().get(a);
                    return Tensor.of(a, dims);
                }
                case FLOAT64: {
                    double[] a = new double[n];
                    bb.asDoubleBuffer().get(a);
                    return Tensor.of(a, dims);
                }
                case INT64: {
                    long[] a = new long[n];
                    bb.asLongBuffer().get(a);
                    return Tensor.of(a, dims);
                }
                case INT32: {
                    long[] a = new long[n];
                    IntBuffer ib = bb.asIntBuffer();
                    for (int i = 0; i < n; i++) {
                        a[i] = ib.get(i);
                    }
                    return Tensor.of(a, dims);
                }
                case INT8:
                case UINT8:
                case BOOLEAN: {
                    long[] a = new long[n];
                    int p = bb.position();
                    for (int i = 0; i < n; i++) {
                        byte b = bb.get(p + i);
                        a[i] = type == DataType.UINT8 ? (b & 0xff) : b;
                    }
                    Tensor t = Tensor.of(a, dims);
                    return type == DataType.BOOLEAN ? t.ne(0) : t;
                }
                default:
                    throw new UnsupportedOperationException("Tangent engine: data type " + type + " is not supported");
            }
        }
        if (data instanceof FloatBuffer) {
            float[] a = new float[n];
            ((FloatBuffer) data).duplicate().get(a);
            return cast(Tensor.of(a, dims), type);
        }
        if (data instanceof DoubleBuffer) {
            double[] a = new double[n];
            ((DoubleBuffer) data).duplicate().get(a);
            return cast(Tensor.of(a, dims), type);
        }
        if (data instanceof LongBuffer) {
            long[] a = new long[n];
            ((LongBuffer) data).duplicate().get(a);
            return cast(Tensor.of(a, dims), type);
        }
        if (data instanceof IntBuffer) {
            IntBuffer ib = ((IntBuffer) data).duplicate();
            long[] a = new long[n];
            for (int i = 0; i < n; i++) {
                a[i] = ib.get();
            }
            return cast(Tensor.of(a, dims), type);
        }
        if (data instanceof ShortBuffer) {
            throw new UnsupportedOperationException("Tangent engine: 16-bit data (float16, int16) is not supported");
        }
        throw new IllegalArgumentException("Tangent engine: unsupported buffer " + data.getClass().getName());
    }

    private static Tensor cast(Tensor t, DataType type) {
        return t.to(storage(type));
    }

    /**
     * The array's elements as DJL lays them out for {@code type}: a direct read-only view without
     * copying when {@code direct} and the type is one Tangent stores as is, else a copy.
     */
    static ByteBuffer toBuffer(Tensor t, DataType type, boolean direct) {
        if (direct && !isNarrowInt(type)) {
            // a view: it holds the tensor's memory until the buffer is collected (see Tensor.toByteBuffer)
            return t.contiguous().toByteBuffer();
        }
        // a copy, so that closing the array still frees its memory at once
        int n = Math.toIntExact(t.numel());
        int size = type == DataType.INT32 ? 4 : (isNarrowInt(type) || type == DataType.BOOLEAN) ? 1 : t.dtype().byteSize();
        ByteBuffer out = (direct ? ByteBuffer.allocateDirect(n * size) : ByteBuffer.allocate(n * size))
                .order(ByteOrder.nativeOrder());
        switch (type) {
            case FLOAT32: {
                float[] v = new float[n];
                t.copyTo(v, n);
                out.asFloatBuffer().put(v);
                break;
            }
            case FLOAT64:
                out.asDoubleBuffer().put(t.toDoubleArray());
                break;
            case INT64:
                out.asLongBuffer().put(t.toLongArray());
                break;
            case INT32: {
                for (long x : t.toLongArray()) {
                    out.putInt((int) x);
                }
                break;
            }
            default: {
                long[] v = t.dtype() == DType.BOOL ? t.toLong().toLongArray() : t.toLongArray();
                for (long x : v) {
                    out.put((byte) x);
                }
                break;
            }
        }
        out.rewind();
        return out;
    }
}
