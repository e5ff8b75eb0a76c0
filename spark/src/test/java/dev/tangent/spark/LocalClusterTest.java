package dev.tangent.spark;

import static dev.tangent.spark.SparkTests.assertClose;
import static dev.tangent.spark.SparkTests.decode;
import static dev.tangent.spark.SparkTests.features;
import static dev.tangent.spark.SparkTests.reference;
import static dev.tangent.spark.SparkTests.tangent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Tangent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two executor JVMs (local-cluster[2,1,1024]), each extracting and loading oneDNN from its own
 * cache folder ({@code -Dtangent.cache.dir=.../{{EXECUTOR_ID}}}), computing the jvps of an MLP and
 * of a DJL block ({@link DjlBlockModel}). Slow (JVM starts): run with
 * {@code -Dtangent.spark.cluster=true}.
 */
@EnabledIfSystemProperty(named = "tangent.spark.cluster", matches = "true")
class LocalClusterTest {

    @Test
    void twoExecutorJvmsEachLoadOneDnnFromTheirOwnCacheAndComputeTheSameJvps(@TempDir Path dir) throws Exception {
        SparkTests.stop(); // one SparkContext per JVM
        // local-cluster's workers lay out executors from SPARK_HOME (surefire points it into target/);
        // the executors get the test classpath instead of SPARK_HOME/jars.
        Path sparkHome = Path.of(System.getenv("SPARK_HOME"));
        Files.createDirectories(sparkHome.resolve("jars"));
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path cache = dir.resolve("tangent-cache");
        SparkSession spark = SparkSession.builder().master("local-cluster[2,1,1024]").appName("tangent-cluster-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.executor.extraClassPath", classpath)
                .config("spark.executor.extraJavaOptions", "-Dtangent.cache.dir=" + cache + "/{{EXECUTOR_ID}}")
                .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .config("spark.kryo.registrator", TangentKryoRegistrator.class.getName())
                .getOrCreate();
        try {
            spark.sparkContext().setLogLevel("WARN");
            Map<String, ExecutorInfo> executors = waitForExecutors(spark, 2);
            List<String> processes = new ArrayList<>();
            for (ExecutorInfo e : executors.values()) {
                System.out.println("[cluster] " + e);
                String own = cache.resolve(e.executorId()).toString();
                assertEquals(own, e.cacheDir());
                assertTrue(e.cpuKernels().startsWith("oneDNN") && e.cpuKernels().contains(own + "/dnnl-"),
                        e.toString());
                assertTrue(Files.isRegularFile(cache.resolve(e.executorId()).resolve(
                        e.cpuKernels().substring(e.cpuKernels().indexOf(own) + own.length() + 1,
                                e.cpuKernels().lastIndexOf(')')))), e.toString());
                processes.add(e.process());
            }
            assertNotEquals(processes.get(0), processes.get(1), "two executor JVMs");

            List<Row> rows = new JvpTransformer().setModel(((Mlp) SparkTests.MODEL).broadcast(spark))
                    .setTangentCol("tangent").setOutputCol("output").setBatchSize(100)
                    .transform(SparkTests.data(spark, SparkTests.Encoding.BINARY)).collectAsList();
            assertEquals(SparkTests.ROWS, rows.size());
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                long id = r.getLong(0);
                assertEquals(i, id);
                float[][] ref = reference(SparkTests.MODEL, features(id), tangent(id));
                assertClose(ref[1], decode(r.getAs("jvp")), "jvp of row " + id);
                assertClose(ref[0], decode(r.getAs("output")), "output of row " + id);
            }
            // a DJL user's model: the block's .params bytes broadcast, the block rebuilt on Tangent's DJL
            // engine in each executor JVM
            Path modelDir = Files.createDirectories(dir.resolve("djl-model"));
            try (DjlBlocks djl = DjlBlocks.saved(modelDir)) {
                DjlBlockModel model = DjlBlockModel.load(DjlBlocks.FACTORY, modelDir, DjlBlocks.NAME, SparkTests.IN)
                        .broadcast(spark);
                rows = new JvpTransformer().setModel(model).setTangentCol("tangent").setOutputCol("output")
                        .setBatchSize(100).transform(SparkTests.data(spark, SparkTests.Encoding.ARRAY)).collectAsList();
                assertEquals(SparkTests.ROWS, rows.size());
                for (int i = 0; i < rows.size(); i += 7) {
                    Row r = rows.get(i);
                    long id = r.getLong(0);
                    assertEquals(i, id);
                    float[][] ref = djl.reference(features(id), tangent(id));
                    assertClose(ref[1], decode(r.getAs("jvp")), "DJL block: jvp of row " + id);
                    assertClose(ref[0], decode(r.getAs("output")), "DJL block: output of row " + id);
                }
            }
            // every executor freed what its partitions allocated
            List<Long> live = JavaSparkContext.fromSparkContext(spark.sparkContext())
                    .parallelize(List.of(1, 2, 3, 4, 5, 6, 7, 8), 8).map(i -> Tangent.liveBytes()).collect();
            for (long b : live) {
                assertEquals(0, b, "live native bytes on an executor after the job: " + live);
            }
        } finally {
            spark.stop();
        }
    }

    /** Executors register a moment after the context starts: ask until {@code n} have answered. */
    private static Map<String, ExecutorInfo> waitForExecutors(SparkSession spark, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        Map<String, ExecutorInfo> seen = new java.util.TreeMap<>();
        while (System.nanoTime() < deadline) {
            seen.putAll(ExecutorInfo.collect(spark, 8));
            if (seen.size() >= n) {
                return seen;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("only " + seen.size() + " executor(s) answered: " + seen);
    }
}
