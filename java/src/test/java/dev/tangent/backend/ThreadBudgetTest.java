package dev.tangent.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tangent.Tangent;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** The per-kernel thread grant: by size below the grain, by share of the cores among running kernels. */
@Isolated
class ThreadBudgetTest {
    private static final int CORES = Runtime.getRuntime().availableProcessors();
    private boolean wasFixed;
    private int before;

    @BeforeEach
    void adaptive() {
        wasFixed = Tangent.threadsFixed();
        before = Tangent.numThreads();
        Tangent.adaptiveThreads();
    }

    @AfterEach
    void restore() {
        if (wasFixed) {
            Tangent.setNumThreads(before);
        } else {
            Tangent.adaptiveThreads();
        }
    }

    private static int grant(long work, long grain) {
        int n = ThreadBudget.enter(work, grain);
        try {
            assertEquals(n, ThreadBudget.granted());
            return n;
        } finally {
            ThreadBudget.exit();
        }
    }

    @Test
    void smallWorkRunsOnOneThread() {
        assertEquals(1, grant(1, ThreadBudget.ELTWISE_GRAIN));
        assertEquals(1, grant(ThreadBudget.ELTWISE_GRAIN * 2 - 1, ThreadBudget.ELTWISE_GRAIN));
    }

    @Test
    void largeWorkGetsOneThreadPerGrainUpToTheCores() {
        assertEquals(Math.min(2, CORES), grant(ThreadBudget.MATMUL_GRAIN * 2, ThreadBudget.MATMUL_GRAIN));
        assertEquals(CORES, grant(ThreadBudget.MATMUL_GRAIN * 10_000, ThreadBudget.MATMUL_GRAIN));
    }

    @Test
    void aFixedCountIsUsedForEveryKernel() {
        Tangent.setNumThreads(3);
        assertEquals(3, grant(1, ThreadBudget.ELTWISE_GRAIN));
        assertEquals(3, ThreadBudget.granted(), "outside a kernel too");
        Tangent.adaptiveThreads();
        assertEquals(1, grant(1, ThreadBudget.ELTWISE_GRAIN));
    }

    @Test
    void kernelsRunningAtOnceShareTheCores() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> first = pool.submit(() -> {
                int n = ThreadBudget.enter(Long.MAX_VALUE / 2, 1);
                try {
                    entered.countDown();
                    release.await(30, TimeUnit.SECONDS);
                    return n;
                } finally {
                    ThreadBudget.exit();
                }
            });
            entered.await(30, TimeUnit.SECONDS);
            int second = grant(Long.MAX_VALUE / 2, 1);
            release.countDown();
            assertEquals(CORES, (int) first.get(30, TimeUnit.SECONDS), "alone when it started");
            assertEquals(Math.max(1, CORES / 2), second, "second of two running kernels");
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
        assertEquals(0, ThreadBudget.running());
    }
}
