package dev.tangent.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/** The hand-written UnsafeRow layout against Spark's own projection, on awkward schemas (no Spark session). */
class OutputRowsTest {

    private static StructType schema(int columns) {
        DataType[] kinds = {DataTypes.LongType, DataTypes.StringType, DataTypes.createDecimalType(30, 4),
            DataTypes.createArrayType(DataTypes.FloatType, false), DataTypes.IntegerType, DataTypes.BinaryType,
            new StructType().add("a", DataTypes.StringType).add("b", DataTypes.DoubleType)};
        StructType s = new StructType();
        for (int i = 0; i < columns; i++) {
            s = s.add("c" + i, kinds[i % kinds.length], true);
        }
        return s;
    }

    private static Object value(DataType t, int row, int col) {
        if ((row + col) % 5 == 3) {
            return null;
        }
        String text = "v" + row + "-" + col + "x".repeat((row * 7 + col) % 23);
        if (t == DataTypes.LongType) {
            return (long) row * 1000 + col;
        }
        if (t == DataTypes.IntegerType) {
            return row - col;
        }
        if (t == DataTypes.StringType) {
            return UTF8String.fromString(text);
        }
        if (t == DataTypes.BinaryType) {
            return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        if (t instanceof org.apache.spark.sql.types.DecimalType) {
            return Decimal.apply(new BigDecimal(row + "123456789012345678." + col), 30, 4);
        }
        if (t instanceof StructType) {
            return new GenericInternalRow(new Object[] {UTF8String.fromString(text), row * 0.5});
        }
        float[] f = new float[(row + col) % 9];
        for (int i = 0; i < f.length; i++) {
            f[i] = row + i * 0.25f;
        }
        return UnsafeArrayData.fromPrimitiveArray(f);
    }

    @Test
    void rowsWithPlaceholdersEqualSparksProjectionForEveryColumnTypeAndWidth() {
        for (int columns : new int[] {1, 5, 63, 64, 65, 130}) {
            StructType in = schema(columns);
            OutputColumn enc = OutputColumn.VECTOR;
            StructType out = in.add("jvp", OutputColumn.ARRAY.dataType(), false).add("y", enc.dataType(), false);
            GenericInternalRow placeholders = new GenericInternalRow(new Object[] {
                OutputColumn.ARRAY.placeholder(3), enc.placeholder(3)});
            OutputRows rows = new OutputRows(in, out, placeholders);
            UnsafeProjection inputs = UnsafeProjection.create(in);
            UnsafeProjection expected = UnsafeProjection.create(out);
            UnsafeRow reused = new UnsafeRow(out.size());
            for (int r = 0; r < 40; r++) {
                Object[] values = new Object[columns];
                for (int c = 0; c < columns; c++) {
                    values[c] = value(in.fields()[c].dataType(), r, c);
                }
                UnsafeRow input = inputs.apply(new GenericInternalRow(values));
                Object[] all = new Object[columns + 2];
                System.arraycopy(values, 0, all, 0, columns);
                float[] jvp = {r, -r, 0.5f};
                all[columns] = UnsafeArrayData.fromPrimitiveArray(jvp);
                all[columns + 1] = enc.placeholder(3);
                // ours: placeholders, then results written in place
                UnsafeRow ours = rows.write(r % 2 == 0 ? input : new GenericInternalRow(values), reused);
                OutputColumn.ARRAY.write(ours, columns, jvp, 0, 3);
                enc.write(ours, columns + 1, new float[] {1, 2, 3}, 0, 3);
                GenericInternalRow vector = (GenericInternalRow) enc.placeholder(3);
                vector.update(3, UnsafeArrayData.fromPrimitiveArray(new double[] {1, 2, 3}));
                all[columns + 1] = vector;
                UnsafeRow theirs = expected.apply(new GenericInternalRow(all));
                assertEquals(theirs.getSizeInBytes(), ours.getSizeInBytes(), columns + " columns, row " + r);
                assertTrue(theirs.equals(ours), columns + " columns, row " + r); // byte-for-byte
                assertArrayEquals(jvp, ours.getArray(columns).toFloatArray());
                for (int c = 0; c < columns; c++) {
                    DataType t = in.fields()[c].dataType();
                    assertEquals(input.isNullAt(c), ours.isNullAt(c));
                    if (!input.isNullAt(c) && t == DataTypes.StringType) {
                        assertEquals(input.getUTF8String(c), ours.getUTF8String(c));
                    }
                }
            }
        }
    }

    @Test
    void aRowFromAnotherSourceIsConvertedFirst() {
        StructType in = new StructType(new StructField[] {DataTypes.createStructField("s", DataTypes.StringType, true)});
        StructType out = in.add("jvp", OutputColumn.BINARY.dataType(), false);
        OutputRows rows = new OutputRows(in, out, new GenericInternalRow(new Object[] {OutputColumn.BINARY.placeholder(2)}));
        InternalRow generic = new GenericInternalRow(new Object[] {UTF8String.fromString("hello")});
        UnsafeRow o = rows.write(generic, new UnsafeRow(2));
        OutputColumn.BINARY.write(o, 1, new float[] {1.5f, -2f}, 0, 2);
        assertEquals("hello", o.getUTF8String(0).toString());
        assertArrayEquals(new float[] {1.5f, -2f}, SparkTests.decode(o.getBinary(1)));
    }
}
