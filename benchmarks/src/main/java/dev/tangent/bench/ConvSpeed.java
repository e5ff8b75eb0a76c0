package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.nn.F;

/**
 * One of ResNet-18's 3×3 convs in Tangent (64→64 channels, 56×56, batch 1: 0.23 GFLOP) at 1
 * thread, best of three after a warm-up, in thread CPU time. run-bench.sh reads the time to decide whether Tangent's ResNet-18 batch-32
 * rows fit in a run: on Java loops a batch-32 forward takes minutes. Prints {@code conv3x3_ms <ms>}
 * last.
 */
public final class ConvSpeed {
    public static void main(String[] args) {
        Tangent.setNumThreads(1);
        // the thread's CPU time: at 1 thread the conv runs on this thread, and other processes on a
        // shared machine do not inflate it
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        Tensor x = Tensor.of(NnParams.input(1, 1f, 1, 64, 56, 56), 1, 64, 56, 56);
        Tensor w = Tensor.of(NnParams.input(2, 0.06f, 64, 64, 3, 3), 64, 64, 3, 3);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            try (Scope s = Scope.open()) {
                long t0 = cpu.getCurrentThreadCpuTime();
                F.conv2d(x, w, null, 1, 1, 1, 1).toFloatArray();
                double ms = (cpu.getCurrentThreadCpuTime() - t0) / 1e6;
                if (i > 0) {
                    best = Math.min(best, ms);
                }
            }
        }
        double gflop = 2.0 * 64 * 64 * 9 * 56 * 56 / 1e9;
        System.out.printf("Tangent conv2d 3x3 64->64 56x56 B=1, 1 thread: %.1f ms CPU (%.2f GFLOP/s; %s)%n", best, gflop / (best / 1e3),
                Tangent.cpuKernels());
        System.out.printf("conv3x3_ms %.1f%n", best);
    }
}
