package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import java.util.Arrays;

/**
 * How oneDNN's float32 matmul time grows with the number of rows M for the MLP's 1024×1024 layer:
 * the evidence behind the jvp/forward ratios in RESULTS.md (a jvp multiplies [x; dx], twice the
 * rows). Usage: {@code java -cp ... dev.tangent.bench.MatmulRows} (median of timed calls, µs).
 */
public final class MatmulRows {
    public static void main(String[] args) {
        Tangent.setNumThreads(Integer.getInteger("threads", 1));
        System.out.println("threads=" + Tangent.numThreads() + ", " + Tangent.cpuKernels());
        Tensor w = Tensor.randn(1, 1024, 1024);
        for (int m : new int[] {1, 2, 4, 8, 32, 64, 128, 1024, 2048}) {
            Tensor x = Tensor.randn(3, m, 1024);
            int iters = m <= 128 ? 2000 : 30;
            long[] t = new long[iters];
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < iters; i++) {
                    long t0 = System.nanoTime();
                    try (Scope s = Scope.open()) {
                        x.matmul(w);
                    }
                    t[i] = System.nanoTime() - t0;
                }
            }
            Arrays.sort(t);
            double us = t[iters / 2] / 1000.0;
            System.out.printf("M=%5d  %10.1f us  %6.1f GFLOP/s%n", m, us, 2.0 * m * 1024 * 1024 / us / 1000);
        }
    }
}
