package dev.tangent.spark;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The one place that touches a tensor's memory directly: staging buffers are written in place and
 * results read without a temporary tensor, so a batch allocates nothing native.
 */
final class NativeRows {
    private NativeRows() {}

    /** The memory of a contiguous float32 CPU tensor (staging buffers made by this module). */
    static MemorySegment segment(Tensor t) {
        if (!direct(t)) {
            throw new IllegalStateException("tangent-spark: staging tensor must be contiguous float32 on the CPU, got "
                    + t.dtype() + " on " + t.device());
        }
        return t.storage().segment().asSlice(4 * t.storageOffset(), 4 * t.numel());
    }

    /** Copies the first {@code count} values of {@code t} (row-major) into {@code dst}. */
    static void read(Tensor t, float[] dst, int count) {
        if (direct(t)) {
            t.storage().checkAlive("tangent-spark read");
            MemorySegment.copy(t.storage().segment(), ValueLayout.JAVA_FLOAT, 4 * t.storageOffset(), dst, 0, count);
            return;
        }
        try (Scope s = Scope.open()) { // a strided or other-dtype result: let Tangent convert it
            float[] all = t.toFloatArray();
            System.arraycopy(all, 0, dst, 0, count);
        }
    }

    private static boolean direct(Tensor t) {
        return t.dtype() == DType.FLOAT32 && t.device().isCpu() && t.isContiguous();
    }
}
