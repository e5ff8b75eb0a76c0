package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where the eager element-wise forward's time goes ({@code (x.sin() * x.exp()).sum()} over 2^20
 * float32, {@link TangentElementwiseBench}): each op alone (sin, exp, mul, sum) and the whole
 * forward, at threads 1, 2 and default, interleaved per round so load from elsewhere hits all alike.
 * Per cell: median over rounds of the mean wall µs per call, the calling thread's CPU µs per call,
 * and the process's minor page faults per call.
 *
 * <pre>
 * taskset -c 0,1 java --enable-native-access=ALL-UNNAMED [-Dprobe.n=elements] -cp &lt;benchmarks classpath&gt; dev.tangent.bench.ElementwiseProbe [rounds [ms] [threads,...]]
 * </pre>
 * ({@code -Dprobe.n}: another size than 2^20.)
 */
public final class ElementwiseProbe {
    private ElementwiseProbe() {}

    public static void main(String[] args) throws Exception {
        if (Boolean.getBoolean("probe.mainThread")) {
            run(args);
            return;
        }
        // On a thread of its own, as JMH runs a benchmark (malloc then serves it from a thread arena).
        Thread t = new Thread(() -> {
            try {
                run(args);
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        }, "probe");
        t.start();
        t.join();
    }

    private static void run(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        double ms = args.length > 1 ? Double.parseDouble(args[1]) : 200;
        String[] counts = (args.length > 2 ? args[2] : "1,2,default").split(",");
        System.out.println("# ElementwiseProbe: " + Tangent.cpuKernels() + "; loadavg at start " + loadavg() + "; "
                + rounds + " rounds x " + ms + " ms per cell; " + Long.getLong("probe.n", 1L << 20) + " elements");
        long n = Long.getLong("probe.n", 1L << 20);
        Tensor x = TangentMlp.gaussian(31, 1f, n);
        Tensor s = x.sin();
        Tensor e = x.exp();
        Tensor p = s.mul(e);
        Map<String, Supplier<Tensor>> ops = new LinkedHashMap<>();
        ops.put("sin", x::sin);
        ops.put("exp", x::exp);
        ops.put("mul", () -> s.mul(e));
        ops.put("sum", p::sum);
        ops.put("forward", () -> x.sin().mul(x.exp()).sum());
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (String op : ops.keySet()) {
            for (String t : counts) {
                BenchThreads.apply(t);
                time(ops.get(op), 100, mx); // warm
            }
        }
        for (String op : ops.keySet()) {
            double[][] wall = new double[counts.length][rounds];
            double[][] cpu = new double[counts.length][rounds];
            double[][] flt = new double[counts.length][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int c = 0; c < counts.length; c++) {
                    BenchThreads.apply(counts[c]);
                    double[] m = time(ops.get(op), ms, mx);
                    wall[c][r] = m[0];
                    cpu[c][r] = m[1];
                    flt[c][r] = m[2];
                }
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-8s", op));
            for (int c = 0; c < counts.length; c++) {
                line.append(String.format(Locale.ROOT, " | t=%s wall %7.1f cpu %7.1f flt %6.1f", counts[c],
                        median(wall[c]), median(cpu[c]), median(flt[c])));
            }
            System.out.println(line);
        }
        Tangent.adaptiveThreads();
        System.out.println("# loadavg at end " + loadavg());
    }

    /** {wall µs, thread CPU µs, minor faults} per call, means over at least {@code ms} ms of calls. */
    private static double[] time(Supplier<Tensor> op, double ms, ThreadMXBean mx) {
        long budget = (long) (ms * 1e6);
        long f0 = minflt();
        long c0 = mx.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long now;
        int calls = 0;
        do {
            try (Scope sc = Scope.open()) {
                op.get();
            }
            calls++;
            now = System.nanoTime();
        } while (now - start < budget || calls < 3);
        long c1 = mx.getCurrentThreadCpuTime();
        long f1 = minflt();
        return new double[] {(now - start) / 1e3 / calls, (c1 - c0) / 1e3 / calls, (double) (f1 - f0) / calls};
    }

    private static long minflt() {
        try {
            String st = Files.readString(Path.of("/proc/self/stat"));
            String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[7]); // field 10 (minflt), counted from field 3
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    private static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
