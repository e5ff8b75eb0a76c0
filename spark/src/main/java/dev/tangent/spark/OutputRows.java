package dev.tangent.spark;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;

/**
 * Writes an output row (the input row's columns, then the result columns holding placeholders) in
 * Spark's UnsafeRow format into a reusable buffer: one copy of the input row, no allocation.
 *
 * <p>An UnsafeRow is a null bitset, one 8-byte slot per field (the value, or for variable-length
 * fields the offset from the row's start and the size), then the variable-length data. The output
 * row has more fields, so its slots and its variable data start later: variable-length input slots
 * are shifted by that difference, the input's variable data is copied as one block, and the
 * results' data, laid out once as an UnsafeRow of the result columns, is appended after it
 * (nested values use offsets relative to themselves, so blocks move as they are).
 */
final class OutputRows {
    private final int inputFields;
    private final int outputFields;
    private final int inputHeader;
    private final int outputBitset;
    private final int outputHeader;
    private final boolean[] variable;
    private final UnsafeProjection toUnsafe;
    /** The result columns' placeholders as an UnsafeRow of those columns alone. */
    private final UnsafeRow results;
    private final int resultsHeader;

    OutputRows(StructType input, StructType output, InternalRow placeholders) {
        inputFields = input.size();
        outputFields = output.size();
        inputHeader = UnsafeRow.calculateBitSetWidthInBytes(inputFields) + 8 * inputFields;
        outputBitset = UnsafeRow.calculateBitSetWidthInBytes(outputFields);
        outputHeader = outputBitset + 8 * outputFields;
        variable = new boolean[inputFields];
        for (int i = 0; i < inputFields; i++) {
            variable[i] = !UnsafeRow.isFixedLength(input.fields()[i].dataType());
        }
        toUnsafe = UnsafeProjection.create(input);
        StructField[] resultFields = new StructField[outputFields - inputFields];
        System.arraycopy(output.fields(), inputFields, resultFields, 0, resultFields.length);
        results = UnsafeProjection.create(new StructType(resultFields)).apply(placeholders).copy();
        resultsHeader = UnsafeRow.calculateBitSetWidthInBytes(resultFields.length) + 8 * resultFields.length;
    }

    /**
     * Writes {@code row} with the placeholders appended into {@code out} (its buffer reused when big
     * enough) and returns it.
     */
    UnsafeRow write(InternalRow row, UnsafeRow out) {
        UnsafeRow in = row instanceof UnsafeRow u && u.numFields() == inputFields ? u : toUnsafe.apply(row);
        Object inBase = in.getBaseObject();
        long inOffset = in.getBaseOffset();
        int inVariable = in.getSizeInBytes() - inputHeader;
        int resultsVariable = results.getSizeInBytes() - resultsHeader;
        int size = outputHeader + inVariable + resultsVariable;
        byte[] buf = out.getBaseObject() instanceof byte[] b && b.length >= size ? b : new byte[Math.max(size, 64)];
        long at = Platform.BYTE_ARRAY_OFFSET;
        // null bits: the input's, then zeros (the results are not null)
        int inputBitset = inputHeader - 8 * inputFields;
        Platform.copyMemory(inBase, inOffset, buf, at, inputBitset);
        Platform.setMemory(buf, at + inputBitset, outputBitset - inputBitset, (byte) 0);
        long shift = (long) (outputHeader - inputHeader) << 32;
        for (int i = 0; i < inputFields; i++) {
            long slot = Platform.getLong(inBase, inOffset + inputBitset + 8L * i);
            // null variable-length slots are 0, except a null wide decimal's, which keeps its offset
            if (variable[i] && (slot != 0 || !in.isNullAt(i))) {
                slot += shift;
            }
            Platform.putLong(buf, at + outputBitset + 8L * i, slot);
        }
        int resultsAt = outputHeader + inVariable;
        int resultCount = outputFields - inputFields;
        long resultShift = (long) (resultsAt - resultsHeader) << 32;
        int resultsBitset = resultsHeader - 8 * resultCount;
        for (int j = 0; j < resultCount; j++) {
            long slot = Platform.getLong(results.getBaseObject(), results.getBaseOffset() + resultsBitset + 8L * j);
            Platform.putLong(buf, at + outputBitset + 8L * (inputFields + j), slot + resultShift);
        }
        Platform.copyMemory(inBase, inOffset + inputHeader, buf, at + outputHeader, inVariable);
        Platform.copyMemory(results.getBaseObject(), results.getBaseOffset() + resultsHeader, buf, at + resultsAt,
                resultsVariable);
        out.pointTo(buf, size);
        return out;
    }
}
