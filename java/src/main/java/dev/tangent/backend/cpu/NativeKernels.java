package dev.tangent.backend.cpu;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary;
import dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary.UnaryOp;
import dev.tangent.ops.Prim;
import java.lang.foreign.MemorySegment;

/**
 * Tangent's own C kernels ({@code native/cpu}, libtangent_cpu.so) on operands: SLEEF-vectorised
 * element-wise functions with their fused jvps (float32 and float64, PyTorch's values at NaN, ±inf
 * and ±0), and the batch-1 matrix-vector products that read the weights once for a primal and its
 * tangent. Each method returns false, doing nothing, where the library is absent or the case is not
 * one it covers (a layout, a dtype, an op); the caller then runs the next kernel in line.
 */
final class NativeKernels {
    private static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("tangent.cpu.native", "true"))
            && NativeCpuLibrary.isAvailable();

    private NativeKernels() {}

    /** Whether the native library is loaded and enabled ({@code -Dtangent.cpu.native=false} turns it off). */
    static boolean enabled() {
        return ENABLED;
    }

    private static UnaryOp op(Prim p) {
        return switch (p) {
            case SIN -> UnaryOp.SIN;
            case COS -> UnaryOp.COS;
            case EXP -> UnaryOp.EXP;
            case LOG -> UnaryOp.LOG;
            case TANH -> UnaryOp.TANH;
            case SIGMOID -> UnaryOp.SIGMOID;
            case ERF -> UnaryOp.ERF;
            case GELU -> UnaryOp.GELU;
            case GELU_TANH -> UnaryOp.GELU_TANH;
            case RELU -> UnaryOp.RELU;
            default -> null;
        };
    }

    private static boolean dense(Operand o) {
        return o.isContiguous();
    }

    private static MemorySegment mem(Operand o) {
        return o.storage().segment().asSlice(o.byteOffset(), o.numel() * o.dtype().byteSize());
    }

    /** y = op(x) for contiguous float32/float64 operands of one dtype. */
    static boolean unary(Prim p, Operand x, Operand y) {
        UnaryOp op = op(p);
        DType dt = x.dtype();
        if (!ENABLED || op == null || !dt.isFloatingPoint() || y.dtype() != dt || !dense(x) || !dense(y)) {
            return false;
        }
        long n = y.numel();
        if (n == 0) {
            return true;
        }
        if (dt == DType.FLOAT32) {
            NativeCpuLibrary.unaryF32(op, mem(x), mem(y), n);
        } else {
            NativeCpuLibrary.unaryF64(op, mem(x), mem(y), n);
        }
        return true;
    }

    /** y = op(x), dy = op'(x)·dx in one pass. */
    static boolean unaryJvp(Prim p, Operand x, Operand dx, Operand y, Operand dy) {
        UnaryOp op = op(p);
        DType dt = x.dtype();
        if (!ENABLED || op == null || !dt.isFloatingPoint() || dx.dtype() != dt || !dense(x) || !dense(dx)
                || !dense(y) || !dense(dy)) {
            return false;
        }
        long n = y.numel();
        if (n == 0) {
            return true;
        }
        if (dt == DType.FLOAT32) {
            NativeCpuLibrary.unaryJvpF32(op, mem(x), mem(dx), mem(y), mem(dy), n);
        } else {
            NativeCpuLibrary.unaryJvpF64(op, mem(x), mem(dx), mem(y), mem(dy), n);
        }
        return true;
    }

    /**
     * max_pool2d of a contiguous float32 NCHW x into y and, with dx (then dy), its jvp dy = dx at
     * each window's maximum, in one pass (PyTorch's winners: a NaN, the last one; among equals the
     * first tap). dx and dy may be null; those given are contiguous with x's and y's shapes.
     */
    static boolean maxPool2d(dev.tangent.ops.Attrs.Pool a, Operand x, Operand dx, Operand y, Operand dy) {
        if (!ENABLED || x.dtype() != DType.FLOAT32 || y.dtype() != DType.FLOAT32 || x.dim() != 4 || !dense(x)
                || !dense(y) || (dx != null && (dx.dtype() != DType.FLOAT32 || !dense(dx)
                || !java.util.Arrays.equals(dx.shape(), x.shape())))
                || (dy != null && (dy.dtype() != DType.FLOAT32 || !dense(dy) || !java.util.Arrays.equals(dy.shape(), y.shape())))
                || (dx == null) != (dy == null)) {
            return false;
        }
        long[] s = x.shape();
        long[] os = y.shape();
        NativeCpuLibrary.maxPool2dF32(mem(x), dx == null ? null : mem(dx), mem(y), dy == null ? null : mem(dy),
                s[0] * s[1], s[2], s[3], os[2], os[3], new long[] {a.kernel()[0], a.kernel()[1], a.stride()[0],
                    a.stride()[1], a.padding()[0], a.padding()[1], a.dilation()[0], a.dilation()[1]});
        return true;
    }

    /**
     * The layout of W [K, N] as the GEMV takes it: {rowStride, transposed ? 1 : 0}, or null. Row-major
     * [K, N] with unit column stride, or a transposed view of a row-major [N, K] ({@code w.T}).
     */
    private static long[] weightLayout(Operand w) {
        if (w.dim() != 2 || w.dtype() != DType.FLOAT32) {
            return null;
        }
        long[] s = w.strides();
        long k = w.shape()[0];
        long n = w.shape()[1];
        if ((n == 1 || s[1] == 1) && (k == 1 || s[0] >= n)) {
            return new long[] {k == 1 ? n : s[0], 0};
        }
        if ((k == 1 || s[0] == 1) && (n == 1 || s[1] >= k)) {
            return new long[] {n == 1 ? k : s[1], 1};
        }
        return null;
    }

    /** A single contiguous float32 row [1, K] (or a 1-row batch). */
    private static boolean row(Operand x) {
        return x.dtype() == DType.FLOAT32 && x.dim() == 2 && x.shape()[0] == 1 && (x.shape()[1] == 1 || x.strides()[1] == 1);
    }

    /** out [1, N] = a [1, K] @ b [K, N], float32, b row-major or transposed. */
    static boolean matmulRow(Operand a, Operand b, Operand out) {
        return linearRow(a, b, null, false, out);
    }

    /**
     * y = x W (+ bias) (then tanh) and dy = dx W (times 1 - y² with tanh) with W read once: the
     * batch-1 jvp of a linear layer with constant W and bias. PyTorch's x @ 0 term is the caller's.
     */
    static boolean linearRowJvp(Operand x, Operand dx, Operand w, Operand bias, boolean tanh, Operand y, Operand dy) {
        if (!ENABLED || !row(x) || !row(dx) || !dense(y) || !dense(dy)) {
            return false;
        }
        long[] wl = weightLayout(w);
        if (wl == null) {
            return false;
        }
        long k = w.shape()[0];
        long n = w.shape()[1];
        if (k == 0 || n == 0) {
            return false;
        }
        NativeCpuLibrary.gemvJvp(mem(x), mem(dx), weight(w, wl), biasRow(bias, n), mem(y), mem(dy), k, n, wl[0],
                wl[1] == 1, tanh);
        return true;
    }

    /** y [1, N] = x [1, K] @ W (+ bias) (then tanh), float32, W row-major or transposed. */
    static boolean linearRow(Operand x, Operand w, Operand bias, boolean tanh, Operand y) {
        if (!ENABLED || !row(x) || y.dim() != 2 || !dense(y)) {
            return false;
        }
        long[] wl = weightLayout(w);
        if (wl == null) {
            return false;
        }
        long k = w.shape()[0];
        long n = w.shape()[1];
        if (k == 0 || n == 0) {
            return false;
        }
        NativeCpuLibrary.gemv(mem(x), weight(w, wl), biasRow(bias, n), mem(y), k, n, wl[0], wl[1] == 1, tanh);
        return true;
    }

    /** Whether {@link #unary} and {@link #unaryJvp} cover {@code p}. */
    static boolean covers(Prim p) {
        return ENABLED && op(p) != null;
    }

    /** The bias's n contiguous floats (a row view: {@code CpuLinear.isRow}), or null. */
    private static MemorySegment biasRow(Operand bias, long n) {
        return bias == null ? null : bias.storage().segment().asSlice(bias.byteOffset(), n * 4);
    }

    /** W's memory from its first element to its last (strided rows included). */
    private static MemorySegment weight(Operand w, long[] layout) {
        long rows = layout[1] == 1 ? w.shape()[1] : w.shape()[0];
        long cols = layout[1] == 1 ? w.shape()[0] : w.shape()[1];
        long elements = (rows - 1) * layout[0] + cols;
        return w.storage().segment().asSlice(w.byteOffset(), elements * 4);
    }
}
