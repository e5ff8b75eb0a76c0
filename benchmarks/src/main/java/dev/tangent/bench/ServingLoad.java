package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One serving configuration in its own JVM: a closed loop of R request threads (each issues its
 * next call when the last returns) on the batch-1 MLP 784-1024-1024-10, for a fixed time after a
 * warm-up, printing one line per request-thread count: calls/s and latency percentiles.
 *
 * <pre>
 * java ... dev.tangent.bench.ServingLoad tangent|djl &lt;threads: default|1|2&gt; &lt;jvpPlan|jvp|forward&gt; &lt;seconds&gt; 1,2,4,8,32
 * </pre>
 * Tangent "default" leaves the thread count adaptive (per-kernel size and a process-wide budget);
 * a number fixes every kernel's team. DJL's PyTorch engine starts with that many intra-op threads
 * (default: the cores), forward and by-hand jvp (the suite's best DJL jvp) each freeing its
 * temporaries (NDScope) per call.
 */
public final class ServingLoad {
    private ServingLoad() {}

    /** One call of the workload on the calling thread. */
    private interface Call {
        void run();
    }

    /** Makes each request thread's call (own inputs, own state). */
    private interface Workload {
        Call perThread(int thread);
    }

    public static void main(String[] args) throws Exception {
        String engine = args[0];
        String threads = args[1];
        String workload = args[2];
        double seconds = Double.parseDouble(args[3]);
        int[] callers = Arrays.stream(args[4].split(",")).mapToInt(Integer::parseInt).toArray();
        Workload w = engine.equals("tangent") ? tangent(threads, workload) : djl(threads, workload);
        for (int r : callers) {
            run(w, r, Math.min(1.0, seconds / 2), false);
            double[] res = run(w, r, seconds, true);
            System.out.printf(Locale.ROOT, "SERVING engine=%s threads=%s workload=%s callers=%d calls_per_s=%.1f"
                    + " p50_us=%.1f p99_us=%.1f p999_us=%.1f calls=%d%n", engine, threads, workload, r, res[0], res[1],
                    res[2], res[3], (long) res[4]);
        }
        System.exit(0);
    }

    private static Workload tangent(String threads, String workload) {
        if (!threads.equals("default")) {
            Tangent.setNumThreads(Integer.parseInt(threads));
        }
        TangentMlp mlp = new TangentMlp(7);
        Tensor example = Tensor.randn(1, 1, DjlMlp.IN);
        JvpPlan<Tensor, Tensor> plan = workload.equals("jvpPlan") ? JvpPlan.compile(mlp::forward, example) : null;
        return t -> {
            Tensor x = Tensor.randn(100 + t, 1, DjlMlp.IN);
            Tensor v = Tensor.randn(200 + t, 1, DjlMlp.IN);
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

    private static Workload djl(String threads, String workload) {
        Engine engine = DjlRuntime.start(threads.equals("default") ? Runtime.getRuntime().availableProcessors()
                : Integer.parseInt(threads));
        NDManager root = NDManager.newBaseManager(DjlRuntime.ENGINE);
        DjlMlp mlp = new DjlMlp(engine, root, 7);
        return t -> {
            NDArray x = DjlRuntime.gaussian(root, 100 + t, 1f, 1, DjlMlp.IN);
            NDArray v = DjlRuntime.gaussian(root, 200 + t, 1f, 1, DjlMlp.IN);
            return () -> {
                try (NDScope ignored = new NDScope()) {
                    if (workload.equals("forward")) {
                        mlp.forward(x);
                    } else {
                        mlp.jvpByHand(x, v);
                    }
                }
            };
        };
    }

    /** {calls/s, p50, p99, p99.9 (µs), calls}. */
    private static double[] run(Workload w, int callers, double seconds, boolean measure) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch ready = new CountDownLatch(callers);
        CountDownLatch go = new CountDownLatch(1);
        List<long[]> lat = new ArrayList<>();
        int[] counts = new int[callers];
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            int id = i;
            long[] samples = new long[1 << 20];
            lat.add(samples);
            Thread th = new Thread(() -> {
                Call c = w.perThread(id);
                c.run();
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                int n = 0;
                while (!stop.get()) {
                    long t0 = System.nanoTime();
                    c.run();
                    long d = System.nanoTime() - t0;
                    if (n < samples.length) {
                        samples[n] = d;
                    }
                    n++;
                }
                counts[id] = n;
            });
            th.start();
            ts.add(th);
        }
        ready.await();
        long start = System.nanoTime();
        go.countDown();
        Thread.sleep((long) (seconds * 1000));
        stop.set(true);
        for (Thread th : ts) {
            th.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long total = 0;
        int kept = 0;
        for (int i = 0; i < callers; i++) {
            total += counts[i];
            kept += Math.min(counts[i], lat.get(i).length);
        }
        long[] all = new long[kept];
        int at = 0;
        for (int i = 0; i < callers; i++) {
            int k = Math.min(counts[i], lat.get(i).length);
            System.arraycopy(lat.get(i), 0, all, at, k);
            at += k;
        }
        Arrays.sort(all);
        return new double[] {total / elapsed, pct(all, 0.5), pct(all, 0.99), pct(all, 0.999), total};
    }

    private static double pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))] / 1e3;
    }
}
