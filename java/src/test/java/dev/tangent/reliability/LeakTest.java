package dev.tangent.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.NativeMemory;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import dev.tangent.functional.JvpStrategy;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/**
 * Long loops of jvp calls keep Tangent's live native bytes exactly where they started and the
 * process RSS flat: the seed function (1,000,000 calls under {@code -Dtangent.soak=true}, 200,000
 * otherwise) and the batch-1 MLP 784→1024→1024→10 (100,000 / 2,000), each call in its own scope,
 * and both again through a JvpPlan. Plus scopes closed out of order and exceptions thrown half-way.
 */
class LeakTest {
    static final int SEED_CALLS = Memory.soak() ? 1_000_000 : 200_000;
    static final int MLP_CALLS = Memory.soak() ? 100_000 : 2_000;
    /** RSS may wobble (malloc arenas, JIT code, GC): more than this beyond heap growth is a leak. */
    static final long RSS_SLACK = 64L << 20;

    /**
     * Runs {@code body} n times after a warm-up; asserts that live native bytes never rise above
     * their start (garbage from earlier tests may be collected meanwhile: they can only fall) and
     * end where they started; prints live bytes and RSS. RSS is asserted in {@link LeakChild},
     * whose heap is pre-touched: here the JVM touching its committed heap for the first time would
     * look like growth.
     */
    static void flat(String what, int n, IntConsumer body) throws InterruptedException {
        for (int i = 0; i < Math.min(2_000, n / 10); i++) {  // JIT, malloc free lists, oneDNN primitive cache
            body.accept(i);
        }
        long live0 = Memory.settledLiveBytes();
        long rss0 = Memory.rssBytes();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            body.accept(i);
            if (i % (n / 4) == 0) {
                long now = NativeMemory.liveBytes();
                assertTrue(now <= live0, what + ": live bytes after call " + i + ": " + now + " > " + live0);
            }
        }
        double s = (System.nanoTime() - t0) / 1e9;
        long live1 = Memory.settledLiveBytes();
        long rss1 = Memory.rssBytes();
        System.out.printf("LeakTest: %s: %,d calls in %.1f s (%.1f us/call); live bytes %d -> %d; RSS %s -> %s%n",
                what, n, s, s * 1e6 / n, live0, live1, Memory.mb(rss0), Memory.mb(rss1));
        assertTrue(live1 <= live0, what + ": live native bytes " + live0 + " -> " + live1);
    }

    /** The same loops in a child JVM with a fixed, pre-touched heap, where RSS growth is native growth. */
    @Test
    void rssFlatInAChildJvm(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path log = tmp.resolve("leak.log");
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-cp", System.getProperty("java.class.path"),
                LeakChild.class.getName(), String.valueOf(SEED_CALLS), String.valueOf(MLP_CALLS)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .directory(tmp.toFile()).start();
        if (!p.waitFor(Memory.soak() ? 3_600 : 300, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("LeakChild ran past its deadline:\n" + java.nio.file.Files.readString(log));
        }
        String out = java.nio.file.Files.readString(log);
        System.out.print(out);
        assertEquals(0, p.exitValue(), out);
        long loops = out.lines().filter(l -> l.startsWith("LeakChild: ")).count();
        assertEquals(4, loops, out);
    }

    @Test
    void seedFunctionEachCallInItsOwnScope() throws InterruptedException {
        Tensor x = Tensor.rand(0, 4, 4);
        Tensor v = Tensor.ones(4, 4);
        double[] expected = new double[4];
        float[] xs = x.toFloatArray();
        for (int i = 0; i < 16; i++) {
            expected[i / 4] += Math.exp(xs[i]);   // exp' = exp and v = ones: output = jvp = row sums of exp
        }
        flat("seed jvp", SEED_CALLS, i -> {
            try (Scope s = Scope.open()) {
                JvpResult<Tensor> r = Functional.jvp(Workloads.SEED, x, v);
                if (i % 100_000 == 0) {
                    float[] j = r.jvp().toFloatArray();
                    for (int k = 0; k < 4; k++) {
                        assertEquals(expected[k], j[k], 1e-5 * expected[k]);
                    }
                }
            }
        });
    }

    @Test
    void seedFunctionThroughAPlan() throws InterruptedException {
        Tensor x = Tensor.rand(0, 4, 4);
        Tensor v = Tensor.ones(4, 4);
        try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(Workloads.SEED, x)) {
            flat("seed JvpPlan", SEED_CALLS, i -> plan.apply(x, v));
        }
    }

    @Test
    void mlpBatchOneEachCallInItsOwnScope() throws InterruptedException {
        Workloads.Mlp mlp = new Workloads.Mlp(784, 1024, 10, 3, 5);
        Tensor x = Tensor.randn(6, 1, 784);
        Tensor v = Tensor.randn(7, 1, 784);
        flat("MLP 784-1024-1024-10 B=1 jvp", MLP_CALLS, i -> {
            try (Scope s = Scope.open()) {
                Functional.jvp(mlp, x, v);
            }
        });
        try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(mlp, x)) {
            flat("MLP 784-1024-1024-10 B=1 JvpPlan", MLP_CALLS, i -> plan.apply(x, v));
        }
    }

    @Test
    void scopesClosedInAnyOrderWithJvpResultsInside() throws InterruptedException {
        long live0 = Memory.settledLiveBytes();
        Tensor x = Tensor.rand(1, 4, 4);   // unscoped; freed by GC: measure the scopes only
        long live1 = NativeMemory.liveBytes();
        for (int round = 0; round < 200; round++) {
            Scope a = Scope.open();
            Tensor ra = Functional.jvp(Workloads.SEED, x, x).jvp();
            Scope b = Scope.open();
            Tensor rb = Functional.jvp(Workloads.SEED, ra.reshape(2, 2).expand(4, 2, 2).reshape(4, 4), x).jvp();
            Scope c = Scope.open();
            Functional.jvp(Workloads.SEED, x, x, false, false, JvpStrategy.DOUBLE_BACKWARD);
            b.keep(rb);                        // rb moves to a
            switch (round % 3) {
                case 0 -> { a.close(); c.close(); b.close(); }
                case 1 -> { b.close(); a.close(); c.close(); }
                default -> { c.close(); a.close(); b.close(); }
            }
            assertTrue(a.isClosed() && b.isClosed() && c.isClosed());
        }
        assertEquals(live1, NativeMemory.liveBytes(), "every scope freed what it owned");
        assertTrue(live1 >= live0);
        java.lang.ref.Reference.reachabilityFence(x); // x is unscoped: the GC must not free it mid-count
    }

    @Test
    void exceptionsThrownHalfwayLeakNothing() throws InterruptedException {
        Workloads.Mlp mlp = new Workloads.Mlp(64, 64, 10, 2, 3);
        Tensor x = Tensor.randn(1, 4, 64);
        RuntimeException mine = new RuntimeException("halfway");
        Function<Tensor, Tensor> whole = t -> t.matmul(mlp.w1).add(mlp.b1).tanh().matmul(mlp.w3).add(mlp.b3);
        for (int i = 0; i < 4; i++) {   // the weights' packed copies (freed with the weights) are made now
            for (JvpStrategy s : new JvpStrategy[] {JvpStrategy.FORWARD_MODE, JvpStrategy.DOUBLE_BACKWARD}) {
                try (Scope scope = Scope.open()) {
                    Functional.jvp(whole, x, x, false, false, s);
                }
            }
        }
        long live0 = Memory.settledLiveBytes();
        for (int i = 0; i < 2_000; i++) {
            int stop = i % 4;
            Function<Tensor, Tensor> f = t -> {
                Tensor h = t.matmul(mlp.w1);
                if (stop == 0) {
                    throw mine;
                }
                h = h.add(mlp.b1).tanh();
                if (stop == 1) {
                    throw mine;
                }
                return h.matmul(mlp.w3).add(stop == 2 ? Tensor.ones(3) : mlp.b3); // stop 2: a shape error
            };
            JvpStrategy s = i % 2 == 0 ? JvpStrategy.FORWARD_MODE : JvpStrategy.DOUBLE_BACKWARD;
            try (Scope scope = Scope.open()) {
                if (stop == 3) {
                    Functional.jvp(f, x, x, false, false, s);
                } else {
                    RuntimeException e = assertThrows(RuntimeException.class, () -> Functional.jvp(f, x, x, false, false, s));
                    if (stop < 2) {
                        assertSame(mine, e);
                    } else {
                        assertTrue(e instanceof IllegalArgumentException && e.getMessage().contains("add"), e.toString());
                    }
                }
            }
            if (stop == 0 && i % 400 == 0) {   // a plan whose recording throws frees its buffers too
                assertSame(mine, assertThrows(RuntimeException.class, () -> JvpPlan.compile(f, x)));
            }
        }
        assertEquals(live0, Memory.settledLiveBytes(), "native bytes after 2,000 jvps, 1,500 of them failing");
    }
}
