package dev.tangent.backend.cpu;

/**
 * Iterates an n-d index space row by row: the innermost dim is handed to the body as one run of
 * {@code n} elements, with each operand's starting offset and inner stride. The outer dims are
 * walked with an odometer, so kernels stay simple loops over a row.
 */
final class StridedLoop {
    private StridedLoop() {}

    /** Body of one row: {@code offs[k]} is operand k's element offset of the row's first element. */
    interface Row {
        void run(long[] offs, long n, long[] innerStrides);
    }

    /**
     * Walks {@code shape}; operand k has strides {@code strides[k]} and base offset {@code base[k]}.
     */
    static void forEach(long[] shape, long[][] strides, long[] base, Row row) {
        int ops = strides.length;
        int rank = shape.length;
        for (long s : shape) {
            if (s == 0) {
                return;
            }
        }
        if (rank == 0) {
            row.run(base.clone(), 1, new long[ops]);
            return;
        }
        // Merge adjacent dims that are contiguous with each other for every operand.
        long[] sh = shape.clone();
        long[][] st = new long[ops][];
        for (int k = 0; k < ops; k++) {
            st[k] = strides[k].clone();
        }
        int r = rank;
        for (int d = rank - 1; d > 0; d--) {
            boolean merge = true;
            for (int k = 0; k < ops; k++) {
                if (st[k][d - 1] != st[k][d] * sh[d]) {
                    merge = false;
                    break;
                }
            }
            if (merge) {
                sh[d - 1] *= sh[d];
                for (int k = 0; k < ops; k++) {
                    st[k][d - 1] = st[k][d];
                }
                // remove dim d
                for (int e = d; e < r - 1; e++) {
                    sh[e] = sh[e + 1];
                    for (int k = 0; k < ops; k++) {
                        st[k][e] = st[k][e + 1];
                    }
                }
                r--;
            }
        }
        long n = sh[r - 1];
        long[] inner = new long[ops];
        for (int k = 0; k < ops; k++) {
            inner[k] = st[k][r - 1];
        }
        long[] offs = base.clone();
        long[] idx = new long[Math.max(r - 1, 0)];
        while (true) {
            row.run(offs, n, inner);
            int d = r - 2;
            while (d >= 0) {
                idx[d]++;
                for (int k = 0; k < ops; k++) {
                    offs[k] += st[k][d];
                }
                if (idx[d] < sh[d]) {
                    break;
                }
                for (int k = 0; k < ops; k++) {
                    offs[k] -= st[k][d] * sh[d];
                }
                idx[d] = 0;
                d--;
            }
            if (d < 0) {
                return;
            }
        }
    }
}
