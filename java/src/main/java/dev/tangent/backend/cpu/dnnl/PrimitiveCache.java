package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.bindings.dnnl.dnnl_h.*;

import dev.tangent.backend.ThreadBudget;
import dev.tangent.backend.Operand;
import dev.tangent.bindings.dnnl.dnnl_exec_arg_t;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * oneDNN primitives cached by {@link PrimitiveKey} in a bounded LRU cache, and their execution:
 * each thread has its own stream, memory objects and user-managed scratchpad (executing one
 * primitive from several threads with oneDNN's default scratchpad gives wrong results, measured).
 * Evicting a primitive waits until no thread executes one (a read-write lock), so eviction never
 * destroys one in use.
 *
 * <p>An entry is a short chain of primitives ({@link Step}s): usually one, or a convolution with
 * the reorders into and out of the layouts it prefers ({@link PrimitiveChain}). A step's argument
 * is one of the call's operands or a temporary; temporaries and the scratchpad live in one
 * per-thread workspace that grows to the largest entry the thread has run and is freed when the
 * thread is gone.
 */
final class PrimitiveCache {
    /**
     * Most arguments of one step, the scratchpad not counted (a batch normalisation with running
     * statistics, scale and shift: six).
     */
    static final int MAX_ARGS = 6;
    private static final Cleaner CLEANER = Cleaner.create();

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

    /**
     * One primitive of an entry and where each of its arguments lives: {@code slots[i] >= 0} is the
     * call's operand of that index, {@code slots[i] < 0} the entry's temporary {@code ~slots[i]}.
     * {@code mds} (one per argument) stay valid while the entry lives.
     */
    record Step(MemorySegment primitive, MemorySegment pd, int[] argIds, int[] slots, MemorySegment[] mds,
            MemorySegment scratchMd) {}

    /** A cached chain of primitives, or the fact that oneDNN has none for this key. */
    static final class Entry {
        final Step[] steps;             // empty: unimplemented, use the Java kernel
        final long[] tempOffsets;       // byte offset of each temporary in the workspace
        final long tempBytes;           // the temporaries; the scratchpad follows them
        final long scratchBytes;        // largest scratchpad of any step
        final MemorySegment[] ownedMds; // destroyed with the entry
        volatile boolean evicted;

        Entry(Step[] steps, long[] tempOffsets, long tempBytes, long scratchBytes, MemorySegment[] ownedMds) {
            this.steps = steps;
            this.tempOffsets = tempOffsets;
            this.tempBytes = tempBytes;
            this.scratchBytes = scratchBytes;
            this.ownedMds = ownedMds;
        }

        boolean implemented() {
            return steps.length > 0;
        }

        /** The reorder into a relaid operand's layout (see {@link Repack}); guarded by this, destroyed with the entry. */
        private MemorySegment repackMd = MemorySegment.NULL;
        private MemorySegment repackPd = MemorySegment.NULL;
        private MemorySegment repackPrimitive = MemorySegment.NULL;

        /** Runs (creating it on first use) the reorder from {@code user} to {@code want}; one thread at a time. */
        synchronized void repack(MemorySegment engine, Function<Arena, MemorySegment> user, MemorySegment want, long from,
                long to, MemorySegment stream) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(C_POINTER);
                if (repackPrimitive.equals(MemorySegment.NULL)) {
                    try {
                        repackMd = user.apply(arena);
                        Dnnl.check(dnnl_reorder_primitive_desc_create(out, repackMd, engine, want, engine,
                                MemorySegment.NULL), "dnnl_reorder_primitive_desc_create");
                        repackPd = out.get(C_POINTER, 0);
                        Dnnl.check(dnnl_primitive_create(out, repackPd), "dnnl_primitive_create");
                        repackPrimitive = out.get(C_POINTER, 0);
                    } catch (RuntimeException | Error ex) {
                        destroyRepack();
                        throw ex;
                    }
                }
                MemorySegment src = MemorySegment.NULL;
                MemorySegment dst = MemorySegment.NULL;
                try {
                    Dnnl.check(dnnl_memory_create(out, repackMd, engine, MemorySegment.ofAddress(from)), "dnnl_memory_create");
                    src = out.get(C_POINTER, 0);
                    Dnnl.check(dnnl_memory_create(out, want, engine, MemorySegment.ofAddress(to)), "dnnl_memory_create");
                    dst = out.get(C_POINTER, 0);
                    MemorySegment args = dnnl_exec_arg_t.allocateArray(2, arena);
                    dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(args, 0), DNNL_ARG_FROM());
                    dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(args, 0), src);
                    dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(args, 1), DNNL_ARG_TO());
                    dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(args, 1), dst);
                    Dnnl.check(dnnl_primitive_execute(repackPrimitive, stream, 2, args), "dnnl_primitive_execute(reorder)");
                    Dnnl.check(dnnl_stream_wait(stream), "dnnl_stream_wait");
                } finally {
                    if (!dst.equals(MemorySegment.NULL)) {
                        dnnl_memory_destroy(dst);
                    }
                    if (!src.equals(MemorySegment.NULL)) {
                        dnnl_memory_destroy(src);
                    }
                }
            }
        }

        private synchronized void destroyRepack() {
            if (!repackPrimitive.equals(MemorySegment.NULL)) {
                dnnl_primitive_destroy(repackPrimitive);
            }
            if (!repackPd.equals(MemorySegment.NULL)) {
                dnnl_primitive_desc_destroy(repackPd);
            }
            if (!repackMd.equals(MemorySegment.NULL)) {
                dnnl_memory_desc_destroy(repackMd);
            }
            repackPrimitive = repackPd = repackMd = MemorySegment.NULL;
        }

        static final Entry UNIMPLEMENTED = new Entry(new Step[0], new long[0], 0, 0, new MemorySegment[0]);
    }

    @FunctionalInterface
    interface Builder {
        Entry build(Arena arena);
    }

    @FunctionalInterface
    interface PdCreate {
        int create(MemorySegment pdOut, MemorySegment attr);
    }

    /** A primitive attribute with the user-managed scratchpad every cached primitive uses. */
    static MemorySegment newAttr(Arena arena) {
        MemorySegment out = arena.allocate(C_POINTER);
        Dnnl.check(dnnl_primitive_attr_create(out), "dnnl_primitive_attr_create");
        MemorySegment attr = out.get(C_POINTER, 0);
        int st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user());
        if (st != dnnl_success()) {
            dnnl_primitive_attr_destroy(attr);
            Dnnl.check(st, "dnnl_primitive_attr_set_scratchpad_mode");
        }
        return attr;
    }

    /** The scratchpad descriptor of a primitive descriptor (owned by it), or NULL when it needs none. */
    static MemorySegment scratchMd(MemorySegment pd) {
        MemorySegment md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md(), 0);
        return md.equals(MemorySegment.NULL) || dnnl_memory_desc_get_size(md) == 0 ? MemorySegment.NULL : md;
    }

    /** A one-primitive entry whose arguments are the call's operands in order; owns {@code mds}. */
    Entry create(Arena arena, String call, PdCreate f, int[] argIds, MemorySegment... mds) {
        MemorySegment out = arena.allocate(C_POINTER);
        MemorySegment attr = newAttr(arena);
        try {
            int st = f.create(out, attr);
            if (st == dnnl_unimplemented()) {
                for (MemorySegment md : mds) {
                    dnnl_memory_desc_destroy(md);
                }
                return Entry.UNIMPLEMENTED;
            }
            Dnnl.check(st, call);
            MemorySegment pd = out.get(C_POINTER, 0);
            int pst = dnnl_primitive_create(out, pd);
            if (pst != dnnl_success()) {
                dnnl_primitive_desc_destroy(pd);
                Dnnl.check(pst, "dnnl_primitive_create");
            }
            MemorySegment prim = out.get(C_POINTER, 0);
            int[] slots = new int[argIds.length];
            for (int i = 0; i < slots.length; i++) {
                slots[i] = i;
            }
            MemorySegment sm = scratchMd(pd);
            long scratch = sm.equals(MemorySegment.NULL) ? 0 : dnnl_memory_desc_get_size(sm);
            // an argument described with format "any" is laid out as the primitive chose (owned by the pd)
            MemorySegment[] used = mds.clone();
            try {
                for (int i = 0; i < used.length; i++) {
                    if (formatAny(arena, used[i])) {
                        used[i] = PrimitiveChain.md(pd, argIds[i]);
                    }
                }
            } catch (RuntimeException ex) {
                dnnl_primitive_destroy(prim);
                dnnl_primitive_desc_destroy(pd);
                throw ex;
            }
            Step step = new Step(prim, pd, argIds, slots, used, sm);
            return new Entry(new Step[] {step}, new long[0], 0, scratch, mds);
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
    }

    /** True when {@code md} leaves its layout to the primitive (format kind "any"). */
    private static boolean formatAny(Arena arena, MemorySegment md) {
        MemorySegment kind = arena.allocate(C_INT);
        Dnnl.check(dnnl_memory_desc_query(md, dnnl_query_format_kind(), kind), "dnnl_memory_desc_query");
        return kind.get(C_INT, 0) == dnnl_format_kind_any();
    }

    /**
     * Where a primitive reads an operand it wants in another layout than the caller's (packed
     * weights): called once the entry is known, under the cache's read lock, with the layout the
     * primitive wants and the entry's reorder into it.
     */
    @FunctionalInterface
    interface Relaid {
        long address(MemorySegment wantMd, Repack repack);
    }

    /**
     * The reorder of a relaid operand into the layout its entry wants: a reorder primitive is
     * JIT-compiled code, so the entry creates it once and reuses it for every weight it packs.
     */
    @FunctionalInterface
    interface Repack {
        /** Reorders memory at {@code from}, laid out as {@code userMd} describes (owned by the entry from now on), into {@code to}. */
        void run(Function<Arena, MemorySegment> userMd, long from, long to);
    }

    /** Runs the entry for {@code key} (built by {@code builder} on a miss) on {@code tensors}; false when oneDNN has none. */
    boolean run(PrimitiveKey key, Builder builder, Operand... tensors) {
        return run(key, builder, -1, null, tensors);
    }

    /**
     * As {@link #run(PrimitiveKey, Builder, Operand...)}, except that the steps read operand
     * {@code relaidSlot} in the layout their descriptor gives (the builder leaves it to the primitive)
     * at the address {@code relaid} gives for that layout.
     */
    boolean run(PrimitiveKey key, Builder builder, int relaidSlot, Relaid relaid, Operand... tensors) {
        // The team size is applied before the primitive is looked up or created, and is part of its
        // key: oneDNN fixes a primitive's thread count when it creates it (a matmul created while the
        // OpenMP team was 2 runs 2 threads even after the team is set to 1), so a primitive must be
        // created under the team it is run with.
        PerThread pt = local.get();
        key.threads(pt.ensureThreads());
        Entry e = lookup(key, builder);
        if (!e.implemented()) {
            return false;
        }
        lock.readLock().lock();
        try {
            while (e.evicted) {
                // Evicted between the lookup and the lock: look it up again (re-created) without the
                // read lock, since a lookup may evict others, which takes the write lock, and a
                // thread holding the read lock cannot take the write lock (it would wait forever).
                lock.readLock().unlock();
                try {
                    e = lookup(key, builder);
                } finally {
                    lock.readLock().lock();
                }
                if (!e.implemented()) {
                    return false;
                }
            }
            State s = pt.state;
            MemorySegment[][] mems = s.memories(e, capacity);
            long work = s.workspace(e.tempBytes + e.scratchBytes);
            MemorySegment args = s.args;
            long relaidAddress = 0;
            if (relaid != null) {
                Entry entry = e;
                MemorySegment want = slotMd(e, relaidSlot);
                MemorySegment stream = s.stream;
                relaidAddress = relaid.address(want, (user, from, to) -> entry.repack(engine, user, want, from, to, stream));
            }
            for (int k = 0; k < e.steps.length; k++) {
                Step st = e.steps[k];
                MemorySegment[] m = mems[k];
                int nargs = st.argIds().length;
                for (int i = 0; i < nargs; i++) {
                    int slot = st.slots()[i];
                    long addr = slot == relaidSlot && relaid != null ? relaidAddress
                            : slot >= 0 ? tensors[slot].address() : work + e.tempOffsets[~slot];
                    bind(args, i, st.argIds()[i], m[i], addr);
                }
                if (!st.scratchMd().equals(MemorySegment.NULL)) {
                    bind(args, nargs, DNNL_ARG_SCRATCHPAD(), m[nargs], work + e.tempBytes);
                    nargs++;
                }
                Dnnl.check(dnnl_primitive_execute(st.primitive(), s.stream, nargs, args), "dnnl_primitive_execute");
            }
            Dnnl.check(dnnl_stream_wait(s.stream), "dnnl_stream_wait");
            return true;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The descriptor of the first step argument that reads operand {@code slot}. */
    private static MemorySegment slotMd(Entry e, int slot) {
        for (Step st : e.steps) {
            for (int i = 0; i < st.slots().length; i++) {
                if (st.slots()[i] == slot) {
                    return st.mds()[i];
                }
            }
        }
        throw new IllegalStateException("no step reads operand " + slot);
    }

    private static void bind(MemorySegment args, int i, int argId, MemorySegment memory, long address) {
        Dnnl.check(dnnl_memory_set_data_handle(memory, MemorySegment.ofAddress(address)), "dnnl_memory_set_data_handle");
        MemorySegment arg = dnnl_exec_arg_t.asSlice(args, i);
        dnnl_exec_arg_t.arg(arg, argId);
        dnnl_exec_arg_t.memory(arg, memory);
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
                if (!e.implemented()) {
                    continue;
                }
                e.evicted = true;
                destroyParts(e.steps, e.ownedMds);
                e.destroyRepack();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Destroys primitives, their descriptors and the owned memory descriptors (also for a chain abandoned half-built). */
    static void destroyParts(Step[] steps, MemorySegment[] ownedMds) {
        for (Step s : steps) {
            dnnl_primitive_destroy(s.primitive());
            dnnl_primitive_desc_destroy(s.pd());
        }
        for (MemorySegment md : ownedMds) {
            dnnl_memory_desc_destroy(md);
        }
    }

    /** One thread's oneDNN objects; what it holds natively is released once the thread is gone. */
    private final class PerThread {
        final State state = new State(engine);

        PerThread() {
            CLEANER.register(this, state);
        }

        /** Applies the team size {@link ThreadBudget} granted this kernel (if it changed) and returns it. */
        int ensureThreads() {
            int want = ThreadBudget.granted();
            if (want != state.appliedThreads) {
                threadCount.apply(want);
                state.appliedThreads = want;
            }
            return want;
        }
    }

    /**
     * A thread's stream, memory objects (one per step argument, re-pointed at every call) and
     * workspace (temporaries and scratchpad, from the C allocator: it is not tensor memory). Must
     * not refer to its {@link PerThread}: it is that object's cleaning action.
     */
    private static final class State implements Runnable {
        final Arena arena = Arena.ofAuto();
        final MemorySegment engine;
        final MemorySegment stream;
        final MemorySegment args = dnnl_exec_arg_t.allocateArray(MAX_ARGS + 1, arena);
        final Map<Entry, MemorySegment[][]> memories = new IdentityHashMap<>();
        MemorySegment work = MemorySegment.NULL;
        long workBytes;
        int appliedThreads = -1;

        State(MemorySegment engine) {
            this.engine = engine;
            MemorySegment out = arena.allocate(C_POINTER);
            Dnnl.check(dnnl_stream_create(out, engine, dnnl_stream_default_flags()), "dnnl_stream_create");
            stream = out.get(C_POINTER, 0);
        }

        MemorySegment[][] memories(Entry e, int capacity) {
            MemorySegment[][] m = memories.get(e);
            if (m == null) {
                if (memories.size() > capacity) {
                    releaseMemories();
                }
                m = new MemorySegment[e.steps.length][];
                MemorySegment out = arena.allocate(C_POINTER);
                for (int k = 0; k < m.length; k++) {
                    Step st = e.steps[k];
                    int n = st.argIds().length;
                    boolean scratch = !st.scratchMd().equals(MemorySegment.NULL);
                    m[k] = new MemorySegment[n + (scratch ? 1 : 0)];
                    for (int i = 0; i < m[k].length; i++) {
                        MemorySegment md = i < n ? st.mds()[i] : st.scratchMd();
                        Dnnl.check(dnnl_memory_create(out, md, engine, MemorySegment.NULL), "dnnl_memory_create");
                        m[k][i] = out.get(C_POINTER, 0);
                    }
                }
                memories.put(e, m);
            }
            return m;
        }

        /** The workspace's address, grown (never shrunk) to at least {@code bytes}. */
        long workspace(long bytes) {
            if (bytes > workBytes) {
                Workspace.free(work);
                work = MemorySegment.NULL;
                workBytes = 0;
                work = Workspace.allocate(bytes);
                workBytes = bytes;
            }
            return work.address();
        }

        /** Drops memory objects of entries (evicted ones among them) when the map outgrows the cache. */
        void releaseMemories() {
            for (MemorySegment[][] ms : memories.values()) {
                for (MemorySegment[] step : ms) {
                    for (MemorySegment m : step) {
                        dnnl_memory_destroy(m);
                    }
                }
            }
            memories.clear();
        }

        /** Cleaning action: the thread is gone, nothing of this runs any more. */
        @Override
        public void run() {
            releaseMemories();
            Workspace.free(work);
            dnnl_stream_destroy(stream);
        }
    }
}
