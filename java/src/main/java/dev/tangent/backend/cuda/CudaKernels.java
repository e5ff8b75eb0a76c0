package dev.tangent.backend.cuda;

import dev.tangent.DType;
import dev.tangent.backend.Backends;
import dev.tangent.backend.HostRoundTrip;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.util.Arrays;

/**
 * The kernel contract's operations on one GPU: Tangent's kernels from {@code native/} (op codes
 * from {@link CudaOpCodes}), cuBLAS for matmul ({@link Matmul}), and the host round trip
 * ({@link CpuFallback}, {@link HostRoundTrip}) for what the kernels do not cover. Stateless beyond
 * its backend; thread-safe (each thread launches on its own stream).
 */
final class CudaKernels {
    static final int BLOCK = CudaBackend.BLOCK;

    private final CudaBackend be;

    CudaKernels(CudaBackend be) {
        this.be = be;
    }

    /** Kernel suffix of a dtype the kernels have, or null. */
    private static String sfx(DType t) {
        return switch (t) {
            case FLOAT32 -> "f32";
            case FLOAT64 -> "f64";
            case BOOL -> "u8";
            case INT64 -> null;
        };
    }

    private static boolean isFloat(DType t) {
        return t == DType.FLOAT32 || t == DType.FLOAT64;
    }

    private static boolean contiguousLayout(long[] shape, long[] strides) {
        return dev.tangent.ops.Shapes.isContiguous(shape, strides);
    }

    /** A contiguous copy of t's elements in a temporary buffer (release it), laid out as {@code shape} row-major. */
    long contiguousTemp(Operand t, long[] shape, long[] strides) {
        long n = Shapes.numel(shape);
        String s = sfx(t.dtype());
        long dst = be.temp(n * t.dtype().byteSize());
        CudaBackend.ThreadState ts = be.ts().begin();
        ts.ptr(t.storage().address()).ptr(dst);
        if (!ts.strided(shape, Shapes.contiguousStrides(shape), 0, new long[][] {strides}, new long[] {t.offset()})) {
            be.release(dst);
            throw new UnsupportedOperationException("CUDA: a layout of more than 8 non-mergeable dims: "
                    + Arrays.toString(shape));
        }
        ts.launch("tg_copy_strided_" + s + "_" + s, gridElementwise(n));
        return dst;
    }

