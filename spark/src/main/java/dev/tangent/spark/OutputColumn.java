package dev.tangent.spark;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Locale;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.Platform;

/** How a float32 result vector is written into a column: the same three encodings as the inputs. */
enum OutputColumn {
    /** {@code array<float>} (no null elements). */
    ARRAY,
    /** {@code binary}: little-endian float32, 4 bytes a value. */
    BINARY,
    /** An ML dense {@code Vector} (doubles). */
    VECTOR;

    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    static final String NAMES = "'array', 'binary' or 'vector'";

    static OutputColumn of(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "array" -> ARRAY;
            case "binary" -> BINARY;
            case "vector" -> VECTOR;
            default -> throw new IllegalArgumentException("outputEncoding must be " + NAMES + ", got '" + name + "'");
        };
    }

    DataType dataType() {
        return switch (this) {
            case ARRAY -> DataTypes.createArrayType(DataTypes.FloatType, false);
            case BINARY -> DataTypes.BinaryType;
            case VECTOR -> SQLDataTypes.VectorType();
        };
    }

    /** Spark's internal value for {@code values[offset, offset + length)}. */
    Object encode(float[] values, int offset, int length) {
        return switch (this) {
            case ARRAY -> UnsafeArrayData.fromPrimitiveArray(values, Platform.FLOAT_ARRAY_OFFSET + 4 * offset, length, 4);
            case BINARY -> {
                byte[] b = new byte[4 * length];
                if (LITTLE_ENDIAN) {
                    MemorySegment.copy(MemorySegment.ofArray(values), 4L * offset, MemorySegment.ofArray(b), 0, b.length);
                } else {
                    java.nio.ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values, offset, length);
                }
                yield b;
            }
            case VECTOR -> {
                double[] d = new double[length];
                for (int i = 0; i < length; i++) {
                    d[i] = values[offset + i];
                }
                GenericInternalRow v = new GenericInternalRow(4);
                v.setByte(0, (byte) 1);
                v.setNullAt(1);
                v.setNullAt(2);
                v.update(3, UnsafeArrayData.fromPrimitiveArray(d));
                yield v;
            }
        };
    }
}
