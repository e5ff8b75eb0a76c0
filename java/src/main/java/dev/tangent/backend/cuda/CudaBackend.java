package dev.tangent.backend.cuda;

import static dev.tangent.bindings.cuda.cuda_h.*;

import dev.tangent.Device;
import dev.tangent.backend.Backend;
import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import dev.tangent.bindings.cublas.cublas_h;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kernel contract on one NVIDIA GPU, through the CUDA driver API: the device's primary context,
 * a {@link CachingAllocator caching allocator}, one stream per calling thread (every kernel, copy
 * and cuBLAS call of a thread goes to its stream; reads to the host synchronize it), Tangent's
 * kernels from {@code native/} loaded from the jar's fatbin with {@code cuModuleLoadData} and
 * launched with {@code cuLaunchKernel}, and matmul through cuBLAS (row-major via swapped
 * operands, strided-batched for batches, FP32 unless {@link #allowTf32(boolean) TF32} is allowed).
 *
 * The operations themselves are in {@link CudaKernels}.
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
    /** Every thread's state on this device (their streams), for cross-stream frees. */
    private final List<ThreadState> states = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final CudaKernels kernels = new CudaKernels(this);

    private CudaBackend(Device device) {
        this.device = device;
        this.ordinal = device.index();
        // the kernels are read and checked before the device context is retained: a bad fatbin
        // leaves nothing to release
        byte[] image = Cuda.fatbin();
        FatbinAbi.check(image, Cuda.FATBIN_RESOURCE);
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
            MemorySegment img = a.allocate(image.length + 1L, 16);
            MemorySegment.copy(image, 0, img, ValueLayout.JAVA_BYTE, 0, image.length);
            Cuda.check(cuModuleLoadData(p, img), "cuModuleLoadData(tangent_kernels.fatbin, " + image.length + " bytes)");
            this.module = p.get(ValueLayout.ADDRESS, 0);
            FatbinAbi.checkLoaded(loadedAbiVersion(a));
        }
    }

    /** The {@code tg_abi_version} global of the loaded module (read from the device). */
    private int loadedAbiVersion(Arena a) {
        MemorySegment ptr = a.allocate(ValueLayout.JAVA_LONG);
        MemorySegment size = a.allocate(ValueLayout.JAVA_LONG);
        Cuda.check(cuModuleGetGlobal_v2(ptr, size, module, a.allocateFrom("tg_abi_version")),
                "cuModuleGetGlobal(tg_abi_version)");
        MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
        Cuda.check(cuMemcpyDtoH_v2(v, ptr.get(ValueLayout.JAVA_LONG, 0), 4), "cuMemcpyDtoH(tg_abi_version)");
        return v.get(ValueLayout.JAVA_INT, 0);
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
            states.add(t);
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

    // ------------------------------------------------------------ memory

    @Override
    public MemorySegment allocate(long bytes) {
        if (bytes == 0) {
            return MemorySegment.NULL;
        }
        ThreadState ts = ts();
        return MemorySegment.ofAddress(allocator.allocate(bytes, ts.stream.address()));
    }

    /**
     * Returns a block to the allocator. With one stream on this device, stream order makes it
     * reusable at once; with several, a kernel on another stream may still read it, so an event is
     * recorded on every stream and the block is reused only once they all completed.
     */
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
        List<ThreadState> all = states;
        if (all.size() <= 1) {
            allocator.free(p);
            return;
        }
        makeCurrent();
        long[] events = new long[all.size()];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(ValueLayout.ADDRESS);
            for (int i = 0; i < events.length; i++) {
                Cuda.check(cuEventCreate(e, CU_EVENT_DISABLE_TIMING()), "cuEventCreate");
                events[i] = e.get(ValueLayout.JAVA_LONG, 0);
                Cuda.check(cuEventRecord(MemorySegment.ofAddress(events[i]), all.get(i).stream), "cuEventRecord");
            }
        }
        allocator.freeAfter(p, events);
    }

    /** A temporary device buffer for one kernel sequence of this thread; give it back with {@link #release}. */
    long temp(long bytes) {
        return allocate(bytes).address();
    }

    void release(long p) {
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


    /** The operations (package-private: for {@link Matmul}). */
    CudaKernels kernels() {
        return kernels;
    }

    /** Gives back a temporary from {@link CudaKernels#contiguousTemp}. */
    void releaseTemp(long p) {
        release(p);
    }

    // ------------------------------------------------------------ the kernel contract

    @Override
    public void unary(Prim op, Attrs.Scalars attrs, Operand x, Operand out) {
        kernels.unary(op, attrs, x, out);
    }

    @Override
    public boolean unaryJvp(Prim op, Attrs.Scalars attrs, Operand x, Operand t, Operand y, Operand ty) {
        return kernels.unaryJvp(op, attrs, x, t, y, ty);
    }

    @Override
    public boolean binaryJvp(Prim op, Operand a, Operand ta, Operand b, Operand tb, Operand c, Operand tc) {
        return kernels.binaryJvp(op, a, ta, b, tb, c, tc);
    }

    @Override
    public void binary(Prim op, Operand a, Operand b, Operand out) {
        kernels.binary(op, a, b, out);
    }

    @Override
    public void where(Operand mask, Operand a, Operand b, Operand out) {
        kernels.where(mask, a, b, out);
    }

    @Override
    public void reduce(Prim op, Operand x, Operand out) {
        kernels.reduce(op, x, out);
    }

    @Override
    public void softmax(Prim op, Operand x, int dim, Operand out) {
        kernels.softmax(op, x, dim, out);
    }

    @Override
    public void matmul(Operand a, Operand b, Operand out) {
        kernels.matmul(a, b, out);
    }

    @Override
    public void copy(Operand src, Operand dst) {
        kernels.copy(src, dst);
    }

    @Override
    public void fill(Operand out, double value) {
        kernels.fill(out, value);
    }

    @Override
    public void indexSelect(Operand x, int dim, Operand index, Operand out) {
        kernels.indexSelect(x, dim, index, out);
    }

    @Override
    public void indexAdd(Operand out, int dim, Operand index, Operand src) {
        kernels.indexAdd(out, dim, index, src);
    }

    @Override
    public void gather(Operand x, int dim, Operand index, Operand out) {
        kernels.gather(x, dim, index, out);
    }

    @Override
    public void scatterAdd(Operand out, int dim, Operand index, Operand src) {
        kernels.scatterAdd(out, dim, index, src);
    }

    @Override
    public void conv2d(Attrs.Conv a, Operand x, Operand w, Operand out) {
        CpuFallback.conv2d(a, x, w, out);
    }

    @Override
    public void conv2dInputGrad(Attrs.Conv a, Operand g, Operand w, Operand gx) {
        CpuFallback.conv2dInputGrad(a, g, w, gx);
    }

    @Override
    public void conv2dWeightGrad(Attrs.Conv a, Operand x, Operand g, Operand gw) {
        CpuFallback.conv2dWeightGrad(a, x, g, gw);
    }

    @Override
    public void maxPool2d(Attrs.Pool a, Operand x, Operand out, Operand indices) {
        CpuFallback.maxPool2d(a, x, out, indices);
    }

    @Override
    public void avgPool2d(Attrs.Pool a, Operand x, Operand out) {
        CpuFallback.avgPool2d(a, x, out);
    }

    @Override
    public void avgPool2dGrad(Attrs.Pool a, Operand g, Operand gx) {
        CpuFallback.avgPool2dGrad(a, g, gx);
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
