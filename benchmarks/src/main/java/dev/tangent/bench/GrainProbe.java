package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import dev.tangent.backend.ThreadBudget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Measures the thread grains of {@link ThreadBudget}: representative oneDNN kernels (matmul
 * [m, k] x [k, n]; element-wise tanh with Tangent's own kernels off, and add) timed through the
 * public API at a fixed 1 and a fixed 2 threads, interleaved (1, 2, 1, 2, ... per size, several
 * rounds, so load from elsewhere hits both alike), and the work size from which 2 threads win.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp &lt;benchmarks classpath&gt; dev.tangent.bench.GrainProbe [rounds [ms]]
 * </pre>
 * Each time is the median over {@code rounds} of the mean time per call over {@code ms} of calls
 * (default 7 rounds of 60 ms); the speed-up is the median over rounds of each round's 1-thread time
 * over its 2-thread time. The cut-over is the smallest work at which 2 threads win and from which
 * they lose at most one larger size of the family; the grain ThreadBudget wants is half of it (it
 * grants 2 threads from 2 grains of work). A kernel is timed back to back, so the second OpenMP thread is spinning, not
 * asleep, when the next call starts (the grains in ThreadBudget were measured under the passive wait
 * policy, where it slept between calls anyway; Tangent now bounds the spin instead, see
 * OpenMpWaitPolicy). Run it on an otherwise idle machine: with more
 * runnable threads than cores a second thread gains little.
 */
public final class GrainProbe {
    private GrainProbe() {}

    /** One row: a kernel of a given size and its work (multiply-adds or elements). */
    private record Case(String family, String shape, long work, Supplier<Runnable> make) {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        double ms = args.length > 1 ? Double.parseDouble(args[1]) : 60;
        System.out.println("# GrainProbe: " + Tangent.cpuKernels() + "; " + Runtime.getRuntime().availableProcessors()
                + " cores; loadavg at start " + loadavg() + "; " + rounds + " rounds x " + ms + " ms per cell");
        List<Case> cases = new ArrayList<>();
        for (long m : new long[] {2, 4, 8, 16, 32, 64, 128}) {
            cases.add(matmul(m, 1024, 1024));
        }
        for (long s : new long[] {64, 96, 128, 160, 192, 256, 320, 384}) {
            cases.add(matmul(s, s, s));
        }
        for (long n : new long[] {1 << 12, 1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 19, 1 << 20, 1 << 22}) {
            cases.add(eltwise("tanh", n, x -> x.tanh()));
        }
        for (long n : new long[] {1 << 12, 1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 19, 1 << 20, 1 << 22}) {
            cases.add(eltwise("add", n, x -> x.add(x)));
        }
        String family = null;
        List<long[]> wins = new ArrayList<>();
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "| kernel | shape | work | 1 thread (µs) | 2 threads (µs) | speed-up |"));
        out.add("|---|---|---:|---:|---:|---:|");
        List<String> summary = new ArrayList<>();
        for (Case c : cases) {
            if (!c.family().equals(family)) {
                if (family != null) {
                    summary.add(cutOver(family, wins));
                }
                family = c.family();
                wins.clear();
            }
            boolean oneDnnTanh = c.family().equals("tanh");
            Backends.cpu().nativeKernels(!oneDnnTanh);
            Runnable call = c.make().get();
            double[] t1 = new double[rounds];
            double[] t2 = new double[rounds];
            for (int threads : new int[] {1, 2}) {   // warm both teams and the primitive caches
                Tangent.setNumThreads(threads);
                time(call, 20);
            }
            for (int r = 0; r < rounds; r++) {
                Tangent.setNumThreads(1);
                t1[r] = time(call, ms);
                Tangent.setNumThreads(2);
                t2[r] = time(call, ms);
            }
            double m1 = median(t1);
            double m2 = median(t2);
            double[] paired = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                paired[r] = t1[r] / t2[r];
            }
            double speedup = median(paired);
            wins.add(new long[] {c.work(), speedup > 1 ? 1 : 0});
            String line = String.format(Locale.ROOT, "| %s | %s | %,d | %.2f | %.2f | %.2f× |", c.family(), c.shape(), c.work(),
                    m1, m2, speedup);
            out.add(line);
            System.out.println(line);
        }
        summary.add(cutOver(family, wins));
        Backends.cpu().nativeKernels(true);
        Tangent.adaptiveThreads();
        System.out.println();
        out.forEach(System.out::println);
        System.out.println();
        summary.forEach(System.out::println);
        System.out.println("# in use: MATMUL_GRAIN " + ThreadBudget.MATMUL_GRAIN + " multiply-adds, ELTWISE_GRAIN "
                + ThreadBudget.ELTWISE_GRAIN + " elements; loadavg at end " + loadavg());
    }

    /**
     * The smallest work at which 2 threads won and from which they lost at most one larger size of
     * the family (one cell hit by load from elsewhere does not move the cut-over to the end).
     */
    private static String cutOver(String family, List<long[]> wins) {
        long from = -1;
        int losses = 0;
        for (int i = wins.size() - 1; i >= 0; i--) {
            if (wins.get(i)[1] == 1) {
                from = wins.get(i)[0];
            } else if (++losses > 1) {
                break;
            }
        }
        String unit = family.startsWith("matmul") ? "multiply-adds" : "elements";
        return from < 0 ? "CUTOVER " + family + ": 2 threads never won up to the largest size"
                : String.format(Locale.ROOT, "CUTOVER %s: 2 threads win from %,d %s -> grain (work per thread) %,d", family,
                        from, unit, from / 2);
    }

    private static Case matmul(long m, long k, long n) {
        String family = k == 1024 && n == 1024 ? "matmul [m,1024]x[1024,1024]" : "matmul [s,s]x[s,s]";
        return new Case(family, "[" + m + "," + k + "]x[" + k + "," + n + "]", m * k * n, () -> {
            Tensor a = Tensor.randn(1, m, k);
            Tensor b = Tensor.randn(2, k, n);
            return () -> {
                try (Scope s = Scope.open()) {
                    a.matmul(b);
                }
            };
        });
    }

    private static Case eltwise(String name, long n, java.util.function.UnaryOperator<Tensor> op) {
        return new Case(name, "[" + n + "]", n, () -> {
            Tensor x = Tensor.randn(3, n).mul(0.5);
            return () -> {
                try (Scope s = Scope.open()) {
                    op.apply(x);
                }
            };
        });
    }

    /** Mean µs per call over at least {@code ms} milliseconds (and at least 3 calls). */
    private static double time(Runnable call, double ms) {
        long budget = (long) (ms * 1e6);
        long start = System.nanoTime();
        long now;
        int calls = 0;
        do {
            call.run();
            calls++;
            now = System.nanoTime();
        } while (now - start < budget || calls < 3);
        return (now - start) / 1e3 / calls;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
