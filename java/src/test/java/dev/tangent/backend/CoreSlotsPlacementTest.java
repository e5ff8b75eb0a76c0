package dev.tangent.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Placed wake-ups: a slot's waiter sleeps under SCHED_BATCH, the releaser restricts it to its own
 * CPU (libtangent_cpu on the real kernel), and the waiter's own CPU mask and policy are back once
 * {@code acquire} returns; a refused placement or a virtual thread is simply not placed.
 */
class CoreSlotsPlacementTest {

    @BeforeAll
    static void library() {
        assumeTrue(NativeCpuLibrary.isAvailable(), () -> "skipped: " + NativeCpuLibrary.unavailableReason());
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "thread placement is Linux-only");
    }

    /** The native placement, counting its calls; {@code refuse} makes every placement fail as the OS may. */
    private static final class Counting implements ThreadPlacement {
        final AtomicInteger places = new AtomicInteger();
        final AtomicInteger restores = new AtomicInteger();
        final AtomicInteger waits = new AtomicInteger();
        final AtomicInteger policyBacks = new AtomicInteger();
        final boolean refuse;

        Counting(boolean refuse) {
            this.refuse = refuse;
        }

        public long maskBytes() {
            return NativeCpuLibrary.affinityBytes();
        }

        public int currentThreadId() {
            return NativeCpuLibrary.threadId();
        }

        public void saveMask(MemorySegment mask) {
            NativeCpuLibrary.affinityGet(mask);
        }

        public void restoreMask(MemorySegment mask) {
            restores.incrementAndGet();
            NativeCpuLibrary.affinitySet(mask);
        }

        public boolean enterWait() {
            waits.incrementAndGet();
            return NativeCpuLibrary.waitPolicyBegin();
        }

        public void exitWait(boolean changed) {
            if (changed) {
                policyBacks.incrementAndGet();
            }
            NativeCpuLibrary.waitPolicyEnd(changed);
        }

        public boolean placeOnCurrentCpu(int threadId, MemorySegment allowed) {
            places.incrementAndGet();
            return !refuse && NativeCpuLibrary.placeOnCurrentCpu(threadId, allowed);
        }
    }

    private static byte[] mask() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(NativeCpuLibrary.affinityBytes());
            NativeCpuLibrary.affinityGet(m);
            return m.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private static int cpus(byte[] mask) {
        int n = 0;
        for (byte b : mask) {
            n += Integer.bitCount(b & 0xff);
        }
        return n;
    }

    /** Returns once {@code w} is parked (a virtual thread reports WAITING too). */
    private static void awaitParked(Thread w) throws InterruptedException {
        while (w.getState() != Thread.State.WAITING) {
            Thread.sleep(1);
        }
    }

    /** Policies seen by the last platform-thread hand-over: {before, while parked, after}. */
    private static final int[] POLICIES = new int[3];

    /** Runs one hand-over: the test thread holds the only slot, a waiter parks, the release wakes it. */
    private static byte[][] handOver(CoreSlots s, boolean virtual) throws Exception {
        assertTrue(s.tryAcquire());
        byte[][] masks = new byte[2][];
        int[] tid = {0};
        Runnable body = () -> {
            if (!virtual) {
                masks[0] = mask();
                tid[0] = NativeCpuLibrary.threadId();
                POLICIES[0] = SchedPolicy.of(tid[0]);
            }
            s.acquire();
            if (!virtual) {
                masks[1] = mask();
                POLICIES[2] = SchedPolicy.of(tid[0]);
            }
            s.release(1);
        };
        Thread w = virtual ? Thread.ofVirtual().start(body) : Thread.ofPlatform().start(body);
        awaitParked(w);
        if (!virtual) {
            POLICIES[1] = SchedPolicy.of(tid[0]);
        }
        s.release(1);
        w.join(10_000);
        assertEquals(Thread.State.TERMINATED, w.getState(), "the waiter was woken");
        assertEquals(1, s.available());
        return masks;
    }

    @Test
    void theWaiterIsPlacedAndItsMaskIsBackWhenItRuns() throws Exception {
        CoreSlots s = new CoreSlots(1, 0);
        Counting c = new Counting(false);
        s.placement(c);
        byte[][] m = handOver(s, false);
        assertEquals(1, c.places.get(), "the releaser placed the waiter");
        assertEquals(1, s.placedWakeups());
        assertEquals(1, c.restores.get(), "the waiter undid the placement");
        assertArrayEquals(m[0], m[1], "the waiter's own mask is back when acquire returns");
        assertTrue(cpus(m[1]) >= 1);
        assertEquals(0, POLICIES[0], "a plain thread runs under SCHED_OTHER");
        assertEquals(3, POLICIES[1], "parked for a slot: SCHED_BATCH, its wake-up does not preempt the releaser");
        assertEquals(0, POLICIES[2], "SCHED_OTHER again once it runs");
        assertEquals(1, c.policyBacks.get());
    }

    /** A waiter the application pinned to CPU 0 is not moved to the releaser's CPU 1. */
    @Test
    void anApplicationsOwnPinningIsRespected() throws Exception {
        byte[] own = mask();
        assumeTrue((own[0] & 3) == 3, "needs CPUs 0 and 1");
        CoreSlots s = new CoreSlots(1, 0);
        Counting c = new Counting(false);
        s.placement(c);
        assertTrue(s.tryAcquire());
        byte[][] seen = new byte[1][];
        Thread w = Thread.ofPlatform().start(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment cpu0 = a.allocate(NativeCpuLibrary.affinityBytes());
                cpu0.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
                NativeCpuLibrary.affinitySet(cpu0);   // the application's pinning
                s.acquire();
                seen[0] = mask();
                s.release(1);
            }
        });
        awaitParked(w);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cpu1 = a.allocate(NativeCpuLibrary.affinityBytes());
            cpu1.set(ValueLayout.JAVA_BYTE, 0, (byte) 2);
            NativeCpuLibrary.affinitySet(cpu1);   // the releaser runs on CPU 1
            s.release(1);
        } finally {
            try (Arena a = Arena.ofConfined()) {
                NativeCpuLibrary.affinitySet(a.allocateFrom(ValueLayout.JAVA_BYTE, padded(own)));
            }
        }
        w.join(10_000);
        assertEquals(Thread.State.TERMINATED, w.getState());
        assertEquals(1, c.places.get(), "the releaser tried");
        assertEquals(0, s.placedWakeups(), "CPU 1 is outside the waiter's own mask: not placed");
        assertEquals(1, cpus(seen[0]));
        assertEquals(1, seen[0][0], "still pinned to CPU 0 only, as the application set it");
    }

    private static byte[] padded(byte[] mask) {
        return java.util.Arrays.copyOf(mask, (int) NativeCpuLibrary.affinityBytes());
    }

    @Test
    void aRefusedPlacementStillWakesTheWaiterAndRestoresNothing() throws Exception {
        CoreSlots s = new CoreSlots(1, 0);
        Counting c = new Counting(true);
        s.placement(c);
        byte[][] m = handOver(s, false);
        assertEquals(1, c.places.get());
        assertEquals(0, s.placedWakeups());
        assertEquals(0, c.restores.get());
        assertArrayEquals(m[0], m[1]);
    }

    @Test
    void virtualThreadsAreNotPlaced() throws Exception {
        CoreSlots s = new CoreSlots(1, 0);
        Counting c = new Counting(false);
        s.placement(c);
        handOver(s, true);
        assertEquals(0, c.places.get(), "a virtual thread's carrier may change while it waits");
        assertEquals(0, c.restores.get());
        assertEquals(0, c.waits.get(), "nor is its carrier's policy changed");
    }

    /** A release of two slots at once places only the first waiter: two on one CPU would queue behind each other. */
    @Test
    void aMultiSlotReleasePlacesOnlyTheFirstWaiter() throws Exception {
        CoreSlots s = new CoreSlots(2, 0);
        Counting c = new Counting(false);
        s.placement(c);
        assertTrue(s.tryAcquire());
        assertTrue(s.tryAcquire());
        List<Thread> waiters = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Thread w = Thread.ofPlatform().start(() -> {
                s.acquire();
                s.release(1);
            });
            awaitParked(w);
            waiters.add(w);
        }
        s.release(2);
        for (Thread w : waiters) {
            w.join(10_000);
            assertEquals(Thread.State.TERMINATED, w.getState(), "every waiter was woken");
        }
        assertEquals(1, c.places.get(), "only the first of the two was placed");
        assertEquals(2, s.available());
    }

    /** Many threads over two slots: every hand-over completes, nobody keeps a one-CPU mask, no slot is lost. */
    @Test
    void underContentionEveryThreadEndsWithItsOwnMask() throws Exception {
        CoreSlots s = new CoreSlots(2, 0);
        Counting c = new Counting(false);
        s.placement(c);
        AtomicInteger holders = new AtomicInteger();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            threads.add(Thread.ofPlatform().uncaughtExceptionHandler((th, e) -> failures.add(String.valueOf(e))).start(() -> {
                byte[] own = mask();
                for (int k = 0; k < 300; k++) {
                    s.acquire();
                    if (holders.incrementAndGet() > 2) {
                        failures.add("more holders than slots");
                    }
                    if (!java.util.Arrays.equals(own, mask())) {
                        failures.add("a holder runs with a mask not its own");
                    }
                    double x = 0;
                    for (int j = 0; j < 2_000; j++) {
                        x += Math.sqrt(j + k);
                    }
                    if (x < 0) {
                        failures.add("unreachable");
                    }
                    holders.decrementAndGet();
                    s.release(1);
                }
            }));
        }
        for (Thread t : threads) {
            t.join(60_000);
            assertEquals(Thread.State.TERMINATED, t.getState(), "a waiter was never woken");
        }
        assertTrue(failures.isEmpty(), () -> failures.peek());
        assertEquals(2, s.available());
        assertTrue(s.placedWakeups() > 0, "6 threads on 2 slots wait, and their wake-ups are placed");
        assertEquals(s.placedWakeups(), c.restores.get(), "each placed waiter undid its placement");
        assertEquals(c.waits.get(), c.policyBacks.get(), "each waiter got its policy back");
    }
}
