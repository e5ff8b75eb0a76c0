package dev.tangent.backend;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Host memory from the C allocator, 64-byte aligned (what oneDNN and AVX-512 like), with Tangent's
 * own accounting of live bytes.
 *
 * <p>Memory comes from {@code aligned_alloc}/{@code free} rather than a shared {@code Arena}: closing
 * a shared arena costs a thread handshake (microseconds), too much for per-op temporaries; freed
 * tensors are guarded in Java by {@link Storage#checkAlive(String)} instead.
 *
 * <p><b>Large blocks are kept for reuse.</b> A freed block of at least {@link #CACHE_MIN_BYTES}
 * (256 KiB; {@code -Dtangent.cpu.cache.min_bytes}) goes to a cache of freed blocks, by size, while
 * the cache holds at most {@link #CACHE_MAX_BYTES} (64 MiB; {@code -Dtangent.cpu.cache.bytes}, 0
 * turns it off); an allocation of the same size takes the most recently freed one. glibc's malloc
 * hands such blocks back to the kernel on free (munmap, or trimming a thread's heap) more often than
 * not, and the next op then takes a page fault on every 4 KiB of its output: measured on the eager
 * {@code (x.sin() * x.exp()).sum()} over 2^20 float32 (three 4 MiB outputs a call), 570 minor faults
 * and a quarter of the time in the kernel per call (ElementwiseProbe / TangentElementwiseBench in
 * benchmarks). Cached blocks are not live bytes ({@link #liveBytes()}); {@link #cachedBytes()} says
 * what the cache holds and {@link #releaseCached()} frees it.
 */
public final class NativeMemory {
    private static final long ALIGN = 64;
    /** Smallest block (bytes, after rounding to 64) the cache keeps. */
    public static final long CACHE_MIN_BYTES = Long.getLong("tangent.cpu.cache.min_bytes", 256L << 10);
    /** Most bytes the cache of freed blocks holds (0: no cache). */
    public static final long CACHE_MAX_BYTES = Math.max(0, Long.getLong("tangent.cpu.cache.bytes", 64L << 20));
    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle FREE;
    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong LIVE_BLOCKS = new AtomicLong();
    /** Freed blocks by rounded size, most recent last; guarded by itself. */
    private static final Map<Long, ArrayDeque<Long>> CACHE = new HashMap<>();
    /** Bytes in {@link #CACHE}; written under its lock. */
    private static final AtomicLong CACHED_BYTES = new AtomicLong();

    static {
        Linker linker = Linker.nativeLinker();
        var lookup = linker.defaultLookup();
        ALIGNED_ALLOC = linker.downcallHandle(lookup.find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        FREE = linker.downcallHandle(lookup.find("free").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    }

    private NativeMemory() {}

    /** Allocates {@code bytes} (rounded up to 64) of uninitialised host memory. */
    public static MemorySegment allocate(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("allocate: negative size " + bytes);
        }
        long rounded = Math.max(ALIGN, (bytes + ALIGN - 1) & -ALIGN);
        long address = rounded >= CACHE_MIN_BYTES ? takeCached(rounded) : 0;
        if (address == 0) {
            address = alignedAlloc(rounded);
            if (address == 0 && CACHED_BYTES.get() > 0) {
                releaseCached();
                address = alignedAlloc(rounded);
            }
        }
        if (address == 0) {
            throw new OutOfMemoryError("Tangent: native allocation of " + bytes + " bytes failed ("
                    + LIVE_BYTES.get() + " bytes live)");
        }
        LIVE_BYTES.addAndGet(bytes);
        LIVE_BLOCKS.incrementAndGet();
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    private static long alignedAlloc(long rounded) {
        try {
            return ((MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGN, rounded)).address();
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed", t);
        }
    }

    /** Frees memory from {@link #allocate(long)}. */
    public static void free(MemorySegment segment) {
        long bytes = segment.byteSize();
        long rounded = Math.max(ALIGN, (bytes + ALIGN - 1) & -ALIGN);
        LIVE_BYTES.addAndGet(-bytes);
        LIVE_BLOCKS.decrementAndGet();
        if (rounded >= CACHE_MIN_BYTES && putCached(segment.address(), rounded)) {
            return;
        }
        cFree(segment.address());
    }

    private static void cFree(long address) {
        try {
            FREE.invokeExact(MemorySegment.ofAddress(address));
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }

    private static long takeCached(long rounded) {
        synchronized (CACHE) {
            ArrayDeque<Long> q = CACHE.get(rounded);
            if (q == null || q.isEmpty()) {
                return 0;
            }
            CACHED_BYTES.addAndGet(-rounded);
            return q.pollLast();
        }
    }

    private static boolean putCached(long address, long rounded) {
        synchronized (CACHE) {
            if (CACHED_BYTES.get() + rounded > CACHE_MAX_BYTES) {
                return false;
            }
            CACHE.computeIfAbsent(rounded, k -> new ArrayDeque<>()).addLast(address);
            CACHED_BYTES.addAndGet(rounded);
            return true;
        }
    }

    /** Hands every block the cache of freed blocks holds back to the C allocator. */
    public static void releaseCached() {
        synchronized (CACHE) {
            for (ArrayDeque<Long> q : CACHE.values()) {
                for (Long a : q) {
                    cFree(a);
                }
            }
            CACHE.clear();
            CACHED_BYTES.set(0);
        }
    }

    /** Bytes of freed blocks the cache holds for reuse (not counted in {@link #liveBytes()}). */
    public static long cachedBytes() {
        return CACHED_BYTES.get();
    }

    /** Bytes of host memory Tangent currently holds for tensors. */
    public static long liveBytes() {
        return LIVE_BYTES.get();
    }

    /** Number of live host allocations. */
    public static long liveBlocks() {
        return LIVE_BLOCKS.get();
    }
}
