package dev.tangent.backend.cuda;

import static dev.tangent.bindings.cuda.cuda_h.*;

import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Internal;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Backend;
import dev.tangent.backend.Backends;
import dev.tangent.backend.Storage;
import dev.tangent.bindings.cublas.cublas_h;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The kernel contract on one NVIDIA GPU, through the CUDA driver API: the device's primary context,
 * a {@link CachingAllocator caching allocator}, one stream per calling thread (every kernel, copy
 * and cuBLAS call of a thread goes to its stream; reads to the host synchronize it), Tangent's
 * kernels from {@code native/} loaded from the jar's fatbin with {@code cuModuleLoadData} and
 * launched with {@code cuLaunchKernel}, and matmul through cuBLAS (row-major via swapped
 * operands, strided-batched for batches, FP32 unless {@link #allowTf32(boolean) TF32} is allowed).
 *
 * <p>Ops the kernels do not cover (int64 arithmetic, casts between int64 and other types, and the
 * index ops) run on the CPU backend through a host round trip: correct, but synchronizing, so a
 * compiled plan that uses them is replayed eagerly instead of as a CUDA graph.
 *
 * <p><b>Threads</b>: safe to call from many threads at once; each thread has its own stream, cuBLAS
 * handle and launch scratch, and gets the device's context made current on first use. Work on
 * different threads is not ordered: a tensor written on one thread and read on another needs
 * {@link #synchronize()} on the writer first. Streams live as long as their thread's backend state.
 */
public final class CudaBackend implements Backend {
    private static final Map<Integer, CudaBackend> BACKENDS = new ConcurrentHashMap<>();
    private static final ThreadLocal<CudaBackend> CURRENT = new ThreadLocal<>();
    private static volatile boolean tf32 = Boolean.getBoolean("tangent.cuda.tf32");

    static final int BLOCK = 256;

    private final Device device;
    private final int ordinal;
    private final MemorySegment context;
    private final MemorySegment module;
    private final int multiprocessors;
    private final String name;
    private final CachingAllocator allocator = new CachingAllocator(this);
    private final Map<String, MemorySegment> functions = new ConcurrentHashMap<>();
    private final ThreadLocal<ThreadState> local = new ThreadLocal<>();

    private CudaBackend(Device device) {
        this.device = device;
        this.ordinal = device.index();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dev = a.allocate(ValueLayout.JAVA_INT);
            Cuda.check(cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
            int cuDevice = dev.get(ValueLayout.JAVA_INT, 0);
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            Cuda.check(cuDevicePrimaryCtxRetain(p, cuDevice), "cuDevicePrimaryCtxRetain");
            this.context = p.get(ValueLayout.ADDRESS, 0);
            Cuda.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            CURRENT.set(this);
            MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
            Cuda.check(cuDeviceGetAttribute(v, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT(), cuDevice),
                    "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)");
            this.multiprocessors = v.get(ValueLayout.JAVA_INT, 0);
            MemorySegment nm = a.allocate(256);
            Cuda.check(cuDeviceGetName(nm, 256, cuDevice), "cuDeviceGetName");
            this.name = nm.getString(0);
            byte[] image = Cuda.fatbin();
            MemorySegment img = a.allocate(image.length + 1L, 16);
            MemorySegment.copy(image, 0, img, ValueLayout.JAVA_BYTE, 0, image.length);
            Cuda.check(cuModuleLoadData(p, img), "cuModuleLoadData(tangent_kernels.fatbin, " + image.length + " bytes)");
            this.module = p.get(ValueLayout.ADDRESS, 0);
        }
    }

    /**
     * The backend of CUDA device {@code device} (one per device, made on first use); throws
     * {@link IllegalStateException} naming the reason when CUDA or that device is unavailable.
     */
    public static CudaBackend forDevice(Device device) {
        if (device.type() != Device.Type.CUDA) {
            throw new IllegalArgumentException("CudaBackend: not a CUDA device: " + device);
        }
        if (!Cuda.isAvailable()) {
            throw new IllegalStateException("Device " + device + " is not available: " + Cuda.unavailableReason());
        }
        if (device.index() >= Cuda.deviceCount()) {
            throw new IllegalStateException("Device " + device + " is not available: this machine has "
                    + Cuda.deviceCount() + " CUDA device(s)");
        }
        return BACKENDS.computeIfAbsent(device.index(), i -> new CudaBackend(device));
    }

    /** Allows (true) or forbids (false, the default) TF32 tensor cores for float32 matmuls, process-wide. */
    public static void allowTf32(boolean allow) {
        tf32 = allow;
    }

    /** Whether float32 matmuls may use TF32 (property {@code tangent.cuda.tf32} sets the initial value). */
    public static boolean tf32Allowed() {
        return tf32;
    }

    @Override
    public Device device() {
        return device;
    }

    /** The GPU's name, e.g. {@code NVIDIA H100 80GB HBM3}. */
    public String deviceName() {
        return name;
    }

    /** Number of streaming multiprocessors. */
    public int multiprocessorCount() {
        return multiprocessors;
    }

    /** Waits until every kernel and copy this thread queued on this device has finished. */
    public void synchronize() {
        ThreadState ts = ts();
        Cuda.check(cuStreamSynchronize(ts.stream), "cuStreamSynchronize");
    }

    /** Gives the allocator's cached blocks back to the driver. */
    public void emptyCache() {
        allocator.emptyCache();
    }

    /** Bytes the allocator holds in free lists. */
    public long cachedBytes() {
        return allocator.cachedBytes();
    }

    /** Bytes of live allocations (rounded to their buckets). */
    public long allocatedBytes() {
        return allocator.allocatedBytes();
    }

    /** How many times the allocator called {@code cuMemAlloc} (cache misses). */
    public long driverAllocations() {
        return allocator.driverAllocations();
    }

    // ------------------------------------------------------------ threads, contexts, launches

    /** Makes this device's context current on the calling thread (cheap when it already is). */
    void makeCurrent() {
        if (CURRENT.get() != this) {
            Cuda.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            CURRENT.set(this);
        }
    }

    ThreadState ts() {
        makeCurrent();
        ThreadState t = local.get();
        if (t == null) {
            t = new ThreadState();
            local.set(t);
        }
        return t;
    }

    /** One thread's stream, cuBLAS handle and launch scratch. */
    final class ThreadState {
        final MemorySegment stream;
        /** kernelParams (32 pointers) at 0, argument values from 256, cuBLAS scalars at 3840. */
        final MemorySegment scratch = Arena.ofAuto().allocate(4096, 16);
        MemorySegment cublas;
        int cublasMath = -1;
        int nargs;
        long argAt;
        /** Non-null while this thread captures a CUDA graph: temporaries freed meanwhile belong to it. */
        CudaGraph capturing;

        ThreadState() {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ValueLayout.ADDRESS);
                Cuda.check(cuStreamCreate(p, CU_STREAM_NON_BLOCKING()), "cuStreamCreate");
                stream = p.get(ValueLayout.ADDRESS, 0);
            }
            scratch.set(ValueLayout.JAVA_FLOAT, 3840, 1f);
            scratch.set(ValueLayout.JAVA_FLOAT, 3844, 0f);
            scratch.set(ValueLayout.JAVA_DOUBLE, 3848, 1.0);
            scratch.set(ValueLayout.JAVA_DOUBLE, 3856, 0.0);
        }

        ThreadState begin() {
            nargs = 0;
            argAt = 256;
            return this;
        }

        private long slot(long bytes) {
            long at = argAt;
            scratch.setAtIndex(ValueLayout.JAVA_LONG, nargs++, scratch.address() + at);
            argAt += (bytes + 7) & ~7L;
            return at;
        }

        ThreadState ptr(long p) {
            scratch.set(ValueLayout.JAVA_LONG, slot(8), p);
            return this;
        }

        ThreadState i64(long v) {
            scratch.set(ValueLayout.JAVA_LONG, slot(8), v);
            return this;
        }

        ThreadState i32(int v) {
            scratch.set(ValueLayout.JAVA_INT, slot(8), v);
            return this;
        }

        ThreadState f64(double v) {
            scratch.set(ValueLayout.JAVA_DOUBLE, slot(8), v);
            return this;
        }

        /** Appends a TgStrided argument; false when the layout needs more than 8 dims. */
        boolean strided(long[] shape, long[] outStrides, long outOff, long[][] inStrides, long[] inOffs) {
            long at = slot(Strided.BYTES);
            return Strided.write(scratch, at, shape, outStrides, outOff, inStrides, inOffs);
        }

        void launch(String kernel, long grid) {
            int g = (int) Math.max(1, Math.min(grid, Integer.MAX_VALUE));
            Cuda.check(cuLaunchKernel(function(kernel), g, 1, 1, BLOCK, 1, 1, 0, stream, scratch, MemorySegment.NULL),
                    "cuLaunchKernel(" + kernel + ", grid " + g + ")");
        }

        MemorySegment cublas() {
            if (cublas == null) {
                CudaLibraries.loadCublas();
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment p = a.allocate(ValueLayout.ADDRESS);
                    Cublas.check(cublas_h.cublasCreate_v2(p), "cublasCreate_v2");
                    MemorySegment h = p.get(ValueLayout.ADDRESS, 0);
                    Cublas.check(cublas_h.cublasSetStream_v2(h, stream), "cublasSetStream_v2");
                    cublas = h;
                }
            }
            return cublas;
        }
    }

    private MemorySegment function(String kernel) {
        MemorySegment f = functions.get(kernel);
        if (f == null) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ValueLayout.ADDRESS);
                Cuda.check(cuModuleGetFunction(p, module, a.allocateFrom(kernel)), "cuModuleGetFunction(" + kernel + ")");
                f = p.get(ValueLayout.ADDRESS, 0);
            }
            functions.put(kernel, f);
        }
        return f;
    }

    private long gridElementwise(long n) {
        return Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, 32L * multiprocessors));
    }

    private static long gridRows(long m, long k) {
        long g = k <= 256 ? (m + 7) / 8 : m;
        return Math.max(1, Math.min(g, 1L << 30));
    }

    // ------------------------------------------------------------ memory

    @Override
    public MemorySegment allocate(long bytes) {
        if (bytes == 0) {
            return MemorySegment.NULL;
        }
        ThreadState ts = ts();
        return MemorySegment.ofAddress(allocator.allocate(bytes, ts.stream.address()));
    }

    @Override
    public void free(MemorySegment segment, long bytes) {
        long p = segment.address();
        if (p == 0) {
            return;
        }
        ThreadState ts = local.get();
        if (ts != null && ts.capturing != null && Thread.currentThread() == ts.capturing.thread) {
            ts.capturing.own(p);
            return;
        }
        allocator.free(p);
    }

    /** A temporary device buffer for one kernel sequence of this thread; give it back with {@link #release}. */
    private long temp(long bytes) {
        return allocate(bytes).address();
    }

    private void release(long p) {
        free(MemorySegment.ofAddress(p), 0);
    }

    void freeBlocks(List<Long> blocks) {
        for (long p : blocks) {
            allocator.free(p);
        }
    }

    @Override
    public void copyFromHost(MemorySegment host, Storage dst, long dstOffsetBytes, long bytes) {
        if (bytes == 0) {
            return;
        }
        ThreadState ts = ts();
        Cuda.check(cuMemcpyHtoDAsync_v2(dst.address() + dstOffsetBytes, host, bytes, ts.stream), "cuMemcpyHtoDAsync_v2");
    }

    @Override
    public void copyToHost(Storage src, long srcOffsetBytes, MemorySegment host, long bytes) {
        if (bytes == 0) {
            return;
        }
        ThreadState ts = ts();
        Cuda.check(cuMemcpyDtoHAsync_v2(host, src.address() + srcOffsetBytes, bytes, ts.stream), "cuMemcpyDtoHAsync_v2");
        Cuda.check(cuStreamSynchronize(ts.stream), "cuStreamSynchronize");
    }

    // ------------------------------------------------------------ helpers

    private static long[] sh(Tensor t) {
        return Internal.shapeRef(t);
    }

    private static long[] st(Tensor t) {
        return Internal.stridesRef(t);
    }

    /** Device address of t's first element. */
    private static long ptr(Tensor t) {
        return t.storage().address() + t.storageOffset() * t.dtype().byteSize();
    }

    private static long base(Tensor t) {
        return t.storage().address();
    }

    /** Kernel suffix of a dtype the kernels have, or null. */
    private static String sfx(DType t) {
        return switch (t) {
            case FLOAT32 -> "f32";
            case FLOAT64 -> "f64";
            case BOOL -> "u8";
            case INT64 -> null;
        };
    }

    private static boolean isFloat(DType t) {
        return t == DType.FLOAT32 || t == DType.FLOAT64;
    }

    private static boolean contiguousLayout(long[] shape, long[] strides) {
        return dev.tangent.ops.Shapes.isContiguous(shape, strides);
    }

    /**
     * Runs {@code cpuOp} on host copies of {@code tensors} (whole storages, so views keep their
     * layout) and copies the storages of the tensors flagged in {@code written} back.
     */
    private void onHost(Tensor[] tensors, boolean[] written, Consumer<Tensor[]> cpuOp) {
        try (Scope s = Scope.open()) {
            Map<Storage, Tensor> flat = new IdentityHashMap<>();
            Tensor[] h = new Tensor[tensors.length];
            for (int i = 0; i < tensors.length; i++) {
                Tensor t = tensors[i];
                Storage stg = t.storage();
                Tensor f = flat.get(stg);
                if (f == null) {
                    long elems = stg.byteSize() / t.dtype().byteSize();
                    f = Internal.empty(new long[] {elems}, t.dtype(), Device.cpu());
                    copyToHost(stg, 0, f.storage().segment(), elems * t.dtype().byteSize());
                    flat.put(stg, f);
                }
                h[i] = Internal.view(f, sh(t), st(t), t.storageOffset());
            }
            cpuOp.accept(h);
            for (int i = 0; i < tensors.length; i++) {
                if (written[i]) {
                    Tensor f = flat.get(tensors[i].storage());
                    copyFromHost(f.storage().segment(), tensors[i].storage(), 0, f.numel() * f.dtype().byteSize());
                }
            }
        }
    }

    /** {@link #contiguousTemp} for {@link Matmul}. */
    long contiguousCopy(Tensor t, long[] shape, long[] strides) {
        return contiguousTemp(t, shape, strides);
    }

    /** Gives back a temporary from {@link #contiguousCopy}. */
    void releaseTemp(long p) {
        release(p);
    }

    /** A contiguous copy of t's elements in a temporary buffer (release it), laid out as {@code shape} row-major. */
    private long contiguousTemp(Tensor t, long[] shape, long[] strides) {
        long n = Shapes.numel(shape);
        String s = sfx(t.dtype());
        long dst = temp(n * t.dtype().byteSize());
        ThreadState ts = ts().begin();
        ts.ptr(base(t)).ptr(dst);
        if (!ts.strided(shape, Shapes.contiguousStrides(shape), 0, new long[][] {strides}, new long[] {t.storageOffset()})) {
            release(dst);
            throw new UnsupportedOperationException("CUDA: a layout of more than 8 non-mergeable dims: "
                    + Arrays.toString(shape));
        }
        ts.launch("tg_copy_strided_" + s + "_" + s, gridElementwise(n));
        return dst;
    }

    // ------------------------------------------------------------ kernels

    @Override
    public void unary(Prim op, Attrs attrs, Tensor x, Tensor out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        DType dt = out.dtype();
        if (!isFloat(dt) || x.dtype() != dt) {
            CpuFallback.unary(this, op, attrs, x, out);
            return;
        }
        int code = op.ordinal() - Prim.NEG.ordinal();
        double[] r = attrs.reals();
        double p0 = r.length > 0 ? r[0] : 0;
        double p1 = r.length > 1 ? r[1] : 0;
        String s = sfx(dt);
        ThreadState ts = ts().begin();
        if (x.isContiguous()) {
            ts.ptr(ptr(x)).ptr(ptr(out)).i64(n).i32(code).f64(p0).f64(p1);
            ts.launch("tg_unary_contig_" + s, gridElementwise(n));
            return;
        }
        ts.ptr(base(x)).ptr(ptr(out)).i32(code).f64(p0).f64(p1);
        if (!ts.strided(sh(out), st(out), 0, new long[][] {st(x)}, new long[] {x.storageOffset()})) {
            CpuFallback.unary(this, op, attrs, x, out);
            return;
        }
        ts.launch("tg_unary_strided_" + s, gridElementwise(n));
    }

    /** y = u(x) and ẏ = u'(x)·ẋ in one kernel ({@code tg_jvp_unary_contig}); contiguous operands only. */
    @Override
    public boolean unaryJvp(Prim op, Attrs attrs, Tensor x, Tensor t, Tensor y, Tensor ty) {
        DType dt = x.dtype();
        if (!isFloat(dt) || t.dtype() != dt || !x.isContiguous() || !t.isContiguous() || op == Prim.SIGN) {
            return false;
        }
        long n = y.numel();
        if (n == 0) {
            return true;
        }
        int code = op.ordinal() - Prim.NEG.ordinal();
        double[] r = attrs.reals();
        double p0 = r.length > 0 ? r[0] : 0;
        double p1 = r.length > 1 ? r[1] : 0;
        ThreadState ts = ts().begin();
        ts.ptr(ptr(x)).ptr(ptr(t)).ptr(ptr(y)).ptr(ptr(ty)).i64(n).i32(code).f64(p0).f64(p1);
        ts.launch("tg_jvp_unary_contig_" + sfx(dt), gridElementwise(n));
        return true;
    }

    /** c = a op b and its tangent in one kernel ({@code tg_jvp_binary_contig}); b may repeat (nb). */
    @Override
    public boolean binaryJvp(Prim op, Tensor a, Tensor ta, Tensor b, Tensor tb, Tensor c, Tensor tc) {
        DType dt = c.dtype();
        if (!isFloat(dt)) {
            return false;
        }
        long n = c.numel();
        if (n == 0) {
            return true;
        }
        ThreadState ts = ts().begin();
        ts.ptr(ptr(a)).ptr(ta == null ? 0 : ptr(ta)).ptr(ptr(b)).ptr(tb == null ? 0 : ptr(tb)).ptr(ptr(c)).ptr(ptr(tc))
                .i64(n).i64(b.numel()).i32(op.ordinal() - Prim.ADD.ordinal());
        ts.launch("tg_jvp_binary_contig_" + sfx(dt), gridElementwise(n));
        return true;
    }

    @Override
    public void binary(Prim op, Tensor a, Tensor b, Tensor out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        boolean compare = op.kind() == Prim.Kind.COMPARE;
        DType t = a.dtype();
        if (!isFloat(t) || b.dtype() != t || (compare ? out.dtype() != DType.BOOL : out.dtype() != t)) {
            CpuFallback.binary(this, op, a, b, out);
            return;
        }
        int code = compare ? op.ordinal() - Prim.GT.ordinal() : op.ordinal() - Prim.ADD.ordinal();
        String kind = compare ? "tg_compare_" : "tg_binary_";
        String s = sfx(t);
        ThreadState ts = ts().begin();
        if (a.isContiguous() && b.isContiguous() && out.isContiguous()) {
            ts.ptr(ptr(a)).ptr(ptr(b)).ptr(ptr(out)).i64(n).i32(code);
            ts.launch(kind + "contig_" + s, gridElementwise(n));
            return;
        }
        ts.ptr(base(a)).ptr(base(b)).ptr(base(out)).i32(code);
        if (!ts.strided(sh(out), st(out), out.storageOffset(), new long[][] {st(a), st(b)},
                new long[] {a.storageOffset(), b.storageOffset()})) {
            CpuFallback.binary(this, op, a, b, out);
            return;
        }
        ts.launch(kind + "strided_" + s, gridElementwise(n));
    }

    @Override
    public void where(Tensor mask, Tensor a, Tensor b, Tensor out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        DType t = out.dtype();
        if (!isFloat(t) || a.dtype() != t || b.dtype() != t || mask.dtype() != DType.BOOL) {
            CpuFallback.where(this, mask, a, b, out);
            return;
        }
        String s = sfx(t);
        ThreadState ts = ts().begin();
        if (mask.isContiguous() && a.isContiguous() && b.isContiguous() && out.isContiguous()) {
            ts.ptr(ptr(mask)).ptr(ptr(a)).ptr(ptr(b)).ptr(ptr(out)).i64(n);
            ts.launch("tg_where_contig_" + s, gridElementwise(n));
            return;
        }
        ts.ptr(base(mask)).ptr(base(a)).ptr(base(b)).ptr(base(out));
        if (!ts.strided(sh(out), st(out), out.storageOffset(), new long[][] {st(mask), st(a), st(b)},
                new long[] {mask.storageOffset(), a.storageOffset(), b.storageOffset()})) {
            CpuFallback.where(this, mask, a, b, out);
            return;
        }
        ts.launch("tg_where_strided_" + s, gridElementwise(n));
    }

    @Override
    public void reduce(Prim op, Tensor x, Tensor out) {
        DType t = x.dtype();
        if (!isFloat(t) || out.dtype() != t) {
            CpuFallback.reduce(this, op, x, out);
            return;
        }
        long m = out.numel();
        if (m == 0) {
            return;
        }
        long[] xs = sh(x);
        long[] os = sh(out);
        long[] xst = st(x);
        int rank = xs.length;
        long[] pShape = new long[rank];
        long[] pStride = new long[rank];
        int j = 0;
        for (int d = 0; d < rank; d++) {
            if (!(os[d] == 1 && xs[d] != 1)) {
                pShape[j] = xs[d];
                pStride[j++] = xst[d];
            }
        }
        for (int d = 0; d < rank; d++) {
            if (os[d] == 1 && xs[d] != 1) {
                pShape[j] = xs[d];
                pStride[j++] = xst[d];
            }
        }
        long k = x.numel() / m;
        String opName = switch (op) {
            case SUM -> "sum";
            case PROD -> "prod";
            case AMAX -> "amax";
            case AMIN -> "amin";
            default -> throw new IllegalArgumentException("not a reduction: " + op);
        };
        String s = sfx(t);
        long es = t.byteSize();
        long src;
        long tmp = 0;
        if (k == 0 || contiguousLayout(pShape, pStride)) {
            src = ptr(x);
        } else {
            tmp = contiguousTemp(x, pShape, pStride);
            src = tmp;
        }
        ThreadState ts = ts();
        if (m < 2L * multiprocessors && k >= 32768) {
            long chunks = Math.max(1, Math.min((k + 4095) / 4096, (4L * multiprocessors + m - 1) / m));
            long scratch = temp(m * chunks * es);
            ts.begin().ptr(src).ptr(scratch).i64(m).i64(k).i64(chunks);
            ts.launch("tg_reduce_partial_" + opName + "_" + s, m * chunks);
            ts.begin().ptr(scratch).ptr(ptr(out)).i64(m).i64(chunks);
            ts.launch("tg_reduce_" + opName + "_" + s, gridRows(m, chunks));
            release(scratch);
        } else {
            ts.begin().ptr(src).ptr(ptr(out)).i64(m).i64(k);
            ts.launch("tg_reduce_" + opName + "_" + s, gridRows(m, k));
        }
        if (tmp != 0) {
            release(tmp);
        }
    }

    @Override
    public void softmax(Prim op, Tensor x, int dim, Tensor out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        if (x.dim() == 0) {
            fill(out, op == Prim.SOFTMAX ? 1.0 : 0.0);
            return;
        }
        DType t = x.dtype();
        long[] xs = sh(x);
        int rank = xs.length;
        long k = xs[dim];
        long m = n / k;
        long[] pShape = new long[rank];
        long[] pStride = new long[rank];
        long[] oStride = new long[rank];
        for (int d = 0, j = 0; d < rank; d++) {
            if (d != dim) {
                pShape[j] = xs[d];
                oStride[j] = st(out)[d];
                pStride[j++] = st(x)[d];
            }
        }
        pShape[rank - 1] = k;
        pStride[rank - 1] = st(x)[dim];
        oStride[rank - 1] = st(out)[dim];
        String s = sfx(t);
        long es = t.byteSize();
        long src;
        long tmpIn = 0;
        if (contiguousLayout(pShape, pStride)) {
            src = ptr(x);
        } else {
            tmpIn = contiguousTemp(x, pShape, pStride);
            src = tmpIn;
        }
        boolean direct = contiguousLayout(pShape, oStride);
        long dst = direct ? ptr(out) : temp(n * es);
        ThreadState ts = ts().begin();
        ts.ptr(src).ptr(dst).i64(m).i64(k);
        ts.launch((op == Prim.LOG_SOFTMAX ? "tg_log_softmax_" : "tg_softmax_") + s, gridRows(m, k));
        if (!direct) {
            ts.begin().ptr(dst).ptr(base(out));
            if (!ts.strided(pShape, oStride, out.storageOffset(), new long[][] {Shapes.contiguousStrides(pShape)},
                    new long[] {0})) {
                throw new UnsupportedOperationException("CUDA softmax: more than 8 dims");
            }
            ts.launch("tg_copy_strided_" + s + "_" + s, gridElementwise(n));
            release(dst);
        }
        if (tmpIn != 0) {
            release(tmpIn);
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        long n = dst.numel();
        if (n == 0) {
            return;
        }
        DType a = src.dtype();
        DType b = dst.dtype();
        String sa;
        String sb;
        if (a == DType.INT64 && b == DType.INT64) {
            sa = "f64"; // a bit copy: the f64 kernels move 8-byte words unchanged
            sb = "f64";
        } else {
            sa = sfx(a);
            sb = sfx(b);
        }
        if (sa == null || sb == null) {
            CpuFallback.copy(this, src, dst);
            return;
        }
        ThreadState ts = ts().begin();
        if (src.isContiguous() && dst.isContiguous()) {
            ts.ptr(ptr(src)).ptr(ptr(dst)).i64(n);
            ts.launch("tg_cast_contig_" + sa + "_" + sb, gridElementwise(n));
            return;
        }
        ts.ptr(base(src)).ptr(base(dst));
        if (!ts.strided(sh(dst), st(dst), dst.storageOffset(), new long[][] {st(src)}, new long[] {src.storageOffset()})) {
            CpuFallback.copy(this, src, dst);
            return;
        }
        ts.launch("tg_copy_strided_" + sa + "_" + sb, gridElementwise(n));
    }

    @Override
    public void fill(Tensor out, double value) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        if (!out.isContiguous()) {
            CpuFallback.fill(this, out, value);
            return;
        }
        ThreadState ts = ts().begin();
        ts.ptr(ptr(out)).i64(n);
        switch (out.dtype()) {
            case FLOAT32 -> ts.f64(value).launch("tg_fill_f32", gridElementwise(n));
            case FLOAT64 -> ts.f64(value).launch("tg_fill_f64", gridElementwise(n));
            // The f64 kernel stores the 8 bytes it is given: pass the int64's bits as the "double".
            case INT64 -> ts.i64((long) value).launch("tg_fill_f64", gridElementwise(n));
            case BOOL -> ts.f64(value != 0 ? 1 : 0).launch("tg_fill_u8", gridElementwise(n));
        }
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        Matmul.run(this, a, b, out);
    }

    @Override
    public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        onHost(new Tensor[] {x, index, out}, new boolean[] {false, false, true},
                h -> Backends.cpu().indexSelect(h[0], dim, h[1], h[2]));
    }

    @Override
    public void indexAdd(Tensor out, int dim, Tensor index, Tensor src) {
        onHost(new Tensor[] {out, index, src}, new boolean[] {true, false, false},
                h -> Backends.cpu().indexAdd(h[0], dim, h[1], h[2]));
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        onHost(new Tensor[] {x, index, out}, new boolean[] {false, false, true},
                h -> Backends.cpu().gather(h[0], dim, h[1], h[2]));
    }

    @Override
    public void scatterAdd(Tensor out, int dim, Tensor index, Tensor src) {
        onHost(new Tensor[] {out, index, src}, new boolean[] {true, false, false},
                h -> Backends.cpu().scatterAdd(h[0], dim, h[1], h[2]));
    }

    /** Host round trip for ops the kernels lack (package-private for {@link CpuFallback}). */
    void host(Tensor[] tensors, boolean[] written, Consumer<Tensor[]> cpuOp) {
        onHost(tensors, written, cpuOp);
    }

    // ------------------------------------------------------------ CUDA graphs

    /**
     * Captures {@code kernels} (already run once eagerly on this thread, so every buffer, cached
     * block and cuBLAS handle they need exists) into a CUDA graph on this thread's stream; the
     * returned runnable replays it with {@code cuGraphLaunch} and must be closed. Returns null
     * when the sequence cannot be captured (it synchronizes or copies to the host).
     */
    @Override
    public Runnable capture(Runnable[] kernels) {
        if (Boolean.getBoolean("tangent.cuda.graphs.disable")) {
            return null;
        }
        ThreadState ts = ts();
        CudaGraph g = new CudaGraph(this, ts.stream);
        ts.capturing = g;
        try {
            Cuda.check(cuStreamBeginCapture_v2(ts.stream, CU_STREAM_CAPTURE_MODE_RELAXED()), "cuStreamBeginCapture_v2");
            boolean ok = false;
            try {
                for (Runnable k : kernels) {
                    k.run();
                }
                ok = true;
            } finally {
                g.endCapture(ok);
            }
            return g;
        } catch (RuntimeException e) {
            g.abandon(e);
            return null;
        } finally {
            ts.capturing = null;
        }
    }

    @Override
    public String toString() {
        return "CudaBackend[" + device + ", " + name + ", " + multiprocessors + " SMs]";
    }
}
