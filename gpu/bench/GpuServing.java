import dev.tangent.Device;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import dev.tangent.backend.cuda.CudaBackend;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Serving on one GPU (issue 15, item 4): R request threads share one MLP 784-1024-1024-10 (tanh)
 * on the device and each issues batch-1 jvps in a closed loop (the next call when the last one
 * returned), every call ended by a synchronize of the calling thread's own stream (Tangent gives
 * each thread its own). Modes: a compiled {@code JvpPlan} (one per process; an instance per
 * thread, with the plan's defaults) and the eager {@code Functional.jvp} in a scope per call. For
 * R = 1, 2, 4, 8, 32: calls/s and p50/p99/p99.9 latency over {@code seconds} after a warm-up.
 * Usage: {@code GpuServing [out.tsv] [seconds] [--cpu]}; {@code --cpu} runs the same loop on the
 * CPU backend (to check the harness where no GPU is).
 */
public final class GpuServing {
    private static final int[] CALLERS = {1, 2, 4, 8, 32};

    public static void main(String[] args) throws Exception {
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        boolean cpu = rest.remove("--cpu");
        Path out = Path.of(rest.size() > 0 ? rest.get(0) : "serving.tsv");
        double seconds = rest.size() > 1 ? Double.parseDouble(rest.get(1)) : 2.0;
        Device dev;
        Runnable sync;
        if (cpu) {
            dev = Device.cpu();
            sync = () -> {};
        } else {
            if (!Device.cudaAvailable()) {
                System.out.println("CUDA unavailable: " + Device.cudaUnavailableReason());
                System.exit(2);
            }
            dev = Device.cuda(0);
            CudaBackend be = (CudaBackend) Backends.of(dev);
            System.out.println("device: " + be);
            sync = be::synchronize;
        }
        Function<Tensor, Tensor> mlp = GpuMlp.on(dev);
        JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(mlp, Tensor.randn(7, 1, 784).to(dev));

        List<String> rows = new ArrayList<>();
        System.out.printf(Locale.ROOT, "%-6s %4s %10s %10s %10s %10s%n", "mode", "R", "calls/s", "p50 us", "p99 us", "p99.9 us");
        for (String mode : new String[] {"plan", "eager"}) {
            for (int r : CALLERS) {
                String row;
                try {
                    double[] res = run(r, seconds, t -> {
                        Tensor x = Tensor.randn(100 + t, 1, 784).to(dev);
                        Tensor v = Tensor.randn(200 + t, 1, 784).to(dev);
                        return mode.equals("plan")
                                ? () -> {
                                    plan.apply(x, v);
                                    sync.run();
                                }
                                : () -> {
                                    try (Scope s = Scope.open()) {
                                        Functional.jvp(mlp, x, v);
                                        sync.run();
                                    }
                                };
                    });
                    row = String.format(Locale.ROOT, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f", mode, r, res[0], res[1], res[2], res[3]);
                    System.out.printf(Locale.ROOT, "%-6s %4d %10.1f %10.1f %10.1f %10.1f%n", mode, r, res[0], res[1], res[2], res[3]);
                } catch (RuntimeException | InterruptedException e) {
                    row = mode + "\t" + r + "\tFAILED\t" + e;
                    System.out.println(mode + " R=" + r + " FAILED: " + e);
                    e.printStackTrace(System.out);
                }
                rows.add(row);
            }
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out))) {
            w.println("mode\trequest_threads\tcalls_per_s\tp50_us\tp99_us\tp999_us");
            rows.forEach(w::println);
        }
        System.out.println("wrote " + out);
        System.exit(0);
    }

    /** What request thread t runs per call. */
    interface Caller {
        Runnable make(int t);
    }

    /**
     * R threads in a closed loop: a warm-up of {@code max(1, seconds / 2)} s, then {@code seconds}
     * measured; returns {calls/s, p50, p99, p99.9 (µs)}.
     */
    private static double[] run(int r, double seconds, Caller caller) throws InterruptedException {
        Runnable[] calls = new Runnable[r];
        for (int t = 0; t < r; t++) {
            calls[t] = caller.make(t);
        }
        long[][] lat = new long[r][];
        int[] counts = new int[r];
        Throwable[] failure = new Throwable[1];
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(r);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < r; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                long[] mine = new long[1 << 16];
                int n = 0;
                try {
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        calls[id].run();
                        long dt = System.nanoTime() - t0;
                        if (measuring.get()) {
                            if (n == mine.length) {
                                mine = Arrays.copyOf(mine, n * 2);
                            }
                            mine[n++] = dt;
                        }
                    }
                } catch (Throwable e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                    stop.set(true);
                } finally {
                    lat[id] = mine;
                    counts[id] = n;
                    done.countDown();
                }
            }, "serving-" + t);
            th.setDaemon(true);
            threads.add(th);
            th.start();
        }
        Thread.sleep((long) (Math.max(1.0, seconds / 2) * 1000));
        measuring.set(true);
        long start = System.nanoTime();
        Thread.sleep((long) (seconds * 1000));
        measuring.set(false);
        double elapsed = (System.nanoTime() - start) / 1e9;
        stop.set(true);
        done.await();
        if (failure[0] != null) {
            throw new IllegalStateException("GpuServing: a request thread failed", failure[0]);
        }
        int total = 0;
        for (int c : counts) {
            total += c;
        }
        long[] all = new long[total];
        int at = 0;
        for (int t = 0; t < r; t++) {
            System.arraycopy(lat[t], 0, all, at, counts[t]);
            at += counts[t];
        }
        Arrays.sort(all);
        return new double[] {total / elapsed, pct(all, 0.5), pct(all, 0.99), pct(all, 0.999)};
    }

    private static double pct(long[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))] / 1e3;
    }
}
