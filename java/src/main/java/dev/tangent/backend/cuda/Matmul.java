package dev.tangent.backend.cuda;

import static dev.tangent.bindings.cublas.cublas_h.*;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Batched matmul through cuBLAS. cuBLAS is column-major: the row-major product C = A·B is computed
 * as the column-major C^T = B^T·A^T, i.e. with the operands swapped, and each operand's layout
 * (row-major, or column-major = a transposed view) picked up by the transpose flags, so
 * {@code x.matmul(w.mT())} copies nothing. Operands whose layout neither flag covers, or whose
 * batch dims do not step by one stride, are made contiguous in a temporary first.
 *
 * <p>Stateless; thread-safe (each thread uses its own cuBLAS handle on its own stream).
 */
final class Matmul {
    private Matmul() {}

    /** One operand as cuBLAS sees it. */
    private record BlasOperand(long ptr, boolean transposed, long ld, long batchStride, long temp) {}

    static void run(CudaBackend be, Operand a, Operand b, Operand out) {
        long[] os = out.shape();
        int r = os.length;
        long m = os[r - 2];
        long n = os[r - 1];
        long k = a.shape()[r - 1];
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            be.kernels().fill(out, 0);
            return;
        }
        long[] batch = Arrays.copyOf(os, r - 2);
        long count = 1;
        for (long s : batch) {
            count *= s;
        }
        if (count == 0) {
            return;
        }
        DType dt = out.dtype();
        if (dt != DType.FLOAT32 && dt != DType.FLOAT64) {
            throw new IllegalArgumentException("matmul on CUDA: float32 or float64 only, got " + dt.torchName());
        }
        if (Math.max(Math.max(m, n), k) > Integer.MAX_VALUE || count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("matmul on CUDA: sizes beyond cuBLAS' int range: m=" + m + " n=" + n
                    + " k=" + k + " batch=" + count);
        }
        BlasOperand oa = operand(be, a, m, k, batch, count);
        BlasOperand ob = null;
        try {
            ob = operand(be, b, k, n, batch, count);
            CudaBackend.ThreadState ts = be.ts();
            MemorySegment h = ts.cublas();
            boolean f32 = dt == DType.FLOAT32;
            int math = f32 && CudaBackend.tf32Allowed() ? CUBLAS_TF32_TENSOR_OP_MATH() : CUBLAS_DEFAULT_MATH();
            if (ts.cublasMath != math) {
                Cublas.check(cublasSetMathMode(h, math), "cublasSetMathMode");
                ts.cublasMath = math;
            }
            int opA = oa.transposed ? CUBLAS_OP_T() : CUBLAS_OP_N();
            int opB = ob.transposed ? CUBLAS_OP_T() : CUBLAS_OP_N();
            MemorySegment alpha = ts.scratch.asSlice(f32 ? 3840 : 3848, f32 ? 4 : 8);
            MemorySegment beta = ts.scratch.asSlice(f32 ? 3844 : 3856, f32 ? 4 : 8);
            MemorySegment pa = MemorySegment.ofAddress(oa.ptr);
            MemorySegment pb = MemorySegment.ofAddress(ob.ptr);
            MemorySegment pc = MemorySegment.ofAddress(out.address());
            int im = (int) m;
            int in = (int) n;
            int ik = (int) k;
            if (count == 1) {
                if (f32) {
                    Cublas.check(cublasSgemm_v2(h, opB, opA, in, im, ik, alpha, pb, (int) ob.ld, pa, (int) oa.ld, beta, pc, in),
                            "cublasSgemm_v2(m=" + m + ", n=" + n + ", k=" + k + ")");
                } else {
                    Cublas.check(cublasDgemm_v2(h, opB, opA, in, im, ik, alpha, pb, (int) ob.ld, pa, (int) oa.ld, beta, pc, in),
                            "cublasDgemm_v2(m=" + m + ", n=" + n + ", k=" + k + ")");
                }
            } else if (f32) {
                Cublas.check(cublasSgemmStridedBatched(h, opB, opA, in, im, ik, alpha, pb, (int) ob.ld, ob.batchStride,
                        pa, (int) oa.ld, oa.batchStride, beta, pc, in, m * n, (int) count),
                        "cublasSgemmStridedBatched(m=" + m + ", n=" + n + ", k=" + k + ", batch=" + count + ")");
            } else {
                Cublas.check(cublasDgemmStridedBatched(h, opB, opA, in, im, ik, alpha, pb, (int) ob.ld, ob.batchStride,
                        pa, (int) oa.ld, oa.batchStride, beta, pc, in, m * n, (int) count),
                        "cublasDgemmStridedBatched(m=" + m + ", n=" + n + ", k=" + k + ", batch=" + count + ")");
            }
        } finally {
            if (oa.temp != 0) {
                be.releaseTemp(oa.temp);
            }
            if (ob != null && ob.temp != 0) {
                be.releaseTemp(ob.temp);
            }
        }
    }

    /** t viewed as [batch..., rows, cols]: its cuBLAS description, copying it when no flag covers its layout. */
    private static BlasOperand operand(CudaBackend be, Operand t, long rows, long cols, long[] batch, long count) {
        long[] s = t.strides();
        int r = s.length;
        long s0 = s[r - 2];
        long s1 = s[r - 1];
        long base = t.address();
        long bstride = count == 1 ? 0 : batchStride(batch, Arrays.copyOf(s, r - 2));
        if (bstride != Long.MIN_VALUE) {
            // Row-major rows x cols: column-major it is the cols x rows transpose, op N, ld >= cols.
            if ((cols == 1 || s1 == 1) && (rows == 1 || s0 >= cols)) {
                long ld = rows == 1 ? cols : Math.max(s0, cols);
                if (ld <= Integer.MAX_VALUE) {
                    return new BlasOperand(base, false, Math.max(ld, 1), bstride, 0);
                }
            }
            // Column-major rows x cols (a transposed row-major view): op T, ld >= rows.
            if ((rows == 1 || s0 == 1) && (cols == 1 || s1 >= rows)) {
                long ld = cols == 1 ? rows : Math.max(s1, rows);
                if (ld <= Integer.MAX_VALUE) {
                    return new BlasOperand(base, true, Math.max(ld, 1), bstride, 0);
                }
            }
        }
        long[] shape = t.shape();
        long temp = be.kernels().contiguousTemp(t, shape, s);
        return new BlasOperand(temp, false, cols, rows * cols, temp);
    }

    /** The one stride that steps through every batch element in order (0 if broadcast), or MIN_VALUE. */
    private static long batchStride(long[] shape, long[] strides) {
        long stride = Long.MIN_VALUE;
        long inner = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 1) {
                continue;
            }
            if (stride == Long.MIN_VALUE) {
                stride = strides[d];
            } else if (strides[d] != stride * inner) {
                return Long.MIN_VALUE;
            }
            inner *= shape[d];
        }
        return stride == Long.MIN_VALUE ? 0 : stride;
    }
}
