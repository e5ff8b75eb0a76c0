package dev.tangent.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Tangent;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** The host block cache: reuse by size class, accounting, its bound, and no block handed out twice. */
@Isolated
class NativeMemoryCacheTest {
    @AfterEach
    void release() {
        Tangent.releaseCachedMemory();
    }

    @Test
    void aFreedLargeBlockIsReusedForTheSameClassAndSmallOnesAreNotCached() {
        Assumptions.assumeTrue(NativeMemory.CACHE_LIMIT > 0, "cache turned off by tangent.host_cache_mb=0");
        Tangent.releaseCachedMemory();
        long live = NativeMemory.liveBytes();
        MemorySegment a = NativeMemory.allocate((1 << 20) + 100);
        assertEquals((1 << 20) + 100, a.byteSize());
        assertEquals(live + (1 << 20) + 100, NativeMemory.liveBytes());
        long addr = a.address();
        NativeMemory.free(a);
        assertEquals(live, NativeMemory.liveBytes(), "cached blocks are not live");
        assertEquals(NativeMemory.sizeClass((1 << 20) + 100), NativeMemory.cachedBytes());
        MemorySegment b = NativeMemory.allocate((1 << 20) + 60_000); // same class: 1 MiB + up to 128 KiB
        assertEquals(addr, b.address(), "the cached block is handed out again");
        assertEquals(0, NativeMemory.cachedBytes());
        MemorySegment small = NativeMemory.allocate(1000);
        NativeMemory.free(small);
        assertEquals(0, NativeMemory.cachedBytes(), "blocks under " + NativeMemory.MIN_CACHED + " bytes go back to malloc");
        NativeMemory.free(b);
        Tangent.releaseCachedMemory();
        assertEquals(0, Tangent.cachedBytes());
        assertEquals(live, NativeMemory.liveBytes());
    }

    @Test
    void sizeClassesWasteAtMostAnEighthAndAreMultiplesOf64() {
        for (long n : new long[] {0, 1, 63, 64, 65, 4095, 262_143, 262_144, 262_145, 1 << 20, (1 << 20) + 1, 3_000_001,
                123_456_789, 1L << 33}) {
            long c = NativeMemory.sizeClass(n);
            assertTrue(c >= n && c % 64 == 0, n + " -> " + c);
            if (n >= NativeMemory.MIN_CACHED && NativeMemory.CACHE_LIMIT > 0) {
                assertTrue(c <= n + n / 8 + 64, n + " -> " + c);
                assertEquals(c, NativeMemory.sizeClass(c), "a class is its own class");
            }
        }
        assertEquals(1 << 20, NativeMemory.sizeClass(1 << 20));
    }

    @Test
    void theCacheStaysWithinItsBound() {
        Assumptions.assumeTrue(NativeMemory.CACHE_LIMIT > 0 && NativeMemory.CACHE_LIMIT <= 1L << 30);
        List<MemorySegment> blocks = new ArrayList<>();
        long block = 32L << 20; // untouched pages: address space only
        for (long total = 0; total <= NativeMemory.CACHE_LIMIT + 2 * block; total += block) {
            blocks.add(NativeMemory.allocate(block));
        }
        blocks.forEach(NativeMemory::free);
        assertTrue(NativeMemory.cachedBytes() <= NativeMemory.CACHE_LIMIT, NativeMemory.cachedBytes() + " cached");
        assertTrue(NativeMemory.cachedBytes() >= NativeMemory.CACHE_LIMIT - block, NativeMemory.cachedBytes() + " cached");
    }

    /** Eight threads allocate, stamp, check and free blocks of a few classes: a block handed to two owners would show. */
    @Test
    void concurrentAllocateAndFreeNeverShareABlock() throws Exception {
        long live = NativeMemory.liveBytes();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                long id = t;
                done.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(id);
                    for (int i = 0; i < 1500; i++) {
                        long bytes = NativeMemory.MIN_CACHED * (1 + r.nextInt(4)) + r.nextInt(1000) * 8;
                        MemorySegment m = NativeMemory.allocate(bytes);
                        long stamp = id << 32 | i;
                        m.set(ValueLayout.JAVA_LONG, 0, stamp);
                        m.set(ValueLayout.JAVA_LONG, bytes - 8, ~stamp);
                        Thread.yield();
                        assertEquals(stamp, m.get(ValueLayout.JAVA_LONG, 0));
                        assertEquals(~stamp, m.get(ValueLayout.JAVA_LONG, bytes - 8));
                        NativeMemory.free(m);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(live, NativeMemory.liveBytes());
        assertTrue(NativeMemory.cachedBytes() <= NativeMemory.CACHE_LIMIT);
    }
}
