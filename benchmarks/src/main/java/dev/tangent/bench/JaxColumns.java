package dev.tangent.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * JAX's side of RESULTS.md: reads {@code benchmarks/target/jax.json} (written by
 * {@code benchmarks/jax/bench_jax.py}, or by {@code setup-venv.sh} as {@code {"status": "unavailable",
 * "error": ...}} when JAX could not be installed) and gives {@link Report} the "× JAX" columns, the JAX
 * rows of each workload's table, the chart's JAX bars and the targets against JAX (issue 19). JAX rows
 * pair with JMH rows by workload, batch and threads; a JAX row whose outputs differed from Java's by
 * more than bench_jax.py's tolerance is shown but never used in a ratio or a target.
 */
final class JaxColumns {
    /** One bench_jax.py row: mode is {@code forward} or {@code jvp} (jit(jvp)). */
    record JaxRow(String workload, String batch, String mode, String threads, double median, double p90, long samples,
                  double err, boolean ok, String cpus, String activeThreads) {
        String key() {
            return workload + "|" + batch + "|" + threads;
        }
    }

    /** A chart bar: a JAX row's median over the DJL reference Tangent's row of the same kind is drawn against. */
    record Bar(String text, double ratio) {}

    private final String status;
    private final String error;
    private final String versions;
    private final List<String> runs = new ArrayList<>();
    private final List<JaxRow> rows = new ArrayList<>();

    private JaxColumns(String status, String error, String versions) {
        this.status = status;
        this.error = error;
        this.versions = versions;
    }

    static JaxColumns load(Path file) {
        if (!Files.exists(file)) {
            return new JaxColumns("absent", "no " + file + " (none of the run's workloads has a JAX version, or run-bench.sh did not make this run)", "");
        }
        JsonObject doc;
        try {
            doc = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            return new JaxColumns("unreadable", file + " unreadable: " + e.getMessage(), "");
        }
        String status = str(doc, "status", "ok");
        if (!status.equals("ok")) {
            return new JaxColumns(status, str(doc, "error", "no reason given"), "");
        }
        JaxColumns j = new JaxColumns(status, "", "jax " + str(doc, "jax", "?") + ", jaxlib " + str(doc, "jaxlib", "?")
                + ", Python " + str(doc, "python", "?"));
        if (doc.has("runs")) {
            for (JsonElement e : doc.getAsJsonArray("runs")) {
                JsonObject r = e.getAsJsonObject();
                j.runs.add("threads=" + str(r, "threads", "?") + " on cores " + str(r, "cpus", "?")
                        + (str(r, "xla_flags", "").isEmpty() ? "" : ", XLA_FLAGS=" + str(r, "xla_flags", ""))
                        + ", load average " + str(r, "loadavg_start", "?") + " → " + str(r, "loadavg_end", "?"));
            }
        }
        for (JsonElement e : doc.getAsJsonArray("rows")) {
            JsonObject r = e.getAsJsonObject();
            j.rows.add(new JaxRow(str(r, "workload", "?"), str(r, "batch", "-"), str(r, "mode", "?"), str(r, "threads", "?"),
                    r.get("median_us").getAsDouble(), r.get("p90_us").getAsDouble(), r.get("samples").getAsLong(),
                    r.get("max_rel_err").getAsDouble(), str(r, "check", "").equals("ok"), str(r, "cpus", "?"),
                    str(r, "busy_threads", "?")));
        }
        return j;
    }

    private static String str(JsonObject o, String name, String otherwise) {
        if (!o.has(name) || o.get(name).isJsonNull()) {
            return otherwise;
        }
        JsonElement e = o.get(name);
        return e.isJsonPrimitive() ? e.getAsString() : e.toString();
    }

    boolean present() {
        return !rows.isEmpty();
    }

    /** Why there are no JAX figures, for the report (empty when there are). */
    String absence() {
        return present() ? "" : switch (status) {
            case "unavailable" -> "JAX unavailable: " + error;
            case "skipped" -> "JAX skipped: " + error;
            case "ok" -> "JAX ran but produced no rows";
            default -> "JAX not run: " + error;
        };
    }

    /** A checked JAX row of this key and mode (forward or jvp). */
    Optional<JaxRow> find(String key, String mode) {
        return rows.stream().filter(r -> r.ok() && r.key().equals(key) && r.mode().equals(mode)).findFirst();
    }

