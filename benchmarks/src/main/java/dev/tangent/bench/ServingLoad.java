package dev.tangent.bench;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.LambdaBlock;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.backend.ThreadBudget;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One serving configuration in its own JVM: a closed loop of R request threads (each issues its
 * next call when the last returns) on the MLP 784-1024-1024-10 (batch 1 unless given), for a fixed
 * time after a warm-up (2 s before the first request-thread count, 1 s before the others), printing one {@code SERVING} line per request-thread count: calls/s,
 * latency percentiles, process CPU time per call and the request threads' context switches per
 * call. {@link ServingReport} runs it once per configuration and round.
 *
 * <pre>
 * java ... dev.tangent.bench.ServingLoad tangent|djl &lt;threads: default|1|2&gt; &lt;jvpPlan|jvp|forward&gt; &lt;seconds&gt; 1,2,4,8,32 [batch]
 * </pre>
 * Tangent "default" leaves the thread count adaptive (per-kernel size and a process-wide budget);
 * a number fixes every kernel's team ({@code Tangent.setNumThreads}). Tangent's jvp is
 * {@code Functional.jvp} (eager forward mode) or a compiled {@code JvpPlan} (one per process,
 * an instance per thread), its forward the eager MLP, both inside a {@code Scope} per call.
 * DJL's PyTorch engine starts with that many intra-op threads ("default": the cores, PyTorch's own
 * default); its forward goes through one {@code Predictor} per request thread (a {@code Model}
 * whose block is the MLP, {@code NoopTranslator} over {@code NDList}); its jvp is the suite's
 * by-hand forward-mode jvp (its fastest, see DjlMlpBench), inputs in one {@code NDManager} per
 * request thread; every call frees its temporaries (NDScope). Inputs are the same seeded draws in
 * both engines.
 */
public final class ServingLoad {
    private ServingLoad() {}

    /** One call of the workload on the calling thread. */
    private interface Call {
        void run() throws Exception;

        /** Frees the thread's state (its inputs, its Predictor). */
        default void close() {}
    }

