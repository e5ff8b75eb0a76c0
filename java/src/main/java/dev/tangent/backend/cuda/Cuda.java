package dev.tangent.backend.cuda;

import static dev.tangent.bindings.cuda.cuda_h.*;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Whether CUDA can be used here, and the status checks every CUDA call goes through.
 *
 * <p>Availability is decided once, on first ask, and never throws: it needs the driver library,
 * a successful {@code cuInit}, at least one device, and the kernels' fatbin on the classpath
 * (built by {@code cmake/} when nvcc was present at build time). Otherwise
 * {@link #unavailableReason()} says which of these is missing.
 *
 * <p>Thread-safe.
 */
public final class Cuda {
    /** Classpath resource holding the kernels (see {@code native/README.md}). */
    public static final String FATBIN_RESOURCE = "/dev/tangent/cuda/tangent_kernels.fatbin";

    private record State(boolean available, String reason, int deviceCount, int driverVersion) {}

    private static volatile State state;

    private Cuda() {}

    private static State state() {
        State s = state;
        if (s == null) {
            synchronized (Cuda.class) {
                s = state;
                if (s == null) {
                    s = probe();
                    state = s;
                }
            }
        }
        return s;
    }

    private static State probe() {
        try {
            CudaLibraries.loadDriver();
            int rc = cuInit(0);
            if (rc != CUDA_SUCCESS()) {
                return new State(false, "cuInit failed: " + errorName(rc) + " (" + errorString(rc)
                        + "): no usable NVIDIA driver or GPU", 0, 0);
            }
            int count;
            int version;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
                check(cuDeviceGetCount(n), "cuDeviceGetCount");
                count = n.get(ValueLayout.JAVA_INT, 0);
                check(cuDriverGetVersion(n), "cuDriverGetVersion");
                version = n.get(ValueLayout.JAVA_INT, 0);
            }
            if (count <= 0) {
                return new State(false, "the CUDA driver reports no GPU", 0, version);
            }
            if (Cuda.class.getResource(FATBIN_RESOURCE) == null) {
                return new State(false, "the CUDA kernels were not built into this jar (resource " + FATBIN_RESOURCE
                        + " missing: nvcc was absent at build time)", count, version);
            }
            FatbinAbi.check(fatbin(), FATBIN_RESOURCE);
            return new State(true, null, count, version);
        } catch (Throwable t) {
            return new State(false, String.valueOf(t.getMessage() != null ? t.getMessage() : t), 0, 0);
        }
    }

    /** True when CUDA devices can be used. Never throws. */
    public static boolean isAvailable() {
        return state().available;
    }

    /** Why CUDA cannot be used, or null when it can. */
    public static String unavailableReason() {
        return state().reason;
    }

    /** Number of CUDA devices (0 when unavailable). */
    public static int deviceCount() {
        State s = state();
        return s.available ? s.deviceCount : 0;
    }

    /** The driver's CUDA version, e.g. 13000 (0 when unavailable). */
    public static int driverVersion() {
        return state().driverVersion;
    }

    /** Throws a {@link CudaException} naming {@code call} when {@code status} is not CUDA_SUCCESS. */
    static void check(int status, String call) {
        if (status != 0) {
            throw new CudaException(call, status, errorName(status),
                    call + " failed: " + errorName(status) + " (" + errorString(status) + ")");
        }
    }

    /** cuGetErrorName of a status, or its number when the driver does not know it. */
    static String errorName(int status) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            if (cuGetErrorName(status, p) == 0) {
                return p.get(ValueLayout.ADDRESS, 0).reinterpret(256).getString(0);
            }
        } catch (Throwable ignored) {
            // fall through: the number is still informative
        }
        return "CUresult " + status;
    }

    static String errorString(int status) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            if (cuGetErrorString(status, p) == 0) {
                return p.get(ValueLayout.ADDRESS, 0).reinterpret(1024).getString(0);
            }
        } catch (Throwable ignored) {
            // fall through
        }
        return "no description";
    }

    /** The kernels' fatbin image from the classpath (at most {@link FatbinContainer#MAX_BYTES}). */
    static byte[] fatbin() {
        try (InputStream in = Cuda.class.getResourceAsStream(FATBIN_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("CUDA kernels missing: resource " + FATBIN_RESOURCE);
            }
            return FatbinContainer.read(in, FATBIN_RESOURCE, FatbinContainer.MAX_BYTES);
        } catch (IOException e) {
            throw new IllegalStateException("CUDA kernels unreadable: resource " + FATBIN_RESOURCE, e);
        }
    }
}
