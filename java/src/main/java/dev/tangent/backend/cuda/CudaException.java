package dev.tangent.backend.cuda;

/**
 * A CUDA driver or cuBLAS call that did not succeed, naming the call and the error
 * ({@code cuGetErrorName}/{@code cublasGetStatusName}), or an out-of-memory condition that persisted
 * after the caching allocator emptied its cache and retried.
 *
 * <p>Immutable; safe to share between threads.
 */
public class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int status;
    private final String statusName;

    /** An exception for {@code call} that returned {@code status} (named {@code statusName}). */
    public CudaException(String call, int status, String statusName, String message) {
        super(message);
        this.call = call;
        this.status = status;
        this.statusName = statusName;
    }

    /** The native function that failed, e.g. {@code cuMemAlloc_v2}. */
    public String call() {
        return call;
    }

    /** The raw status code (a {@code CUresult} or {@code cublasStatus_t}). */
    public int status() {
        return status;
    }

    /** The status' symbolic name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String statusName() {
        return statusName;
    }

    /** True when the failure is the device running out of memory. */
    public boolean isOutOfMemory() {
        return "CUDA_ERROR_OUT_OF_MEMORY".equals(statusName) || "CUBLAS_STATUS_ALLOC_FAILED".equals(statusName);
    }
}
