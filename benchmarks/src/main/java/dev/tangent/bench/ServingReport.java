package dev.tangent.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Predicate;
import javax.imageio.ImageIO;

/**
 * The serving benchmark's report: per-row medians over the rounds {@link ServingRun} ran, the
 * issue's targets computed from them, the "Serving under load" section of RESULTS.md (also written
 * alone to {@code serving.md}) and the chart {@code serving.png} (throughput and p99 against request
 * threads, one line per configuration). {@code ServingReport <serving.json> [<chart.png>]} rewrites
 * both from a saved run.
 */
public final class ServingReport {
    private ServingReport() {}

    /** Median over rounds of one configuration at one request-thread count. */
    record Row(String engine, String threads, String workload, int batch, int callers, double callsPerS, double p50,
               double p99, double p999, double cpuPerCall, double ctxswPerCall, double slotWaits, double slotWaitUs,
               int rounds, double minCalls, double maxCalls) {
        String config() {
            return engine + "/" + threads + "/" + workload + "/" + batch;
        }
    }

    public static void main(String[] args) throws IOException {
        Path json = Path.of(args.length > 0 ? args[0] : "benchmarks/target/serving.json");
        Path png = Path.of(args.length > 1 ? args[1] : "benchmarks/serving.png");
        JsonObject doc = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        String section = section(json, png.getFileName());
        Files.writeString(json.resolveSibling("serving.md"), section);
        chart(doc, png);
        System.out.println(section);
    }