    long gridElementwise(long n) {
        return Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, 32L * be.multiprocessorCount()));
    }

    static long gridRows(long m, long k) {
        long g = k <= 256 ? (m + 7) / 8 : m;
        return Math.max(1, Math.min(g, 1L << 30));
    }


    void unary(Prim op, Attrs.Scalars attrs, Operand x, Operand out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        DType dt = out.dtype();
        if (!isFloat(dt) || x.dtype() != dt) {
            CpuFallback.unary(op, attrs, x, out);
            return;
        }
        int code = CudaOpCodes.unary(op);
        double p0 = attrs.p0();
        double p1 = attrs.p1();
        String s = sfx(dt);
        CudaBackend.ThreadState ts = be.ts().begin();
        if (x.isContiguous()) {
            ts.ptr(x.address()).ptr(out.address()).i64(n).i32(code).f64(p0).f64(p1);
            ts.launch("tg_unary_contig_" + s, gridElementwise(n));
            return;
        }
        ts.ptr(x.storage().address()).ptr(out.address()).i32(code).f64(p0).f64(p1);
        if (!ts.strided(out.shape(), out.strides(), 0, new long[][] {x.strides()}, new long[] {x.offset()})) {
            CpuFallback.unary(op, attrs, x, out);
            return;
        }
        ts.launch("tg_unary_strided_" + s, gridElementwise(n));
    }

    /** y = u(x) and ẏ = u'(x)·ẋ in one kernel ({@code tg_jvp_unary_contig}); contiguous operands only. */
    boolean unaryJvp(Prim op, Attrs.Scalars attrs, Operand x, Operand t, Operand y, Operand ty) {
        DType dt = x.dtype();
        if (!isFloat(dt) || t.dtype() != dt || !x.isContiguous() || !t.isContiguous() || op == Prim.SIGN) {
            return false;
        }
        long n = y.numel();
        if (n == 0) {
            return true;
        }
        int code = CudaOpCodes.unary(op);
        double p0 = attrs.p0();
        double p1 = attrs.p1();
        CudaBackend.ThreadState ts = be.ts().begin();
        ts.ptr(x.address()).ptr(t.address()).ptr(y.address()).ptr(ty.address()).i64(n).i32(code).f64(p0).f64(p1);
        ts.launch("tg_jvp_unary_contig_" + sfx(dt), gridElementwise(n));
        return true;
    }

    /** c = a op b and its tangent in one kernel ({@code tg_jvp_binary_contig}); b may repeat (nb). */
    boolean binaryJvp(Prim op, Operand a, Operand ta, Operand b, Operand tb, Operand c, Operand tc) {
        DType dt = c.dtype();
        if (!isFloat(dt)) {
            return false;
        }
        long n = c.numel();
        if (n == 0) {
            return true;
        }
        CudaBackend.ThreadState ts = be.ts().begin();
        ts.ptr(a.address()).ptr(ta == null ? 0 : ta.address()).ptr(b.address()).ptr(tb == null ? 0 : tb.address()).ptr(c.address()).ptr(tc.address())
                .i64(n).i64(b.numel()).i32(CudaOpCodes.binary(op));
        ts.launch("tg_jvp_binary_contig_" + sfx(dt), gridElementwise(n));
        return true;
    }

    void binary(Prim op, Operand a, Operand b, Operand out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        boolean compare = op.kind() == Prim.Kind.COMPARE;
        DType t = a.dtype();
        if (!isFloat(t) || b.dtype() != t || (compare ? out.dtype() != DType.BOOL : out.dtype() != t)) {
            CpuFallback.binary(op, a, b, out);
            return;
        }
        int code = compare ? CudaOpCodes.compare(op) : CudaOpCodes.binary(op);
        String kind = compare ? "tg_compare_" : "tg_binary_";
        String s = sfx(t);
        CudaBackend.ThreadState ts = be.ts().begin();
        if (a.isContiguous() && b.isContiguous() && out.isContiguous()) {
            ts.ptr(a.address()).ptr(b.address()).ptr(out.address()).i64(n).i32(code);
            ts.launch(kind + "contig_" + s, gridElementwise(n));
            return;
        }
        ts.ptr(a.storage().address()).ptr(b.storage().address()).ptr(out.storage().address()).i32(code);
        if (!ts.strided(out.shape(), out.strides(), out.offset(), new long[][] {a.strides(), b.strides()},
                new long[] {a.offset(), b.offset()})) {
            CpuFallback.binary(op, a, b, out);
            return;
        }
        ts.launch(kind + "strided_" + s, gridElementwise(n));
    }

    void where(Operand mask, Operand a, Operand b, Operand out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        DType t = out.dtype();
        if (!isFloat(t) || a.dtype() != t || b.dtype() != t || mask.dtype() != DType.BOOL) {
            CpuFallback.where(mask, a, b, out);
            return;
        }
        String s = sfx(t);
        CudaBackend.ThreadState ts = be.ts().begin();
        if (mask.isContiguous() && a.isContiguous() && b.isContiguous() && out.isContiguous()) {
            ts.ptr(mask.address()).ptr(a.address()).ptr(b.address()).ptr(out.address()).i64(n);
            ts.launch("tg_where_contig_" + s, gridElementwise(n));
            return;
        }
        ts.ptr(mask.storage().address()).ptr(a.storage().address()).ptr(b.storage().address()).ptr(out.storage().address());
        if (!ts.strided(out.shape(), out.strides(), out.offset(), new long[][] {mask.strides(), a.strides(), b.strides()},
                new long[] {mask.offset(), a.offset(), b.offset()})) {
            CpuFallback.where(mask, a, b, out);
            return;
        }
        ts.launch("tg_where_strided_" + s, gridElementwise(n));
    }

    void reduce(Prim op, Operand x, Operand out) {
        DType t = x.dtype();
        if (!isFloat(t) || out.dtype() != t) {
            CpuFallback.reduce(op, x, out);
            return;
        }
        long m = out.numel();
        if (m == 0) {
            return;
        }
        long[] xs = x.shape();
        long[] os = out.shape();
        long[] xst = x.strides();
        int rank = xs.length;
        long[] pShape = new long[rank];
        long[] pStride = new long[rank];
        int j = 0;
        for (int d = 0; d < rank; d++) {
            if (!(os[d] == 1 && xs[d] != 1)) {
                pShape[j] = xs[d];
                pStride[j++] = xst[d];
            }
        }
        for (int d = 0; d < rank; d++) {
            if (os[d] == 1 && xs[d] != 1) {
                pShape[j] = xs[d];
                pStride[j++] = xst[d];
            }
        }
        long k = x.numel() / m;
        String opName = switch (op) {
            case SUM -> "sum";
            case PROD -> "prod";
            case AMAX -> "amax";
            case AMIN -> "amin";
            default -> throw new IllegalArgumentException("not a reduction: " + op);
        };
        String s = sfx(t);
        long es = t.byteSize();
        long src;
        long tmp = 0;
        if (k == 0 || contiguousLayout(pShape, pStride)) {
            src = x.address();
        } else {
            tmp = contiguousTemp(x, pShape, pStride);
            src = tmp;
        }
        CudaBackend.ThreadState ts = be.ts();
        if (m < 2L * be.multiprocessorCount() && k >= 32768) {
            long chunks = Math.max(1, Math.min((k + 4095) / 4096, (4L * be.multiprocessorCount() + m - 1) / m));
            long scratch = be.temp(m * chunks * es);
            ts.begin().ptr(src).ptr(scratch).i64(m).i64(k).i64(chunks);
            ts.launch("tg_reduce_partial_" + opName + "_" + s, m * chunks);
            ts.begin().ptr(scratch).ptr(out.address()).i64(m).i64(chunks);
            ts.launch("tg_reduce_" + opName + "_" + s, gridRows(m, chunks));
            be.release(scratch);
        } else {
            ts.begin().ptr(src).ptr(out.address()).i64(m).i64(k);
            ts.launch("tg_reduce_" + opName + "_" + s, gridRows(m, k));
        }
        if (tmp != 0) {
            be.release(tmp);
        }
    }

    void softmax(Prim op, Operand x, int dim, Operand out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        if (x.dim() == 0) {
            fill(out, op == Prim.SOFTMAX ? 1.0 : 0.0);
            return;
        }
        DType t = x.dtype();
        long[] xs = x.shape();
        int rank = xs.length;
        long k = xs[dim];
        long m = n / k;
        long[] pShape = new long[rank];
        long[] pStride = new long[rank];
        long[] oStride = new long[rank];
        for (int d = 0, j = 0; d < rank; d++) {
            if (d != dim) {
                pShape[j] = xs[d];
                oStride[j] = out.strides()[d];
                pStride[j++] = x.strides()[d];
            }
        }
        pShape[rank - 1] = k;
        pStride[rank - 1] = x.strides()[dim];
        oStride[rank - 1] = out.strides()[dim];
        String s = sfx(t);
        long es = t.byteSize();
        long src;
        long tmpIn = 0;
        if (contiguousLayout(pShape, pStride)) {
            src = x.address();
        } else {
            tmpIn = contiguousTemp(x, pShape, pStride);
            src = tmpIn;
        }
        boolean direct = contiguousLayout(pShape, oStride);
        long dst = direct ? out.address() : be.temp(n * es);
        CudaBackend.ThreadState ts = be.ts().begin();
        ts.ptr(src).ptr(dst).i64(m).i64(k);
        ts.launch((op == Prim.LOG_SOFTMAX ? "tg_log_softmax_" : "tg_softmax_") + s, gridRows(m, k));
        if (!direct) {
            ts.begin().ptr(dst).ptr(out.storage().address());
            if (!ts.strided(pShape, oStride, out.offset(), new long[][] {Shapes.contiguousStrides(pShape)},
                    new long[] {0})) {
                throw new UnsupportedOperationException("CUDA softmax: more than 8 dims");
            }
            ts.launch("tg_copy_strided_" + s + "_" + s, gridElementwise(n));
            be.release(dst);
        }
        if (tmpIn != 0) {
            be.release(tmpIn);
        }
    }

    void copy(Operand src, Operand dst) {
        long n = dst.numel();
        if (n == 0) {
            return;
        }
        DType a = src.dtype();
        DType b = dst.dtype();
        String sa;
        String sb;
        if (a == DType.INT64 && b == DType.INT64) {
            sa = "f64"; // a bit copy: the f64 kernels move 8-byte words unchanged
            sb = "f64";
        } else {
            sa = sfx(a);
            sb = sfx(b);
        }
        if (sa == null || sb == null) {
            CpuFallback.copy(src, dst);
            return;
        }
        CudaBackend.ThreadState ts = be.ts().begin();
        if (src.isContiguous() && dst.isContiguous()) {
            ts.ptr(src.address()).ptr(dst.address()).i64(n);
            ts.launch("tg_cast_contig_" + sa + "_" + sb, gridElementwise(n));
            return;
        }
        ts.ptr(src.storage().address()).ptr(dst.storage().address());
        if (!ts.strided(dst.shape(), dst.strides(), dst.offset(), new long[][] {src.strides()}, new long[] {src.offset()})) {
            CpuFallback.copy(src, dst);
            return;
        }
        ts.launch("tg_copy_strided_" + sa + "_" + sb, gridElementwise(n));
    }

    void fill(Operand out, double value) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        if (!out.isContiguous()) {
            CpuFallback.fill(out, value);
            return;
        }
        CudaBackend.ThreadState ts = be.ts().begin();
        ts.ptr(out.address()).i64(n);
        switch (out.dtype()) {
            case FLOAT32 -> ts.f64(value).launch("tg_fill_f32", gridElementwise(n));
            case FLOAT64 -> ts.f64(value).launch("tg_fill_f64", gridElementwise(n));
            // The f64 kernel stores the 8 bytes it is given: pass the int64's bits as the "double".
            case INT64 -> ts.i64((long) value).launch("tg_fill_f64", gridElementwise(n));
            case BOOL -> ts.f64(value != 0 ? 1 : 0).launch("tg_fill_u8", gridElementwise(n));
        }
    }

    void matmul(Operand a, Operand b, Operand out) {
        Matmul.run(be, a, b, out);
    }

    void indexSelect(Operand x, int dim, Operand index, Operand out) {
        HostRoundTrip.run(new Operand[] {x, index, out}, new boolean[] {false, false, true},
                h -> Backends.cpu().indexSelect(h[0], dim, h[1], h[2]));
    }

    void indexAdd(Operand out, int dim, Operand index, Operand src) {
        HostRoundTrip.run(new Operand[] {out, index, src}, new boolean[] {true, false, false},
                h -> Backends.cpu().indexAdd(h[0], dim, h[1], h[2]));
    }

    void gather(Operand x, int dim, Operand index, Operand out) {
        HostRoundTrip.run(new Operand[] {x, index, out}, new boolean[] {false, false, true},
                h -> Backends.cpu().gather(h[0], dim, h[1], h[2]));
    }

    void scatterAdd(Operand out, int dim, Operand index, Operand src) {
        HostRoundTrip.run(new Operand[] {out, index, src}, new boolean[] {true, false, false},
                h -> Backends.cpu().scatterAdd(h[0], dim, h[1], h[2]));
    }

}
