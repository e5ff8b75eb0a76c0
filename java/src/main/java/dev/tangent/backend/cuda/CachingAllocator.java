package dev.tangent.backend.cuda;

import static dev.tangent.bindings.cuda.cuda_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching device allocator in the manner of PyTorch's: sizes are rounded into buckets, freed
 * blocks go to a free list of their bucket instead of back to the driver, and an allocation of a
 * bucket size reuses a cached block without calling {@code cuMemAlloc}.
 *
 * <p>Free lists are kept per stream (the stream of the thread that allocated the block): work is
 * ordered within a stream, so a block freed while kernels that use it are still queued can be
 * handed to the next allocation on the same stream without synchronizing. A block is never handed
 * to another stream (another thread). When several streams exist, a block may have been used by
 * kernels on other streams (a tensor shared across threads): it is freed with
 * {@link #freeAfter}, which keeps it out of the cache until an event recorded on every stream at
 * free time has completed (PyTorch's {@code record_stream}, made automatic).
 *
 * <p>When {@code cuMemAlloc} runs out of memory the cache is emptied (after synchronizing the
 * context) and the allocation retried once; if it still fails, a {@link CudaException} names the
 * request, the device's free and total memory, and what this allocator holds.
 *
 * <p>Thread-safe: bookkeeping is synchronized; {@link #free} makes no CUDA call, so the garbage
 * collector's cleaner thread may call it.
 */
final class CachingAllocator {
    /** Sizes up to this are rounded to {@value #SMALL_ROUND} bytes. */
    static final long SMALL_LIMIT = 1L << 20;
    static final long SMALL_ROUND = 512;

    private final CudaBackend backend;
    /** stream address -> (rounded size -> cached block addresses). */
    private final Map<Long, TreeMap<Long, ArrayDeque<Long>>> free = new HashMap<>();
    /** live block address -> {rounded size, stream}. */
    private final Map<Long, long[]> live = new HashMap<>();
    /** Freed blocks waiting for their events: {ptr, events...}. */
    private final java.util.List<long[]> pending = new java.util.ArrayList<>();
    private long cachedBytes;
    private long allocatedBytes;
    private long driverAllocations;

    CachingAllocator(CudaBackend backend) {
        this.backend = backend;
    }

    /** The bucket a request of {@code bytes} falls in. */
    static long roundSize(long bytes) {
        long b = Math.max(bytes, 1);
        if (b <= SMALL_LIMIT) {
            return (b + SMALL_ROUND - 1) / SMALL_ROUND * SMALL_ROUND;
        }
        // Four buckets per power of two above 1 MiB (PyTorch's roundup_power2_divisions = 4).
        long p = Long.highestOneBit(b);
        long step = p / 4;
        return (b + step - 1) / step * step;
    }

    /** A device block of at least {@code bytes} for kernels on {@code stream}; the context must be current. */
    long allocate(long bytes, long stream) {
        long size = roundSize(bytes);
        reclaimPending();
        synchronized (this) {
            TreeMap<Long, ArrayDeque<Long>> lists = free.get(stream);
            ArrayDeque<Long> q = lists == null ? null : lists.get(size);
            if (q != null && !q.isEmpty()) {
                long ptr = q.pop();
                cachedBytes -= size;
                allocatedBytes += size;
                live.put(ptr, new long[] {size, stream});
                return ptr;
            }
        }
        long ptr = driverAlloc(size);
        if (ptr == 0) {
            emptyCache();
            ptr = driverAlloc(size);
            if (ptr == 0) {
                throw outOfMemory(bytes, size);
            }
        }
        synchronized (this) {
            driverAllocations++;
            allocatedBytes += size;
            live.put(ptr, new long[] {size, stream});
        }
        return ptr;
    }

    /** Returns a block to its stream's cache; no CUDA call. Unknown addresses are an error. */
    synchronized void free(long ptr) {
        long[] info = live.remove(ptr);
        if (info == null) {
            throw new IllegalStateException("CUDA allocator: free of unknown or already freed device address 0x"
                    + Long.toHexString(ptr));
        }
        allocatedBytes -= info[0];
        cachedBytes += info[0];
        free.computeIfAbsent(info[1], k -> new TreeMap<>()).computeIfAbsent(info[0], k -> new ArrayDeque<>()).push(ptr);
    }

    /**
     * Frees a block that kernels on other streams may still use: it joins its stream's cache once
     * every event in {@code events} (recorded on each stream after its last use) has completed.
     */
    void freeAfter(long ptr, long[] events) {
        synchronized (this) {
            if (!live.containsKey(ptr)) {
                throw new IllegalStateException("CUDA allocator: free of unknown or already freed device address 0x"
                        + Long.toHexString(ptr));
            }
            long[] entry = new long[events.length + 1];
            entry[0] = ptr;
            System.arraycopy(events, 0, entry, 1, events.length);
            pending.add(entry);
        }
    }

    /** Moves pending blocks whose events have all completed into the cache. */
    private void reclaimPending() {
        java.util.List<long[]> done = new java.util.ArrayList<>();
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            for (var it = pending.iterator(); it.hasNext(); ) {
                long[] e = it.next();
                boolean complete = true;
                for (int i = 1; i < e.length && complete; i++) {
                    int rc = cuEventQuery(MemorySegment.ofAddress(e[i]));
                    if (rc == CUDA_ERROR_NOT_READY()) {
                        complete = false;
                    } else {
                        Cuda.check(rc, "cuEventQuery");
                    }
                }
                if (complete) {
                    it.remove();
                    done.add(e);
                }
            }
        }
        for (long[] e : done) {
            for (int i = 1; i < e.length; i++) {
                Cuda.check(cuEventDestroy_v2(MemorySegment.ofAddress(e[i])), "cuEventDestroy_v2");
            }
            free(e[0]);
        }
    }

    /** Gives every cached block back to the driver (synchronizes the device first). */
    void emptyCache() {
        backend.makeCurrent();
        Cuda.check(cuCtxSynchronize(), "cuCtxSynchronize");
        reclaimPending();
        Map<Long, TreeMap<Long, ArrayDeque<Long>>> drained;
        synchronized (this) {
            drained = new HashMap<>(free);
            free.clear();
            cachedBytes = 0;
        }
        if (drained.isEmpty()) {
            return;
        }
        backend.makeCurrent();
        Cuda.check(cuCtxSynchronize(), "cuCtxSynchronize");
        for (TreeMap<Long, ArrayDeque<Long>> lists : drained.values()) {
            for (ArrayDeque<Long> q : lists.values()) {
                for (long p : q) {
                    Cuda.check(cuMemFree_v2(p), "cuMemFree_v2");
                }
            }
        }
    }

    synchronized long cachedBytes() {
        return cachedBytes;
    }

    synchronized long allocatedBytes() {
        return allocatedBytes;
    }

    synchronized long driverAllocations() {
        return driverAllocations;
    }

    /** cuMemAlloc, or 0 when the device is out of memory. */
    private static long driverAlloc(long size) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.JAVA_LONG);
            int rc = cuMemAlloc_v2(p, size);
            if (rc == CUDA_ERROR_OUT_OF_MEMORY()) {
                return 0;
            }
            Cuda.check(rc, "cuMemAlloc_v2(" + size + " bytes)");
            return p.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    private CudaException outOfMemory(long bytes, long size) {
        long freeMem = -1;
        long total = -1;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment t = a.allocate(ValueLayout.JAVA_LONG);
            if (cuMemGetInfo_v2(f, t) == 0) {
                freeMem = f.get(ValueLayout.JAVA_LONG, 0);
                total = t.get(ValueLayout.JAVA_LONG, 0);
            }
        }
        String msg = "CUDA out of memory on " + backend.device() + ": tried to allocate " + human(bytes) + " ("
                + bytes + " bytes, rounded to " + size + "); the device has " + human(freeMem) + " free of "
                + human(total) + " total; Tangent holds " + human(allocatedBytes()) + " in live tensors and "
                + human(cachedBytes()) + " cached (the cache was emptied and the allocation retried once)";
        return new CudaException("cuMemAlloc_v2", CUDA_ERROR_OUT_OF_MEMORY(), "CUDA_ERROR_OUT_OF_MEMORY", msg);
    }

    static String human(long b) {
        if (b < 0) {
            return "unknown";
        }
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.2f %s", v, units[u]);
    }
}
