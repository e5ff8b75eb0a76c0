package dev.tangent.backend.cpu.dnnl;

/**
 * A oneDNN call returned a status other than {@code dnnl_success}. The message names the C
 * function and the status (e.g. {@code dnnl_matmul_primitive_desc_create failed:
 * dnnl_unimplemented (status 3)}).
 */
public final class DnnlException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int status;
    private final String statusName;

    /**
     * @param call the C function (or a short description of the call) that failed
     * @param status the {@code dnnl_status_t} it returned
     * @param statusName the status's C name, e.g. {@code dnnl_invalid_arguments}
     */
    public DnnlException(String call, int status, String statusName) {
        super(call + " failed: " + statusName + " (status " + status + ")");
        this.call = call;
        this.status = status;
        this.statusName = statusName;
    }

    /** The C function (or description of the call) that failed. */
    public String call() {
        return call;
    }

    /** The {@code dnnl_status_t} value returned. */
    public int status() {
        return status;
    }

    /** The status's C name, e.g. {@code dnnl_unimplemented}. */
    public String statusName() {
        return statusName;
    }
}
