package dev.tangent.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * The cache of freed large blocks in {@link NativeMemory}: a freed block of at least {@link
 * NativeMemory#CACHE_MIN_BYTES} is handed to the next allocation of its size (the same address),
 * is not counted as live, small blocks are not kept, the cache never holds more than {@link
 * NativeMemory#CACHE_MAX_BYTES}, and {@link NativeMemory#releaseCached()} empties it.
 */
class NativeMemoryCacheTest {
    @Test
    void largeBlocksAreReusedAndNotCountedLive() {
        NativeMemory.releaseCached();
        long live0 = NativeMemory.liveBytes();
        long size = Math.max(NativeMemory.CACHE_MIN_BYTES, 1 << 20) + 12; // rounded to 64 inside
        MemorySegment a = NativeMemory.allocate(size);
        assertEquals(size, a.byteSize());
        a.set(ValueLayout.JAVA_INT, size - 4, 42); // the whole size is usable
        long address = a.address();
        NativeMemory.free(a);
        assertEquals(live0, NativeMemory.liveBytes(), "a cached block is not live");
        if (NativeMemory.CACHE_MAX_BYTES >= size) {
            assertTrue(NativeMemory.cachedBytes() >= size, "the freed block is kept");
            MemorySegment b = NativeMemory.allocate(size);
            assertEquals(address, b.address(), "the next allocation of that size reuses it");
            assertEquals(0, NativeMemory.cachedBytes());
            assertEquals(live0 + size, NativeMemory.liveBytes());
            NativeMemory.free(b);
        }
        long cachedBeforeSmall = NativeMemory.cachedBytes();
        MemorySegment small = NativeMemory.allocate(1000);
        NativeMemory.free(small);
        assertEquals(cachedBeforeSmall, NativeMemory.cachedBytes(), "small blocks are not kept");
        NativeMemory.releaseCached();
        assertEquals(0, NativeMemory.cachedBytes());
        assertEquals(live0, NativeMemory.liveBytes());
    }

    @Test
    void theCacheStaysWithinItsBound() {
        NativeMemory.releaseCached();
        long block = 4L << 20;
        int count = (int) (NativeMemory.CACHE_MAX_BYTES / block) + 3;
        MemorySegment[] s = new MemorySegment[count];
        for (int i = 0; i < count; i++) {
            s[i] = NativeMemory.allocate(block);
        }
        for (MemorySegment m : s) {
            NativeMemory.free(m);
        }
        assertTrue(NativeMemory.cachedBytes() <= NativeMemory.CACHE_MAX_BYTES,
                () -> NativeMemory.cachedBytes() + " bytes cached, bound " + NativeMemory.CACHE_MAX_BYTES);
        NativeMemory.releaseCached();
    }
}
