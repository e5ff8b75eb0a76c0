package dev.tangent.reliability;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.NativeMemory;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import java.util.function.IntConsumer;

/**
 * The child JVM of {@link LeakTest#rssFlatInAChildJvm}: run with a fixed, pre-touched heap
 * ({@code -Xms256m -Xmx256m -XX:+AlwaysPreTouch}) so that RSS growth is native growth. Args: seed
 * calls, MLP calls. Exits 1 (after printing why) when live bytes or RSS do not return to the start.
 */
public final class LeakChild {
    /** More than this over a loop is a leak (malloc arenas and JIT code account for a few MB). */
    static final long RSS_SLACK = 32L << 20;

    private LeakChild() {}

    static boolean ok = true;

    static void loop(String what, int n, IntConsumer body) throws InterruptedException {
        for (int i = 0; i < Math.max(1, Math.min(5_000, n / 10)); i++) {
            body.accept(i);
        }
        long live0 = Memory.settledLiveBytes();
        long rss0 = Memory.rssBytes();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            body.accept(i);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        long live1 = Memory.settledLiveBytes();
        long rss1 = Memory.rssBytes();
        boolean good = live1 == live0 && rss1 - rss0 < RSS_SLACK;
        ok &= good;
        System.out.printf("LeakChild: %s: %,d calls in %.1f s (%.1f us/call); live bytes %d -> %d; RSS %s -> %s"
                + " (growth %s)%s%n", what, n, s, s * 1e6 / n, live0, live1, Memory.mb(rss0), Memory.mb(rss1),
                Memory.mb(rss1 - rss0), good ? "" : "  <-- LEAK");
    }

    public static void main(String[] args) throws Exception {
        int seedCalls = Integer.parseInt(args[0]);
        int mlpCalls = Integer.parseInt(args[1]);
        try (Scope outer = Scope.open()) {
            Tensor x = Tensor.rand(0, 4, 4);
            Tensor v = Tensor.ones(4, 4);
            loop("seed jvp, own scope", seedCalls, i -> {
                try (Scope s = Scope.open()) {
                    Functional.jvp(Workloads.SEED, x, v);
                }
            });
            try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(Workloads.SEED, x)) {
                loop("seed JvpPlan", seedCalls, i -> plan.apply(x, v));
            }
            Workloads.Mlp mlp = new Workloads.Mlp(784, 1024, 10, 3, 5);
            Tensor mx = Tensor.randn(6, 1, 784);
            Tensor mv = Tensor.randn(7, 1, 784);
            loop("MLP 784-1024-1024-10 B=1 jvp, own scope", mlpCalls, i -> {
                try (Scope s = Scope.open()) {
                    Functional.jvp(mlp, mx, mv);
                }
            });
            try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(mlp, mx)) {
                loop("MLP 784-1024-1024-10 B=1 JvpPlan", mlpCalls, i -> plan.apply(mx, mv));
            }
        }
        System.out.println("live bytes at exit " + NativeMemory.liveBytes());
        System.exit(ok ? 0 : 1);
    }
}
