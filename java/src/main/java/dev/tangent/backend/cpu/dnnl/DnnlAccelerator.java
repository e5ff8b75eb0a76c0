package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.bindings.dnnl.dnnl_h.*;

import dev.tangent.DType;
import dev.tangent.Internal;
import dev.tangent.Tensor;
import dev.tangent.backend.cpu.CpuAccelerator;
import dev.tangent.bindings.dnnl.dnnl_exec_arg_t;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * float32 kernels on oneDNN: matmul (every PyTorch shape, strided and broadcast operands without
 * copies), element-wise unary ops (eltwise), binary ops with broadcasting, reductions and
 * softmax/log-softmax. float64 and anything oneDNN does not implement stay on the Java kernels
 * (each method returns false for them).
 *
 * <p><b>Primitive cache.</b> Creating a primitive costs hundreds of microseconds, executing a cached
 * one under a microsecond, so primitives are cached by (op, shapes, strides, dtype, attributes)
 * in a bounded LRU cache whose hit and miss counts are readable.
 *
 * <p><b>Threads.</b> Executing one primitive from several threads with oneDNN's default scratchpad
 * gives wrong results (measured), so every primitive uses the user-managed scratchpad, one buffer
 * per thread, and each thread has its own stream and memory objects. Evicting a primitive waits
 * until no thread executes one (a read-write lock), so eviction never frees one in use.
 *
 * <p><b>Small work</b> stays in Java: below {@link #ELTWISE_CUTOVER} elements an element-wise
 * oneDNN call costs more than the Java loop (see bindings/README.md for the measurements).
 */
public final class DnnlAccelerator implements CpuAccelerator {
    /** Default: element-wise work below this many elements stays on the Java kernels. */
    public static final long ELTWISE_CUTOVER = Long.getLong("tangent.dnnl.eltwise_cutover", 4096);
    /** Default: matmuls below this many multiply-adds (m·n·k per batch) stay on the Java kernels. */
    public static final long MATMUL_CUTOVER = Long.getLong("tangent.dnnl.matmul_cutover", 512);

    /**
     * Default: unary ops (transcendental: exp, tanh, gelu, ...) below this many elements stay in
     * Java. Lower than the binary cut-over: a Java tanh costs ~20 ns an element, so oneDNN's fixed
     * ~3 µs pays from a few hundred elements (measured: exp wins on oneDNN from 256–1K elements).
     */
    public static final long UNARY_CUTOVER = Long.getLong("tangent.dnnl.unary_cutover", 256);

    private volatile long eltwiseCutover = ELTWISE_CUTOVER;
    private volatile long unaryCutover = Math.min(UNARY_CUTOVER, ELTWISE_CUTOVER);
    private volatile long matmulCutover = MATMUL_CUTOVER;

    private static final int MAX_ARGS = 5;

    private final MemorySegment engine;
    private final int capacity;
    private final LinkedHashMap<Key, Entry> cache;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final ThreadLocal<PerThread> local = ThreadLocal.withInitial(PerThread::new);
    private final String description;
    private volatile ThreadCount threadCount = n -> { };

    /** Sets the OpenMP team size of the calling thread (oneDNN's OpenMP build). */
    @FunctionalInterface
    public interface ThreadCount {
        void apply(int n);
    }

    /** An accelerator on oneDNN's CPU engine 0; the library must be loaded ({@link DnnlLibrary}). */
    public DnnlAccelerator(int capacity) {
        DnnlLibrary.ensureAvailable();
        this.capacity = capacity;
        this.cache = new LinkedHashMap<>(64, 0.75f, true);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(C_POINTER);
            Dnnl.check(dnnl_engine_create(out, dnnl_cpu(), 0), "dnnl_engine_create");
            this.engine = out.get(C_POINTER, 0);
        }
        this.description = "oneDNN " + DnnlLibrary.version().orElse("?") + " (" + DnnlLibrary.libraryPath()
                .map(Object::toString).orElse("?") + ")";
    }

    /**
     * Sets the sizes below which work stays on the Java kernels (0 and 0 send everything oneDNN
     * implements to oneDNN, as the tests do). Unary ops use the smaller of this and
     * {@link #UNARY_CUTOVER}.
     */
    public void cutovers(long eltwiseElements, long matmulMacs) {
        this.eltwiseCutover = eltwiseElements;
        this.unaryCutover = Math.min(UNARY_CUTOVER, eltwiseElements);
        this.matmulCutover = matmulMacs;
    }

    /** The element-wise cut-over in elements. */
    public long eltwiseCutover() {
        return eltwiseCutover;
    }

    /** The matmul cut-over in multiply-adds. */
    public long matmulCutover() {
        return matmulCutover;
    }

    /** Installs how to set the per-thread OpenMP team size. */
    public void threadCount(ThreadCount tc) {
        this.threadCount = tc;
    }

    @Override
    public String description() {
        return description;
    }

    /** Primitive cache hits so far. */
    public long cacheHits() {
        return hits.get();
    }

    /** Primitive cache misses (primitive creations or unimplemented lookups) so far. */
    public long cacheMisses() {
        return misses.get();
    }

    /** Primitives currently cached. */
    public int cacheSize() {
        lock.readLock().lock();
        try {
            synchronized (cache) {
                return cache.size();
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ ops

    /*
     * Not sent to oneDNN because its eltwise kernels treat non-finite inputs unlike PyTorch:
     * relu(nan) = 0, rsqrt(-inf) = 0, neg(0) = +0; and in the fused jvp, leaky_relu's slope at nan
     * and pow's tangent at +-inf. exp(nan) = inf and softmax over rows holding nan remain
     * (docs/RELIABILITY.md, "Known deviations"): -Dtangent.dnnl=false gives PyTorch's behaviour.
     */
    @Override
    public boolean unary(Prim op, Attrs attrs, Tensor x, Tensor out) {
        if (!f32(x, out) || out.numel() < unaryCutover) {
            return false;
        }
        float alpha = 0;
        float beta = 0;
        int alg;
        switch (op) {
            case EXP -> alg = dnnl_eltwise_exp();
            case LOG -> alg = dnnl_eltwise_log();
            case TANH -> alg = dnnl_eltwise_tanh();
            case SIGMOID -> alg = dnnl_eltwise_logistic();
            case LEAKY_RELU -> {
                alg = dnnl_eltwise_relu();
                alpha = (float) attrs.real(0);
            }
            case ELU -> {
                alg = dnnl_eltwise_elu();
                alpha = (float) attrs.real(0);
            }
            case GELU -> alg = dnnl_eltwise_gelu_erf();
            case GELU_TANH -> alg = dnnl_eltwise_gelu_tanh();
            case SQRT -> alg = dnnl_eltwise_sqrt();
            case SQUARE -> alg = dnnl_eltwise_square();
            case ABS -> alg = dnnl_eltwise_abs();
            case SILU -> {
                alg = dnnl_eltwise_swish();
                alpha = 1f;
            }
            case POW_SCALAR -> {
                alg = dnnl_eltwise_pow();
                alpha = 1f;
                beta = (float) attrs.real(0);
            }
            case RECIPROCAL -> {
                alg = dnnl_eltwise_pow();
                alpha = 1f;
                beta = -1f;
            }
            default -> {
                return false;
            }
        }
        int a = alg;
        float al = alpha;
        float be = beta;
        Key key = new Key(1, new long[] {alg, Float.floatToIntBits(alpha), Float.floatToIntBits(beta)}, x, out);
        return run(key, arena -> {
            MemorySegment src = md(arena, shape(x), strides(x));
            MemorySegment dst = md(arena, shape(out), strides(out));
            return create(arena, "dnnl_eltwise_forward_primitive_desc_create", (pd, attr) ->
                    dnnl_eltwise_forward_primitive_desc_create(pd, engine, dnnl_forward_inference(), a, src, dst, al, be, attr),
                    new int[] {DNNL_ARG_SRC(), DNNL_ARG_DST()}, src, dst);
        }, x, out);
    }

    /**
     * y = op(x) by the eltwise forward primitive, then ty = op'(x)·t by the eltwise backward one
     * (diff_src from diff_dst = t), reading y where oneDNN's "use dst" form exists.
     */
    @Override
    public boolean unaryJvp(Prim op, Attrs attrs, Tensor x, Tensor t, Tensor y, Tensor ty) {
        if (!f32(x, t, y, ty) || y.numel() < unaryCutover || !x.isContiguous() || !t.isContiguous()) {
            return false;
        }
        int bwd;
        float alpha = 0;
        float beta = 0;
        boolean useDst = true;
        switch (op) {
            case TANH -> bwd = dnnl_eltwise_tanh_use_dst_for_bwd();
            case EXP -> bwd = dnnl_eltwise_exp_use_dst_for_bwd();
            case SIGMOID -> bwd = dnnl_eltwise_logistic_use_dst_for_bwd();
            case SQRT -> bwd = dnnl_eltwise_sqrt_use_dst_for_bwd();
            default -> {
                useDst = false;
                switch (op) {
                    case GELU -> bwd = dnnl_eltwise_gelu_erf();
                    case GELU_TANH -> bwd = dnnl_eltwise_gelu_tanh();
                    case LOG -> bwd = dnnl_eltwise_log();
                    case SQUARE -> bwd = dnnl_eltwise_square();
                    case SILU -> {
                        bwd = dnnl_eltwise_swish();
                        alpha = 1f;
                    }
                    default -> {
                        return false;
                    }
                }
            }
        }
        if (!unary(op, attrs, x, y)) {
            return false;
        }
        int b = bwd;
        float al = alpha;
        float be = beta;
        Tensor data = useDst ? y : x;
        int dataArg = useDst ? DNNL_ARG_DST() : DNNL_ARG_SRC();
        Key key = new Key(6, new long[] {bwd, Float.floatToIntBits(alpha), Float.floatToIntBits(beta)}, t, data, ty);
        return run(key, arena -> {
            MemorySegment dd = md(arena, shape(t), strides(t));
            MemorySegment dm = md(arena, shape(data), strides(data));
            MemorySegment ds = md(arena, shape(ty), strides(ty));
            MemorySegment out = arena.allocate(C_POINTER);
            Dnnl.check(dnnl_eltwise_forward_primitive_desc_create(out, engine, dnnl_forward_training(), b, dm, dm,
                    al, be, MemorySegment.NULL), "dnnl_eltwise_forward_primitive_desc_create");
            MemorySegment hint = out.get(C_POINTER, 0);
            try {
                return create(arena, "dnnl_eltwise_backward_primitive_desc_create", (pd, attr) ->
                        dnnl_eltwise_backward_primitive_desc_create(pd, engine, b, ds, dd, dm, al, be, hint, attr),
                        new int[] {DNNL_ARG_DIFF_DST(), dataArg, DNNL_ARG_DIFF_SRC()}, dd, dm, ds);
            } finally {
                dnnl_primitive_desc_destroy(hint);
            }
        }, t, data, ty);
    }

    @Override
    public boolean binary(Prim op, Tensor a, Tensor b, Tensor out) {
        if (!f32(a, b, out) || out.numel() < eltwiseCutover) {
            return false;
        }
        int alg;
        boolean commutative = true;
        switch (op) {
            case ADD -> alg = dnnl_binary_add();
            case MUL -> alg = dnnl_binary_mul();
            case MAXIMUM -> alg = dnnl_binary_max();
            case MINIMUM -> alg = dnnl_binary_min();
            case SUB -> {
                alg = dnnl_binary_sub();
                commutative = false;
            }
            case DIV -> {
                alg = dnnl_binary_div();
                commutative = false;
            }
            default -> {
                return false;
            }
        }
        // oneDNN broadcasts src1 only: a broadcast first operand of a commutative op is swapped.
        if (isBroadcast(a)) {
            if (!commutative || isBroadcast(b)) {
                return false;
            }
            Tensor t = a;
            a = b;
            b = t;
        }
        if (op == Prim.MAXIMUM || op == Prim.MINIMUM) {
            return false; // oneDNN's max/min do not propagate NaN as PyTorch does
        }
        int al = alg;
        Tensor s0 = a;
        Tensor s1 = b;
        Key key = new Key(2, new long[] {alg}, s0, s1, out);
        return run(key, arena -> {
            MemorySegment m0 = md(arena, shape(s0), strides(s0));
            MemorySegment m1 = broadcastMd(arena, s1);
            MemorySegment dst = md(arena, shape(out), strides(out));
            return create(arena, "dnnl_binary_primitive_desc_create", (pd, attr) ->
                    dnnl_binary_primitive_desc_create(pd, engine, al, m0, m1, dst, attr),
                    new int[] {DNNL_ARG_SRC_0(), DNNL_ARG_SRC_1(), DNNL_ARG_DST()}, m0, m1, dst);
        }, s0, s1, out);
    }

    @Override
    public boolean reduce(Prim op, Tensor x, Tensor out) {
        if (!f32(x, out) || x.numel() < eltwiseCutover || x.dim() == 0
                || Arrays.equals(shape(x), shape(out))) {
            return false; // nothing reduced: oneDNN rejects src == dst dims; the Java copy is exact
        }
        int alg = switch (op) {
            case SUM -> dnnl_reduction_sum();
            case PROD -> dnnl_reduction_mul();
            case AMAX -> dnnl_reduction_max();
            case AMIN -> dnnl_reduction_min();
            default -> -1;
        };
        if (alg < 0 || op == Prim.AMAX || op == Prim.AMIN) {
            return false; // max/min: NaN propagation differs from PyTorch; the Java kernel is exact
        }
        Key key = new Key(3, new long[] {alg}, x, out);
        return run(key, arena -> {
            MemorySegment src = md(arena, shape(x), strides(x));
            MemorySegment dst = md(arena, shape(out), strides(out));
            return create(arena, "dnnl_reduction_primitive_desc_create", (pd, attr) ->
                    dnnl_reduction_primitive_desc_create(pd, engine, alg, src, dst, 0f, 0f, attr),
                    new int[] {DNNL_ARG_SRC(), DNNL_ARG_DST()}, src, dst);
        }, x, out);
    }

    @Override
    public boolean softmax(Prim op, Tensor x, int dim, Tensor out) {
        if (!f32(x, out) || x.numel() < eltwiseCutover || x.dim() == 0) {
            return false;
        }
        int alg = op == Prim.LOG_SOFTMAX ? dnnl_softmax_log() : dnnl_softmax_accurate();
        Key key = new Key(4, new long[] {alg, dim}, x, out);
        return run(key, arena -> {
            MemorySegment src = md(arena, shape(x), strides(x));
            MemorySegment dst = md(arena, shape(out), strides(out));
            return create(arena, "dnnl_softmax_forward_primitive_desc_create", (pd, attr) ->
                    dnnl_softmax_forward_primitive_desc_create(pd, engine, dnnl_forward_inference(), alg, src, dst, dim, attr),
                    new int[] {DNNL_ARG_SRC(), DNNL_ARG_DST()}, src, dst);
        }, x, out);
    }

    @Override
    public boolean matmul(Tensor a, Tensor b, Tensor out) {
        if (!f32(a, b, out)) {
            return false;
        }
        long[] os = shape(out);
        int r = os.length;
        long m = os[r - 2];
        long n = os[r - 1];
        long k = shape(a)[r - 1];
        if (m * n * k < matmulCutover || k == 0 || r > 12 || expandedMatrix(a) || expandedMatrix(b)
                || expandedInBoth(a, b)) {
            return false;
        }
        Key key = new Key(5, new long[0], a, b, out);
        return run(key, arena -> {
            MemorySegment ma = broadcastMd(arena, a);
            MemorySegment mb = broadcastMd(arena, b);
            MemorySegment mc = md(arena, shape(out), strides(out));
            return create(arena, "dnnl_matmul_primitive_desc_create", (pd, attr) ->
                    dnnl_matmul_primitive_desc_create(pd, engine, ma, mb, MemorySegment.NULL, mc, attr),
                    new int[] {DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS(), DNNL_ARG_DST()}, ma, mb, mc);
        }, a, b, out);
    }

    // ------------------------------------------------------------------ execution

    /** A cached primitive, or the fact that oneDNN has none for this key. */
    private static final class Entry {
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
    private interface Builder {
        Entry build(Arena arena);
    }

    @FunctionalInterface
    private interface PdCreate {
        int create(MemorySegment pdOut, MemorySegment attr);
    }

    private Entry create(Arena arena, String call, PdCreate f, int[] argIds, MemorySegment... mds) {
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

    private boolean run(Key key, Builder builder, Tensor... tensors) {
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
                Tensor t = tensors[i];
                long addr = t.storage().address() + t.storageOffset() * 4L;
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

    private Entry lookup(Key key, Builder builder) {
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
                    Map.Entry<Key, Entry> eldest = cache.entrySet().iterator().next();
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
            int want = dev.tangent.Tangent.numThreads();
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

    // ------------------------------------------------------------------ descriptors

    private static boolean f32(Tensor... ts) {
        for (Tensor t : ts) {
            if (t.dtype() != DType.FLOAT32) {
                return false;
            }
        }
        return true;
    }

    private static long[] shape(Tensor t) {
        return Internal.shapeRef(t);
    }

    private static long[] strides(Tensor t) {
        return Internal.stridesRef(t);
    }

    private static boolean isBroadcast(Tensor t) {
        long[] s = shape(t);
        long[] st = strides(t);
        for (int i = 0; i < s.length; i++) {
            if (st[i] == 0 && s[i] > 1) {
                return true;
            }
        }
        return false;
    }

    /**
     * A plain memory descriptor. Size-1 dims get the stride a dense layout would give them, so that
     * oneDNN recognises plain formats (an odd stride on a size-1 dim sends it to slow reference code).
     */
    private static MemorySegment md(Arena arena, long[] dims, long[] strides) {
        int n = Math.max(dims.length, 1);
        long[] d = dims.length == 0 ? new long[] {1} : dims;
        long[] s = new long[n];
        for (int i = n - 1; i >= 0; i--) {
            if (dims.length == 0) {
                s[i] = 1;
            } else if (d[i] == 1) {
                s[i] = i == n - 1 ? 1 : s[i + 1] * Math.max(d[i + 1], 1);
            } else {
                s[i] = strides[i];
            }
        }
        MemorySegment out = arena.allocate(C_POINTER);
        Dnnl.check(dnnl_memory_desc_create_with_strides(out, n, arena.allocateFrom(ValueLayout.JAVA_LONG, d),
                dnnl_f32(), arena.allocateFrom(ValueLayout.JAVA_LONG, s)), "dnnl_memory_desc_create_with_strides");
        return out.get(C_POINTER, 0);
    }

    /** True when a row or column dim is expanded (stride 0): oneDNN's matmul broadcasts batch dims only. */
    private static boolean expandedMatrix(Tensor t) {
        long[] s = shape(t);
        long[] st = strides(t);
        for (int i = Math.max(0, s.length - 2); i < s.length; i++) {
            if (st[i] == 0 && s[i] > 1) {
                return true;
            }
        }
        return false;
    }

    /** True when a batch dim is expanded in both operands: oneDNN wants dst's batch size in one of them. */
    private static boolean expandedInBoth(Tensor a, Tensor b) {
        long[] da = shape(a);
        long[] db = shape(b);
        long[] sa = strides(a);
        long[] sb = strides(b);
        for (int i = 3; i <= Math.min(da.length, db.length); i++) { // batch dims, aligned from the right
            int ia = da.length - i;
            int ib = db.length - i;
            if ((da[ia] > 1 && sa[ia] == 0 || da[ia] == 1) && (db[ib] > 1 && sb[ib] == 0 || db[ib] == 1)
                    && Math.max(da[ia], db[ib]) > 1) {
                return true;
            }
        }
        return false;
    }

    /** A descriptor in which broadcast (stride-0) dims have size 1, as oneDNN expresses broadcasting. */
    private static MemorySegment broadcastMd(Arena arena, Tensor t) {
        long[] dims = shape(t).clone();
        long[] st = strides(t);
        for (int i = 0; i < dims.length; i++) {
            if (st[i] == 0) {
                dims[i] = 1;
            }
        }
        return md(arena, dims, st);
    }

    /** Cache key: op family, its attributes, and each operand's shape and strides. */
    private static final class Key {
        private final long[] data;
        private final int hash;

        Key(int family, long[] attrs, Tensor... ts) {
            int len = 2 + attrs.length;
            for (Tensor t : ts) {
                len += 1 + 2 * t.dim();
            }
            long[] d = new long[len];
            int p = 0;
            d[p++] = family;
            d[p++] = attrs.length;
            for (long a : attrs) {
                d[p++] = a;
            }
            for (Tensor t : ts) {
                long[] s = shape(t);
                long[] st = strides(t);
                d[p++] = s.length;
                for (int i = 0; i < s.length; i++) {
                    d[p++] = s[i];
                    d[p++] = st[i];
                }
            }
            this.data = d;
            this.hash = Arrays.hashCode(d);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && Arrays.equals(k.data, data);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
