package dev.tangent.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The memory floor of one element-wise pass on this machine: one thread copying a 4 MiB buffer into
 * another ({@code MemorySegment.copy}, the C library's memmove), the size of the element-wise
 * workload's 2^20 float32 operands. Prints the median of 200 copies after 100 warm-up copies, and the
 * read+write bandwidth it implies. Usage: {@code taskset -c 1 java -cp <benchmarks classes>
 * dev.tangent.bench.CopyBandwidth [MiB]}.
 */
public final class CopyBandwidth {
    private CopyBandwidth() {}

    public static void main(String[] args) {
        long n = (args.length > 0 ? Long.parseLong(args[0]) : 4L) << 20;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(n, 64);
            MemorySegment dst = arena.allocate(n, 64);
            src.fill((byte) 1);
            dst.fill((byte) 2);
            for (int w = 0; w < 100; w++) {
                MemorySegment.copy(src, 0, dst, 0, n);
            }
            long[] t = new long[200];
            for (int i = 0; i < t.length; i++) {
                long t0 = System.nanoTime();
                MemorySegment.copy(src, 0, dst, 0, n);
                t[i] = System.nanoTime() - t0;
            }
            Arrays.sort(t);
            double us = t[t.length / 2] / 1e3;
            System.out.printf("copy %d MiB: median %.1f us, min %.1f us -> %.1f GB/s read+write (median)%n",
                    n >> 20, us, t[0] / 1e3, 2.0 * n / (us * 1e3));
        }
    }
}
