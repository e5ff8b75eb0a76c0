package dev.tangent.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** The per-kernel thread grant: by size below the grain; sizeable kernels share the cores through a slot each. */
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
        int n = ThreadBudget.enter(work, grain, Long.MAX_VALUE);
        try {
            assertEquals(n, ThreadBudget.granted());
            return n;
        } finally {
            ThreadBudget.exit();
        }
    }

    @Test
    void smallWorkRunsOnOneThreadWithoutASlot() {
        assertEquals(1, grant(1, ThreadBudget.ELTWISE_GRAIN));
        assertEquals(1, grant(ThreadBudget.ELTWISE_GRAIN * 2 - 1, ThreadBudget.ELTWISE_GRAIN));
        int free = ThreadBudget.freeSlots();
        assertEquals(1, ThreadBudget.enterEltwise(ThreadBudget.ELTWISE_GATE - 1));
        try {
            assertEquals(free, ThreadBudget.freeSlots(), "below the gate no slot is taken");
        } finally {
            ThreadBudget.exit();
        }
    }

    @Test
    void largeWorkGetsOneThreadPerGrainUpToTheCores() {
        assertEquals(Math.min(2, CORES), grant(ThreadBudget.MATMUL_GRAIN * 2, ThreadBudget.MATMUL_GRAIN));
        assertEquals(CORES, grant(ThreadBudget.MATMUL_GRAIN * 10_000, ThreadBudget.MATMUL_GRAIN));
        assertEquals(CORES, ThreadBudget.freeSlots(), "slots handed back");
    }

    @Test
    void aKernelAtTheGateHoldsOneSlotWhileItRuns() {
        assertEquals(1, ThreadBudget.enterMatmul(ThreadBudget.MATMUL_GATE));
        try {
            assertEquals(CORES - 1, ThreadBudget.freeSlots());
        } finally {
            ThreadBudget.exit();
        }
        assertEquals(CORES, ThreadBudget.freeSlots());
    }

    @Test
    void aFixedCountIsUsedForEveryKernelWithoutSlots() {
        Tangent.setNumThreads(3);
        assertEquals(3, grant(1, ThreadBudget.ELTWISE_GRAIN));
        assertEquals(3, ThreadBudget.granted(), "outside a kernel too");
        assertEquals(3, ThreadBudget.enterMatmul(Long.MAX_VALUE / 2));
        try {
            assertEquals(CORES, ThreadBudget.freeSlots(), "a fixed count takes no slot");
        } finally {
            ThreadBudget.exit();
        }
        Tangent.adaptiveThreads();
        assertEquals(1, grant(1, ThreadBudget.ELTWISE_GRAIN));
    }

    @Test
    void aNestedKernelGetsTheOuterTeamAndTakesNothing() {
        int outer = ThreadBudget.enterMatmul(Long.MAX_VALUE / 2);
        try {
            int free = ThreadBudget.freeSlots();
            assertEquals(outer, ThreadBudget.enterMatmul(Long.MAX_VALUE / 2));
            ThreadBudget.exit();
            assertEquals(free, ThreadBudget.freeSlots());
            assertEquals(outer, ThreadBudget.granted(), "still the outer kernel's team");
        } finally {
            ThreadBudget.exit();
        }
        assertEquals(CORES, ThreadBudget.freeSlots());
        assertThrows(IllegalStateException.class, ThreadBudget::exit);
    }

    /** A kernel that finds every slot taken waits for one (a small one does not), then gets the team left. */
    @Test
    void aSizeableKernelWaitsWhileTheCoresAreTaken() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> first = pool.submit(() -> {
                int n = ThreadBudget.enterMatmul(Long.MAX_VALUE / 2);
                try {
                    entered.countDown();
                    release.await(30, TimeUnit.SECONDS);
                    return n;
                } finally {
                    ThreadBudget.exit();
                }
            });
            assertTrue(entered.await(30, TimeUnit.SECONDS));
            assertEquals(0, ThreadBudget.freeSlots(), "a large kernel alone takes every core");
            Future<Integer> second = pool.submit(() -> {   // above the gate: queues even on one core
                int n = ThreadBudget.enterMatmul(Long.MAX_VALUE / 2);
                try {
                    assertEquals(n, ThreadBudget.granted());
                    return n;
                } finally {
                    ThreadBudget.exit();
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ThreadBudget.waiting() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1, ThreadBudget.waiting(), "the second kernel queues for a slot");
            assertFalse(second.isDone());
            assertEquals(1, ThreadBudget.enterEltwise(1), "a kernel below the gate does not wait");
            ThreadBudget.exit();
            release.countDown();
            assertEquals(CORES, (int) first.get(30, TimeUnit.SECONDS));
            assertEquals(CORES, (int) second.get(30, TimeUnit.SECONDS), "the cores, once the first is done");
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
        assertEquals(0, ThreadBudget.running());
        assertEquals(CORES, ThreadBudget.freeSlots());
    }

    /** However many threads compute at once, no more threads than cores run sizeable kernels. */
    @Test
    void manyCallersNeverRunMoreComputeThreadsThanCores() throws Exception {
        int callers = 4 * CORES + 1;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                all.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        int n = ThreadBudget.enterMatmul(ThreadBudget.MATMUL_GATE * (1 + i % 3) * (i % 5 == 0 ? 64 : 1));
                        try {
                            int now = inside.addAndGet(n);
                            most.accumulateAndGet(now, Math::max);
                            Thread.onSpinWait();
                            inside.addAndGet(-n);
                        } finally {
                            ThreadBudget.exit();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(most.get() >= 1 && most.get() <= CORES, "compute threads at once: " + most.get());
        assertEquals(CORES, ThreadBudget.freeSlots());
        assertEquals(0, ThreadBudget.running());
    }

    @Test
    void aCallHoldsOneSlotAndItsKernelsTakeNoneForTheirFirstThread() {
        ThreadBudget.enterCall();
        try {
            assertTrue(ThreadBudget.holdsCallSlot());
            assertEquals(CORES - 1, ThreadBudget.freeSlots(), "the call's slot");
            ThreadBudget.enterCall();   // nested: takes nothing more
            try {
                assertEquals(CORES - 1, ThreadBudget.freeSlots());
                assertEquals(1, ThreadBudget.enterMatmul(ThreadBudget.MATMUL_GATE * 4));
                try {
                    assertEquals(CORES - 1, ThreadBudget.freeSlots(), "a batch-1 kernel runs on the call's slot");
                } finally {
                    ThreadBudget.exit();
                }
                assertEquals(CORES, ThreadBudget.enterMatmul(ThreadBudget.MATMUL_GRAIN * 10_000),
                        "a kernel that wants a team grows into the free slots");
                try {
                    assertEquals(0, ThreadBudget.freeSlots());
                } finally {
                    ThreadBudget.exit();
                }
                assertEquals(CORES - 1, ThreadBudget.freeSlots(), "the team's extra slots handed back, the call's kept");
            } finally {
                ThreadBudget.exitCall();
            }
            assertEquals(CORES - 1, ThreadBudget.freeSlots(), "the outer call still holds its slot");
        } finally {
            ThreadBudget.exitCall();
        }
        assertFalse(ThreadBudget.holdsCallSlot());
        assertEquals(CORES, ThreadBudget.freeSlots());
        assertThrows(IllegalStateException.class, ThreadBudget::exitCall);
    }

    @Test
    void aCallWithAFixedCountOrInsideAKernelTakesNoSlot() {
        Tangent.setNumThreads(2);
        ThreadBudget.enterCall();
        try {
            assertFalse(ThreadBudget.holdsCallSlot());
            assertEquals(CORES, ThreadBudget.freeSlots());
        } finally {
            ThreadBudget.exitCall();
        }
        Tangent.adaptiveThreads();
        ThreadBudget.enterEltwise(1);
        try {
            ThreadBudget.enterCall();
            assertFalse(ThreadBudget.holdsCallSlot(), "a kernel's inner call takes nothing");
            ThreadBudget.exitCall();
        } finally {
            ThreadBudget.exit();
        }
        assertEquals(CORES, ThreadBudget.freeSlots());
    }

    /** A call that finds every slot taken waits in the queue until one is handed back. */
    @Test
    void aCallWaitsWhileTheCoresAreTaken() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        ThreadBudget.enterMatmul(Long.MAX_VALUE / 2);   // every slot
        Future<Integer> call;
        try {
            assertEquals(0, ThreadBudget.freeSlots());
            call = pool.submit(() -> {
                ThreadBudget.enterCall();
                try {
                    return ThreadBudget.freeSlots();
                } finally {
                    ThreadBudget.exitCall();
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ThreadBudget.waiting() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1, ThreadBudget.waiting(), "the call queues for a slot");
            assertFalse(call.isDone());
        } finally {
            ThreadBudget.exit();
        }
        try {
            assertEquals(CORES - 1, (int) call.get(30, TimeUnit.SECONDS), "the call ran holding one slot");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(CORES, ThreadBudget.freeSlots());
    }

    /**
     * A compiled plan's replay takes one slot for all its kernels: a two-layer batch-1 jvp has two
     * matmuls above the gate (the eager jvp takes a slot for each), the plan one per apply.
     */
    @Test
    void aPlanApplyTakesOneSlotForAllItsKernels() {
        try (Scope scope = Scope.open()) {
            Tensor w1 = Tensor.randn(1, 1024, 1024);
            Tensor w2 = Tensor.randn(2, 1024, 1024);
            Function<Tensor, Tensor> f = x -> x.matmul(w1).tanh().matmul(w2);
            Tensor x = Tensor.randn(3, 1, 1024);
            Tensor v = Tensor.randn(4, 1, 1024);
            long eager0 = ThreadBudget.slotStats()[0];
            float[] want = Functional.jvp(f, x, v).jvp().toFloatArray();
            assertTrue(ThreadBudget.slotStats()[0] - eager0 >= 2, "eager jvp: a slot per sizeable matmul");
            try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(f, x)) {
                long before = ThreadBudget.slotStats()[0];
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(want, plan.apply(x, v).jvp().toFloatArray(), 1e-3f, "the plan computes the jvp");
                }
                assertEquals(3, ThreadBudget.slotStats()[0] - before, "one slot per apply");
            }
        }
        assertEquals(CORES, ThreadBudget.freeSlots());
        assertEquals(0, ThreadBudget.running());
    }

    /**
     * A borrowing kernel (the native batch-1 GEMV) grows its team into the free cores without
     * holding their slots: another thread then takes a slot at once, and the borrowed helpers see
     * that no core is idle any more.
     */
    @Test
    void aBorrowingKernelHoldsOnlyItsOwnSlot() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(CORES >= 2, "needs two cores");
        Thread.sleep(2 * ThreadBudget.BORROW_QUIET_NANOS / 1_000_000 + 1);   // no other thread took a slot lately
        int n = ThreadBudget.enterBorrowing(ThreadBudget.NATIVE_GEMV_GRAIN * 64, ThreadBudget.NATIVE_GEMV_GRAIN,
                ThreadBudget.MATMUL_GATE);
        try {
            assertEquals(CORES, n, "the team borrows every idle core");
            assertTrue(ThreadBudget.borrowedTeam());
            assertEquals(CORES - 1, ThreadBudget.freeSlots(), "only the kernel's own slot is held");
            assertTrue(ThreadBudget.coreIdle());
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Integer> other = pool.submit(() -> {
                    ThreadBudget.enterMatmul(ThreadBudget.MATMUL_GATE);
                    try {
                        return ThreadBudget.freeSlots();
                    } finally {
                        ThreadBudget.exit();
                    }
                });
                assertEquals(CORES - 2, (int) other.get(30, TimeUnit.SECONDS), "another kernel took a slot without waiting");
                if (CORES == 2) {
                    // while it held it, no core was idle: a borrowed helper stops taking chunks
                    CountDownLatch held = new CountDownLatch(1);
                    CountDownLatch done = new CountDownLatch(1);
                    Future<?> holder = pool.submit(() -> {
                        ThreadBudget.enterMatmul(ThreadBudget.MATMUL_GATE);
                        try {
                            held.countDown();
                            done.await(30, TimeUnit.SECONDS);
                        } finally {
                            ThreadBudget.exit();
                        }
                        return null;
                    });
                    assertTrue(held.await(30, TimeUnit.SECONDS));
                    assertFalse(ThreadBudget.coreIdle());
                    done.countDown();
                    holder.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
        } finally {
            ThreadBudget.exit();
        }
        assertFalse(ThreadBudget.borrowedTeam());
        assertEquals(CORES, ThreadBudget.freeSlots());
        // another thread took a slot just now: a free slot is not an idle core yet
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            long t0 = System.nanoTime();
            other.submit(() -> {
                ThreadBudget.enterMatmul(ThreadBudget.MATMUL_GATE);
                ThreadBudget.exit();
            }).get(30, TimeUnit.SECONDS);
            n = ThreadBudget.enterBorrowing(ThreadBudget.NATIVE_GEMV_GRAIN * 64, ThreadBudget.NATIVE_GEMV_GRAIN,
                    ThreadBudget.MATMUL_GATE);
            try {
                if (System.nanoTime() - t0 < ThreadBudget.BORROW_QUIET_NANOS) {   // else too slow a machine to tell
                    assertEquals(1, n, "no borrowing while other threads are taking slots");
                    assertFalse(ThreadBudget.borrowedTeam());
                }
            } finally {
                ThreadBudget.exit();
            }
        } finally {
            other.shutdownNow();
        }
        Tangent.setNumThreads(2);
        n = ThreadBudget.enterBorrowing(ThreadBudget.NATIVE_GEMV_GRAIN * 64, ThreadBudget.NATIVE_GEMV_GRAIN,
                ThreadBudget.MATMUL_GATE);
        try {
            assertEquals(2, n, "a fixed count is used as is");
            assertFalse(ThreadBudget.borrowedTeam());
        } finally {
            ThreadBudget.exit();
        }
    }
}
