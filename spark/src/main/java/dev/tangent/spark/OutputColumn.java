package dev.tangent.spark;

import java.nio.ByteOrder;
import java.util.Locale;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
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

    /**
     * A value of {@code length} zeros: the output row is written with it when the row is buffered,
     * and the results are written over it, in place, once the batch is computed.
     */
    Object placeholder(int length) {
        return switch (this) {
            case ARRAY -> UnsafeArrayData.fromPrimitiveArray(new float[length]);
            case BINARY -> new byte[4 * length];
            case VECTOR -> {
                GenericInternalRow v = new GenericInternalRow(4);
                v.setByte(0, (byte) 1);
                v.setNullAt(1);
                v.setNullAt(2);
                v.update(3, UnsafeArrayData.fromPrimitiveArray(new double[length]));
                yield v;
            }
        };
    }

    /** Writes {@code values[offset, offset + length)} over the placeholder in column {@code ordinal} of {@code row}. */
    void write(UnsafeRow row, int ordinal, float[] values, int offset, int length) {
        switch (this) {
            case ARRAY -> writeFloats(row.getArray(ordinal), values, offset, length);
            case BINARY -> {
                long offsetAndSize = row.getLong(ordinal);
                check((int) offsetAndSize, 4 * length, "binary", ordinal);
                Object base = row.getBaseObject();
                long at = row.getBaseOffset() + (offsetAndSize >>> 32);
                if (LITTLE_ENDIAN) {
                    Platform.copyMemory(values, Platform.FLOAT_ARRAY_OFFSET + 4L * offset, base, at, 4L * length);
                } else {
                    for (int i = 0; i < length; i++) {
                        Platform.putInt(base, at + 4L * i, Integer.reverseBytes(Float.floatToRawIntBits(values[offset + i])));
                    }
                }
            }
            case VECTOR -> {
                UnsafeArrayData d = row.getStruct(ordinal, 4).getArray(3);
                check(d.numElements(), length, "vector", ordinal);
                long at = d.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(length);
                for (int i = 0; i < length; i++) {
                    Platform.putDouble(d.getBaseObject(), at + 8L * i, values[offset + i]);
                }
            }
        }
    }

    /** Writes go through Unsafe: make sure the placeholder is the size about to be written. */
    private static void check(int actual, int expected, String what, int ordinal) {
        if (actual != expected) {
            throw new IllegalStateException("tangent-spark: result column " + ordinal + " holds a " + what + " of "
                    + actual + " but " + expected + " are to be written");
        }
    }

    /** Writes floats over an {@code array<float>} placeholder of the same length (no null elements). */
    static void writeFloats(UnsafeArrayData a, float[] values, int offset, int length) {
        check(a.numElements(), length, "array", -1);
        Platform.copyMemory(values, Platform.FLOAT_ARRAY_OFFSET + 4L * offset, a.getBaseObject(),
                a.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(length), 4L * length);
    }
}
