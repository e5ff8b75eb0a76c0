package dev.tangent.backend.cpu;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Element access in host memory by dtype, for the Java kernels. */
final class Elements {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE;
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;

    private Elements() {}

    static double get(MemorySegment s, DType dt, long i) {
        return switch (dt) {
            case FLOAT32 -> s.getAtIndex(F32, i);
            case FLOAT64 -> s.getAtIndex(F64, i);
            case INT64 -> s.getAtIndex(I64, i);
            case BOOL -> s.getAtIndex(U8, i);
        };
    }

    static void set(MemorySegment s, DType dt, long i, double v) {
        switch (dt) {
            case FLOAT32 -> s.setAtIndex(F32, i, (float) v);
            case FLOAT64 -> s.setAtIndex(F64, i, v);
            case INT64 -> s.setAtIndex(I64, i, toLong(v));
            case BOOL -> s.setAtIndex(U8, i, (byte) (v != 0 ? 1 : 0));
        }
    }

    /**
     * A floating value converted to int64 as PyTorch's CPU kernels do on x86-64 (cvttsd2si):
     * truncation, and the "integer indefinite" Long.MIN_VALUE for NaN, ±inf and values out of range
     * (Java's cast would give 0 and saturate).
     */
    static long toLong(double v) {
        return v >= -0x1p63 && v < 0x1p63 ? (long) v : Long.MIN_VALUE;
    }

    /** The values of a host int64 operand of any layout, row-major. */
    static long[] longs(Operand index) {
        long[] r = new long[Math.toIntExact(index.numel())];
        MemorySegment s = index.storage().segment();
        int[] at = {0};
        StridedLoop.forEach(index.shape(), new long[][] {index.strides()}, new long[] {index.offset()},
                (offs, len, inner) -> {
                    for (long j = 0; j < len; j++) {
                        r[at[0]++] = s.getAtIndex(I64, offs[0] + j * inner[0]);
                    }
                });
        return r;
    }

    /** {@code a} without entry {@code dim}. */
    static long[] dropDim(long[] a, int dim) {
        long[] r = new long[a.length - 1];
        for (int i = 0, j = 0; i < a.length; i++) {
            if (i != dim) {
                r[j++] = a[i];
            }
        }
        return r;
    }
}
