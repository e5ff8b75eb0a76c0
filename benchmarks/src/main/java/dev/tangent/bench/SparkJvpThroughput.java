package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import dev.tangent.spark.ExecutorInfo;
import dev.tangent.spark.JvpTransformer;
import dev.tangent.spark.Mlp;
import dev.tangent.spark.TangentModel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Rows per second of a 784-256-10 tanh MLP's jvp (one fixed direction) through Spark local[N]
 * ({@link JvpTransformer}) against the same {@link JvpPlan} driven by N plain Java threads in one
 * JVM, from memory (a cached DataFrame / float arrays) and from Parquet (binary float32 and
 * array&lt;float&gt; columns), with scan-only and near-free-model runs to show where the time goes.
 *
 * <p>Properties: {@code rows} (65536), {@code threads} (1,2), {@code reps} (5), {@code warmup} (2),
 * {@code batch} (256), {@code dir} (benchmarks/target/spark-bench). Prints a markdown report.
 */
public final class SparkJvpThroughput {
    static final int IN = 784;
    static final int HIDDEN = 256;
    static final int OUT = 10;

    private final int rows = Integer.getInteger("rows", 65536);
    private final int reps = Integer.getInteger("reps", 5);
    private final int warmup = Integer.getInteger("warmup", 2);
    private final int batch = Integer.getInteger("batch", 256);
    private final Path dir = Path.of(System.getProperty("dir", "benchmarks/target/spark-bench"));
    private final Mlp mlp = Mlp.random(7, Mlp.Activation.TANH, IN, HIDDEN, OUT);
    /** A near-free model with the same input width: measures the plumbing, not the MLP. */
    private final Mlp linear = Mlp.random(8, Mlp.Activation.IDENTITY, IN, OUT);
    private final float[] direction = features(-1);
    private final List<String> report = new ArrayList<>();
    /** Only the Spark cases whose label contains this (all when empty). */
    private final String only = System.getProperty("cases", "");

    public static void main(String[] args) throws Exception {
        new SparkJvpThroughput().run();
    }

    /** Row i's features: N(0, 1) from its own seed, so every partition can make its rows alone. */
    static float[] features(long i) {
        SplittableRandom r = new SplittableRandom(0x9E3779B97F4A7C15L * (i + 11));
        float[] x = new float[IN];
        for (int j = 0; j < IN; j++) {
            x[j] = (float) r.nextGaussian();
        }
        return x;
    }

    static byte[] bytes(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(x);
        return b.array();
    }

    private void run() throws Exception {
        int[] threads = Arrays.stream(System.getProperty("threads", "1,2").split(",")).mapToInt(Integer::parseInt)
                .toArray();
        Files.createDirectories(dir);
        float[][] data = new float[rows][];
        for (int i = 0; i < rows; i++) {
            data[i] = features(i);
        }
        report.add("rows " + rows + ", batch " + batch + "; cases interleaved: " + warmup + " warm-up rounds, then "
                + reps + " timed rounds, each running every case once; median rows/s; 1 Tangent thread per"
                + " task/thread; " + Runtime.getRuntime().availableProcessors() + " processors");
        report.add("");
        report.add(setupCost());
        report.add("");
        report.add("| N | what | rows/s | vs its plain JvpPlan baseline |");
        report.add("|---:|---|---:|---:|");
        for (int n : threads) {
            measure(n, data);
        }
        report.forEach(System.out::println);
    }

    /**
     * What each partition pays before its first batch: building the MLP's function (weights into
     * tensors) and compiling its JvpPlan for [batch, 784]; the first time in a JVM also loads oneDNN.
     */
    private String setupCost() {
        Tangent.setNumThreads(1);
        double[] build = new double[8];
        double[] compile = new double[8];
        for (int i = 0; i < build.length; i++) {
            long t0 = System.nanoTime();
            try (Scope s = Scope.open()) {
                Function<Tensor, Tensor> f = mlp.build();
                long t1 = System.nanoTime();
                try (JvpPlan<Tensor, Tensor> p = JvpPlan.compile(f, Tensor.zeros(batch, IN))) {
                    compile[i] = (System.nanoTime() - t1) / 1e6;
                }
                build[i] = (t1 - t0) / 1e6;
            }
        }
        return String.format(Locale.ROOT, "per-partition setup (build the MLP + compile its plan): first in the JVM"
                + " %.1f + %.1f ms (loads oneDNN), then %.2f + %.2f ms (median of the last 4 of 8)", build[0],
                compile[0], median(Arrays.copyOfRange(build, 4, 8)), median(Arrays.copyOfRange(compile, 4, 8)));
    }