    /** Medians over the rounds of every (configuration, request threads) of the raw runs. */
    static JsonArray medians(JsonArray runs) {
        Map<String, List<JsonObject>> groups = new LinkedHashMap<>();
        for (JsonElement e : runs) {
            JsonObject r = e.getAsJsonObject();
            String key = r.get("engine").getAsString() + "|" + r.get("threads").getAsString() + "|"
                    + r.get("workload").getAsString() + "|" + r.get("batch").getAsInt() + "|" + r.get("callers").getAsInt();
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        JsonArray rows = new JsonArray();
        for (List<JsonObject> g : groups.values()) {
            JsonObject first = g.get(0);
            JsonObject row = new JsonObject();
            for (String k : List.of("engine", "threads", "workload", "batch", "callers")) {
                row.add(k, first.get(k));
            }
            for (String k : List.of("calls_per_s", "p50_us", "p99_us", "p999_us", "cpu_us_per_call", "ctxsw_per_call",
                    "slot_waits_per_call", "slot_wait_us_per_call")) {
                row.addProperty(k, median(g.stream().mapToDouble(r -> r.has(k) ? r.get(k).getAsDouble() : 0).toArray()));
            }
            row.addProperty("rounds", g.size());
            row.addProperty("min_calls_per_s", g.stream().mapToDouble(r -> r.get("calls_per_s").getAsDouble()).min().orElse(0));
            row.addProperty("max_calls_per_s", g.stream().mapToDouble(r -> r.get("calls_per_s").getAsDouble()).max().orElse(0));
            rows.add(row);
        }
        return rows;
    }

    static List<Row> rows(JsonObject doc) {
        List<Row> rows = new ArrayList<>();
        for (JsonElement e : doc.getAsJsonArray("rows")) {
            JsonObject r = e.getAsJsonObject();
            rows.add(new Row(r.get("engine").getAsString(), r.get("threads").getAsString(), r.get("workload").getAsString(),
                    r.get("batch").getAsInt(), r.get("callers").getAsInt(), r.get("calls_per_s").getAsDouble(),
                    r.get("p50_us").getAsDouble(), r.get("p99_us").getAsDouble(), r.get("p999_us").getAsDouble(),
                    r.get("cpu_us_per_call").getAsDouble(), r.get("ctxsw_per_call").getAsDouble(),
                    r.has("slot_waits_per_call") ? r.get("slot_waits_per_call").getAsDouble() : 0,
                    r.has("slot_wait_us_per_call") ? r.get("slot_wait_us_per_call").getAsDouble() : 0, r.get("rounds").getAsInt(),
                    r.get("min_calls_per_s").getAsDouble(), r.get("max_calls_per_s").getAsDouble()));
        }
        rows.sort(Comparator.comparing(Row::engine).reversed().thenComparing(Row::workload).thenComparingInt(Row::batch)
                .thenComparingInt(Row::callers).thenComparing(Row::threads));
        return rows;
    }

    /**
     * What {@link Report} adds to RESULTS.md: the JMH rows' Tangent defaults against the best fixed
     * thread count, then the serving section when {@code benchmarks/target/serving.json} exists.
     */
    static String resultsSection(List<Report.Row> jmh) {
        return jmhDefaults(jmh) + section(Path.of("benchmarks/target/serving.json"), Path.of("serving.png"));
    }

    /** Tangent rows run with threads=default against the faster of the same row at fixed 1 and 2 ("" when none). */
    static String jmhDefaults(List<Report.Row> rows) {
        StringBuilder t = new StringBuilder();
        for (Report.Row d : rows) {
            if (d.isDjl() || !d.threads().equals("default")) {
                continue;
            }
            Optional<Report.Row> best = rows.stream().filter(f -> f.workload().equals(d.workload()) && f.variant().equals(d.variant())
                    && f.batch().equals(d.batch()) && !f.threads().equals("default")).min(Comparator.comparingDouble(Report.Row::median));
            if (best.isEmpty()) {
                continue;
            }
            double r = d.median() / best.get().median();
            t.append(String.format(Locale.ROOT, "| `%s` | %s | %s | %s (threads=%s) | %.2f× | %s |%n", d.benchmark(), d.batch(),
                    num(d.median()), num(best.get().median()), best.get().threads(), r, r <= 1.05 ? "yes" : "**no**"));
        }
        if (t.isEmpty()) {
            return "";
        }
        return "\n## Tangent defaults against fixed thread counts (JMH, this run)\n\nMedian of `threads=default` (adaptive: "
                + "per-kernel grain, process-wide core budget) against the faster fixed count of the same benchmark and batch. "
                + "One fork each, not interleaved: the serving section's interleaved rounds are the stricter check.\n\n"
                + "| benchmark | batch | default median (µs) | best fixed median (µs) | default ÷ best | within 5 % |\n"
                + "|---|---:|---:|---:|---:|---|\n" + t;
    }

    /** The RESULTS.md section for the run saved in {@code json} ("" when there is none). */
    static String section(Path json, Path chartName) {
        if (!Files.exists(json)) {
            return "";
        }
        JsonObject doc;
        try {
            doc = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            return "\n## Serving under load\n\n(" + json + " unreadable: " + e.getMessage() + ")\n";
        }
        JsonObject m = doc.getAsJsonObject("meta");
        List<Row> rows = rows(doc);
        StringBuilder md = new StringBuilder("\n## Serving under load\n\n");
        md.append("Closed loop (`ServingLoad`, driven by `ServingRun`): R request threads share one MLP 784-1024-1024-10 (tanh); "
                + "each issues its next call when the last returns. Every configuration is a fresh JVM, run in turn with "
                + "the others (round robin, ").append(m.get("rounds").getAsInt()).append(" rounds, ")
                .append(m.get("seconds").getAsDouble()).append(" s per row after a warm-up of 1 s, 2 s for a JVM's first row); figures are medians over the "
                + "rounds. Tangent `default` = adaptive threads (no setting), `1`/`2` = `Tangent.setNumThreads`; "
                + "DJL `default` = PyTorch's intra-op threads = the cores. Tangent: `jvpPlan` = a compiled `JvpPlan`, "
                + "`jvp` = `Functional.jvp`, `forward` = the eager MLP; DJL: `jvp` = its by-hand forward-mode jvp (its "
                + "fastest), `forward` = one `Predictor` per request thread.\n\n");
        md.append("- Run: ").append(m.get("date").getAsString()).append(", ").append(m.get("machine").getAsString())
                .append(", JDK ").append(m.get("jdk").getAsString()).append(", ").append(m.get("mode").getAsString())
                .append(" mode, ").append(m.get("wall_s").getAsLong()).append(" s wall\n");
        md.append("- Load average (1/5/15 min) at start: ").append(m.get("loadavg_start").getAsString()).append("; at end: ")
                .append(m.get("loadavg_end").getAsString()).append(" (each run's own in serving.json). Above ~1 other "
                + "processes shared the 2 cores: tails (p99, p99.9) then measure the machine more than the library.\n");
        md.append("- Command: `").append(m.get("command").getAsString()).append("`; JVM flags (driver and every run): `")
                .append(m.get("flags").getAsString()).append("`\n\n");
        md.append(targets(rows));
        md.append("| engine | threads | workload | batch | request threads | calls/s | p50 (µs) | p99 (µs) | p99.9 (µs) "
                + "| CPU µs/call | ctx sw/call | slot waits/call | slot wait µs/call | calls/s min–max |\n"
                + "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Row r : rows) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %d | %s | %s | %s | %s | %s | %.2f | %.2f | %s | %s–%s |%n",
                    r.engine(), r.threads(), r.workload(), r.batch(), r.callers(), num(r.callsPerS()), num(r.p50()),
                    num(r.p99()), num(r.p999()), num(r.cpuPerCall()), r.ctxswPerCall(), r.slotWaits(), num(r.slotWaitUs()),
                    num(r.minCalls()), num(r.maxCalls())));
        }
        md.append("\nCPU µs/call: the whole process's CPU time (all threads, OpenMP's and the JIT's included) per call; "
                + "ctx sw/call: the request threads' own context switches (voluntary + involuntary) per call; slot waits/call and "
                + "slot wait µs/call: how often and how long a call's kernels waited for a core slot of Tangent's budget "
                + "(`ThreadBudget.slotStats()`; defaults only).\n");
        md.append("\n![serving](").append(chartName).append(")\n");
        return md.toString();
    }

    private static Optional<Row> find(List<Row> rows, String engine, String threads, String workload, int batch, int callers) {
        return rows.stream().filter(r -> r.engine().equals(engine) && r.threads().equals(threads)
                && r.workload().equals(workload) && r.batch() == batch && r.callers() == callers).findFirst();
    }

    /** The targets from this run's medians, each marked met or missed. */
    static String targets(List<Row> rows) {
        StringBuilder t = new StringBuilder("### Serving targets (from this run)\n\n| target | measured | limit | met |\n|---|---|---|---|\n");
        // 1. Defaults within 5 % of the best fixed thread count, at every row.
        List<String> misses = new ArrayList<>();
        int checked = 0;
        double worst = Double.MAX_VALUE;
        String worstAt = "";
        for (Row d : rows) {
            if (!d.engine().equals("tangent") || !d.threads().equals("default")) {
                continue;
            }
            double best = 0;
            String bestThreads = "";
            for (Row f : rows) {
                if (f.engine().equals("tangent") && !f.threads().equals("default") && f.workload().equals(d.workload())
                        && f.batch() == d.batch() && f.callers() == d.callers() && f.callsPerS() > best) {
                    best = f.callsPerS();
                    bestThreads = f.threads();
                }
            }
            if (best == 0) {
                continue;
            }
            checked++;
            double ratio = d.callsPerS() / best;
            String at = d.workload() + " B=" + d.batch() + " R=" + d.callers() + " (" + pct(ratio) + " of threads=" + bestThreads + ")";
            if (ratio < worst) {
                worst = ratio;
                worstAt = at;
            }
            if (ratio < 0.95) {
                misses.add(at);
            }
        }
        if (checked > 0) {
            t.append("| Tangent defaults ≥ 95 % of the best fixed thread count's calls/s, every row | ").append(checked - misses.size())
                    .append(" of ").append(checked).append(" rows; lowest ").append(worstAt).append(" | 95 % | ")
                    .append(misses.isEmpty() ? "yes" : "no: " + String.join("; ", misses)).append(" |\n");
        }
        // 2. 8 request threads with the defaults: ≥ 1.9× one request thread at num_threads=1, p99 ≤ 3× p50.
        for (String w : List.of("jvpPlan", "jvp", "forward")) {
            Optional<Row> eight = find(rows, "tangent", "default", w, 1, 8);
            Optional<Row> one = find(rows, "tangent", "1", w, 1, 1);
            if (eight.isPresent() && one.isPresent()) {
                double ratio = eight.get().callsPerS() / one.get().callsPerS();
                t.append("| ").append(w).append(" B=1, 8 request threads, defaults: calls/s ÷ 1 request thread at threads=1 | ")
                        .append(String.format(Locale.ROOT, "%.2f× (%s ÷ %s)", ratio, num(eight.get().callsPerS()),
                                num(one.get().callsPerS()))).append(" | ≥ 1.9× | ").append(met(ratio >= 1.9)).append(" |\n");
                double tail = eight.get().p99() / eight.get().p50();
                t.append("| ").append(w).append(" B=1, 8 request threads, defaults: p99 ÷ p50 | ")
                        .append(String.format(Locale.ROOT, "%.2f× (%s ÷ %s µs)", tail, num(eight.get().p99()), num(eight.get().p50())))
                        .append(" | ≤ 3× | ").append(met(tail <= 3)).append(" |\n");
            }
        }
        // 3. Against DJL at the same request-thread count (DJL's best setting): jvp targets; forward reported.
        TreeSet<Integer> callers = new TreeSet<>();
        rows.forEach(r -> callers.add(r.callers()));
        for (String[] pair : new String[][] {{"jvpPlan", "jvp"}, {"jvp", "jvp"}, {"forward", "forward"}}) {
            for (int c : callers) {
                Optional<Row> tg = find(rows, "tangent", "default", pair[0], 1, c);
                Predicate<Row> djl = r -> r.engine().equals("djl") && r.workload().equals(pair[1]) && r.batch() == 1 && r.callers() == c;
                Optional<Row> fastest = rows.stream().filter(djl).max(Comparator.comparingDouble(Row::callsPerS));
                Optional<Row> tightest = rows.stream().filter(djl).min(Comparator.comparingDouble(Row::p99));
                if (tg.isEmpty() || fastest.isEmpty()) {
                    continue;
                }
                boolean target = !pair[0].equals("forward");
                String what = "Tangent " + pair[0] + " (defaults) vs DJL " + pair[1] + " (best DJL setting), B=1, R=" + c;
                double thr = tg.get().callsPerS() / fastest.get().callsPerS();
                double p99 = tg.get().p99() / tightest.get().p99();
                t.append("| ").append(what).append(": calls/s | ").append(String.format(Locale.ROOT, "%.2f× (%s vs %s, DJL threads=%s)",
                        thr, num(tg.get().callsPerS()), num(fastest.get().callsPerS()), fastest.get().threads()))
                        .append(" | ≥ 2× | ").append(target ? met(thr >= 2) : "reported").append(" |\n");
                t.append("| ").append(what).append(": p99 | ").append(String.format(Locale.ROOT, "%.2f× (%s vs %s µs, DJL threads=%s)",
                        p99, num(tg.get().p99()), num(tightest.get().p99()), tightest.get().threads()))
                        .append(" | ≤ 0.5× | ").append(target ? met(p99 <= 0.5) : "reported").append(" |\n");
            }
        }
        return t.append("\n").toString();
    }

    private static String met(boolean ok) {
        return ok ? "yes" : "**no**";
    }

    private static String pct(double r) {
        return String.format(Locale.ROOT, "%.1f %%", 100 * r);
    }

    private static String num(double x) {
        return Double.isNaN(x) ? "–" : x >= 100 ? String.format(Locale.ROOT, "%,.0f", x) : String.format(Locale.ROOT, "%.1f", x);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length == 0 ? Double.NaN : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /**
     * Four panels, batch 1: jvp calls/s and p99 (top), forward calls/s and p99 (bottom), against
     * request threads (log scale); p99 on a log scale. One line per configuration: colour = engine
     * and thread setting, solid = Tangent's JvpPlan or a forward, dashed = Tangent's eager jvp.
     */
    static void chart(JsonObject doc, Path file) throws IOException {
        List<Row> rows = rows(doc);
        rows.removeIf(r -> r.batch() != 1);
        int panelW = 520, panelH = 300, left = 70, top = 70, gapX = 90, gapY = 80;
        int width = left + 2 * panelW + gapX + 30, height = top + 2 * panelH + gapY + 110;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString("Serving under load: MLP 784-1024-1024-10, batch 1, closed loop (medians over rounds)", 10, 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        JsonObject m = doc.getAsJsonObject("meta");
        g.drawString(m.get("date").getAsString() + ", " + m.get("machine").getAsString() + ", loadavg " + m.get("loadavg_start").getAsString()
                + " → " + m.get("loadavg_end").getAsString() + ", " + m.get("rounds").getAsInt() + " rounds × " + m.get("seconds").getAsDouble() + " s", 10, 36);
        TreeSet<Integer> xs = new TreeSet<>();
        rows.forEach(r -> xs.add(r.callers()));
        String[][] panels = {{"jvp", "calls/s"}, {"jvp", "p99"}, {"forward", "calls/s"}, {"forward", "p99"}};
        for (int p = 0; p < panels.length; p++) {
            int x0 = left + (p % 2) * (panelW + gapX);
            int y0 = top + (p / 2) * (panelH + gapY);
            boolean jvp = panels[p][0].equals("jvp");
            boolean thr = panels[p][1].equals("calls/s");
            List<Row> sel = rows.stream().filter(r -> jvp ? r.workload().startsWith("jvp") : r.workload().equals("forward")).toList();
            panel(g, sel, xs, x0, y0, panelW, panelH, thr, (jvp ? "jvp" : "forward") + (thr ? ": calls/s (higher is better)"
                    : ": p99 latency, log scale (lower is better)"));
        }
        int ly = top + 2 * panelH + gapY + 50;
        int lx = left;
        for (String[] k : legend()) {
            g.setColor(color(k[0], k[1]));
            g.setStroke(stroke(k[0].equals("tangent") ? k[2] : "djl"));
            g.drawLine(lx, ly, lx + 30, ly);
            g.setColor(Color.BLACK);
            String text = label(k[0], k[1], k[2]);
            g.drawString(text, lx + 36, ly + 4);
            lx += 50 + g.getFontMetrics().stringWidth(text);
            if (lx > width - 220) {
                lx = left;
                ly += 18;
            }
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static List<String[]> legend() {
        List<String[]> l = new ArrayList<>();
        for (String t : List.of("default", "1", "2")) {
            l.add(new String[] {"tangent", t, "jvpPlan"});
            l.add(new String[] {"tangent", t, "jvp"});
        }
        for (String t : List.of("default", "1")) {
            l.add(new String[] {"djl", t, "jvp"});
        }
        return l;
    }

    private static String label(String engine, String threads, String workload) {
        String w = engine.equals("tangent") ? (workload.equals("jvp") ? "eager jvp" : "JvpPlan / forward") : "jvp by hand / Predictor forward";
        return (engine.equals("tangent") ? "Tangent" : "DJL") + " threads=" + threads + ", " + w;
    }

    private static Color color(String engine, String threads) {
        if (engine.equals("djl")) {
            return threads.equals("default") ? new Color(31, 90, 200) : new Color(120, 170, 235);
        }
        return switch (threads) {
            case "default" -> new Color(230, 110, 20);
            case "1" -> new Color(40, 150, 60);
            default -> new Color(150, 60, 170);
        };
    }

    private static Stroke stroke(String workload) {
        return workload.equals("jvp") ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {7f, 5f}, 0f)
                : new BasicStroke(2.2f);
    }

    private static void panel(Graphics2D g, List<Row> rows, TreeSet<Integer> xs, int x0, int y0, int w, int h, boolean thr, String title) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
        g.drawString(title, x0, y0 - 8);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        double max = rows.stream().mapToDouble(r -> thr ? r.callsPerS() : r.p99()).filter(d -> !Double.isNaN(d)).max().orElse(1);
        double min = rows.stream().mapToDouble(r -> thr ? r.callsPerS() : r.p99()).filter(d -> d > 0).min().orElse(1);
        double lo = thr ? 0 : Math.pow(10, Math.floor(Math.log10(min)));
        double hi = thr ? niceCeil(max * 1.05) : Math.pow(10, Math.ceil(Math.log10(max)));
        if (!thr && hi <= lo) {
            hi = lo * 10;
        }
        List<Integer> xl = new ArrayList<>(xs);
        double xLo = Math.log(xl.get(0)), xHi = Math.log(xl.get(xl.size() - 1));
        final double fLo = lo, fHi = hi;
        java.util.function.IntUnaryOperator px = c -> x0 + (xHi == xLo ? w / 2 : (int) Math.round((Math.log(c) - xLo) / (xHi - xLo) * w));
        java.util.function.DoubleToIntFunction py = v -> thr ? y0 + h - (int) Math.round(v / fHi * h)
                : y0 + h - (int) Math.round((Math.log10(v) - Math.log10(fLo)) / (Math.log10(fHi) - Math.log10(fLo)) * h);
        g.setColor(new Color(225, 225, 225));
        if (thr) {
            for (int i = 0; i <= 5; i++) {
                double v = hi * i / 5;
                int y = py.applyAsInt(v);
                g.setColor(new Color(225, 225, 225));
                g.drawLine(x0, y, x0 + w, y);
                g.setColor(Color.DARK_GRAY);
                g.drawString(num(v), x0 - 8 - g.getFontMetrics().stringWidth(num(v)), y + 4);
            }
        } else {
            for (double v = lo; v <= hi * 1.001; v *= 10) {
                int y = py.applyAsInt(v);
                g.setColor(new Color(225, 225, 225));
                g.drawLine(x0, y, x0 + w, y);
                g.setColor(Color.DARK_GRAY);
                String s = v >= 1e6 ? String.format(Locale.ROOT, "%.0f s", v / 1e6) : v >= 1000 ? String.format(Locale.ROOT, "%.0f ms", v / 1000)
                        : String.format(Locale.ROOT, "%.0f µs", v);
                g.drawString(s, x0 - 8 - g.getFontMetrics().stringWidth(s), y + 4);
            }
        }
        for (int c : xl) {
            int x = px.applyAsInt(c);
            g.setColor(new Color(225, 225, 225));
            g.drawLine(x, y0, x, y0 + h);
            g.setColor(Color.DARK_GRAY);
            g.drawString(Integer.toString(c), x - 4, y0 + h + 14);
        }
        g.drawString("request threads", x0 + w / 2 - 40, y0 + h + 30);
        g.setColor(Color.BLACK);
        g.drawRect(x0, y0, w, h);
        Map<String, List<Row>> lines = new LinkedHashMap<>();
        for (Row r : rows) {
            lines.computeIfAbsent(r.engine() + "|" + r.threads() + "|" + r.workload(), k -> new ArrayList<>()).add(r);
        }
        for (List<Row> line : lines.values()) {
            line.sort(Comparator.comparingInt(Row::callers));
            Row f = line.get(0);
            g.setColor(color(f.engine(), f.threads()));
            g.setStroke(stroke(f.engine().equals("tangent") ? f.workload() : "djl"));
            int[] lx = new int[line.size()];
            int[] ly = new int[line.size()];
            for (int i = 0; i < line.size(); i++) {
                lx[i] = px.applyAsInt(line.get(i).callers());
                ly[i] = py.applyAsInt(thr ? line.get(i).callsPerS() : Math.max(lo, line.get(i).p99()));
                g.fillOval(lx[i] - 3, ly[i] - 3, 6, 6);
            }
            g.drawPolyline(lx, ly, line.size());
            g.setStroke(new BasicStroke(1f));
        }
    }

    private static double niceCeil(double v) {
        double e = Math.pow(10, Math.floor(Math.log10(v)));
        for (double s : new double[] {1, 2, 2.5, 5, 10}) {
            if (s * e >= v) {
                return s * e;
            }
        }
        return 10 * e;
    }
}