    /** Makes each request thread's call (own inputs, own state). */
    private interface Workload {
        Call perThread(int thread) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: ServingLoad tangent|djl default|<n> jvpPlan|jvp|forward <seconds> <callers,...> [batch]");
            System.exit(2);
        }
        String engine = args[0];
        String threads = args[1];
        String workload = args[2];
        double seconds = Double.parseDouble(args[3]);
        int[] callers = Arrays.stream(args[4].split(",")).mapToInt(Integer::parseInt).toArray();
        int batch = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        Workload w = switch (engine) {
            case "tangent" -> tangent(threads, workload, batch);
            case "djl" -> djl(threads, workload, batch);
            default -> throw new IllegalArgumentException("ServingLoad: engine must be tangent or djl, got " + engine);
        };
        boolean first = true;
        for (int r : callers) {
            run(w, r, first ? 2.0 : 1.0);   // warm-up (the first longer: the JIT is still compiling)
            first = false;
            double[] res = run(w, r, seconds);
            System.out.printf(Locale.ROOT, "SERVING engine=%s threads=%s workload=%s batch=%d callers=%d calls_per_s=%.1f"
                    + " p50_us=%.1f p99_us=%.1f p999_us=%.1f calls=%d cpu_us_per_call=%.1f ctxsw_per_call=%.2f"
                    + " slot_kernels_per_call=%.2f slot_waits_per_call=%.2f slot_wait_us_per_call=%.1f"
                    + " borrowing_kernels_per_call=%.2f placed_wakeups_per_call=%.2f%n", engine, threads, workload, batch, r,
                    res[0], res[1], res[2], res[3], (long) res[4], res[5], res[6], res[7], res[8], res[9], res[10], res[11]);
        }
        System.exit(0);
    }

    private static Workload tangent(String threads, String workload, int batch) {
        if (threads.equals("default")) {
            Tangent.adaptiveThreads();
        } else {
            Tangent.setNumThreads(Integer.parseInt(threads));
        }
        TangentMlp mlp = new TangentMlp(7);
        JvpPlan<Tensor, Tensor> plan = workload.equals("jvpPlan")
                ? JvpPlan.compile(mlp::forward, TangentMlp.gaussian(1, 1f, batch, DjlMlp.IN)) : null;
        if (!List.of("jvpPlan", "jvp", "forward").contains(workload)) {
            throw new IllegalArgumentException("ServingLoad: workload must be jvpPlan, jvp or forward, got " + workload);
        }
        return t -> {
            Tensor x = TangentMlp.gaussian(100 + t, 1f, batch, DjlMlp.IN);
            Tensor v = TangentMlp.gaussian(200 + t, 1f, batch, DjlMlp.IN);
            return switch (workload) {
                case "jvpPlan" -> () -> plan.apply(x, v);
                case "jvp" -> () -> {
                    try (Scope s = Scope.open()) {
                        Functional.jvp(mlp::forward, x, v);
                    }
                };
                default -> () -> {
                    try (Scope s = Scope.open()) {
                        mlp.forward(x);
                    }
                };
            };
        };
    }

    private static Workload djl(String threads, String workload, int batch) throws TranslateException {
        Engine engine = DjlRuntime.start(threads.equals("default") ? Runtime.getRuntime().availableProcessors()
                : Integer.parseInt(threads));
        NDManager root = NDManager.newBaseManager(DjlRuntime.ENGINE);
        DjlMlp mlp = new DjlMlp(engine, root, 7);
        if (workload.equals("forward")) {
            Model model = Model.newInstance("mlp", ai.djl.Device.cpu(), DjlRuntime.ENGINE);
            model.setBlock(new LambdaBlock(in -> new NDList(mlp.forward(in.singletonOrThrow()))));
            checkPredictor(model, mlp, root, batch);
            return t -> {
                NDManager mine = root.newSubManager();
                NDList x = new NDList(DjlRuntime.gaussian(mine, 100 + t, 1f, batch, DjlMlp.IN));
                Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
                return new Call() {
                    @Override
                    public void run() throws TranslateException {
                        try (NDScope ignored = new NDScope()) {
                            predictor.predict(x);
                        }
                    }

                    @Override
                    public void close() {
                        predictor.close();
                        mine.close();
                    }
                };
            };
        }
        if (!workload.equals("jvp")) {
            throw new IllegalArgumentException("ServingLoad: DJL workloads are jvp (by hand) and forward, got " + workload);
        }
        return t -> {
            NDManager mine = root.newSubManager();
            NDArray x = DjlRuntime.gaussian(mine, 100 + t, 1f, batch, DjlMlp.IN);
            NDArray v = DjlRuntime.gaussian(mine, 200 + t, 1f, batch, DjlMlp.IN);
            return new Call() {
                @Override
                public void run() {
                    try (NDScope ignored = new NDScope()) {
                        mlp.jvpByHand(x, v);
                    }
                }

                @Override
                public void close() {
                    mine.close();
                }
            };
        };
    }

    /** The Predictor computes exactly the MLP's forward (else the run would time something else). */
    private static void checkPredictor(Model model, DjlMlp mlp, NDManager root, int batch) throws TranslateException {
        try (NDManager m = root.newSubManager(); Predictor<NDList, NDList> p = model.newPredictor(new NoopTranslator())) {
            NDArray x = DjlRuntime.gaussian(m, 5, 1f, batch, DjlMlp.IN);
            float[] viaPredictor = p.predict(new NDList(x)).singletonOrThrow().toFloatArray();
            float[] direct = mlp.forward(x).toFloatArray();
            if (!Arrays.equals(viaPredictor, direct)) {
                throw new IllegalStateException("ServingLoad: DJL Predictor output differs from the MLP's forward");
            }
        }
    }

    /**
     * {calls/s, p50, p99, p99.9 (µs), calls, process CPU µs per call, request-thread context switches
     * per call, then per call: Tangent kernels that took a core slot, of those the ones that waited,
     * µs waited}.
     */
    private static double[] run(Workload w, int callers, double seconds) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch ready = new CountDownLatch(callers);
        CountDownLatch go = new CountDownLatch(1);
        long[][] lat = new long[callers][];
        int[] counts = new int[callers];
        long[] switches = new long[callers];
        Throwable[] failure = new Throwable[1];
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            int id = i;
            Thread th = new Thread(() -> {
                try {
                    Call c = w.perThread(id);
                    c.run();
                    ready.countDown();
                    go.await();
                    long[] samples = new long[4096];
                    long sw0 = contextSwitches();
                    int n = 0;
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        c.run();
                        long d = System.nanoTime() - t0;
                        if (n == samples.length) {
                            samples = Arrays.copyOf(samples, 2 * n);
                        }
                        samples[n++] = d;
                    }
                    switches[id] = contextSwitches() - sw0;
                    lat[id] = samples;
                    counts[id] = n;
                    c.close();
                } catch (Throwable e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                    ready.countDown();
                }
            }, "request-" + i);
            th.setDaemon(true);   // a failure in the driver must not leave the JVM waiting on them
            th.start();
            ts.add(th);
        }
        ready.await();
        if (failure[0] != null) {
            throw new IllegalStateException("ServingLoad: a request thread failed", failure[0]);
        }
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long[] slots0 = ThreadBudget.slotStats();
        long start = System.nanoTime();
        go.countDown();
        Thread.sleep((long) (seconds * 1000));
        stop.set(true);
        for (Thread th : ts) {
            th.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long cpu = os.getProcessCpuTime() - cpu0;
        long[] slots = ThreadBudget.slotStats();
        if (failure[0] != null) {
            throw new IllegalStateException("ServingLoad: a request thread failed", failure[0]);
        }
        long total = 0;
        long sw = 0;
        for (int i = 0; i < callers; i++) {
            total += counts[i];
            sw += switches[i];
        }
        long[] all = new long[Math.toIntExact(total)];
        int at = 0;
        for (int i = 0; i < callers; i++) {
            System.arraycopy(lat[i], 0, all, at, counts[i]);
            at += counts[i];
        }
        Arrays.sort(all);
        double perCall = Math.max(1, total);
        return new double[] {total / elapsed, pct(all, 0.5), pct(all, 0.99), pct(all, 0.999), total, cpu / 1e3 / perCall,
            sw / perCall, (slots[0] - slots0[0]) / perCall, (slots[1] - slots0[1]) / perCall, (slots[2] - slots0[2]) / 1e3 / perCall,
            (slots[3] - slots0[3]) / perCall, (slots[4] - slots0[4]) / perCall};
    }

    /** Voluntary plus involuntary context switches of the calling thread so far (0 where /proc is missing). */
    private static long contextSwitches() {
        try {
            long n = 0;
            for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
                if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                    n += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
            return n;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static double pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))] / 1e3;
    }
}
