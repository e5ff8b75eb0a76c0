package dev.tangent.spark;

import static dev.tangent.spark.SparkTests.IN;
import static dev.tangent.spark.SparkTests.MODEL;
import static dev.tangent.spark.SparkTests.OUT;
import static dev.tangent.spark.SparkTests.ROWS;
import static dev.tangent.spark.SparkTests.assertClose;
import static dev.tangent.spark.SparkTests.assertLiveBytesBackTo;
import static dev.tangent.spark.SparkTests.data;
import static dev.tangent.spark.SparkTests.decode;
import static dev.tangent.spark.SparkTests.features;
import static dev.tangent.spark.SparkTests.messages;
import static dev.tangent.spark.SparkTests.reference;
import static dev.tangent.spark.SparkTests.spark;
import static dev.tangent.spark.SparkTests.tangent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Tangent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JvpTransformerTest {

    @BeforeAll
    static void warmUp() {
        // First use loads oneDNN and creates its primitives; baselines are taken after that.
        new JvpTransformer().setModel(MODEL).setTangentCol("tangent").transform(data(SparkTests.Encoding.ARRAY))
                .count();
    }

    private static JvpTransformer jvp() {
        return new JvpTransformer().setModel(MODEL).setInputCol("features").setTangentCol("tangent")
                .setOutputCol("output").setIdCol("id");
    }

    @Test
    void everyRowEqualsFunctionalJvpAcrossBatchAndPartitionEdgesAndNothingLeaks() throws Exception {
        long baseline = SparkTests.settledLiveBytes();
        Dataset<Row> out = jvp().setBatchSize(64).transform(data(SparkTests.Encoding.ARRAY));
        assertEquals(SparkTests.PARTITIONS.length, out.rdd().getNumPartitions());
        List<Row> rows = out.collectAsList();
        assertLiveBytesBackTo(baseline, "a full transform");
        assertEquals(ROWS, rows.size());
        for (int i = 0; i < ROWS; i++) {
            Row r = rows.get(i);
            long id = r.getLong(0);
            assertEquals(i, id, "rows keep their order");
            assertEquals(SparkTests.name(id), r.getString(1));
            assertArrayEquals(features(id), decode(r.get(2)));
            assertArrayEquals(tangent(id), decode(r.get(3)));
            assertEquals(id * 0.5, r.getDouble(4));
            float[][] ref = reference(MODEL, features(id), tangent(id));
            assertClose(ref[1], decode(r.getAs("jvp")), "jvp of row " + id);
            assertClose(ref[0], decode(r.getAs("output")), "output of row " + id);
        }
    }

    @Test
    void transformSchemaIsExactlyTheOutputSchema() {
        Dataset<Row> in = data(SparkTests.Encoding.ARRAY);
        for (String enc : new String[] {"array", "binary", "vector"}) {
            for (String invalid : new String[] {"error", "keep"}) {
                JvpTransformer t = jvp().setOutputEncoding(enc).setHandleInvalid(invalid);
                StructType expected = t.transformSchema(in.schema());
                Dataset<Row> out = t.transform(in);
                assertEquals(expected, out.schema(), enc + ", " + invalid);
                assertEquals(expected, out.limit(3).toDF().schema());
            }
        }
        StructType s = jvp().transformSchema(in.schema());
        assertEquals(List.of("id", "name", "features", "tangent", "weight", "jvp", "output"),
                List.of(s.fieldNames()));
        assertEquals(DataTypes.createArrayType(DataTypes.FloatType, false), s.apply("jvp").dataType());
        assertTrue(!s.apply("jvp").nullable());
    }

    @Test
    void parametersAreCheckedAgainstTheSchema() {
        StructType schema = data(SparkTests.Encoding.ARRAY).schema();
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new JvpTransformer().setTangentCol("tangent").transformSchema(schema)).getMessage()
                .contains("set the model"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> jvp().setInputCol("nope").transformSchema(schema)).getMessage()
                .contains("inputCol 'nope' is not a column"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> jvp().setInputCol("name").transformSchema(schema)).getMessage()
                .contains("inputCol 'name' has type string"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new JvpTransformer().setModel(MODEL).transformSchema(schema)).getMessage()
                .contains("set either tangentCol"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> jvp().setTangent(new float[3]).transformSchema(schema)).getMessage()
                .contains("tangent has 3 values but the model takes " + IN));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> jvp().setJvpCol("weight").transformSchema(schema)).getMessage()
                .contains("output column 'weight' already exists"));
        assertThrows(IllegalArgumentException.class, () -> jvp().setBatchSize(0));
        assertThrows(IllegalArgumentException.class, () -> jvp().setHandleInvalid("ignore"));
    }

    @Test
    void limitTenStopsEarlyAndFreesEverything() throws Exception {
        long baseline = SparkTests.settledLiveBytes();
        List<Row> rows = jvp().setBatchSize(32).transform(data(SparkTests.Encoding.ARRAY)).limit(10).collectAsList();
        assertEquals(10, rows.size());
        for (Row r : rows) {
            long id = r.getLong(0);
            assertClose(reference(MODEL, features(id), tangent(id))[1], decode(r.getAs("jvp")), "row " + id);
        }
        assertLiveBytesBackTo(baseline, "limit(10)");
    }

    @Test
    void aRowOfTheWrongLengthFailsNamingTheColumnAndTheRow() throws Exception {
        long baseline = SparkTests.settledLiveBytes();
        Dataset<Row> bad = data(SparkTests.Encoding.ARRAY).withColumn("features",
                functions.when(functions.col("id").equalTo(4321), functions.slice(functions.col("features"), 1, IN - 1))
                        .otherwise(functions.col("features")));
        Exception e = assertThrows(Exception.class, () -> jvp().transform(bad).collectAsList());
        String m = messages(e);
        assertTrue(m.contains("JvpTransformer: column 'features' (array<float>) in row 3107 of partition 5 (id = 4321):"
                + " expected " + IN + " values, got " + (IN - 1)), m);
        assertLiveBytesBackTo(baseline, "a failed task");
    }

    @Test
    void nullRowsAndNullElementsFailNamingTheColumnAndTheRow() throws Exception {
        long baseline = SparkTests.settledLiveBytes();
        Dataset<Row> nullRow = data(SparkTests.Encoding.ARRAY).withColumn("tangent",
                functions.when(functions.col("id").equalTo(300), functions.lit(null))
                        .otherwise(functions.col("tangent")));
        String m = messages(assertThrows(Exception.class, () -> jvp().transform(nullRow).collectAsList()));
        assertTrue(m.contains("JvpTransformer: column 'tangent' (array<float>) in row 43 of partition 3 (id = 300):"
                + " the value is null"), m);
        Dataset<Row> nullElement = data(SparkTests.Encoding.ARRAY).withColumn("features",
                functions.when(functions.col("id").equalTo(2),
                        functions.array_insert(functions.slice(functions.col("features"), 1, IN - 1), functions.lit(5),
                                functions.lit(null).cast("float")))
                        .otherwise(functions.col("features")));
        m = messages(assertThrows(Exception.class, () -> jvp().transform(nullElement).collectAsList()));
        assertTrue(m.contains("column 'features' (array<float>) in row 1 of partition 2 (id = 2): element 4 is null"), m);
        assertLiveBytesBackTo(baseline, "failed tasks");
    }

    @Test
    void handleInvalidSkipDropsRowsAndKeepGivesNulls() {
        Dataset<Row> bad = data(SparkTests.Encoding.ARRAY).withColumn("features",
                functions.when(functions.col("id").mod(100).equalTo(7), functions.lit(null))
                        .otherwise(functions.col("features")));
        List<Row> skipped = jvp().setBatchSize(16).setHandleInvalid("skip").transform(bad).collectAsList();
        assertEquals(ROWS - ROWS / 100, skipped.size());
        List<Row> kept = jvp().setBatchSize(16).setHandleInvalid("keep").transform(bad).collectAsList();
        assertEquals(ROWS, kept.size());
        for (Row r : kept) {
            long id = r.getLong(0);
            if (id % 100 == 7) {
                assertNull(r.getAs("jvp"));
                assertNull(r.getAs("output"));
            } else {
                assertClose(reference(MODEL, features(id), tangent(id))[1], decode(r.getAs("jvp")), "row " + id);
            }
        }
    }

    @Test
    void theThreeInputEncodingsGiveIdenticalResults() {
        List<Row> array = jvp().transform(data(SparkTests.Encoding.ARRAY)).collectAsList();
        for (SparkTests.Encoding e : new SparkTests.Encoding[] {SparkTests.Encoding.BINARY, SparkTests.Encoding.VECTOR}) {
            List<Row> other = jvp().transform(data(e)).collectAsList();
            for (int i = 0; i < ROWS; i++) {
                assertArrayEquals(decode(array.get(i).getAs("jvp")), decode(other.get(i).getAs("jvp")), e + " row " + i);
                assertArrayEquals(decode(array.get(i).getAs("output")), decode(other.get(i).getAs("output")));
            }
        }
        for (String enc : new String[] {"binary", "vector"}) {
            List<Row> other = jvp().setOutputEncoding(enc).transform(data(SparkTests.Encoding.ARRAY)).collectAsList();
            for (int i = 0; i < ROWS; i += 97) {
                assertArrayEquals(decode(array.get(i).getAs("jvp")), decode(other.get(i).getAs("jvp")), enc);
            }
        }
    }

    @Test
    void aFixedDirectionEqualsATangentColumnHoldingIt() {
        float[] direction = tangent(17);
        Dataset<Row> in = data(SparkTests.Encoding.BINARY);
        List<Row> fixed = new JvpTransformer().setModel(MODEL).setInputCol("features").setTangent(direction)
                .transform(in).collectAsList();
        for (int i = 0; i < ROWS; i += 13) {
            long id = fixed.get(i).getLong(0);
            assertClose(reference(MODEL, features(id), direction)[1], decode(fixed.get(i).getAs("jvp")), "row " + id);
        }
    }

    @Test
    void broadcastWeightsAndTwoThreadsPerTaskGiveTheSameResults() {
        Mlp mlp = (Mlp) MODEL;
        List<Row> plain = jvp().transform(data(SparkTests.Encoding.ARRAY)).collectAsList();
        List<Row> shared = jvp().setModel(mlp.broadcast(spark())).setThreadsPerTask(2)
                .transform(data(SparkTests.Encoding.ARRAY)).collectAsList();
        assertEquals(2, Tangent.numThreads(), "threadsPerTask reaches Tangent (local mode: this JVM)");
        for (int i = 0; i < ROWS; i++) {
            assertClose(decode(plain.get(i).getAs("jvp")), decode(shared.get(i).getAs("jvp")), "row " + i);
        }
    }

    @Test
    void parquetRoundTrip(@TempDir Path dir) throws Exception {
        long baseline = SparkTests.settledLiveBytes();
        String input = dir.resolve("in.parquet").toString();
        String output = dir.resolve("out.parquet").toString();
        data(SparkTests.Encoding.BINARY).write().parquet(input);
        jvp().setOutputEncoding("binary").transform(spark().read().parquet(input)).write().parquet(output);
        assertTrue(Files.exists(dir.resolve("out.parquet").resolve("_SUCCESS")));
        Dataset<Row> back = spark().read().parquet(output);
        assertEquals(List.of("id", "name", "features", "tangent", "weight", "jvp", "output"),
                List.of(back.schema().fieldNames()));
        List<Row> rows = back.orderBy("id").collectAsList();
        assertEquals(ROWS, rows.size());
        for (int i = 0; i < ROWS; i += 7) {
            Row r = rows.get(i);
            long id = r.getLong(0);
            assertEquals(SparkTests.name(id), r.getString(1));
            float[][] ref = reference(MODEL, features(id), tangent(id));
            assertClose(ref[1], decode(r.getAs("jvp")), "jvp of row " + id + " after Parquet");
            assertClose(ref[0], decode(r.getAs("output")), "output of row " + id + " after Parquet");
        }
        // array<float> read back from Parquet (its elements nullable there) runs too
        String arrays = dir.resolve("arrays.parquet").toString();
        data(SparkTests.Encoding.ARRAY).write().parquet(arrays);
        List<Row> fromArrays = jvp().transform(spark().read().parquet(arrays)).orderBy("id").collectAsList();
        for (int i = 0; i < ROWS; i += 7) {
            assertArrayEquals(decode(rows.get(i).getAs("jvp")), decode(fromArrays.get(i).getAs("jvp")), "row " + i);
        }
        assertLiveBytesBackTo(baseline, "the Parquet jobs");
    }

    @Test
    void outputSizeMismatchesAreReported() {
        Dataset<Row> in = data(SparkTests.Encoding.ARRAY);
        TangentModel liar = TangentModel.of(IN, OUT + 1, () -> x -> x.tanh());
        String m = messages(assertThrows(Exception.class,
                () -> new JvpTransformer().setModel(liar).setTangentCol("tangent").transform(in).collectAsList()));
        assertTrue(m.contains("returned"), m);
    }
}
