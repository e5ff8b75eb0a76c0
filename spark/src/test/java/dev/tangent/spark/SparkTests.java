package dev.tangent.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tangent;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpResult;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The tests' shared Spark session (local[2], one per test JVM), data and references. */
final class SparkTests {
    /** Rows per partition: empty, one row, exactly a batch of 256, a batch plus one, and uneven rest. */
    static final int[] PARTITIONS = {0, 1, 256, 257, 700, 3786};
    static final int ROWS = 5000;
    static final int IN = 24;
    static final int OUT = 5;
    static final TangentModel MODEL = Mlp.random(11, Mlp.Activation.TANH, IN, 32, OUT);

    private static SparkSession spark;

    private SparkTests() {}

    static synchronized SparkSession spark() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2]").appName("tangent-spark-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.sql.adaptive.enabled", "false")
                    .getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
        }
        return spark;
    }

    /** Stops the shared session (a test that needs its own SparkContext calls this first). */
    static synchronized void stop() {
        if (spark != null) {
            spark.stop();
            spark = null;
        }
    }

    static float[] features(long id) {
        float[] x = new float[IN];
        for (int j = 0; j < IN; j++) {
            x[j] = (float) Math.sin(0.37 * id + 0.11 * j);
        }
        return x;
    }

    static float[] tangent(long id) {
        float[] v = new float[IN];
        for (int j = 0; j < IN; j++) {
            v[j] = (float) Math.cos(0.13 * id + 0.7 * j);
        }
        return v;
    }

    static String name(long id) {
        return "row-" + id;
    }

    /** Encodings a test can ask the input and tangent columns in. */
    enum Encoding { ARRAY, BINARY, VECTOR }

    static DataType type(Encoding e) {
        return switch (e) {
            case ARRAY -> DataTypes.createArrayType(DataTypes.FloatType, false);
            case BINARY -> DataTypes.BinaryType;
            case VECTOR -> SQLDataTypes.VectorType();
        };
    }

    static Object encode(float[] v, Encoding e) {
        return switch (e) {
            case ARRAY -> v;
            case BINARY -> {
                ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(v);
                yield b.array();
            }
            case VECTOR -> {
                double[] d = new double[v.length];
                for (int i = 0; i < d.length; i++) {
                    d[i] = v[i];
                }
                yield Vectors.dense(d);
            }
        };
    }

    static float[] decode(Object o) {
        if (o instanceof byte[] b) {
            float[] f = new float[b.length / 4];
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
            return f;
        }
        if (o instanceof org.apache.spark.ml.linalg.Vector v) {
            double[] d = v.toArray();
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return f;
        }
        scala.collection.Seq<?> s = (scala.collection.Seq<?>) o;
        float[] f = new float[s.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (Float) s.apply(i);
        }
        return f;
    }

    /**
     * The test data set: columns id (long), name (string), features, tangent, weight (double), in
     * {@link #PARTITIONS} partitions, rows in id order.
     */
    static Dataset<Row> data(Encoding encoding) {
        return data(spark(), encoding);
    }

    /** {@link #data(Encoding)} in another session. */
    static Dataset<Row> data(SparkSession session, Encoding encoding) {
        StructType schema = new StructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("name", DataTypes.StringType, true),
            DataTypes.createStructField("features", type(encoding), true),
            DataTypes.createStructField("tangent", type(encoding), true),
            DataTypes.createStructField("weight", DataTypes.DoubleType, false),
        });
        List<Integer> parts = new ArrayList<>();
        for (int p = 0; p < PARTITIONS.length; p++) {
            parts.add(p);
        }
        int[] sizes = PARTITIONS;
        JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(session.sparkContext())
                .parallelize(parts, parts.size())
                .flatMap(p -> {
                    long start = 0;
                    for (int q = 0; q < p; q++) {
                        start += sizes[q];
                    }
                    List<Row> r = new ArrayList<>();
                    for (long id = start; id < start + sizes[p]; id++) {
                        r.add(RowFactory.create(id, name(id), encode(features(id), encoding),
                                encode(tangent(id), encoding), id * 0.5));
                    }
                    return r.iterator();
                });
        return session.createDataFrame(rows, schema);
    }

    /** Functional.jvp of the model at one row (a [1, IN] batch), as [output, jvp]. */
    static float[][] reference(TangentModel model, float[] x, float[] v) {
        try (Scope s = Scope.open()) {
            Function<Tensor, Tensor> f = model.build();
            JvpResult<Tensor> r = Functional.jvp(f, Tensor.of(x, 1, x.length), Tensor.of(v, 1, v.length));
            return new float[][] {r.output().toFloatArray(), r.jvp().toFloatArray()};
        }
    }

    /** Equal to 1e-5 relative to the expected vector's largest magnitude (at least 1e-30). */
    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        float scale = 1e-30f;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= 1e-5f * Math.max(scale, Math.abs(expected[i])))) {
                fail(what + ": element " + i + " expected " + expected[i] + " got " + actual[i] + " (scale " + scale
                        + ")");
            }
        }
    }

    /** max |expected - actual| relative to expected's largest magnitude (at least 1e-30). */
    static double maxRelErr(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "length");
        double scale = 1e-30;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs((double) expected[i] - actual[i]));
        }
        return worst / scale;
    }

    /** Waits (up to 10 s) for Tangent's live native bytes to come back to {@code baseline}. */
    /**
     * Tangent's live native bytes once they have stopped changing (unchanged for 200 ms, at most
     * 10 s): a test's baseline. Tasks a previous test's failed job cancelled may still be freeing
     * their tensors when the next test starts; a baseline taken then is not one this test can get
     * back to.
     */
    static long settledLiveBytes() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        long live = Tangent.liveBytes();
        int same = 0;
        while (same < 10 && System.nanoTime() < deadline) {
            Thread.sleep(20);
            long now = Tangent.liveBytes();
            same = now == live ? same + 1 : 0;
            live = now;
        }
        return live;
    }

    static void assertLiveBytesBackTo(long baseline, String when) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        long live = Tangent.liveBytes();
        while (live != baseline && System.nanoTime() < deadline) {
            Thread.sleep(20);
            live = Tangent.liveBytes();
        }
        assertEquals(baseline, live, "Tangent's live native bytes after " + when);
    }

    /** The whole cause chain's messages, for asserting on what a failed Spark job said. */
    static String messages(Throwable t) {
        StringBuilder s = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            s.append(c.getClass().getName()).append(": ").append(c.getMessage()).append('\n');
        }
        return s.toString();
    }
}
