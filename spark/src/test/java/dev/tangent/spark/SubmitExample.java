package dev.tangent.spark;

import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The README's example as an application for spark-submit (spark/submit-check.sh runs it):
 * {@code SubmitExample <input parquet> <output parquet>}, or with no arguments on 20,000 rows it
 * makes itself. Input: a column {@code features} of binary little-endian float32 (784 values).
 */
public final class SubmitExample {
    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().appName("tangent-jvp").getOrCreate();
        Dataset<Row> df = args.length > 0 ? spark.read().parquet(args[0]) : example(spark);

        Mlp model = Mlp.random(7, Mlp.Activation.TANH, 784, 256, 10).broadcast(spark);
        JvpTransformer jvp = new JvpTransformer().setModel(model)
                .setInputCol("features")           // array<float>, binary float32 LE, or an ML Vector
                .setTangent(SparkJvpData.direction()) // one direction; or .setTangentCol("v") per row
                .setJvpCol("jvp").setOutputCol("y");
        Dataset<Row> out = jvp.transform(df);

        if (args.length > 1) {
            out.write().mode("overwrite").parquet(args[1]);
        }
        for (Map.Entry<String, ExecutorInfo> e : ExecutorInfo.collect(spark, 8).entrySet()) {
            System.out.println("[submit-example] " + e.getValue());
        }
        System.out.println("[submit-example] rows " + out.count() + ", first jvp "
                + out.select("id", "jvp").orderBy("id").first());
        spark.stop();
    }

    private static Dataset<Row> example(SparkSession spark) {
        return spark.range(0, 20_000, 1, 4).withColumn("features",
                functions.udf((Long id) -> SparkJvpData.bytes(SparkJvpData.features(id)),
                        org.apache.spark.sql.types.DataTypes.BinaryType).apply(functions.col("id")));
    }

    /** Deterministic rows and direction. */
    static final class SparkJvpData {
        static float[] features(long id) {
            float[] x = new float[784];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) Math.sin(0.001 * id * (j + 1));
            }
            return x;
        }

        static float[] direction() {
            float[] v = new float[784];
            v[0] = 1;
            return v;
        }

        static byte[] bytes(float[] x) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * x.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(x);
            return b.array();
        }
    }
}