    /** One case: a pass over all rows, and the label of the case it is compared with. */
    private record Case(String what, Runnable pass, String baseline) {}

    private static final String PLAIN = "plain JvpPlan, N Java threads, float[] rows in memory";
    private static final String PLAIN_LINEAR = "plain JvpPlan, near-free 784-10 linear model";

    private void measure(int n, float[][] data) throws Exception {
        Tangent.setNumThreads(1);
        SparkSession spark = SparkSession.builder().master("local[" + n + "]").appName("tangent-spark-bench")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.adaptive.enabled", "false")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try (Plain plain = new Plain(mlp, data, n); Plain plainLinear = new Plain(linear, data, n)) {
            System.err.println("[spark local[" + n + "]] " + ExecutorInfo.collect(spark, n).values());
            Dataset<Row> binary = frame(spark, n, DataTypes.BinaryType).cache();
            Dataset<Row> arrays = frame(spark, n, DataTypes.createArrayType(DataTypes.FloatType, false)).cache();
            binary.count();
            arrays.count();
            String binPath = dir.resolve("binary-" + n + ".parquet").toString();
            String arrPath = dir.resolve("array-" + n + ".parquet").toString();
            binary.write().mode("overwrite").parquet(binPath);
            arrays.write().mode("overwrite").parquet(arrPath);
            Dataset<Row> binParquet = spark.read().parquet(binPath);
            Dataset<Row> arrParquet = spark.read().parquet(arrPath);
            JvpTransformer jvp = new JvpTransformer().setModel(mlp).setInputCol("features").setTangent(direction)
                    .setBatchSize(batch);
            JvpTransformer plumbing = new JvpTransformer().setModel(linear).setInputCol("features")
                    .setTangent(direction).setBatchSize(batch);

            List<Case> cases = new ArrayList<>();
            cases.add(new Case(PLAIN, plain::pass, PLAIN));
            cases.add(new Case(PLAIN_LINEAR, plainLinear::pass, PLAIN_LINEAR));
            spark(cases, "Spark, cached DataFrame, binary float32", jvp.transform(binary), PLAIN);
            spark(cases, "Spark, cached DataFrame, array<float>", jvp.transform(arrays), PLAIN);
            spark(cases, "Spark, Parquet, binary float32", jvp.transform(binParquet), PLAIN);
            spark(cases, "Spark, Parquet, array<float>", jvp.transform(arrParquet), PLAIN);
            spark(cases, "Spark, cached binary, near-free 784-10 linear model", plumbing.transform(binary),
                    PLAIN_LINEAR);
            spark(cases, "Spark, cached array<float>, near-free 784-10 linear model", plumbing.transform(arrays),
                    PLAIN_LINEAR);
            spark(cases, "scan only: cached binary (no transform)", binary, PLAIN);
            spark(cases, "scan only: cached array<float>", arrays, PLAIN);
            spark(cases, "scan only: Parquet binary", binParquet, PLAIN);
            spark(cases, "scan only: Parquet array<float>", arrParquet, PLAIN);

            double[][] rates = new double[cases.size()][reps];
            for (int round = -warmup; round < reps; round++) {
                for (int c = 0; c < cases.size(); c++) {
                    long t0 = System.nanoTime();
                    cases.get(c).pass().run();
                    double rate = rows / ((System.nanoTime() - t0) / 1e9);
                    if (round >= 0) {
                        rates[c][round] = rate;
                    }
                }
                System.err.println("[local[" + n + "]] round " + round + " done");
            }
            java.util.Map<String, Double> medians = new java.util.HashMap<>();
            for (int c = 0; c < cases.size(); c++) {
                medians.put(cases.get(c).what(), median(rates[c]));
            }
            for (Case c : cases) {
                row(n, c.what(), medians.get(c.what()), medians.get(c.baseline()));
            }
            binary.unpersist(true);
            arrays.unpersist(true);
        } finally {
            spark.stop();
        }
    }

    private void row(int n, String what, double rate, double base) {
        String vs = rate == base ? "1.00" : String.format(Locale.ROOT, "%.2f (%+.0f %% time)", rate / base,
                (base / rate - 1) * 100);
        report.add(String.format(Locale.ROOT, "| %d | %s | %,.0f | %s |", n, what, rate, vs));
    }

    /** A Spark case: run {@code df} to the no-op sink (every row computed, nothing kept). */
    private void spark(List<Case> cases, String what, Dataset<Row> df, String baseline) {
        if (what.contains(only)) {
            cases.add(new Case(what, () -> df.write().format("noop").mode("overwrite").save(), baseline));
        }
    }

    // ------------------------------------------------------------------ plain: the same plan, no Spark

    /** The model's JvpPlan driven by N Java threads over float[] rows: what a service without Spark does. */
    private final class Plain implements AutoCloseable {
        private final float[][] data;
        private final int threads;
        private final int m;
        private final ExecutorService pool;
        private final Scope scope;
        private final JvpPlan<Tensor, Tensor> plan;
        private final Tensor[] xs;
        private final Tensor[] vs;
        private final MemorySegment[] xMem;
        private final java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
        private final float[] out;

        Plain(TangentModel model, float[][] data, int threads) {
            this.data = data;
            this.threads = threads;
            this.m = model.outputSize();
            this.pool = Executors.newFixedThreadPool(threads);
            this.scope = Scope.open();
            Function<Tensor, Tensor> f = model.build();
            xs = new Tensor[threads];
            vs = new Tensor[threads];
            xMem = new MemorySegment[threads];
            for (int t = 0; t < threads; t++) {
                // staging memory owned here, wrapped without copying (as the Spark module does)
                xMem[t] = arena.allocate(4L * batch * IN, 64);
                MemorySegment vMem = arena.allocate(4L * batch * IN, 64);
                for (int s = 0; s < batch; s++) {
                    MemorySegment.copy(direction, 0, vMem, ValueLayout.JAVA_FLOAT, 4L * s * IN, IN);
                }
                xs[t] = Tensor.wrap(xMem[t], dev.tangent.DType.FLOAT32, batch, IN);
                vs[t] = Tensor.wrap(vMem, dev.tangent.DType.FLOAT32, batch, IN);
            }
            out = new float[rows * m];
            plan = JvpPlan.compile(f, xs[0]);
        }

        void pass() {
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int from = (int) ((long) rows * t / threads);
                    int to = (int) ((long) rows * (t + 1) / threads);
                    Tensor x = xs[t];
                    Tensor v = vs[t];
                    MemorySegment xm = xMem[t];
                    done.add(pool.submit(() -> chunk(x, xm, v, from, to)));
                }
                for (Future<?> d : done) {
                    d.get();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /** Per batch: copy rows in, replay the plan, copy the jvps out. */
        private void chunk(Tensor x, MemorySegment xs, Tensor v, int from, int to) {
            float[] result = new float[batch * m];
            for (int start = from; start < to; start += batch) {
                int count = Math.min(batch, to - start);
                for (int s = 0; s < batch; s++) {
                    MemorySegment.copy(data[start + Math.min(s, count - 1)], 0, xs, ValueLayout.JAVA_FLOAT,
                            4L * s * IN, IN);
                }
                JvpResult<Tensor> r = plan.apply(x, v);
                r.jvp().copyTo(result, count * m);
                System.arraycopy(result, 0, out, start * m, count * m);
            }
        }

        @Override
        public void close() {
            plan.close();
            scope.close();
            arena.close();
            pool.shutdown();
        }
    }

    /** (id, features) in n partitions, made on the executors. */
    private Dataset<Row> frame(SparkSession spark, int n, DataType type) {
        StructType schema = new StructType()
                .add("id", DataTypes.LongType, false)
                .add("features", type, false);
        List<Integer> parts = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            parts.add(p);
        }
        int total = rows;
        boolean bin = type == DataTypes.BinaryType;
        JavaRDD<Row> r = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(parts, n)
                .flatMap(p -> {
                    long from = (long) total * p / n;
                    long to = (long) total * (p + 1) / n;
                    List<Row> out = new ArrayList<>();
                    for (long i = from; i < to; i++) {
                        float[] x = features(i);
                        out.add(RowFactory.create(i, bin ? bytes(x) : x));
                    }
                    return out.iterator();
                });
        return spark.createDataFrame(r, schema);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
