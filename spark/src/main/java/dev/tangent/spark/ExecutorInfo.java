package dev.tangent.spark;

import dev.tangent.Tangent;
import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Tangent runs on in each executor: the CPU kernels ({@link Tangent#cpuKernels()}, which names
 * the oneDNN library file and so the cache folder it was extracted into). Logged once per
 * executor JVM by the first partition; {@link #collect} asks every executor.
 */
public final class ExecutorInfo implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorInfo.class);
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    private final String executorId;
    private final String host;
    private final String process;
    private final String cpuKernels;
    private final String cacheDir;

    private ExecutorInfo(String executorId, String host, String process, String cpuKernels, String cacheDir) {
        this.executorId = executorId;
        this.host = host;
        this.process = process;
        this.cpuKernels = cpuKernels;
        this.cacheDir = cacheDir;
    }

    /** This JVM's facts (loads the CPU kernels if nothing did yet). */
    public static ExecutorInfo here() {
        SparkEnv env = SparkEnv.get();
        String id = env != null ? env.executorId() : "none";
        String host = env != null ? env.blockManager().blockManagerId().host() : "localhost";
        return new ExecutorInfo(id, host, ManagementFactory.getRuntimeMXBean().getName(), Tangent.cpuKernels(),
                configuredCacheDir());
    }

    /**
     * Asks the executors (and, in local mode, the driver that runs the tasks) what kernels they
     * use: runs one small job of {@code tasks} tasks and returns one entry per executor id.
     */
    public static Map<String, ExecutorInfo> collect(SparkSession spark, int tasks) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Integer> seeds = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            seeds.add(i);
        }
        Map<String, ExecutorInfo> r = new TreeMap<>();
        for (ExecutorInfo info : jsc.parallelize(seeds, tasks).map(i -> here()).collect()) {
            r.putIfAbsent(info.executorId, info);
        }
        return r;
    }

    /** The extraction cache folder Tangent uses here: tangent.cache.dir, TANGENT_CACHE_DIR, or the default. */
    static String configuredCacheDir() {
        String p = System.getProperty("tangent.cache.dir");
        if (p == null || p.isBlank()) {
            p = System.getenv("TANGENT_CACHE_DIR");
        }
        if (p == null || p.isBlank()) {
            return Path.of(System.getProperty("user.home"), ".cache", "tangent").toString() + " (default)";
        }
        return Path.of(p).toAbsolutePath().toString();
    }

    /** Logs this executor's kernels, once per JVM. */
    static void logOnce(int threads) {
        if (LOGGED.compareAndSet(false, true)) {
            ExecutorInfo i = here();
            LOG.info("Tangent on executor {} ({}, {}): CPU kernels {}; cache {}; {} thread(s) per task", i.executorId,
                    i.host, i.process, i.cpuKernels, i.cacheDir, threads);
        }
    }

    public String executorId() {
        return executorId;
    }

    public String host() {
        return host;
    }

    /** The JVM, as pid@hostname. */
    public String process() {
        return process;
    }

    /** {@link Tangent#cpuKernels()} on that executor. */
    public String cpuKernels() {
        return cpuKernels;
    }

    /** The cache folder native libraries are extracted into there. */
    public String cacheDir() {
        return cacheDir;
    }

    @Override
    public String toString() {
        return "executor " + executorId + " (" + host + ", " + process + "): " + cpuKernels + "; cache " + cacheDir;
    }
}
