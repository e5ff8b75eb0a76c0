package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.bindings.dnnl.dnnl_h.*;

import dev.tangent.backend.ThreadBudget;
import dev.tangent.backend.Operand;
import dev.tangent.bindings.dnnl.dnnl_exec_arg_t;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * oneDNN primitives cached by {@link PrimitiveKey} in a bounded LRU cache, and their execution:
 * each thread has its own stream, memory objects and user-managed scratchpad (executing one
 * primitive from several threads with oneDNN's default scratchpad gives wrong results, measured).
 * Evicting a primitive waits until no thread executes one (a read-write lock), so eviction never
 * destroys one in use.
 */
final class PrimitiveCache {
    private static final int MAX_ARGS = 5;

    private final MemorySegment engine;
    private final int capacity;
    private final LinkedHashMap<PrimitiveKey, Entry> cache;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final ThreadLocal<PerThread> local = ThreadLocal.withInitial(PerThread::new);
    private volatile DnnlAccelerator.ThreadCount threadCount = n -> { };

    PrimitiveCache(MemorySegment engine, int capacity) {
        this.engine = engine;
        this.capacity = capacity;
        this.cache = new LinkedHashMap<>(64, 0.75f, true);
    }

    MemorySegment engine() {
        return engine;
    }

    void threadCount(DnnlAccelerator.ThreadCount tc) {
        this.threadCount = tc;
    }

    long hits() {
        return hits.get();
    }

    long misses() {
        return misses.get();
    }

    int size() {
        lock.readLock().lock();
        try {
            synchronized (cache) {
                return cache.size();
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A cached primitive, or the fact that oneDNN has none for this key. */
    static final class Entry {
        final MemorySegment primitive; // NULL: unimplemented, use the Java kernel
        final MemorySegment pd;
        final MemorySegment[] mds;     // one per argument, in argIds order (owned)
        final int[] argIds;
        final MemorySegment scratchMd;
        final long scratchBytes;
        volatile boolean evicted;

        Entry(MemorySegment primitive, MemorySegment pd, MemorySegment[] mds, int[] argIds,
                MemorySegment scratchMd, long scratchBytes) {
            this.primitive = primitive;
            this.pd = pd;
            this.mds = mds;
            this.argIds = argIds;
            this.scratchMd = scratchMd;
            this.scratchBytes = scratchBytes;
        }

        static final Entry UNIMPLEMENTED = new Entry(MemorySegment.NULL, MemorySegment.NULL, new MemorySegment[0],
                new int[0], MemorySegment.NULL, 0);
    }

    @FunctionalInterface
    interface Builder {
        Entry build(Arena arena);
    }

    @FunctionalInterface
    interface PdCreate {
        int create(MemorySegment pdOut, MemorySegment attr);
    }

    Entry create(Arena arena, String call, PdCreate f, int[] argIds, MemorySegment... mds) {
        MemorySegment out = arena.allocate(C_POINTER);
        Dnnl.check(dnnl_primitive_attr_create(out), "dnnl_primitive_attr_create");
        MemorySegment attr = out.get(C_POINTER, 0);
        try {
            Dnnl.check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user()),
                    "dnnl_primitive_attr_set_scratchpad_mode");
            int st = f.create(out, attr);
            if (st == dnnl_unimplemented()) {
                for (MemorySegment md : mds) {
                    dnnl_memory_desc_destroy(md);
                }
                return Entry.UNIMPLEMENTED;
            }
            Dnnl.check(st, call);
            MemorySegment pd = out.get(C_POINTER, 0);
            Dnnl.check(dnnl_primitive_create(out, pd), "dnnl_primitive_create");
            MemorySegment prim = out.get(C_POINTER, 0);
            MemorySegment scratchMd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md(), 0);
            long scratch = scratchMd.equals(MemorySegment.NULL) ? 0 : dnnl_memory_desc_get_size(scratchMd);
            return new Entry(prim, pd, mds, argIds, scratchMd, scratch);
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
    }

    boolean run(PrimitiveKey key, Builder builder, Operand... tensors) {
        Entry e = lookup(key, builder);
        if (e.primitive.equals(MemorySegment.NULL)) {
            return false;
        }
        PerThread pt = local.get();
        pt.ensureThreads();
        lock.readLock().lock();
        try {
            if (e.evicted) {
                e = lookup(key, builder); // re-created after eviction
                if (e.primitive.equals(MemorySegment.NULL)) {
                    return false;
                }
            }
            MemorySegment[] mems = pt.memories(e);
            MemorySegment args = pt.args;
            int nargs = e.argIds.length;
            for (int i = 0; i < nargs; i++) {
                Operand t = tensors[i];
                long addr = t.address();
                Dnnl.check(dnnl_memory_set_data_handle(mems[i], MemorySegment.ofAddress(addr)),
                        "dnnl_memory_set_data_handle");
                MemorySegment arg = dnnl_exec_arg_t.asSlice(args, i);
                dnnl_exec_arg_t.arg(arg, e.argIds[i]);
                dnnl_exec_arg_t.memory(arg, mems[i]);
            }
            if (e.scratchBytes > 0) {
                MemorySegment smem = pt.scratchMemory(e);
                MemorySegment arg = dnnl_exec_arg_t.asSlice(args, nargs);
                dnnl_exec_arg_t.arg(arg, DNNL_ARG_SCRATCHPAD());
                dnnl_exec_arg_t.memory(arg, smem);
                nargs++;
            }
            Dnnl.check(dnnl_primitive_execute(e.primitive, pt.stream, nargs, args), "dnnl_primitive_execute");
            Dnnl.check(dnnl_stream_wait(pt.stream), "dnnl_stream_wait");
            return true;
        } finally {
            lock.readLock().unlock();
        }
    }

    private Entry lookup(PrimitiveKey key, Builder builder) {
        synchronized (cache) {
            Entry e = cache.get(key);
            if (e != null) {
                hits.incrementAndGet();
                return e;
            }
        }
        misses.incrementAndGet();
        Entry created;
        try (Arena arena = Arena.ofConfined()) {
            created = builder.build(arena);
        } catch (DnnlException e) {
            if (e.status() != dnnl_invalid_arguments()) {
                throw e;
            }
            // A layout oneDNN cannot describe (e.g. strides it takes for overlapping): the Java kernel runs it.
            created = Entry.UNIMPLEMENTED;
        }
        List<Entry> evicted = new ArrayList<>();
        synchronized (cache) {
            Entry raced = cache.get(key);
            if (raced != null) {
                evicted.add(created);
                created = raced;
            } else {
                cache.put(key, created);
                while (cache.size() > capacity) {
                    Map.Entry<PrimitiveKey, Entry> eldest = cache.entrySet().iterator().next();
                    cache.remove(eldest.getKey());
                    evicted.add(eldest.getValue());
                }
            }
        }
        if (!evicted.isEmpty()) {
            destroy(evicted);
        }
        return created;
    }

    private void destroy(List<Entry> entries) {
        lock.writeLock().lock();
        try {
            for (Entry e : entries) {
                if (e == Entry.UNIMPLEMENTED || e.primitive.equals(MemorySegment.NULL)) {
                    continue;
                }
                e.evicted = true;
                dnnl_primitive_destroy(e.primitive);
                dnnl_primitive_desc_destroy(e.pd);
                for (MemorySegment md : e.mds) {
                    dnnl_memory_desc_destroy(md);
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** One thread's stream, scratchpad and memory objects. */
    private final class PerThread {
        final Arena arena = Arena.ofAuto();
        final MemorySegment stream;
        final MemorySegment args = dnnl_exec_arg_t.allocateArray(MAX_ARGS + 1, arena);
        final Map<Entry, MemorySegment[]> memories = new IdentityHashMap<>();
        final Map<Entry, MemorySegment> scratchMemories = new IdentityHashMap<>();
        MemorySegment scratch = MemorySegment.NULL;
        long scratchBytes;
        int appliedThreads = -1;

        PerThread() {
            MemorySegment out = arena.allocate(C_POINTER);
            Dnnl.check(dnnl_stream_create(out, engine, dnnl_stream_default_flags()), "dnnl_stream_create");
            stream = out.get(C_POINTER, 0);
        }

        void ensureThreads() {
            int want = ThreadBudget.granted();
            if (want != appliedThreads) {
                threadCount.apply(want);
                appliedThreads = want;
            }
        }

        MemorySegment[] memories(Entry e) {
            MemorySegment[] m = memories.get(e);
            if (m == null) {
                if (memories.size() > capacity) {
                    release();
                }
                m = new MemorySegment[e.mds.length];
                MemorySegment out = arena.allocate(C_POINTER);
                for (int i = 0; i < m.length; i++) {
                    Dnnl.check(dnnl_memory_create(out, e.mds[i], engine, MemorySegment.NULL), "dnnl_memory_create");
                    m[i] = out.get(C_POINTER, 0);
                }
                memories.put(e, m);
            }
            return m;
        }

        MemorySegment scratchMemory(Entry e) {
            if (e.scratchBytes > scratchBytes) {
                // grow the per-thread scratchpad; memory objects pointing at the old one are re-made
                scratch = arena.allocate(e.scratchBytes, 64);
                scratchBytes = e.scratchBytes;
                for (MemorySegment sm : scratchMemories.values()) {
                    dnnl_memory_destroy(sm);
                }
                scratchMemories.clear();
            }
            MemorySegment sm = scratchMemories.get(e);
            if (sm == null) {
                MemorySegment out = arena.allocate(C_POINTER);
                Dnnl.check(dnnl_memory_create(out, e.scratchMd, engine, scratch), "dnnl_memory_create");
                sm = out.get(C_POINTER, 0);
                scratchMemories.put(e, sm);
            }
            return sm;
        }

        /** Drops memory objects of entries (evicted ones among them) when the map outgrows the cache. */
        private void release() {
            for (MemorySegment[] ms : memories.values()) {
                for (MemorySegment m : ms) {
                    dnnl_memory_destroy(m);
                }
            }
            memories.clear();
            for (MemorySegment sm : scratchMemories.values()) {
                dnnl_memory_destroy(sm);
            }
            scratchMemories.clear();
        }
    }
}
