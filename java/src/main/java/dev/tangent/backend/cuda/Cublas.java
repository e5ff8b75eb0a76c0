package dev.tangent.backend.cuda;

import dev.tangent.bindings.cublas.cublas_h;
import java.lang.foreign.MemorySegment;

/** Status checks for cuBLAS calls. Stateless; thread-safe. */
final class Cublas {
    private Cublas() {}

    /** Throws a {@link CudaException} naming {@code call} when {@code status} is not CUBLAS_STATUS_SUCCESS. */
    static void check(int status, String call) {
        if (status != 0) {
            String name = "cublasStatus " + status;
            String text = "";
            try {
                MemorySegment n = cublas_h.cublasGetStatusName(status);
                MemorySegment t = cublas_h.cublasGetStatusString(status);
                if (!n.equals(MemorySegment.NULL)) {
                    name = n.reinterpret(256).getString(0);
                }
                if (!t.equals(MemorySegment.NULL)) {
                    text = " (" + t.reinterpret(1024).getString(0) + ")";
                }
            } catch (Throwable ignored) {
                // the number alone still identifies the failure
            }
            throw new CudaException(call, status, name, call + " failed: " + name + text);
        }
    }
}
