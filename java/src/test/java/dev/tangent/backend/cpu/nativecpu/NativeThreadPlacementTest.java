package dev.tangent.backend.cpu.nativecpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tangent.backend.SchedPolicy;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * libtangent_cpu's thread placement (ABI 4) on the real kernel: the thread id, saving and setting
 * a CPU mask, restricting another thread to the caller's CPU, and the refusals turned into Java
 * exceptions or {@code false}. Every thread's mask is put back.
 */
class NativeThreadPlacementTest {

    @BeforeAll
    static void library() {
        assumeTrue(NativeCpuLibrary.isAvailable(), () -> "skipped: " + NativeCpuLibrary.unavailableReason());
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "thread placement is Linux-only");
    }

    private static int cpusIn(MemorySegment mask) {
        int n = 0;
        for (long i = 0; i < mask.byteSize(); i++) {
            n += Integer.bitCount(mask.get(ValueLayout.JAVA_BYTE, i) & 0xff);
        }
        return n;
    }

    @Test
    void threadIdsAreDistinctPerThreadAndStable() throws Exception {
        int mine = NativeCpuLibrary.threadId();
        assertTrue(mine > 0);
        assertEquals(mine, NativeCpuLibrary.threadId(), "the same thread, the same id");
        AtomicReference<Integer> other = new AtomicReference<>();
        Thread t = new Thread(() -> other.set(NativeCpuLibrary.threadId()));
        t.start();
        t.join();
        assertNotEquals(mine, other.get().intValue(), "another thread, another id");
    }

    @Test
    void aSavedMaskCanBeSetBack() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment saved = a.allocate(NativeCpuLibrary.affinityBytes());
            NativeCpuLibrary.affinityGet(saved);
            assertTrue(cpusIn(saved) >= 1 && cpusIn(saved) <= Runtime.getRuntime().availableProcessors() + 1024,
                    "at least this thread's CPU");
            NativeCpuLibrary.affinitySet(saved);
            MemorySegment again = a.allocate(NativeCpuLibrary.affinityBytes());
            NativeCpuLibrary.affinityGet(again);
            assertArrayEquals(saved.toArray(ValueLayout.JAVA_BYTE), again.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /** A parked thread restricted to the caller's CPU sees one CPU in its mask, then puts its own back. */
    @Test
    void placingAnotherThreadRestrictsItToOneCpu() throws Exception {
        CountDownLatch ready = new CountDownLatch(1);
        CountDownLatch placed = new CountDownLatch(1);
        AtomicReference<Integer> tid = new AtomicReference<>();
        AtomicReference<Object> seen = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment before = a.allocate(NativeCpuLibrary.affinityBytes());
                MemorySegment during = a.allocate(NativeCpuLibrary.affinityBytes());
                MemorySegment after = a.allocate(NativeCpuLibrary.affinityBytes());
                NativeCpuLibrary.affinityGet(before);
                tid.set(NativeCpuLibrary.threadId());
                ready.countDown();
                placed.await(10, TimeUnit.SECONDS);
                NativeCpuLibrary.affinityGet(during);
                NativeCpuLibrary.affinitySet(before);
                NativeCpuLibrary.affinityGet(after);
                seen.set(new int[] {cpusIn(before), cpusIn(during), cpusIn(after)});
            } catch (Throwable e) {
                seen.set(e);
            }
        });
        t.start();
        assertTrue(ready.await(10, TimeUnit.SECONDS));
        assertTrue(NativeCpuLibrary.placeOnCurrentCpu(tid.get(), null), "a thread of this process can be placed");
        placed.countDown();
        t.join(10_000);
        if (seen.get() instanceof Throwable e) {
            throw new AssertionError(e);
        }
        int[] cpus = (int[]) seen.get();
        assertEquals(1, cpus[1], "restricted to exactly one CPU");
        assertEquals(cpus[0], cpus[2], "its own mask back");
    }

    @Test
    void theWaitPolicyIsBatchBetweenBeginAndEnd() throws Exception {
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = Thread.ofPlatform().uncaughtExceptionHandler((th, e) -> failed.set(e)).start(() -> {
            boolean switched = NativeCpuLibrary.waitPolicyBegin();
            try {
                assertTrue(switched, "a SCHED_OTHER thread is switched");
                assertEquals(3, policy(), "SCHED_BATCH");
                assertFalse(NativeCpuLibrary.waitPolicyBegin(), "already batch: left alone");
            } finally {
                NativeCpuLibrary.waitPolicyEnd(switched);
            }
            assertEquals(0, policy(), "SCHED_OTHER again");
            NativeCpuLibrary.waitPolicyEnd(false);   // nothing to undo
            assertEquals(0, policy());
        });
        t.join(10_000);
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
    }

    /** The calling thread's scheduling policy. */
    private static int policy() {
        return SchedPolicy.of(NativeCpuLibrary.threadId());
    }

    /** With the thread's own mask as {@code allowed}, a CPU outside it is not imposed: false, nothing changed. */
    @Test
    void aCpuOutsideTheAllowedMaskIsNotImposed() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment own = a.allocate(NativeCpuLibrary.affinityBytes());
            NativeCpuLibrary.affinityGet(own);
            MemorySegment none = a.allocate(NativeCpuLibrary.affinityBytes());
            int tid = NativeCpuLibrary.threadId();
            assertFalse(NativeCpuLibrary.placeOnCurrentCpu(tid, none), "no CPU allowed: not placed");
            MemorySegment after = a.allocate(NativeCpuLibrary.affinityBytes());
            NativeCpuLibrary.affinityGet(after);
            assertArrayEquals(own.toArray(ValueLayout.JAVA_BYTE), after.toArray(ValueLayout.JAVA_BYTE), "mask unchanged");
            try {
                assertTrue(NativeCpuLibrary.placeOnCurrentCpu(tid, own), "the CPU it runs on is in its own mask");
                NativeCpuLibrary.affinityGet(after);
                assertEquals(1, cpusIn(after));
            } finally {
                NativeCpuLibrary.affinitySet(own);
            }
            assertThrows(IllegalArgumentException.class, () -> NativeCpuLibrary.placeOnCurrentCpu(tid, a.allocate(8)));
        }
    }

    @Test
    void refusalsAreFalseOrExceptionsNamingTheCall() {
        assertThrows(IllegalArgumentException.class, () -> NativeCpuLibrary.placeOnCurrentCpu(0, null));
        assertThrows(IllegalArgumentException.class, () -> NativeCpuLibrary.placeOnCurrentCpu(-5, null));
        // pid_max is at most 2^22 on Linux: no such thread, the kernel refuses (ESRCH)
        assertFalse(NativeCpuLibrary.placeOnCurrentCpu((1 << 22) + 12_345, null));
        try (Arena a = Arena.ofConfined()) {
            IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                    () -> NativeCpuLibrary.affinitySet(a.allocate(8)));
            assertTrue(small.getMessage().contains("needed"), small.getMessage());
            MemorySegment none = a.allocate(NativeCpuLibrary.affinityBytes());   // all zero: no CPU at all
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> NativeCpuLibrary.affinitySet(none));
            assertTrue(e.getMessage().contains("tangent_cpu_affinity_set") && e.getMessage().contains("errno 22"),
                    e.getMessage());
            MemorySegment mask = a.allocate(NativeCpuLibrary.affinityBytes());
            NativeCpuLibrary.affinityGet(mask);
            assertTrue(cpusIn(mask) >= 1, "the refused call changed nothing");
        }
    }
}
