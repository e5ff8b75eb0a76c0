package dev.tangent.bench;

import dev.tangent.Tangent;

/**
 * The {@code threads} JMH parameter of the Tangent benchmarks: a number fixes every kernel's team
 * ({@code Tangent.setNumThreads}); {@code default} leaves Tangent's adaptive threading (per-kernel
 * size, process-wide budget), what an application that sets nothing gets. DJL benchmarks take
 * numbers only (their engine's intra-op thread count).
 */
final class BenchThreads {
    private BenchThreads() {}

    static void apply(String threads) {
        if (threads.equals("default")) {
            Tangent.adaptiveThreads();
        } else {
            Tangent.setNumThreads(Integer.parseInt(threads));
        }
    }
}
