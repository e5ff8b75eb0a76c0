package dev.tangent.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Writes the kernels' by-value {@code TgStrided} launch struct (368 bytes; layout in
 * {@code native/README.md}) after coalescing the iteration space: size-1 dims are dropped and
 * neighbouring dims merged wherever every operand steps through them as through one dim.
 *
 * <p>Stateless; thread-safe.
 */
final class Strided {
    static final int BYTES = 368;
    static final int MAX_DIMS = 8;

    private Strided() {}

    /**
     * Writes the struct at {@code seg[at..at+368)}: iteration over {@code shape} with output
     * strides/offset and up to three inputs' strides/offsets (elements). Returns false when more
     * than 8 dims remain after coalescing (the caller then uses another path).
     */
    static boolean write(MemorySegment seg, long at, long[] shape, long[] outStrides, long outOff,
            long[][] inStrides, long[] inOffs) {
        int rank = shape.length;
        int nin = inStrides.length;
        long[] sh = new long[rank];
        long[][] st = new long[nin + 1][rank];
        int nd = 0;
        for (int d = 0; d < rank; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (nd > 0 && mergeable(st, nd - 1, sh[nd - 1], outStrides[d], inStrides, d, shape[d])) {
                sh[nd - 1] *= shape[d];
                st[0][nd - 1] = outStrides[d];
                for (int k = 0; k < nin; k++) {
                    st[k + 1][nd - 1] = inStrides[k][d];
                }
                continue;
            }
            sh[nd] = shape[d];
            st[0][nd] = outStrides[d];
            for (int k = 0; k < nin; k++) {
                st[k + 1][nd] = inStrides[k][d];
            }
            nd++;
        }
        if (nd > MAX_DIMS) {
            return false;
        }
        MemorySegment s = seg.asSlice(at, BYTES);
        s.fill((byte) 0);
        long numel = 1;
        for (int d = 0; d < nd; d++) {
            numel *= sh[d];
        }
        s.set(ValueLayout.JAVA_INT, 0, nd);
        s.set(ValueLayout.JAVA_LONG, 8, numel);
        for (int d = 0; d < nd; d++) {
            s.set(ValueLayout.JAVA_LONG, 16 + 8L * d, sh[d]);
            s.set(ValueLayout.JAVA_LONG, 80 + 8L * d, st[0][d]);
            for (int k = 0; k < nin; k++) {
                s.set(ValueLayout.JAVA_LONG, 144 + 64L * k + 8L * d, st[k + 1][d]);
            }
        }
        s.set(ValueLayout.JAVA_LONG, 336, outOff);
        for (int k = 0; k < nin; k++) {
            s.set(ValueLayout.JAVA_LONG, 344 + 8L * k, inOffs[k]);
        }
        return true;
    }

    /** Dim d (size {@code size}) continues merged dim j (whose current inner stride is st[.][j]) for every operand. */
    private static boolean mergeable(long[][] st, int j, long sizeJ, long outStride, long[][] in, int d, long size) {
        if (st[0][j] != outStride * size) {
            return false;
        }
        for (int k = 0; k < in.length; k++) {
            if (st[k + 1][j] != in[k][d] * size) {
                return false;
            }
        }
        return true;
    }
}
