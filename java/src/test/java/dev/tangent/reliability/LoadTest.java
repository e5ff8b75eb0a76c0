package dev.tangent.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 8 threads × 20,000 jvp calls on mixed float32 workloads (the seed 4×4, a 64→64→10 MLP at batch 4
 * whose matmuls run on oneDNN, and one JvpPlan of the MLP shared by every thread): every result
 * bit-identical to the same call made on one thread beforehand, no exception, and the whole run
 * bounded by a deadline (a deadlock fails the test instead of hanging the build).
 * {@code -Dtangent.soak=true}: 8 × 250,000 calls.
 */
class LoadTest {
    static final int THREADS = 8;
    static final int CALLS = Memory.soak() ? 250_000 : 20_000;
    static final int INPUTS = 16;              // distinct inputs per workload; call i uses input i % 16
    static final long DEADLINE_S = Memory.soak() ? 3_600 : 120;

    static Workloads.Mlp mlp;
    static JvpPlan<Tensor, Tensor> plan;
    static Tensor[] seedX;
    static Tensor[] mlpX;
    static Tensor[] mlpV;
    static Tensor ones44;
    /** reference[workload][input] = output then jvp bits, computed on one thread. */
    static float[][][] reference = new float[3][INPUTS][];

    @BeforeAll
    static void reference() {
        mlp = new Workloads.Mlp(64, 64, 10, 2, 11);
        ones44 = Tensor.ones(4, 4);
        seedX = new Tensor[INPUTS];
        mlpX = new Tensor[INPUTS];
        mlpV = new Tensor[INPUTS];
        for (int i = 0; i < INPUTS; i++) {
            seedX[i] = Tensor.rand(100 + i, 4, 4);
            mlpX[i] = Tensor.randn(200 + i, 4, 64);
            mlpV[i] = Tensor.randn(300 + i, 4, 64);
        }
        plan = JvpPlan.compile(mlp, mlpX[0]);
        for (int w = 0; w < 3; w++) {
            for (int i = 0; i < INPUTS; i++) {
                reference[w][i] = call(w, i);
            }
        }
    }

    @AfterAll
    static void closePlan() {
        plan.close();
    }

    /** One jvp call of workload {@code w} on input {@code i}, in its own scope: output ++ jvp. */
    static float[] call(int w, int i) {
        try (Scope s = Scope.open()) {
            JvpResult<Tensor> r = switch (w) {
                case 0 -> Functional.jvp(Workloads.SEED, seedX[i], ones44);
                case 1 -> Functional.jvp(mlp, mlpX[i], mlpV[i]);
                default -> plan.apply(mlpX[i], mlpV[i]);
            };
            float[] o = r.output().toFloatArray();
            float[] j = r.jvp().toFloatArray();
            float[] both = Arrays.copyOf(o, o.length + j.length);
            System.arraycopy(j, 0, both, o.length, j.length);
            return both;
        }
    }

    @Test
    void eightThreadsBitIdenticalToOneThread() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch go = new CountDownLatch(1);
        AtomicLong calls = new AtomicLong();
        List<Future<String>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                go.await();
                for (int c = 0; c < CALLS; c++) {
                    int k = c * THREADS + thread;            // threads interleave workloads and inputs
                    int w = k % 3;
                    int i = (k / 3) % INPUTS;
                    float[] got = call(w, i);
                    if (!Arrays.equals(reference[w][i], got)) {
                        return "thread " + thread + " call " + c + " workload " + w + " input " + i
                                + " differs from the one-thread result";
                    }
                    calls.incrementAndGet();
                }
                return null;
            }));
        }
        long t0 = System.nanoTime();
        go.countDown();
        pool.shutdown();
        boolean finished = pool.awaitTermination(DEADLINE_S, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!finished) {
            pool.shutdownNow();
            fail("deadline of " + DEADLINE_S + " s passed after " + calls.get() + " of " + (long) THREADS * CALLS
                    + " calls: deadlock or livelock");
        }
        for (Future<String> f : futures) {
            String problem;
            try {
                problem = f.get(1, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("a worker did not finish", e);
            }
            assertEquals(null, problem);
        }
        assertEquals((long) THREADS * CALLS, calls.get());
        System.out.printf("LoadTest: %d threads x %,d jvp calls (seed, MLP 64-64-10 B=4, shared JvpPlan) in %.1f s,"
                + " %.0f calls/s, all bit-identical to one thread%n", THREADS, CALLS, seconds, THREADS * CALLS / seconds);
        assertTrue(seconds < DEADLINE_S);
    }
}
