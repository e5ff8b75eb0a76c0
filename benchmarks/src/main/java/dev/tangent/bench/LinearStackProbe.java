package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.backend.cpu.CpuLinear;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import java.util.Arrays;

/**
 * The evidence behind {@code CpuLinear}'s row cut-over for an activated layer's jvp: one matmul of
 * {@code [x; dx]} stacked (W read once) and one native pass, against two matmuls with their
 * epilogues. Times the plan jvp of the MLP (784-1024-1024-10, tanh) per batch size, both forms in
 * the same process and alternating in short rounds ({@code CpuLinear.stackRows}), so a noisy
 * machine loads both alike. Prints the median µs per call of each and their ratio.
 *
 * <p>Usage: {@code taskset -c 0 java --enable-native-access=ALL-UNNAMED -Dthreads=1 -cp "$cp"
 * dev.tangent.bench.LinearStackProbe [rounds [batches]]} (default 11 rounds, batches
 * 1,2,4,8,16,32,64,128,1024).
 */
public final class LinearStackProbe {
    private LinearStackProbe() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 11;
        int[] batches = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 2, 4, 8, 16, 32, 64, 128, 1024};
        Tangent.setNumThreads(Integer.getInteger("threads", 1));
        System.out.println("threads=" + Tangent.numThreads() + ", " + Tangent.cpuKernels() + ", loadavg "
                + java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim());
        TangentMlp mlp = new TangentMlp(7);
        long[] before = CpuLinear.stackRows();
        System.out.println("batch   stacked_us  two_matmuls_us  stacked/two");
        try {
            for (int b : batches) {
                Tensor x = TangentMlp.gaussian(21, 1f, b, DjlMlp.IN);
                Tensor v = TangentMlp.gaussian(22, 1f, b, DjlMlp.IN);
                int calls = Math.max(2, (int) (5_000 / ((long) b + 8)));
                double[][] t = new double[2][rounds];
                try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(mlp::forward, x)) {
                    for (int r = -2; r < rounds; r++) { // two warm-up rounds
                        for (int form = 0; form < 2; form++) {
                            CpuLinear.stackRows(form == 0 ? 2 : Long.MAX_VALUE, Long.MAX_VALUE);
                            long t0 = System.nanoTime();
                            for (int i = 0; i < calls; i++) {
                                try (Scope s = Scope.open()) {
                                    JvpResult<Tensor> out = plan.apply(x, v);
                                    out.jvp();
                                }
                            }
                            if (r >= 0) {
                                t[form][r] = (System.nanoTime() - t0) / 1000.0 / calls;
                            }
                        }
                    }
                }
                double a = median(t[0]);
                double c = median(t[1]);
                System.out.printf("%5d  %11.1f  %14.1f  %11.3f%n", b, a, c, a / c);
            }
        } finally {
            CpuLinear.stackRows(before[0], before[1]);
        }
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
