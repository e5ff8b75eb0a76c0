package dev.tangent.spark;

import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;

/**
 * Reads one vector column of Spark's internal rows into float32 staging memory. The encodings:
 * {@code array<float>} (and {@code array<double>}), {@code binary} holding little-endian float32,
 * and an ML {@code Vector} (dense or sparse). Serializable: it travels to the executors.
 */
final class InputColumn implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /** How the column stores a row's vector. */
    enum Encoding {
        FLOAT_ARRAY("array<float>"),
        DOUBLE_ARRAY("array<double>"),
        BINARY_F32LE("binary (float32, little-endian)"),
        ML_VECTOR("vector");

        final String label;

        Encoding(String label) {
            this.label = label;
        }

        /** The encoding of a column of this type, or null when the type holds no vector. */
        static Encoding of(DataType t) {
            if (t instanceof ArrayType a) {
                if (a.elementType() instanceof FloatType) {
                    return FLOAT_ARRAY;
                }
                if (a.elementType() instanceof DoubleType) {
                    return DOUBLE_ARRAY;
                }
                return null;
            }
            if (t instanceof BinaryType) {
                return BINARY_F32LE;
            }
            if (t instanceof VectorUDT) {
                return ML_VECTOR;
            }
            return null;
        }
    }

    /** A row whose value in this column cannot be used; the caller adds where it is. */
    static class InvalidValue extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidValue(String reason) {
            super(reason, null, false, false);
        }
    }

    static final String SUPPORTED = "array<float>, array<double>, binary (float32 little-endian) or an ML Vector";

    final String name;
    final int ordinal;
    final Encoding encoding;
    /** Values each row must hold. */
    final int length;
    private final boolean elementsNullable;

    private InputColumn(String name, int ordinal, Encoding encoding, int length, boolean elementsNullable) {
        this.name = name;
        this.ordinal = ordinal;
        this.encoding = encoding;
        this.length = length;
        this.elementsNullable = elementsNullable;
    }

    /**
     * The reader of column {@code name} in {@code schema}; throws IllegalArgumentException naming
     * the transformer ({@code who}), the parameter and the column when it is missing or of an
     * unsupported type.
     */
    static InputColumn of(StructType schema, String name, String param, int length, String who) {
        StructField f = field(schema, name, param, who);
        return new InputColumn(name, schema.fieldIndex(name), Encoding.of(f.dataType()), length,
                f.dataType() instanceof ArrayType a && a.containsNull());
    }

    /** The field, checked to be a supported vector column. */
    static StructField field(StructType schema, String name, String param, String who) {
        if (!java.util.Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new IllegalArgumentException(who + ": " + param + " '" + name + "' is not a column of "
                    + schema.simpleString());
        }
        StructField f = schema.apply(name);
        if (Encoding.of(f.dataType()) == null) {
            throw new IllegalArgumentException(who + ": " + param + " '" + name + "' has type "
                    + f.dataType().simpleString() + "; expected " + SUPPORTED);
        }
        return f;
    }

    /**
     * Writes the row's vector as {@link #length} float32 values at {@code dst[byteOffset..]}.
     * {@code scratch} must hold {@link #length} doubles (reused between rows).
     */
    void read(InternalRow row, MemorySegment dst, long byteOffset, double[] scratch) throws InvalidValue {
        if (row.isNullAt(ordinal)) {
            throw new InvalidValue("the value is null");
        }
        switch (encoding) {
            case FLOAT_ARRAY -> readFloats(row.getArray(ordinal), dst, byteOffset);
            case DOUBLE_ARRAY -> readDoubles(row.getArray(ordinal), dst, byteOffset, scratch);
            case BINARY_F32LE -> {
                if (row instanceof UnsafeRow u) { // read in place: no byte[] per row
                    long offsetAndSize = u.getLong(ordinal);
                    readBinary(u.getBaseObject(), u.getBaseOffset() + (offsetAndSize >>> 32), (int) offsetAndSize, dst,
                            byteOffset);
                } else {
                    byte[] b = row.getBinary(ordinal);
                    readBinary(b, Platform.BYTE_ARRAY_OFFSET, b.length, dst, byteOffset);
                }
            }
            case ML_VECTOR -> readVector(row.getStruct(ordinal, 4), dst, byteOffset, scratch);
        }
    }

    private void checkLength(int n, String unit) throws InvalidValue {
        if (n != length) {
            throw new InvalidValue("expected " + length + " " + unit + ", got " + n);
        }
    }

    private void readFloats(ArrayData a, MemorySegment dst, long off) throws InvalidValue {
        checkLength(a.numElements(), "values");
        if (a instanceof UnsafeArrayData u) {
            if (elementsNullable) {
                checkNoNullElement(u);
            }
            long header = UnsafeArrayData.calculateHeaderPortionInBytes(length);
            Object base = u.getBaseObject();
            long src = u.getBaseOffset() + header;
            if (base instanceof byte[] bytes) { // one bulk copy: Spark keeps the floats in native order
                MemorySegment.copy(MemorySegment.ofArray(bytes), src - Platform.BYTE_ARRAY_OFFSET, dst, off, 4L * length);
            } else {
                for (int i = 0; i < length; i++) {
                    dst.set(ValueLayout.JAVA_FLOAT, off + 4L * i, Platform.getFloat(base, src + 4L * i));
                }
            }
            return;
        }
        for (int i = 0; i < length; i++) {
            if (a.isNullAt(i)) {
                throw new InvalidValue("element " + i + " is null");
            }
            dst.set(ValueLayout.JAVA_FLOAT, off + 4L * i, a.getFloat(i));
        }
    }

    private void readDoubles(ArrayData a, MemorySegment dst, long off, double[] scratch) throws InvalidValue {
        checkLength(a.numElements(), "values");
        if (a instanceof UnsafeArrayData u) {
            if (elementsNullable) {
                checkNoNullElement(u);
            }
            long header = UnsafeArrayData.calculateHeaderPortionInBytes(length);
            Platform.copyMemory(u.getBaseObject(), u.getBaseOffset() + header, scratch, Platform.DOUBLE_ARRAY_OFFSET,
                    8L * length);
        } else {
            for (int i = 0; i < length; i++) {
                if (a.isNullAt(i)) {
                    throw new InvalidValue("element " + i + " is null");
                }
                scratch[i] = a.getDouble(i);
            }
        }
        for (int i = 0; i < length; i++) {
            dst.set(ValueLayout.JAVA_FLOAT, off + 4L * i, (float) scratch[i]);
        }
    }

    /** Tests the null bits a word at a time; names the first null element. */
    private void checkNoNullElement(UnsafeArrayData u) throws InvalidValue {
        Object base = u.getBaseObject();
        long bits = u.getBaseOffset() + 8;
        for (int w = 0; w < (length + 63) / 64; w++) {
            long word = Platform.getLong(base, bits + 8L * w);
            if (word != 0) {
                throw new InvalidValue("element " + (w * 64 + Long.numberOfTrailingZeros(word)) + " is null");
            }
        }
    }

    /** {@code size} bytes at {@code base + offset} (Spark's addressing: a heap array and its Unsafe offset, or null and an address). */
    private void readBinary(Object base, long offset, int size, MemorySegment dst, long off) throws InvalidValue {
        if (size != 4 * length) {
            throw new InvalidValue("expected " + 4 * length + " bytes (" + length + " float32), got " + size
                    + (size % 4 == 0 ? " (" + size / 4 + " float32)" : ""));
        }
        if (LITTLE_ENDIAN && base instanceof byte[] bytes) {
            MemorySegment.copy(MemorySegment.ofArray(bytes), offset - Platform.BYTE_ARRAY_OFFSET, dst, off, size);
        } else {
            for (int i = 0; i < length; i++) {
                int bits = Platform.getInt(base, offset + 4L * i); // little-endian data, read in native order
                dst.set(ValueLayout.JAVA_FLOAT, off + 4L * i,
                        Float.intBitsToFloat(LITTLE_ENDIAN ? bits : Integer.reverseBytes(bits)));
            }
        }
    }

    /** VectorUDT's row: (type: 0 sparse / 1 dense, size, indices, values). */
    private void readVector(InternalRow v, MemorySegment dst, long off, double[] scratch) throws InvalidValue {
        byte type = v.getByte(0);
        ArrayData values = v.getArray(3);
        if (type == 1) {
            checkLength(values.numElements(), "values (dense vector)");
            for (int i = 0; i < length; i++) {
                dst.set(ValueLayout.JAVA_FLOAT, off + 4L * i, (float) values.getDouble(i));
            }
            return;
        }
        checkLength(v.getInt(1), "values (sparse vector size)");
        ArrayData indices = v.getArray(2);
        dst.asSlice(off, 4L * length).fill((byte) 0);
        for (int k = 0; k < indices.numElements(); k++) {
            int i = indices.getInt(k);
            if (i < 0 || i >= length) {
                throw new InvalidValue("sparse vector index " + i + " is outside 0.." + (length - 1));
            }
            dst.set(ValueLayout.JAVA_FLOAT, off + 4L * i, (float) values.getDouble(k));
        }
    }

    /** The column's value in this row, shortened, for an error message. */
    static String describe(InternalRow row, int ordinal, DataType type) {
        if (row.isNullAt(ordinal)) {
            return "null";
        }
        Object v = row.get(ordinal, type);
        String s = v instanceof org.apache.spark.unsafe.types.UTF8String u ? "'" + u + "'" : String.valueOf(v);
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
