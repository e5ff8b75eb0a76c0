package dev.tangent.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ThreadBudget's core slots, with parking only (spin 0, the default) and with the yielding wait
 * ({@code tangent.budget.spin_us}): never more holders than slots, strict arrival order, no barging
 * past a waiter, and every waiter woken (a lost wake-up hangs the test, which then times out).
 */
class CoreSlotsTest {

    /** Starts {@code body} on a new thread and returns once {@code waiting} threads wait for a slot. */
    private static Thread waiter(CoreSlots s, int waiting, Runnable body) {
        Thread t = new Thread(body);
        t.start();
        while (s.waiting() < waiting) {
            Thread.onSpinWait();
        }
        return t;
    }

    @ParameterizedTest(name = "spin {0} ns")
    @ValueSource(longs = {0, 2_000_000})
    void freeSlotsAreTakenAtOnceAndNobodyBargesPastAWaiter(long spin) throws Exception {
        CoreSlots s = new CoreSlots(2, spin);
        assertFalse(s.acquire(), "a free slot: no wait");
        assertTrue(s.tryAcquire());
        assertEquals(0, s.available());
        assertFalse(s.tryAcquire(), "none free");
        CountDownLatch got = new CountDownLatch(1);
        Thread w = waiter(s, 1, () -> {
            s.acquire();   // may find its turn already come (the release can precede its first look)
            got.countDown();
        });
        s.release(1);
        assertFalse(s.tryAcquire(), "the released slot is the waiter's, not a newcomer's");
        assertTrue(got.await(10, TimeUnit.SECONDS), "the waiter got the slot");
        w.join();
        s.release(2);
        assertEquals(2, s.available());
        assertEquals(0, s.waiting());
    }

    /** release(n) hands back n slots at once: the waiter it wakes never sees fewer than n - 1 others free. */
    @ParameterizedTest(name = "spin {0} ns")
    @ValueSource(longs = {0, 1_000_000})
    void aMultiSlotReleaseIsAtomic(long spin) throws Exception {
        for (int round = 0; round < 200; round++) {
            CoreSlots s = new CoreSlots(2, spin);
            s.acquire();
            s.acquire();
            int[] seen = new int[1];
            Thread w = waiter(s, 1, () -> {
                s.acquire();
                seen[0] = s.available();
                s.release(1);
            });
            s.release(2);
            w.join(10_000);
            assertFalse(w.isAlive(), "the waiter was never woken");
            assertEquals(1, seen[0], "round " + round + ": the waiter saw the other released slot");
        }
    }

    @ParameterizedTest(name = "spin {0} ns")
    @ValueSource(longs = {0, 1_000_000})
    void anInterruptedWaiterKeepsWaitingAndKeepsTheInterrupt(long spin) throws Exception {
        CoreSlots s = new CoreSlots(1, spin);
        s.acquire();
        boolean[] flag = new boolean[1];
        Thread w = waiter(s, 1, () -> {
            s.acquire();
            flag[0] = Thread.currentThread().isInterrupted();
            s.release(1);
        });
        w.interrupt();
        Thread.sleep(50);
        assertTrue(w.isAlive(), "still waiting for the slot");
        assertEquals(0, s.available());
        s.release(1);
        w.join(10_000);
        assertFalse(w.isAlive());
        assertTrue(flag[0], "the interrupt is kept for the caller");
        assertEquals(1, s.available());
    }

    @ParameterizedTest(name = "spin {0} ns")
    @ValueSource(longs = {0, 200_000})
    void waitersAreServedInArrivalOrder(long spin) throws Exception {
        CoreSlots s = new CoreSlots(1, spin);
        s.acquire();
        ConcurrentLinkedQueue<Integer> order = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int id = i;
            // thread i has its ticket before thread i + 1 starts
            threads.add(waiter(s, i + 1, () -> {
                s.acquire();
                order.add(id);
                s.release(1);
            }));
        }
        s.release(1);
        for (Thread t : threads) {
            t.join(10_000);
            assertFalse(t.isAlive(), "a waiter was never woken");
        }
        assertEquals(List.of(0, 1, 2, 3), new ArrayList<>(order));
        assertEquals(1, s.available());
    }

    @ParameterizedTest(name = "spin {0} ns")
    @ValueSource(longs = {0, 50_000, 5_000_000})
    void neverMoreHoldersThanSlotsUnderContention(long spin) throws Exception {
        int slots = 2;
        CoreSlots s = new CoreSlots(slots, spin);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Thread t = new Thread(() -> {
                for (int k = 0; k < 2_000; k++) {
                    s.acquire();
                    int n = inside.incrementAndGet();
                    most.accumulateAndGet(n, Math::max);
                    if (k % 64 == 0) {
                        Thread.yield();
                    }
                    inside.decrementAndGet();
                    s.release(1);
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join(60_000);
            assertFalse(t.isAlive(), "a waiter was never woken");
        }
        assertTrue(most.get() <= slots, "at most " + slots + " holders, saw " + most.get());
        assertEquals(slots, s.available());
        assertEquals(0, s.waiting());
    }
}
