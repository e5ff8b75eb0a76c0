package dev.tangent.backend.cpu.dnnl;

import dev.tangent.bindings.dnnl.dnnl_h;
import java.lang.foreign.MemorySegment;

/**
 * Turns oneDNN status codes into exceptions at the call site:
 * {@code Dnnl.check(dnnl_h.dnnl_stream_wait(stream), "dnnl_stream_wait");}.
 */
public final class Dnnl {

    /** Longest status name dnnl_status2str returns is far below this; bounds the C string read. */
    private static final long MAX_NAME_BYTES = 256;

    private Dnnl() {}

    /**
     * Throws unless {@code status} is {@code dnnl_success}.
     *
     * @param status the {@code dnnl_status_t} a oneDNN function returned
     * @param call the C function's name (appears in the exception message)
     * @throws DnnlException naming {@code call} and the status when the call failed
     */
    public static void check(int status, String call) {
        if (status != dnnl_h.dnnl_success()) {
            throw new DnnlException(call, status, statusName(status));
        }
    }

    /**
     * The C name of a {@code dnnl_status_t}, e.g. {@code dnnl_out_of_memory}, from oneDNN's own
     * {@code dnnl_status2str}; {@code "dnnl status N"} when oneDNN is not loaded.
     */
    public static String statusName(int status) {
        if (!DnnlLibrary.isAvailable()) {
            return "dnnl status " + status;
        }
        MemorySegment s = dnnl_h.dnnl_status2str(status);
        if (s.equals(MemorySegment.NULL)) {
            return "dnnl status " + status;
        }
        String name = s.reinterpret(MAX_NAME_BYTES).getString(0);
        return name.matches("[a-z_0-9]+") ? "dnnl_" + name : "unknown dnnl status " + status;
    }
}
