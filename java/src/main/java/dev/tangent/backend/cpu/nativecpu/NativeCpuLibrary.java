package dev.tangent.backend.cpu.nativecpu;

import static dev.tangent.bindings.tangentcpu.tangent_cpu_h.*;

import dev.tangent.backend.NativeLibraryLoader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Tangent's own CPU kernels, {@code libtangent_cpu.so} (native/cpu; ABI: {@code tangent_cpu.h}),
 * through the generated bindings {@code dev.tangent.bindings.tangentcpu}: the 2-right-hand-side
 * matrix-vector product of a batch-1 jvp (W read once, optional bias + tanh epilogue) and
 * vectorised element-wise ops with their fused primal+tangent forms.
 *
 * <p>Static wrappers over {@link MemorySegment}s, one thread per call (the caller splits work).
 * Each checks that the segments are long enough for the sizes given (the C side cannot), then
 * turns a negative status into an {@link IllegalArgumentException} naming it. Nothing here
 * depends on {@code dev.tangent.Tensor}.
 *
 * <p>Loading: once, on first use, by absolute path with
 * {@link SymbolLookup#libraryLookup(Path, Arena)} (no {@code System.load}); the generated
 * bindings then find the same copy by its SONAME. {@link #locate()} says where the library is,
 * checked by {@link NativeLibraryLoader} (SHA-256 recorded by the build, private folder).
 * When it cannot be loaded, {@link #isAvailable()} is false and {@link #unavailableReason()} says why.
 */
public final class NativeCpuLibrary {
    /** Classpath folder of the library and the libsleef.so.3 beside it (written by cmake/build-cpu.sh). */
    public static final String RESOURCE_DIR = "/dev/tangent/cpu/linux-x86_64/";
    public static final String LIBRARY = "libtangent_cpu.so";
    public static final String SLEEF = "libsleef.so.3";
    /** System property / environment variable naming another libtangent_cpu.so to load. */
    public static final String OVERRIDE_PROPERTY = "tangent.cpu.library";
    public static final String OVERRIDE_ENV = "TANGENT_CPU_LIBRARY";

    /** Element-wise ops, with the codes of tangent_cpu.h (never ordinals). */
    public enum UnaryOp {
        SIN(1), COS(2), EXP(3), LOG(4), TANH(5), SIGMOID(6), ERF(7), GELU(8), GELU_TANH(9), RELU(10);

        private final int code;

        UnaryOp(int code) {
            this.code = code;
        }

        /** The op code the C ABI uses (checked against the generated constants at load). */
        public int code() {
            return code;
        }
    }

    /** Binary element-wise ops on same-length float32 arrays, with the codes of tangent_cpu.h. */
    public enum BinaryOp {
        ADD(1), SUB(2), MUL(3), DIV(4);

        private final int code;

        BinaryOp(int code) {
            this.code = code;
        }

        /** The op code the C ABI uses (checked against the generated constants at load). */
        public int code() {
            return code;
        }
    }

    private NativeCpuLibrary() {}

    private record LoadResult(Path library, String isa, String failure) {}

    private static final class Holder {
        static final LoadResult RESULT = load();
    }

    /** True when the library is loaded, its ABI version matches, and its functions may be called. */
    public static boolean isAvailable() {
        return Holder.RESULT.failure() == null;
    }

    /** Why the library is unavailable, or null when it is available. */
    public static String unavailableReason() {
        return Holder.RESULT.failure();
    }

    /** The file that was loaded (null when unavailable). */
    public static Path libraryPath() {
        return Holder.RESULT.library();
    }

    /** The code path the library chose: "avx512", "avx2" or "scalar". */
    public static String isa() {
        requireAvailable();
        return Holder.RESULT.isa();
    }

    /** The library's ABI version (equal to the bindings' {@code TANGENT_CPU_ABI_VERSION()} once loaded). */
    public static int abiVersion() {
        requireAvailable();
        return tangent_cpu_abi_version();
    }

    // ------------------------------------------------------------------------------ loading

    /**
     * Where libtangent_cpu.so is, as an absolute path, with libsleef.so.3 beside it (its RUNPATH
     * is $ORIGIN) and both already loaded. The override property/variable names a file loaded as
     * given (the user's choice: only the ELF structure check). Otherwise both come from the jar
     * (or the build's classes folder) through {@link NativeLibraryLoader}: extracted into a
     * private cache folder and loaded only when their SHA-256 is the one the build recorded.
     */
    static Path locate() throws IOException {
        String override = System.getProperty(OVERRIDE_PROPERTY, System.getenv(OVERRIDE_ENV));
        if (override != null && !override.isBlank()) {
            Path lib = Path.of(override.trim()).toAbsolutePath().normalize();
            if (!Files.isRegularFile(lib)) {
                throw new IOException(lib + " (from " + OVERRIDE_PROPERTY + " / " + OVERRIDE_ENV + ") does not exist");
            }
            NativeLibraryLoader.loadAsGiven(lib);
            return lib;
        }
        if (NativeCpuLibrary.class.getResource(RESOURCE_DIR + LIBRARY) == null) {
            throw new IOException("resource " + RESOURCE_DIR + LIBRARY + " is not on the classpath (built by"
                    + " cmake/build-cpu.sh when the build machine has a C compiler and SLEEF: apt-get install libsleef-dev)");
        }
        String folder = NativeLibraryLoader.builtInFolder(FOLDER_PREFIX, LIBRARY);
        NativeLibraryLoader.Extracted e = NativeLibraryLoader.load(NativeLibraryLoader.Bundle.of(
                folder != null ? folder : FOLDER_PREFIX + "unversioned", NativeCpuLibrary.class.getClassLoader(),
                RESOURCE_DIR.substring(1), SLEEF, LIBRARY));
        return e.library(LIBRARY);
    }

    /** Cache folders of this library start with this, then the project version (java/pom.xml). */
    static final String FOLDER_PREFIX = "tangent-cpu-";

    private static LoadResult load() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return new LoadResult(null, null, "libtangent_cpu.so is built for linux-x86_64 only (this is " + os + "/" + arch + ")");
        }
        Path path;
        try {
            path = locate();
        } catch (IOException | UnsatisfiedLinkError e) {
            return new LoadResult(null, null, "libtangent_cpu.so not loaded: " + e.getMessage());
        }
        try {
            // dlopen by absolute path; the global arena keeps it loaded for the life of the JVM.
            SymbolLookup lookup = SymbolLookup.libraryLookup(path, Arena.global());
            if (lookup.find("tangent_cpu_abi_version").isEmpty()) {
                return new LoadResult(path, null, path + " does not export tangent_cpu_abi_version");
            }
            int version = tangent_cpu_abi_version();
            if (version != TANGENT_CPU_ABI_VERSION()) {
                return new LoadResult(path, null, path + " has ABI version " + version + ", the bindings expect "
                        + TANGENT_CPU_ABI_VERSION());
            }
            for (UnaryOp op : UnaryOp.values()) {
                if (op.code() != generatedCode(op)) {
                    return new LoadResult(path, null, "op code of " + op + " disagrees with tangent_cpu.h");
                }
            }
            for (BinaryOp op : BinaryOp.values()) {
                int generated = switch (op) {
                    case ADD -> TANGENT_CPU_ADD();
                    case SUB -> TANGENT_CPU_SUB();
                    case MUL -> TANGENT_CPU_MUL();
                    case DIV -> TANGENT_CPU_DIV();
                };
                if (op.code() != generated) {
                    return new LoadResult(path, null, "op code of " + op + " disagrees with tangent_cpu.h");
                }
            }
            return new LoadResult(path, tangent_cpu_isa().getString(0), null);
        } catch (IllegalArgumentException | UnsatisfiedLinkError | ExceptionInInitializerError e) {
            return new LoadResult(path, null, "cannot load " + path + ": " + e);
        }
    }

    private static int generatedCode(UnaryOp op) {
        return switch (op) {
            case SIN -> TANGENT_CPU_SIN();
            case COS -> TANGENT_CPU_COS();
            case EXP -> TANGENT_CPU_EXP();
            case LOG -> TANGENT_CPU_LOG();
            case TANH -> TANGENT_CPU_TANH();
            case SIGMOID -> TANGENT_CPU_SIGMOID();
            case ERF -> TANGENT_CPU_ERF();
            case GELU -> TANGENT_CPU_GELU();
            case GELU_TANH -> TANGENT_CPU_GELU_TANH();
            case RELU -> TANGENT_CPU_RELU();
        };
    }

    private static void requireAvailable() {
        if (!isAvailable()) {
            throw new IllegalStateException("native CPU kernels unavailable: " + unavailableReason());
        }
    }

    // ------------------------------------------------------------------------------ kernels

    /**
     * Forward of a batch-1 linear layer: {@code y[n] = x[k] W (+ bias)}, then tanh when {@code tanh}.
     * W is k x n row-major, or with {@code transW} n x k row-major ({@code x @ w.T}); {@code ldw}
     * is W's row stride in elements (0 = dense). {@code bias} may be null or {@link MemorySegment#NULL}.
     */
    public static void gemv(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y,
                            long k, long n, long ldw, boolean transW, boolean tanh) {
        requireAvailable();
        MemorySegment b = orNull(bias);
        checkGemv(x, null, w, b, y, null, k, n, ldw, transW);
        check(tangent_cpu_gemv_f32(x, w, b, y, k, n, ldw, flags(transW, tanh)), "tangent_cpu_gemv_f32");
    }

    /**
     * The jvp of that layer with W constant, W read once for both right-hand sides:
     * {@code y = x W (+ bias)}, {@code dy = dx W}; with {@code tanh}, {@code y = tanh(x W + bias)} and
     * {@code dy = (1 - y^2) * (dx W)}.
     */
    public static void gemvJvp(MemorySegment x, MemorySegment dx, MemorySegment w, MemorySegment bias,
                               MemorySegment y, MemorySegment dy, long k, long n, long ldw, boolean transW,
                               boolean tanh) {
        requireAvailable();
        MemorySegment b = orNull(bias);
        checkGemv(x, dx, w, b, y, dy, k, n, ldw, transW);
        check(tangent_cpu_gemv_jvp_f32(x, dx, w, b, y, dy, k, n, ldw, flags(transW, tanh)),
                "tangent_cpu_gemv_jvp_f32");
    }

    /** {@code y[i] = op(x[i])}, float32, n elements ({@code y} may be {@code x}). */
    public static void unaryF32(UnaryOp op, MemorySegment x, MemorySegment y, long n) {
        requireAvailable();
        need(x, n, 4, "x");
        need(y, n, 4, "y");
        check(tangent_cpu_unary_f32(op.code(), x, y, n), "tangent_cpu_unary_f32");
    }

    /** {@code y[i] = op(x[i])}, float64. */
    public static void unaryF64(UnaryOp op, MemorySegment x, MemorySegment y, long n) {
        requireAvailable();
        need(x, n, 8, "x");
        need(y, n, 8, "y");
        check(tangent_cpu_unary_f64(op.code(), x, y, n), "tangent_cpu_unary_f64");
    }

    /** Fused primal and tangent, float32: {@code y = op(x)}, {@code dy = op'(x) * dx}. */
    public static void unaryJvpF32(UnaryOp op, MemorySegment x, MemorySegment dx, MemorySegment y,
                                   MemorySegment dy, long n) {
        requireAvailable();
        need(x, n, 4, "x");
        need(dx, n, 4, "dx");
        need(y, n, 4, "y");
        need(dy, n, 4, "dy");
        check(tangent_cpu_unary_jvp_f32(op.code(), x, dx, y, dy, n), "tangent_cpu_unary_jvp_f32");
    }

    /** Fused primal and tangent, float64. */
    public static void unaryJvpF64(UnaryOp op, MemorySegment x, MemorySegment dx, MemorySegment y,
                                   MemorySegment dy, long n) {
        requireAvailable();
        need(x, n, 8, "x");
        need(dx, n, 8, "dx");
        need(y, n, 8, "y");
        need(dy, n, 8, "dy");
        check(tangent_cpu_unary_jvp_f64(op.code(), x, dx, y, dy, n), "tangent_cpu_unary_jvp_f64");
    }

    /** {@code y[i] = a[i] op b[i]}, float32, n elements ({@code y} may be {@code a} or {@code b}). */
    public static void binaryF32(BinaryOp op, MemorySegment a, MemorySegment b, MemorySegment y, long n) {
        requireAvailable();
        need(a, n, 4, "a");
        need(b, n, 4, "b");
        need(y, n, 4, "y");
        check(tangent_cpu_binary_f32(op.code(), a, b, y, n), "tangent_cpu_binary_f32");
    }

    /**
     * {@code partials[j]} = the float32 sum of elements {@code [j*block, min((j+1)*block, n))} of
     * {@code x}, in the library's fixed order (so blocks split between threads give the same
     * partials as one call); {@code ceil(n / block)} partials. A call with {@code block >= n} writes
     * the sum of all n into {@code partials[0]}.
     */
    public static void sumF32(MemorySegment x, long n, long block, MemorySegment partials) {
        requireAvailable();
        if (block <= 0) {
            throw new IllegalArgumentException("sum: block " + block + " <= 0");
        }
        need(x, n, 4, "x");
        need(partials, n == 0 ? 0 : (n - 1) / block + 1, 4, "partials");
        check(tangent_cpu_sum_f32(x, n, block, partials), "tangent_cpu_sum_f32");
    }

    /**
     * Max pooling of {@code planes} contiguous float32 h x w planes into oh x ow ones, PyTorch's
     * max_pool2d (a NaN wins, the last one; among equals the first tap), and with {@code dx} (then
     * {@code dy} too; both may be null) its jvp: {@code dy} = {@code dx} at each window's winner.
     * {@code geom} = {kh, kw, sh, sw, ph, pw, dh, dw}.
     */
    public static void maxPool2dF32(MemorySegment x, MemorySegment dx, MemorySegment y, MemorySegment dy, long planes,
                                    long h, long w, long oh, long ow, long[] geom) {
        requireAvailable();
        if (geom.length != 8 || (dx == null) != (dy == null)) {
            throw new IllegalArgumentException("max_pool2d: expected 8 geometry values and dx, dy both given or both null");
        }
        long nin = planes * h * w;
        long nout = planes * oh * ow;
        need(x, nin, 4, "x");
        need(y, nout, 4, "y");
        if (dx != null) {
            need(dx, nin, 4, "dx");
            need(dy, nout, 4, "dy");
        }
        check(tangent_cpu_max_pool2d_f32(x, orNull(dx), y, orNull(dy), planes, h, w, oh, ow, geom[0], geom[1], geom[2],
                geom[3], geom[4], geom[5], geom[6], geom[7]), "tangent_cpu_max_pool2d_f32");
    }

    // ------------------------------------------------------------------------------ helpers

    private static int flags(boolean transW, boolean tanh) {
        return (transW ? TANGENT_CPU_GEMV_TRANS_W() : 0) | (tanh ? TANGENT_CPU_GEMV_TANH() : 0);
    }

    private static MemorySegment orNull(MemorySegment s) {
        return s == null ? MemorySegment.NULL : s;
    }

    // ------------------------------------------------------------------------------ thread placement

    /** Bytes of a saved CPU mask ({@link #affinityGet}, {@link #affinitySet}): 1024 CPUs. */
    public static long affinityBytes() {
        requireAvailable();
        return TANGENT_CPU_AFFINITY_BYTES();
    }

    /** The calling thread's kernel thread id ({@code gettid}). */
    public static int threadId() {
        requireAvailable();
        int tid = tangent_cpu_thread_id();
        if (tid <= 0) {
            throw new IllegalStateException("tangent_cpu_thread_id: no thread id on this system (" + tid + ")");
        }
        return tid;
    }

    /** Copies the calling thread's CPU mask into {@code mask} ({@link #affinityBytes()} bytes). */
    public static void affinityGet(MemorySegment mask) {
        requireAvailable();
        need(mask, TANGENT_CPU_AFFINITY_BYTES(), 1, "CPU mask");
        checkSys(tangent_cpu_affinity_get(mask, ERRNO.get()), "tangent_cpu_affinity_get");
    }

    /** Sets the calling thread's CPU mask from {@code mask} ({@link #affinityBytes()} bytes). */
    public static void affinitySet(MemorySegment mask) {
        requireAvailable();
        need(mask, TANGENT_CPU_AFFINITY_BYTES(), 1, "CPU mask");
        checkSys(tangent_cpu_affinity_set(mask, ERRNO.get()), "tangent_cpu_affinity_set");
    }

    /**
     * Restricts thread {@code tid} of this process to the CPU the caller runs on now, unless that
     * CPU is outside {@code allowed} (the thread's own mask as {@link #affinityGet} saved it; null:
     * no check). Returns false, doing nothing, then or when the kernel refuses (no such thread, or
     * that CPU is outside the thread's cpuset): placement is a hint its callers do without. A
     * {@code tid <= 0} is an {@link IllegalArgumentException}.
     */
    public static boolean placeOnCurrentCpu(int tid, MemorySegment allowed) {
        requireAvailable();
        if (tid <= 0) {
            throw new IllegalArgumentException("tangent_cpu_place_on_current_cpu: thread id " + tid + " <= 0");
        }
        if (allowed != null) {
            need(allowed, TANGENT_CPU_AFFINITY_BYTES(), 1, "allowed CPU mask");
        }
        int status = tangent_cpu_place_on_current_cpu(tid, allowed == null ? MemorySegment.NULL : allowed, ERRNO.get());
        if (status == TANGENT_CPU_ERR_SYS() || status == TANGENT_CPU_NOT_PLACED()) {
            return false;
        }
        check(status, "tangent_cpu_place_on_current_cpu");
        return true;
    }

    /**
     * Before the calling thread sleeps: switches it from SCHED_OTHER to SCHED_BATCH (same nice),
     * so that its wake-up does not preempt the thread running on its CPU; returns whether it
     * switched (under any other policy it changes nothing). Pair with {@link #waitPolicyEnd}.
     */
    public static boolean waitPolicyBegin() {
        requireAvailable();
        MemorySegment switched = SWITCHED.get();
        checkSys(tangent_cpu_wait_policy_begin(switched, ERRNO.get()), "tangent_cpu_wait_policy_begin");
        return switched.get(ValueLayout.JAVA_INT, 0) != 0;
    }

    /** Ends {@link #waitPolicyBegin}: back to SCHED_OTHER when it {@code switched}. */
    public static void waitPolicyEnd(boolean switched) {
        requireAvailable();
        checkSys(tangent_cpu_wait_policy_end(switched ? 1 : 0, ERRNO.get()), "tangent_cpu_wait_policy_end");
    }

    private static final ThreadLocal<MemorySegment> SWITCHED = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(4));

    /** Per thread: where the C side writes an errno. */
    private static final ThreadLocal<MemorySegment> ERRNO = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(4));

    private static void checkSys(int status, String fn) {
        if (status == TANGENT_CPU_ERR_SYS()) {
            throw new IllegalStateException(fn + " failed: errno " + ERRNO.get().get(ValueLayout.JAVA_INT, 0));
        }
        check(status, fn);
    }

    private static void checkGemv(MemorySegment x, MemorySegment dx, MemorySegment w, MemorySegment b,
                                  MemorySegment y, MemorySegment dy, long k, long n, long ldw, boolean transW) {
        if (k < 0 || n < 0 || ldw < 0) {
            throw new IllegalArgumentException("gemv: negative size (k=" + k + ", n=" + n + ", ldw=" + ldw + ")");
        }
        if (n == 0) {
            return;
        }
        long row = transW ? k : n;
        long rows = transW ? n : k;
        long lw = ldw == 0 ? row : ldw;
        if (lw < row) {
            throw new IllegalArgumentException("gemv: ldw " + ldw + " < row length " + row);
        }
        need(y, n, 4, "y");
        if (dy != null) {
            need(dy, n, 4, "dy");
        }
        if (!MemorySegment.NULL.equals(b)) {
            need(b, n, 4, "bias");
        }
        if (k > 0) {
            need(x, k, 4, "x");
            if (dx != null) {
                need(dx, k, 4, "dx");
            }
            long welems;
            try {
                welems = Math.addExact(Math.multiplyExact(rows - 1, lw), row);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("gemv: W too large", e);
            }
            need(w, welems, 4, "w");
        }
    }

    /** Rejects a segment shorter than n elements (NULL counts as length 0). */
    private static void need(MemorySegment s, long n, long size, String what) {
        if (n <= 0) {
            return;
        }
        if (s == null || MemorySegment.NULL.equals(s)) {
            throw new IllegalArgumentException(what + " is NULL but " + n + " elements are needed");
        }
        if (n > Long.MAX_VALUE / size || s.byteSize() < n * size) {
            throw new IllegalArgumentException(what + " holds " + s.byteSize() + " bytes, " + n + " elements of "
                    + size + " bytes needed");
        }
    }

    private static void check(int status, String fn) {
        if (status != TANGENT_CPU_OK()) {
            String name = tangent_cpu_status_name(status).getString(0);
            throw new IllegalArgumentException(fn + " failed: " + name + " (" + status + ")");
        }
    }
}
