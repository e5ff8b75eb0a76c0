package dev.tangent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.backend.NativeMemory;
import dev.tangent.reliability.Memory;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Scopes free what was made inside them, at close; freed tensors fail loudly instead of touching freed memory. */
class ScopeMemoryTest {
    private long start;

    @BeforeEach
    void settle() throws InterruptedException {
        start = Memory.settledLiveBytes();
        assertNull(Scope.current(), "tests start with no scope open on this thread");
    }

    @Test
    void everyTensorMadeInAScopeIsFreedWhenItCloses() {
        Tensor a;
        Tensor y;
        try (Scope s = Scope.open()) {
            assertSame(s, Scope.current());
            a = Tensor.randn(1, 64, 64);
            y = a.matmul(a.T()).exp().sum(1).softmax(0);   // temporaries and results alike
            Tensor v = a.T().slice(0, 0, 64, 3);           // views allocate nothing new
            assertTrue(NativeMemory.liveBytes() >= start + 64 * 64 * 4 * 2);
            assertTrue(v.isAlive());
        }
        assertEquals(start, NativeMemory.liveBytes());
        assertFalse(a.isAlive());
        assertFalse(y.isAlive());
        assertNull(Scope.current());
    }

    @Test
    void nestedScopesFreeInnermostFirst() {
        try (Scope outer = Scope.open()) {
            Tensor a = Tensor.ones(256);
            long afterA = NativeMemory.liveBytes();
            Tensor b;
            try (Scope inner = Scope.open()) {
                assertSame(inner, Scope.current());
                b = a.add(1).mul(3);
                assertTrue(NativeMemory.liveBytes() > afterA);
            }
            assertSame(outer, Scope.current());
            assertEquals(afterA, NativeMemory.liveBytes());
            assertTrue(a.isAlive());
            assertFalse(b.isAlive());
        }
        assertEquals(start, NativeMemory.liveBytes());
    }

    @Test
    void keepMovesAResultToTheParentScope() {
        try (Scope outer = Scope.open()) {
            Tensor kept;
            Tensor dropped;
            try (Scope inner = Scope.open()) {
                Tensor x = Tensor.arange(0, 100, 1, DType.FLOAT64);
                dropped = x.exp();
                kept = inner.keep(x.mul(2).sum());
            }
            assertTrue(kept.isAlive());
            assertFalse(dropped.isAlive());
            assertEquals(9900.0, kept.item());
            // only the kept result is left in the outer scope (plus nothing else)
            assertEquals(start + 8, NativeMemory.liveBytes());
            // keep of a view keeps the base's storage
            Tensor row;
            try (Scope inner = Scope.open()) {
                row = inner.keep(Tensor.arange(0, 6, 1, DType.FLOAT64).reshape(2, 3).select(0, 1));
            }
            assertArrayEquals(new double[] {3, 4, 5}, row.toDoubleArray());
            // keep through two levels
            Tensor deep;
            try (Scope mid = Scope.open()) {
                try (Scope in = Scope.open()) {
                    deep = in.keep(Tensor.full(2.5, 3));
                }
                mid.keep(deep);
            }
            assertTrue(deep.isAlive());
        }
        assertEquals(start, NativeMemory.liveBytes());
    }

    @Test
    void keepWithNoParentHandsTheTensorToTheGarbageCollector() throws InterruptedException {
        Tensor kept;
        try (Scope s = Scope.open()) {
            kept = s.keep(Tensor.ones(1000));
        }
        assertTrue(kept.isAlive());
        assertEquals(1000.0, kept.sum().item());
        kept = null;
        // the cleaner frees it once unreachable
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (NativeMemory.liveBytes() > start && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(start, NativeMemory.liveBytes());
    }

    @Test
    void adoptMovesAnUnscopedTensorIntoAScope() {
        Tensor t = Tensor.ones(512);
        assertTrue(NativeMemory.liveBytes() >= start + 2048);
        try (Scope s = Scope.open()) {
            assertSame(t, s.adopt(t));
        }
        assertFalse(t.isAlive());
        assertEquals(start, NativeMemory.liveBytes());
    }

    @Test
    void scopesClosedOutOfOrder() {
        Scope outer = Scope.open();
        Scope a = Scope.open();
        Tensor ta = Tensor.ones(100);
        Scope b = Scope.open();
        Tensor tb = Tensor.ones(200);
        a.close();                                  // closes a while b (nested in it) is still open
        assertFalse(ta.isAlive());
        assertTrue(tb.isAlive());
        assertSame(b, Scope.current());
        Tensor kept = b.keep(tb.add(1));            // a is closed: the result goes to outer
        b.close();
        assertSame(outer, Scope.current());
        assertFalse(tb.isAlive());
        assertTrue(kept.isAlive());
        assertEquals(400.0, kept.sum().item());
        outer.close();
        assertFalse(kept.isAlive());
        assertNull(Scope.current());
        assertEquals(start, NativeMemory.liveBytes());
        // closing twice is harmless; keep on a closed scope is not
        outer.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.keep(Tensor.scalar(1f)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void anExceptionInsideAScopeStillFreesEverything() {
        assertThrows(IllegalArgumentException.class, () -> {
            try (Scope s = Scope.open()) {
                Tensor a = Tensor.ones(300, 3);
                a.exp().matmul(Tensor.ones(2, 2));
            }
        });
        assertNull(Scope.current());
        assertEquals(start, NativeMemory.liveBytes());
    }

    @Test
    void onlyTheOpeningThreadClosesAScope() throws Exception {
        try (Scope s = Scope.open()) {
            AtomicReference<Throwable> err = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    s.close();
                } catch (Throwable e) {
                    err.set(e);
                }
            });
            t.start();
            t.join();
            assertTrue(err.get() instanceof IllegalStateException, String.valueOf(err.get()));
            assertFalse(s.isClosed());
        }
    }