    private Stream<JaxRow> rowsOf(String key) {
        return rows.stream().filter(r -> r.key().equals(key)).sorted(Comparator.comparing(JaxRow::mode));
    }

    /** Bullet lines under RESULTS.md's heading: versions, pinning, load, or why JAX is missing. */
    String headerLines() {
        if (!present()) {
            return "- **" + absence() + "** — no JAX rows in this run, so no JAX target is met.\n";
        }
        StringBuilder s = new StringBuilder("- JAX: ").append(versions).append("; `jax.jit(f)` and `jax.jit(jvp)` on the "
                + "weights, inputs and tangents the JMH benchmarks use (JaxExport → benchmarks/target/jax-data), outputs "
                + "checked against Java's (normwise max |a − b| / max |b| ≤ 1e-4; ResNet-18's tangent ≤ 5e-3, see "
                + "benchmarks/README.md); each call timed on its own after warm-up, `block_until_ready`, median and p90 "
                + "in µs. Runs: ");
        s.append(String.join("; ", runs)).append(".\n");
        long failed = rows.stream().filter(r -> !r.ok()).count();
        if (failed > 0) {
            s.append("- ⚠ ").append(failed).append(" JAX row(s) differ from Java's outputs by more than their tolerance: shown, "
                    + "but left out of every ratio and target.\n");
        }
        s.append("- `× JAX fwd` = median / JAX `jit(f)` median; `× JAX jvp` = median / JAX `jit(jvp)` median "
                + "(same workload, batch, threads).\n");
        return s.toString();
    }

    String headerCells() {
        return " × JAX fwd | × JAX jvp |";
    }

    String separatorCells() {
        return "---:|---:|";
    }

    /** The two ratio cells of a JMH row. */
    String cells(Report.Row r) {
        String fwd = find(r.key(), "forward").map(j -> Report.ratio(r.median() / j.median())).orElse("");
        String jvp = r.isJvp() ? find(r.key(), "jvp").map(j -> Report.ratio(r.median() / j.median())).orElse("") : "";
        return " " + fwd + " | " + jvp + " |";
    }

    /** JAX's rows of one key, in the columns of Report's workload tables. */
    String tableRows(List<Report.Row> jmh, String key) {
        StringBuilder s = new StringBuilder();
        rowsOf(key).forEach(j -> {
            boolean jvp = j.mode().equals("jvp");
            double m = j.median();
            String djlFwd = Report.find(jmh, key, "djlForward").map(f -> Report.ratio(m / f.median())).orElse("");
            String djlJvp = jvp ? Report.bestDjlJvp(jmh, key).map(b -> Report.ratio(m / b.median())).orElse("") : "";
            String jaxFwd = j.ok() ? find(key, "forward").map(f -> Report.ratio(m / f.median())).orElse("") : "";
            String jaxJvp = j.ok() && jvp ? "1.00×" : "";
            s.append("| `jax.jit(").append(jvp ? "jvp" : "f").append(")` | ").append(j.batch()).append(" | ").append(j.threads())
                    .append(" | ").append(Report.time(m)).append(" | ").append(Report.time(j.p90()))
                    .append(j.p90() > 3 * m ? " ⚠" : "").append(" | ").append(j.samples()).append(" | ").append(djlFwd)
                    .append(" | ").append(djlJvp).append(" | ").append(jaxFwd).append(" | ").append(jaxJvp).append(" | ")
                    .append(j.ok() ? "JAX; output err " : "**JAX output differs from Java's: err ")
                    .append(String.format("%.1e", j.err())).append(j.ok() ? "" : "** (not used)")
                    .append("; cores ").append(j.cpus()).append(", ").append(j.activeThreads()).append(" active thread(s) |\n");
        });
        return s.toString();
    }

    /** The chart's JAX bars of one key: jit(f) / djlForward, jit(jvp) / fastest djlJvp* (Tangent's references). */
    List<Bar> chartBars(List<Report.Row> jmh, String key, String where) {
        List<Bar> bars = new ArrayList<>();
        find(key, "forward").ifPresent(j -> Report.find(jmh, key, "djlForward")
                .ifPresent(f -> bars.add(new Bar(where + "jax.jit(f) / djlForward", j.median() / f.median()))));
        find(key, "jvp").ifPresent(j -> Report.bestDjlJvp(jmh, key)
                .ifPresent(b -> bars.add(new Bar(where + "jax.jit(jvp) / " + b.variant(), j.median() / b.median()))));
        return bars;
    }

