package dev.tangent.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The serving benchmark's driver: runs {@link ServingLoad} once per configuration per round, each in
 * a fresh JVM with this JVM's flags and class path, the configurations in turn (round robin, the
 * starting one rotating each round) so that load from elsewhere hits them alike; then writes every
 * run and the per-row medians over the rounds to {@code serving.json} and has {@link ServingReport}
 * write {@code serving.md} and the chart.
 *
 * <pre>
 * ServingRun [--quick] [--rounds N] [--seconds S] [--callers 1,2,4,8,32] [--batches 64,1024]
 *            [--only REGEX] [--out benchmarks/target/serving.json] [--chart benchmarks/serving.png]
 * </pre>
 * Configurations: Tangent with the defaults and each fixed thread count (1, 2) for the batch-1
 * {@code jvpPlan}, eager {@code jvp} and {@code forward}; DJL's PyTorch engine (defaults = the
 * cores, and 1 thread) for its by-hand jvp and its Predictor forward; each at every request-thread
 * count (DJL at a fixed count also gets {@code OMP_NUM_THREADS} and {@code MKL_NUM_THREADS}, as DJL
 * advises for multi-threaded inference). Then the batch sweep: Tangent's three thread settings at one request thread for every
 * workload at the larger batches. {@code --only} keeps configurations whose id
 * ({@code engine/threads/workload/batch}) it finds. Full: 3 rounds of 2 s per row (after a 1 s warm-up, 2 s for a JVM's first row);
 * quick: 3 rounds of 1 s, request threads 1 and 8, no batch sweep, the jvp plan and forward only.
 */
public final class ServingRun {
    private ServingRun() {}

    /** One JVM's configuration; {@code callers} are run in turn inside it. */
    record Config(String engine, String threads, String workload, int batch, String callers) {
        String id() {
            return engine + "/" + threads + "/" + workload + "/" + batch;
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        boolean quick = opt.containsKey("quick");
        int rounds = Integer.parseInt(opt.getOrDefault("rounds", "3"));
        double seconds = Double.parseDouble(opt.getOrDefault("seconds", quick ? "1" : "2"));
        String callers = opt.getOrDefault("callers", quick ? "1,8" : "1,2,4,8,32");
        String batches = opt.getOrDefault("batches", quick ? "" : "64,1024");
        Pattern only = Pattern.compile(opt.getOrDefault("only", ".*"));
        Path out = Path.of(opt.getOrDefault("out", "benchmarks/target/serving.json"));
        Path chart = Path.of(opt.getOrDefault("chart", "benchmarks/serving.png"));
        List<String> tangentWork = quick ? List.of("jvpPlan", "forward") : List.of("jvpPlan", "jvp", "forward");
        List<Config> configs = new ArrayList<>();
        for (String w : tangentWork) {
            for (String t : List.of("default", "1", "2")) {
                configs.add(new Config("tangent", t, w, 1, callers));
            }
        }
        for (String w : List.of("jvp", "forward")) {
            for (String t : quick ? List.of("default") : List.of("default", "1")) {
                configs.add(new Config("djl", t, w, 1, callers));
            }
        }
        for (String b : batches.isBlank() ? new String[0] : batches.split(",")) {
            for (String w : tangentWork) {
                for (String t : List.of("default", "1", "2")) {
                    configs.add(new Config("tangent", t, w, Integer.parseInt(b.trim()), "1"));
                }
            }
        }
        configs.removeIf(c -> !only.matcher(c.id()).find());
        if (configs.isEmpty()) {
            throw new IllegalArgumentException("ServingRun: --only " + only + " selects no configuration");
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Path logs = out.resolveSibling("serving-logs");
        Files.createDirectories(logs);

        List<String> jvm = new ArrayList<>();
        jvm.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        jvm.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        jvm.add("-cp");
        jvm.add(System.getProperty("java.class.path"));
        jvm.add(ServingLoad.class.getName());

        JsonObject meta = new JsonObject();
        meta.addProperty("date", ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")));
        meta.addProperty("machine", Report.cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        meta.addProperty("jdk", System.getProperty("java.version"));
        meta.addProperty("rounds", rounds);
        meta.addProperty("seconds", seconds);
        meta.addProperty("mode", quick ? "quick" : "full");
        meta.addProperty("command", "benchmarks/run-bench.sh --serving" + (quick ? " --quick" : "")
                + (args.length > 0 ? "  (ServingRun " + String.join(" ", args) + ")" : ""));
        meta.addProperty("flags", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments())
                .replace(Path.of("").toAbsolutePath() + "/", ""));
        meta.addProperty("loadavg_start", loadavg());
        JsonArray runs = new JsonArray();
        long t0 = System.nanoTime();
        System.out.printf("serving: %d configurations x %d rounds, %s s per row, request threads %s; loadavg %s%n",
                configs.size(), rounds, seconds, callers, loadavg());
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < configs.size(); i++) {
                Config c = configs.get((i + r) % configs.size());
                List<String> cmd = new ArrayList<>(jvm);
                cmd.addAll(List.of(c.engine(), c.threads(), c.workload(), Double.toString(seconds), c.callers(),
                        Integer.toString(c.batch())));
                String load = loadavg();
                Path log = logs.resolve(c.id().replace('/', '_') + "-r" + r + ".log");
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile());
                if (c.engine().equals("djl") && !c.threads().equals("default")) {
                    // DJL's advice for multi-threaded inference: libtorch's OpenMP and MKL read these in every
                    // thread; ai.djl.pytorch.num_threads alone reaches only the thread that started the engine
                    // (on other threads MKL's GEMMs use every core; at 1 thread on a loaded 2-core machine a
                    // batch-1 jvp then took ~30 ms instead of ~2 ms).
                    pb.environment().put("OMP_NUM_THREADS", c.threads());
                    pb.environment().put("MKL_NUM_THREADS", c.threads());
                }
                Process p = pb.start();
                int count = 0;
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        if (line.startsWith("SERVING ")) {
                            JsonObject run = parse(line);
                            run.addProperty("round", r);
                            run.addProperty("loadavg", load);
                            runs.add(run);
                            count++;
                            System.out.println("  r" + r + " " + line.substring(8));
                        }
                    }
                }
                long limit = (long) (c.callers().split(",").length * (seconds + 2) * 4 + 120);
                if (!p.waitFor(limit, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
                if (p.exitValue() != 0 || count == 0) {
                    System.out.println("  r" + r + " " + c.id() + " FAILED (exit " + p.exitValue() + "), see " + log);
                }
            }
        }
        meta.addProperty("loadavg_end", loadavg());
        meta.addProperty("wall_s", Math.round((System.nanoTime() - t0) / 1e9));
        JsonObject doc = new JsonObject();
        doc.add("meta", meta);
        doc.add("runs", runs);
        doc.add("rows", ServingReport.medians(runs));
        Files.writeString(out, new GsonBuilder().setPrettyPrinting().create().toJson(doc));
        Path md = out.resolveSibling("serving.md");
        String section = ServingReport.section(out, Path.of("serving.png"));
        Files.writeString(md, section);
        ServingReport.chart(doc, chart);
        System.out.println(section);
        System.out.println("written: " + out + ", " + md + ", " + chart);
    }

    /** {@code key=value} pairs of a SERVING line as JSON (numbers where they parse). */
    static JsonObject parse(String line) {
        JsonObject o = new JsonObject();
        for (String kv : line.substring(8).trim().split("\\s+")) {
            int eq = kv.indexOf('=');
            String k = kv.substring(0, eq);
            String v = kv.substring(eq + 1);
            if (k.equals("threads") || k.equals("engine") || k.equals("workload")) {
                o.addProperty(k, v);
            } else {
                o.addProperty(k, Double.parseDouble(v));
            }
        }
        return o;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("ServingRun: unexpected argument " + a + " in " + Arrays.toString(args));
            }
            if (a.equals("--quick")) {
                m.put("quick", "true");
            } else if (i + 1 < args.length) {
                m.put(a.substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("ServingRun: " + a + " needs a value");
            }
        }
        return m;
    }

    static String loadavg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            return "unknown";
        }
    }
}
