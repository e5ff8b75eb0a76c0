package dev.tangent.spark;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/**
 * The two places this module steps below Spark's public Dataset API, both in classic (non-Connect)
 * Spark: a Dataset's rows in Spark's internal form ({@code queryExecution().toRdd()}, what
 * {@code Dataset.rdd()} is built on), and a DataFrame made back from such rows
 * ({@code internalCreateDataFrame}). Working on internal rows lets a {@code array<float>} or binary
 * column be copied into native memory in one block per row instead of being boxed float by float
 * into a {@code Row}.
 */
final class SparkRows {
    private SparkRows() {}

    static RDD<InternalRow> of(Dataset<?> dataset, String who) {
        return classic(dataset, who).queryExecution().toRdd();
    }

    static Dataset<Row> frame(Dataset<?> like, RDD<InternalRow> rows, StructType schema, String who) {
        return classic(like, who).sparkSession().internalCreateDataFrame(rows, schema, false);
    }

    private static org.apache.spark.sql.classic.Dataset<?> classic(Dataset<?> dataset, String who) {
        if (dataset.isStreaming()) {
            throw new UnsupportedOperationException(who + ": streaming Datasets are not supported; transform each"
                    + " micro-batch with foreachBatch");
        }
        if (dataset instanceof org.apache.spark.sql.classic.Dataset<?> c) {
            return c;
        }
        throw new UnsupportedOperationException(who + ": needs a classic Spark session (the transform runs in the"
                + " JVM that holds the Dataset), not Spark Connect; got " + dataset.getClass().getName());
    }
}