    // ------------------------------------------------------------------ freed tensors

    static void assertFreedError(String op, Executable use) {
        IllegalStateException e = assertThrows(IllegalStateException.class, use, op);
        String m = e.getMessage();
        assertTrue(m.contains(op), "message names the op " + op + ": " + m);
        assertTrue(m.contains("freed") && m.contains("Scope.keep"), "message says why and what to do: " + m);
    }

    @Test
    void usingAFreedTensorThrowsIllegalStateException() {
        Tensor x;
        Tensor xt;
        Tensor one;
        Tensor live;
        try (Scope s = Scope.open()) {
            x = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
            xt = x.T();
            one = Tensor.scalar(1.5);
        }
        assertFalse(x.isAlive());
        // reads
        assertFreedError("toDoubleArray", x::toDoubleArray);
        assertFreedError("toFloatArray", x::toFloatArray);
        assertFreedError("toLongArray", x::toLongArray);
        assertFreedError("item", one::item);
        assertFreedError("toString", x::toString);
        // ops, with the freed tensor on either side
        try (Scope s = Scope.open()) {
            live = Tensor.ones(DType.FLOAT64, 2, 2);
            assertFreedError("exp", x::exp);
            assertFreedError("add", () -> x.add(1));
            assertFreedError("add", () -> live.add(x));
            assertFreedError("mul", () -> live.mul(x));
            assertFreedError("matmul", () -> live.matmul(x));
            assertFreedError("sum", x::sum);
            assertFreedError("sum", x::mean);
            assertFreedError("reshape", () -> x.reshape(4));
            assertFreedError("permute", x::T);
            assertFreedError("slice", () -> x.slice(0, 0, 1));
            assertFreedError("contiguous", xt::contiguous);
            assertFreedError("cast", x::toFloat);
            assertFreedError("where", () -> Tensor.where(live.gt(0), x, live));
            assertFreedError("cat", () -> Tensor.cat(0, live, x));
            assertFreedError("index_select", () -> x.indexSelect(0, Tensor.arange(2)));
            assertFreedError("softmax", () -> x.softmax(0));
            // the live operand is unaffected
            assertEquals(4.0, live.sum().item());
        }
        // metadata needs no memory and still answers
        assertArrayEquals(new long[] {2, 2}, x.shape());
        assertEquals(DType.FLOAT64, x.dtype());
        assertEquals(start, NativeMemory.liveBytes());
    }

    // ------------------------------------------------------------------ many cycles

    /**
     * 100,000 scope cycles, each allocating 4 tensors of 4 KB (and scalar constants): 1.6 GB in all.
     * Native bytes must return exactly to where they started; and the process must not grow by
     * more than 64 MB beyond what the Java heap itself committed. A leak of one 4 KB block per cycle
     * would add 400 MB, so the bound catches any per-cycle leak while leaving room for malloc's
     * arenas and JIT code (a few MB) that legitimately appear during the run.
     */
    @Test
    void hundredThousandScopeCyclesLeakNothing() throws Exception {
        Function<Tensor, Tensor> work = x -> x.mul(2).add(1).exp().sum();
        Tensor seed = Tensor.rand(3, 1024);                 // unscoped: lives across cycles
        for (int i = 0; i < 2_000; i++) {                   // warm up JIT and malloc's free lists
            try (Scope s = Scope.open()) {
                work.apply(seed);
            }
        }
        long base = NativeMemory.liveBytes();
        System.gc();
        Runtime rt = Runtime.getRuntime();
        long heap0 = rt.totalMemory();
        long rss0 = Memory.rssBytes();
        long t0 = System.nanoTime();
        double check = 0;
        for (int i = 0; i < 100_000; i++) {
            try (Scope s = Scope.open()) {
                Tensor r = work.apply(seed);
                if (i % 10_000 == 0) {
                    check = r.item();
                }
            }
            if (i % 25_000 == 0) {
                assertEquals(base, NativeMemory.liveBytes(), "live bytes after cycle " + i);
            }
        }
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertEquals(base, NativeMemory.liveBytes());
        assertTrue(check > 1024, "the work computed something: " + check);
        long heapGrowth = Math.max(0, rt.totalMemory() - heap0);
        long rssGrowth = Memory.rssBytes() - rss0;
        assertTrue(rssGrowth - heapGrowth < 64L << 20, "RSS grew by " + (rssGrowth >> 20) + " MB (heap committed "
                + (heapGrowth >> 20) + " MB of it) over 100,000 cycles in " + seconds + " s");
        // Typically 3-8 s; the generous bound only catches a pathological slowdown on a loaded machine.
        assertTrue(seconds < 60, "100,000 cycles took " + seconds + " s");
    }
}
