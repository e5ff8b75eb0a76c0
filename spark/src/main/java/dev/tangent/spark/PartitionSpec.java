package dev.tangent.spark;

import java.io.Serializable;
import java.util.Locale;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * Everything a partition needs, resolved on the driver from the transformer's parameters and the
 * input schema: plain serializable values, the model's description, never a tensor.
 */
record PartitionSpec( // outputSchema: the input's fields, then the result columns
        String who,
        TangentModel model,
        InputColumn input,
        int batchSize,
        int threads,
        Invalid invalid,
        int idOrdinal,
        String idName,
        DataType idType,
        OutputColumn outputEncoding,
        boolean emitOutput,
        StructType outputSchema) implements Serializable {

    /** What a row that cannot be used (null, wrong length, null element) does: Spark ML's handleInvalid. */
    enum Invalid {
        /** Fail the task, naming the column and the row. */
        ERROR,
        /** Drop the row. */
        SKIP,
        /** Keep the row, with null results. */
        KEEP;

        static Invalid of(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "error" -> ERROR;
                case "skip" -> SKIP;
                case "keep" -> KEEP;
                default -> throw new IllegalArgumentException("handleInvalid must be 'error', 'skip' or 'keep', got '"
                        + s + "'");
            };
        }
    }
}