    /** Issue 19's targets against JAX (and DJL where it names the faster of both), from this run. */
    String targets(List<Report.Row> jmh) {
        StringBuilder t = new StringBuilder("## Targets against JAX `jit` (issue 19, from this run)\n\n");
        if (!present()) {
            t.append(absence()).append(": every target below is unmet.\n\n");
        }
        t.append("| target | threads | measured | limit | met |\n|---|---:|---:|---:|---|\n");
        for (String threads : List.of("1", "2")) {
            for (String batch : List.of("1", "64", "1024")) {
                String key = "mlp|" + batch + "|" + threads;
                double factor = batch.equals("1") ? 0.6 : 0.95;
                Report.bestTangentJvp(jmh, key).ifPresent(j -> versus(t, "MLP B=" + batch + " jvp (" + j.variant() + ") ≤ "
                        + factor + "× JAX jit(jvp)", threads, j.median(), factor, find(key, "jvp")));
                Report.find(jmh, key, "tangentForward").ifPresent(f -> versus(t, "MLP B=" + batch + " forward ≤ JAX forward",
                        threads, f.median(), 1, find(key, "forward")));
            }
            String ew = "elementwise|-|" + threads;
            Report.bestTangentJvp(jmh, ew).ifPresent(j -> faster(t, "element-wise 2^20 jvp (" + j.variant() + ") ≤ 0.7× the faster of "
                    + "JAX jit(jvp) and the best DJL jvp", threads, j.median(), 0.7, find(ew, "jvp"), Report.bestDjlJvp(jmh, ew)));
            Report.find(jmh, ew, "tangentForward").ifPresent(f -> faster(t, "element-wise 2^20 forward ≤ the faster of JAX's "
                    + "and DJL's forward", threads, f.median(), 1, find(ew, "forward"), Report.find(jmh, ew, "djlForward")));
            String seed = "seed|-|" + threads;
            Report.find(jmh, seed, "tangentJvpPlan").ifPresent(j -> versus(t, "seed plan jvp (tangentJvpPlan) ≤ 0.12× JAX jit(jvp)",
                    threads, j.median(), 0.12, find(seed, "jvp")));
            Report.find(jmh, seed, "tangentJvp").ifPresent(j -> versus(t, "seed eager jvp (tangentJvp) ≤ 0.25× JAX jit(jvp)",
                    threads, j.median(), 0.25, find(seed, "jvp")));
        }
        return t.append("\n").toString();
    }

    private void versus(StringBuilder t, String what, String threads, double measured, double factor, Optional<JaxRow> jax) {
        if (jax.isPresent()) {
            Report.target(t, what, threads, measured, factor * jax.get().median(), "µs");
        } else {
            unmet(t, what, threads, measured);
        }
    }

    /** Limit = factor × the faster of JAX's row and DJL's (both needed: a run without JAX meets no JAX target). */
    private void faster(StringBuilder t, String what, String threads, double measured, double factor, Optional<JaxRow> jax,
                        Optional<Report.Row> djl) {
        if (jax.isEmpty()) {
            unmet(t, what, threads, measured);
        } else if (djl.isEmpty()) {
            t.append("| ").append(what).append(" | ").append(threads).append(" | ").append(Report.time(measured))
                    .append(" µs | DJL row not in this run |  | not measured |\n");
        } else {
            boolean jaxFaster = jax.get().median() <= djl.get().median();
            double limit = factor * Math.min(jax.get().median(), djl.get().median());
            Report.target(t, what + " (here " + (jaxFaster ? "JAX" : "DJL " + djl.get().variant()) + ")", threads, measured, limit, "µs");
        }
    }

    private void unmet(StringBuilder t, String what, String threads, double measured) {
        long failed = rows.stream().filter(r -> !r.ok()).count();
        String why = !present() ? "no JAX rows (see above)" : failed > 0 ? "no checked JAX row (output check failed or not run)" : "no JAX row in this run";
        t.append("| ").append(what).append(" | ").append(threads).append(" | ").append(Report.time(measured))
                .append(" µs | ").append(why).append(" | no (not measured) |\n");
    }
}
