package dev.tangent.backend;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Host memory from the C allocator, 64-byte aligned (what oneDNN and AVX-512 like), with Tangent's
 * own accounting of live bytes.
 *
 * <p>Memory comes from {@code aligned_alloc}/{@code free} rather than a shared {@code Arena}: closing
 * a shared arena costs a thread handshake (microseconds), too much for per-op temporaries; freed
 * tensors are guarded in Java by {@link Storage#checkAlive(String)} instead.
 *
 * <p><b>Block cache.</b> Freed blocks of at least {@value #MIN_CACHED} bytes are kept, by size class
 * (the size rounded up to an eighth of its highest power of two), for the next allocation of that
 * class, up to {@code tangent.host_cache_mb} MiB in all (system property or environment variable
 * {@code TANGENT_HOST_CACHE_MB}; default 512, 0 disables). Large blocks otherwise come fresh from
 * {@code mmap} on every call, and touching their pages cost a model's forward pass up to a sixth of
 * its time in page faults (encoder, batch 16: benchmarks/ANALYSIS.md). Cached blocks are not counted
 * as live; {@link #releaseCached()} returns them to the C allocator. Thread-safe.
 */
public final class NativeMemory {
    private static final long ALIGN = 64;
    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle FREE;
    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong LIVE_BLOCKS = new AtomicLong();
    static final long MIN_CACHED = 256 * 1024;
    static final long CACHE_LIMIT = cacheLimit();
    private static final AtomicLong CACHED_BYTES = new AtomicLong();
    private static final ConcurrentHashMap<Long, ConcurrentLinkedQueue<MemorySegment>> CACHE = new ConcurrentHashMap<>();

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
        long rounded = sizeClass(bytes);
        MemorySegment p = null;
        if (rounded >= MIN_CACHED && CACHE_LIMIT > 0) {
            ConcurrentLinkedQueue<MemorySegment> q = CACHE.get(rounded);
            p = q == null ? null : q.poll();
            if (p != null) {
                CACHED_BYTES.addAndGet(-rounded);
            }
        }
        if (p == null) {
            p = alignedAlloc(rounded);
            if (p.address() == 0 && CACHED_BYTES.get() > 0) {
                releaseCached();
                p = alignedAlloc(rounded);
            }
        }
        if (p.address() == 0) {
            throw new OutOfMemoryError("Tangent: native allocation of " + bytes + " bytes failed ("
                    + LIVE_BYTES.get() + " bytes live)");
        }
        LIVE_BYTES.addAndGet(bytes);
        LIVE_BLOCKS.incrementAndGet();
        return p.reinterpret(bytes);
    }

    /** Frees memory from {@link #allocate(long)}. */
    public static void free(MemorySegment segment) {
        long rounded = sizeClass(segment.byteSize());
        MemorySegment base = MemorySegment.ofAddress(segment.address());
        LIVE_BYTES.addAndGet(-segment.byteSize());
        LIVE_BLOCKS.decrementAndGet();
        if (rounded >= MIN_CACHED && CACHE_LIMIT > 0 && CACHED_BYTES.addAndGet(rounded) <= CACHE_LIMIT) {
            CACHE.computeIfAbsent(rounded, r -> new ConcurrentLinkedQueue<>()).offer(base.reinterpret(rounded));
            return;
        }
        if (rounded >= MIN_CACHED && CACHE_LIMIT > 0) {
            CACHED_BYTES.addAndGet(-rounded);
        }
        cFree(base);
    }

    /** Returns every cached free block to the C allocator; blocks in use are untouched. */
    public static void releaseCached() {
        for (ConcurrentLinkedQueue<MemorySegment> q : CACHE.values()) {
            for (MemorySegment p; (p = q.poll()) != null; ) {
                CACHED_BYTES.addAndGet(-p.byteSize());
                cFree(p);
            }
        }
    }

    /** Bytes of freed blocks held for reuse (not counted in {@link #liveBytes()}). */
    public static long cachedBytes() {
        return CACHED_BYTES.get();
    }

    /**
     * The bytes actually allocated for a request: a multiple of 64, and for large blocks the size
     * rounded up to an eighth of its highest power of two (at most 12.5 % more), so that blocks of
     * nearly the same size share a cache class; with the cache off, only the multiple of 64.
     */
    static long sizeClass(long bytes) {
        long rounded = Math.max(ALIGN, (bytes + ALIGN - 1) & -ALIGN);
        if (rounded < MIN_CACHED || CACHE_LIMIT == 0) {
            return rounded;
        }
        long step = Long.highestOneBit(rounded) >>> 3;
        return (rounded + step - 1) & -step;
    }

    private static MemorySegment alignedAlloc(long rounded) {
        try {
            // the cache keys blocks by their class size: a block's segment must carry that size
            return ((MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGN, rounded)).reinterpret(rounded);
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed", t);
        }
    }

    private static void cFree(MemorySegment p) {
        try {
            FREE.invokeExact(MemorySegment.ofAddress(p.address()));
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }

    private static long cacheLimit() {
        String v = System.getProperty("tangent.host_cache_mb", System.getenv("TANGENT_HOST_CACHE_MB"));
        if (v == null || v.isBlank()) {
            return 512L << 20;
        }
        try {
            long mb = Long.parseLong(v.trim());
            if (mb < 0) {
                throw new NumberFormatException("negative");
            }
            return mb << 20;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tangent.host_cache_mb: expected a number of MiB >= 0, got '" + v + "'", e);
        }
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
