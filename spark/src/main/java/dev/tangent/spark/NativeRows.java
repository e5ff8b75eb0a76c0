package dev.tangent.spark;

import dev.tangent.DType;
import dev.tangent.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The one place that touches native memory directly: staging buffers are memory this module owns,
 * written in place and wrapped as tensors without copying ({@link Tensor#wrap}); results are read
 * into reused arrays ({@link Tensor#copyTo}), so a batch allocates nothing native.
 */
final class NativeRows {
    private NativeRows() {}

    /** float32 staging memory of {@code rows} x {@code cols}, zeroed, owned by {@code arena}. */
    static MemorySegment staging(Arena arena, long rows, long cols) {
        return arena.allocate(4 * rows * cols, 64);
    }

    /** A tensor viewing staging memory (valid while the arena is open). */
    static Tensor tensor(MemorySegment staging, long rows, long cols) {
        return Tensor.wrap(staging, DType.FLOAT32, rows, cols);
    }

    /** Copies the first {@code count} values of {@code t} (row-major) into {@code dst}. */
    static void read(Tensor t, float[] dst, int count) {
        t.copyTo(dst, count);
    }
}
