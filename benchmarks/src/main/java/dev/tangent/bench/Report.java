package dev.tangent.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns JMH's JSON into benchmarks/RESULTS.md and benchmarks/results.png.
 *
 * <p>Pairing is by name: a benchmark method is {@code <workload>_<variant>} (e.g. {@code mlp_djlJvpByHand},
 * {@code mlp_tangentJvp}); rows pair when workload, {@code batch} and {@code threads} params are equal.
 * Every row gets its ratio to {@code <workload>_djlForward}; jvp rows also to the fastest
 * {@code djlJvp*} row; Tangent rows ({@code tangent*}) to the DJL baseline {@link #TANGENT_BASELINES}
 * names. Usage: {@code Report <jmh.json>[,<more.json>...] <out dir> <label> <command...>}. JAX's rows, its
 * "× JAX" columns, chart bars and targets come from {@code benchmarks/target/jax.json} ({@link JaxColumns}).
 */
public final class Report {
    /** Best-DJL-jvp marker in {@link #TANGENT_BASELINES}: the fastest djlJvp* row of the same key. */
    static final String BEST_DJL_JVP = "best djlJvp*";

    /** Tangent variant prefix -> the DJL variant it is compared with (first matching prefix wins). */
    static final Map<String, String> TANGENT_BASELINES = new LinkedHashMap<>();

    static {
        TANGENT_BASELINES.put("tangentForward", "djlForward");
        TANGENT_BASELINES.put("tangentJvp", BEST_DJL_JVP);
        TANGENT_BASELINES.put("tangentVjp", "djlVjp");
        TANGENT_BASELINES.put("tangentHvp", "djlHvp");
    }

    /** A line under a workload's section heading, for workloads that need one. */
    static final Map<String, String> WORKLOAD_NOTES = Map.of(
            "resnet18", "ResNet-18, torchvision's layout, 3×224×224 images, BatchNorm in inference mode (Resnet18Spec); "
                    + "DJL from NDArray ops, Tangent through dev.tangent.nn.F, same seeded weights. jvp and vjp w.r.t. the "
                    + "input; hvp of 0.5·‖f(x)‖². Tangent's conv2d runs on Java loops until its oneDNN kernels land.",
            "encoder", "BERT-style encoder: 4 post-LN layers, hidden 256, 4 heads, FFN 1024, GELU, sequence 128, no mask "
                    + "(EncoderSpec); same seeded weights in both engines. jvp and vjp w.r.t. the input [B, 128, 256]; "
                    + "hvp of 0.5·‖f(x)‖².");

    /** Per-workload jvp targets: Tangent's best jvp ≤ factor × Tangent's own forward, at these batches. */
    record NnTarget(String workload, String title, List<String> batches, double jvpFactor) {}

    static final List<NnTarget> NN_TARGETS = List.of(
            new NnTarget("resnet18", "ResNet-18", List.of("1", "32"), 2.1),
            new NnTarget("encoder", "encoder", List.of("1", "16"), 2.5));

    /** One JMH result row. Times in the JSON's unit (the suite uses µs). */
    record Row(String benchmark, String workload, String variant, String batch, String threads,
               double median, double p90, long samples, String unit) {
        String key() {
            return workload + "|" + batch + "|" + threads;
        }

        boolean isDjl() {
            return variant.startsWith("djl");
        }

        boolean isJvp() {
            return variant.toLowerCase().contains("jvp");
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 4) {
            System.err.println("usage: Report <jmh.json>[,<more.json>...] <out dir> <label> <command...>");
            System.exit(2);
        }
        Path out = Path.of(args[1]);
        String label = args[2];
        String command = String.join(" ", List.of(args).subList(3, args.length));
        // one JSON file, or several separated by commas (run-bench.sh runs JMH once per group of benchmarks)
        JsonArray results = new JsonArray();
        for (String file : args[0].split(",")) {
            Path json = Path.of(file);
            if (Files.exists(json)) {
                results.addAll(JsonParser.parseString(Files.readString(json)).getAsJsonArray());
            }
        }
        List<Row> rows = parse(results);
        if (rows.stream().allMatch(Row::isDjl)) {
            label += " — DJL only: Tangent rows pending";
        }
        String jdk = results.isEmpty() ? System.getProperty("java.version") : describeJdk(results.get(0).getAsJsonObject());
        JaxColumns jax = JaxColumns.load(Path.of("benchmarks/target/jax.json"));
        Files.writeString(out.resolve("RESULTS.md"), markdown(rows, label, command, jdk, jax));
        writeChart(rows, out.resolve("results.png"), label, jax);
        System.out.println("wrote " + out.resolve("RESULTS.md") + " and " + out.resolve("results.png") + " (" + rows.size() + " rows)");
    }

    static List<Row> parse(JsonArray results) {
        List<Row> rows = new ArrayList<>();
        for (JsonElement e : results) {
            JsonObject r = e.getAsJsonObject();
            String benchmark = r.get("benchmark").getAsString();
            String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            int cut = method.indexOf('_');
            String workload = cut < 0 ? method : method.substring(0, cut);
            String variant = cut < 0 ? method : method.substring(cut + 1);
            JsonObject params = r.has("params") ? r.getAsJsonObject("params") : new JsonObject();
            String batch = params.has("batch") ? params.get("batch").getAsString() : "-";
            String threads = params.has("threads") ? params.get("threads").getAsString() : "?";
            JsonObject metric = r.getAsJsonObject("primaryMetric");
            JsonObject pct = metric.getAsJsonObject("scorePercentiles");
            double median = pct.get("50.0").getAsDouble();
            double p90 = pct.get("90.0").getAsDouble();
            long samples = countSamples(metric);
            String shortName = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
            rows.add(new Row(shortName, workload, variant, batch, threads, median, p90, samples, metric.get("scoreUnit").getAsString()));
        }
        rows.sort(Comparator.comparing(Row::workload)
                .thenComparingInt(r -> r.batch().equals("-") ? 0 : Integer.parseInt(r.batch()))
                .thenComparing(Row::threads)
                .thenComparing(r -> (r.isDjl() ? "0" : "1") + (r.variant().endsWith("Forward") ? "0" : "1") + r.variant()));
        return rows;
    }

    /** SampleTime results carry a histogram per iteration: [[value, count], ...]. */
    private static long countSamples(JsonObject metric) {
        if (!metric.has("rawDataHistogram")) {
            return -1;
        }
        long n = 0;
        for (JsonElement fork : metric.getAsJsonArray("rawDataHistogram")) {
            for (JsonElement iteration : fork.getAsJsonArray()) {
                for (JsonElement bin : iteration.getAsJsonArray()) {
                    n += bin.getAsJsonArray().get(1).getAsLong();
                }
            }
        }
        return n;
    }

    static Optional<Row> find(List<Row> rows, String key, String variant) {
        return rows.stream().filter(r -> r.key().equals(key) && r.variant().equals(variant)).findFirst();
    }

    static Optional<Row> bestDjlJvp(List<Row> rows, String key) {
        return rows.stream().filter(r -> r.key().equals(key) && r.isDjl() && r.isJvp())
                .min(Comparator.comparingDouble(Row::median));
    }

    /** The DJL row a Tangent row is measured against, if the run has it. */
    static Optional<Row> tangentBaseline(List<Row> rows, Row row) {
        for (Map.Entry<String, String> e : TANGENT_BASELINES.entrySet()) {
            if (row.variant().startsWith(e.getKey())) {
                return e.getValue().equals(BEST_DJL_JVP) ? bestDjlJvp(rows, row.key()) : find(rows, row.key(), e.getValue());
            }
        }
        return Optional.empty();
    }

    static String markdown(List<Row> rows, String label, String command, String jdk, JaxColumns jax) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmark results: Tangent against DJL").append(jax.present() ? " and JAX" : "").append("\n\n");
        md.append("**").append(label).append("**\n\n");
        md.append("- Machine: ").append(cpuModel()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores visible to the JVM; ").append(jdk).append("; ")
                .append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"))).append("\n");
        md.append("- Load average (1/5/15 min) at start: ").append(loadAverage(Path.of("benchmarks/target/loadavg-start.txt")))
                .append("; at end: ").append(loadAverage(Path.of("/proc/loadavg")))
                .append(". Above ~1 on this 2-core machine, other processes competed with the benchmarks, "
                        + "and threads=2 rows suffer most (OpenMP waits on a descheduled thread).\n");
        md.append("- ⚠ marks a row whose p90 exceeds 3× its median: contention or GC, not a steady state.\n");
        Path notes = Path.of("benchmarks/target/nn-notes.txt");
        if (Files.exists(notes)) {
            try {
                for (String line : Files.readAllLines(notes)) {
                    if (!line.isBlank()) {
                        md.append("- ").append(line.strip()).append("\n");
                    }
                }
            } catch (IOException e) {
                md.append("- (nn-notes.txt unreadable: ").append(e.getMessage()).append(")\n");
            }
        }
        md.append("- Command: `").append(command).append("`\n");
        md.append("- JMH SampleTime; median and p90 of all samples of all forks; `threads` = libtorch intra-/inter-op threads "
                + "(and Tangent's, when it runs). The machine is shared: read ratios, not absolute times.\n");
        md.append("- Ratios: `× DJL fwd` = median / median of `<workload>_djlForward` (same batch, threads); "
                + "`× best DJL jvp` = median / fastest `djlJvp*` median (same batch, threads); "
                + "`vs DJL baseline` = Tangent median / its DJL baseline median (see benchmarks/README.md).\n");
        md.append(jax.headerLines()).append("\n");
        md.append(targets(rows));
        md.append(jax.targets(rows));
        Path analysis = Path.of("benchmarks/ANALYSIS.md");
        if (Files.exists(analysis)) {
            try {
                md.append("### Why the missed targets are missed\n\n").append(Files.readString(analysis).strip()).append("\n\n");
            } catch (IOException e) {
                md.append("(ANALYSIS.md unreadable: ").append(e.getMessage()).append(")\n\n");
            }
        }
        String unit = rows.isEmpty() ? "us" : rows.get(0).unit().replace("us/op", "µs");
        String workload = null;
        String key = null;
        for (Row r : rows) {
            if (key != null && !r.key().equals(key)) {
                md.append(jax.tableRows(rows, key));
            }
            key = r.key();
            if (!r.workload().equals(workload)) {
                workload = r.workload();
                md.append("\n## ").append(workload).append("\n\n");
                if (WORKLOAD_NOTES.containsKey(workload)) {
                    md.append(WORKLOAD_NOTES.get(workload)).append("\n\n");
                }
                md.append("| benchmark | batch | threads | median (").append(unit).append(") | p90 (").append(unit)
                        .append(") | samples | × DJL fwd | × best DJL jvp |").append(jax.headerCells()).append(" vs DJL baseline |\n");
                md.append("|---|---:|---:|---:|---:|---:|---:|---:|").append(jax.separatorCells()).append("---|\n");
            }
            String fwd = find(rows, r.key(), "djlForward").map(f -> ratio(r.median() / f.median())).orElse("");
            String bestJvp = r.isJvp() ? bestDjlJvp(rows, r.key()).map(b -> ratio(r.median() / b.median())).orElse("") : "";
            String vsBaseline = r.isDjl() ? "" : tangentBaseline(rows, r)
                    .map(b -> ratio(r.median() / b.median()) + " vs " + b.variant()).orElse("no DJL baseline in this run");
            md.append("| `").append(r.benchmark()).append("` | ").append(r.batch()).append(" | ").append(r.threads())
                    .append(" | ").append(time(r.median())).append(" | ").append(time(r.p90()))
                    .append(r.p90() > 3 * r.median() ? " ⚠" : "").append(" | ")
                    .append(r.samples() < 0 ? "" : Long.toString(r.samples())).append(" | ")
                    .append(fwd).append(" | ").append(bestJvp).append(" |").append(jax.cells(r)).append(" ").append(vsBaseline).append(" |\n");
        }
        if (key != null) {
            md.append(jax.tableRows(rows, key));
        }
        Path memory = Path.of("benchmarks/target/memory.txt");
        if (Files.exists(memory)) {
            try {
                md.append("\n## Native memory growth per call (RSS, batch 1, same run)\n\n```\n")
                        .append(Files.readString(memory).strip()).append("\n```\n");
            } catch (IOException e) {
                md.append("\n(memory.txt unreadable: ").append(e.getMessage()).append(")\n");
            }
        }
        md.append("\n![ratios](results.png)\n");
        return md.toString();
    }

    /** The fastest forward-mode Tangent jvp (eager or compiled plan; not double-backward) of a key. */
    static Optional<Row> bestTangentJvp(List<Row> rows, String key) {
        return rows.stream().filter(r -> r.key().equals(key) && (r.variant().equals("tangentJvp")
                || r.variant().equals("tangentJvpPlan"))).min(Comparator.comparingDouble(Row::median));
    }

    /** The targets, checked against this run's medians (each threads setting separately). */
    static String targets(List<Row> rows) {
        StringBuilder t = new StringBuilder("## Targets (from this run)\n\n");
        t.append("| target | threads | measured | limit | met |\n|---|---:|---:|---:|---|\n");
        for (String threads : List.of("1", "2")) {
            bestTangentJvp(rows, "seed|-|" + threads).ifPresent(j -> target(t, "W1 seed jvp ≤ 3 µs (" + j.variant() + ")",
                    threads, j.median(), 3.0, "µs"));
            for (String batch : List.of("1", "64", "1024")) {
                String key = "mlp|" + batch + "|" + threads;
                Optional<Row> jvp = bestTangentJvp(rows, key);
                Optional<Row> fwd = find(rows, key, "tangentForward");
                Optional<Row> djlFwd = find(rows, key, "djlForward");
                if (batch.equals("1") && jvp.isPresent() && djlFwd.isPresent()) {
                    target(t, "W2 B=1 jvp (" + jvp.get().variant() + ") ≤ DJL forward", threads, jvp.get().median(),
                            djlFwd.get().median(), "µs");
                }
                double factor = batch.equals("64") ? 1.3 : batch.equals("1024") ? 2.1 : 0;
                if (factor > 0 && jvp.isPresent() && fwd.isPresent()) {
                    target(t, "W2 B=" + batch + " jvp (" + jvp.get().variant() + ") ≤ " + factor + "× Tangent forward",
                            threads, jvp.get().median(), factor * fwd.get().median(), "µs");
                }
                if (fwd.isPresent() && djlFwd.isPresent()) {
                    target(t, "W2 B=" + batch + " Tangent forward ≤ DJL forward", threads, fwd.get().median(),
                            djlFwd.get().median(), "µs");
                }
            }
        }
        for (NnTarget nn : NN_TARGETS) {
            for (String threads : List.of("1", "2")) {
                for (String batch : nn.batches()) {
                    String key = nn.workload() + "|" + batch + "|" + threads;
                    Optional<Row> fwd = find(rows, key, "tangentForward");
                    Optional<Row> djlFwd = find(rows, key, "djlForward");
                    Optional<Row> jvp = bestTangentJvp(rows, key);
                    String what = nn.title() + " B=" + batch + " Tangent forward ≤ DJL forward";
                    if (fwd.isPresent() && djlFwd.isPresent()) {
                        target(t, what, threads, fwd.get().median(), djlFwd.get().median(), "µs");
                    } else if (fwd.isPresent() || djlFwd.isPresent()) {
                        notRun(t, what, threads, fwd.isPresent() ? "DJL forward" : "Tangent forward");
                    }
                    what = nn.title() + " B=" + batch + " jvp" + jvp.map(j -> " (" + j.variant() + ")").orElse("") + " ≤ "
                            + nn.jvpFactor() + "× Tangent forward";
                    if (jvp.isPresent() && fwd.isPresent()) {
                        target(t, what, threads, jvp.get().median(), nn.jvpFactor() * fwd.get().median(), "µs");
                    } else if (jvp.isPresent() || fwd.isPresent() || djlFwd.isPresent()) {
                        notRun(t, what, threads, jvp.isPresent() ? "Tangent forward" : "Tangent jvp");
                    }
                }
            }
        }
        return t.append("\n").toString();
    }

    /** A target row whose rows are missing from this run (a narrowed include, or a skipped batch). */
    private static void notRun(StringBuilder t, String what, String threads, String missing) {
        t.append("| ").append(what).append(" | ").append(threads).append(" | ").append(missing)
                .append(" not in this run |  | not measured |\n");
    }

    static void target(StringBuilder t, String what, String threads, double measured, double limit, String unit) {
        t.append("| ").append(what).append(" | ").append(threads).append(" | ").append(time(measured)).append(' ').append(unit)
                .append(" | ").append(time(limit)).append(' ').append(unit).append(" | ")
                .append(measured <= limit ? "yes" : "no (" + ratio(measured / limit) + " the limit)").append(" |\n");
    }

    static String ratio(double x) {
        return String.format(x >= 10 ? "%.1f×" : "%.2f×", x);
    }

    static String time(double x) {
        return x >= 1000 ? String.format("%,.0f", x) : x >= 10 ? String.format("%.1f", x) : String.format("%.2f", x);
    }

    private static String describeJdk(JsonObject r) {
        String v = r.has("jdkVersion") ? r.get("jdkVersion").getAsString() : System.getProperty("java.version");
        String vm = r.has("vmName") ? r.get("vmName").getAsString() : "";
        return "JDK " + v + (vm.isEmpty() ? "" : " (" + vm + ")");
    }

    private static String loadAverage(Path file) {
        try {
            String[] f = Files.readString(file).trim().split("\\s+");
            return f[0] + " / " + f[1] + " / " + f[2];
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            return "unknown";
        }
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException ignored) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    /** Horizontal bars, log scale: each row's time relative to its DJL reference (forward for DJL rows). */
    static void writeChart(List<Row> rows, Path file, String label, JaxColumns jax) throws IOException {
        record Bar(String text, double ratio, Color color) {}
        Color djl = new Color(52, 120, 200), tangent = new Color(230, 126, 34), jaxColor = new Color(46, 160, 67);
        List<Bar> bars = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            String where = r.workload() + (r.batch().equals("-") ? "" : " B=" + r.batch()) + " t=" + r.threads() + "  ";
            if (r.variant().equals("djlForward")) {
                // the reference itself: no bar
            } else if (r.isDjl()) {
                find(rows, r.key(), "djlForward").ifPresent(f -> bars.add(new Bar(where + r.variant() + " / djlForward", r.median() / f.median(), djl)));
            } else {
                tangentBaseline(rows, r).ifPresent(b -> bars.add(new Bar(where + r.variant() + " / " + b.variant(), r.median() / b.median(), tangent)));
            }
            if (i + 1 == rows.size() || !rows.get(i + 1).key().equals(r.key())) {
                jax.chartBars(rows, r.key(), where).forEach(b -> bars.add(new Bar(b.text(), b.ratio(), jaxColor)));
            }
        }
        int rowH = 18, left = 430, plotW = 620, top = 58, bottom = 40;
        int width = left + plotW + 30, height = top + Math.max(1, bars.size()) * rowH + bottom;
        double lo = 0.1, hi = 100;
        for (Bar b : bars) {
            while (b.ratio() < lo * 1.05) lo /= 10;
            while (b.ratio() > hi / 1.05) hi *= 10;
        }
        double logLo = Math.log10(lo), logHi = Math.log10(hi);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString("Median time relative to the DJL reference (log scale; < 1 is faster)", 10, 18);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawString(label, 10, 32);
        g.drawString("blue: DJL variant / DJL forward    orange: Tangent variant / its DJL baseline"
                + (jax.present() ? "    green: JAX jit / the same DJL baseline"
                        : "    (" + jax.absence().substring(0, Math.min(90, jax.absence().length())) + ")"), 10, 45);
        java.util.function.DoubleToIntFunction x = r -> left + (int) Math.round((Math.log10(r) - logLo) / (logHi - logLo) * plotW);
        int plotBottom = top + bars.size() * rowH;
        for (double decade = lo; decade <= hi * 1.001; decade *= 10) {
            for (int m : new int[] {1, 2, 5}) {
                double t = decade * m;
                if (t > hi * 1.001) break;
                int px = x.applyAsInt(t);
                g.setColor(m == 1 ? new Color(170, 170, 170) : new Color(225, 225, 225));
                g.drawLine(px, top - 4, px, plotBottom);
                g.setColor(Color.DARK_GRAY);
                g.drawString(t >= 1 ? String.format("%.0f", t) : String.format("%s", t), px - 8, plotBottom + 14);
            }
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(2f));
        g.drawLine(x.applyAsInt(1), top - 6, x.applyAsInt(1), plotBottom);
        g.setStroke(new BasicStroke(1f));
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            int y = top + i * rowH;
            g.setColor(Color.BLACK);
            g.drawString(b.text(), 8, y + rowH - 5);
            int x0 = x.applyAsInt(1), x1 = x.applyAsInt(b.ratio());
            g.setColor(b.color());
            g.fillRect(Math.min(x0, x1), y + 3, Math.max(1, Math.abs(x1 - x0)), rowH - 6);
            g.setColor(Color.BLACK);
            String v = ratio(b.ratio());
            g.drawString(v, x1 >= x0 ? x1 + 4 : x1 - g.getFontMetrics().stringWidth(v) - 4, y + rowH - 5);
        }
        g.drawString("× reference", left + plotW / 2 - 30, plotBottom + 30);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }
}
