package dev.tangent;

import dev.tangent.backend.Backend;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.util.Arrays;

/**
 * Runs a primitive on plain tensors: checks the arguments (naming the op and the shapes at fault),
 * infers the result's shape and dtype, allocates it and calls the backend kernel. Views are made
 * here without a kernel.
 */
final class Compute {
    /** When set on this thread, every kernel launched is also appended here (for compiled plans). */
    private static final ThreadLocal<java.util.List<Runnable>> TRACE = new ThreadLocal<>();

    private Compute() {}

    /** Runs a kernel now, and records it when a plan is being traced on this thread. */
    static void exec(Runnable kernel) {
        kernel.run();
        java.util.List<Runnable> t = TRACE.get();
        if (t != null) {
            t.add(kernel);
        }
    }

    /** Starts (non-null) or stops (null) recording kernels on this thread; returns the previous trace. */
    static java.util.List<Runnable> trace(java.util.List<Runnable> trace) {
        java.util.List<Runnable> prev = TRACE.get();
        TRACE.set(trace);
        return prev;
    }

    static Tensor run(Prim p, Attrs a, Tensor[] in) {
        Device dev = in[0].device();
        for (Tensor t : in) {
            t.storage.checkAlive(p.opName());
            if (!t.device().equals(dev) && p != Prim.TO_DEVICE) {
                throw new IllegalArgumentException(p.opName() + ": expected all tensors to be on the same device,"
                        + " but found at least two devices, " + dev + " and " + t.device());
            }
        }
        Backend be = in[0].storage.backend();
        return switch (p.kind()) {
            case UNARY -> unary(be, p, a, in[0]);
            case BINARY, COMPARE -> binary(be, p, in[0], in[1]);
            case WHERE -> where(be, in[0], in[1], in[2]);
            case REDUCE -> reduce(be, p, a, in[0]);
            case SOFTMAX -> softmax(be, p, a, in[0]);
            case MATMUL -> matmul(be, in[0], in[1]);
            case VIEW -> view(p, a, in[0]);
            case OTHER -> other(be, p, a, in);
        };
    }

    private static Tensor unary(Backend be, Prim p, Attrs a, Tensor x) {
        DType dt = x.dtype;
        boolean keepsIntegers = switch (p) {
            case NEG, ABS, SIGN, SQUARE, RELU, CLAMP -> true;
            default -> false;
        };
        if (dt == DType.BOOL && p == Prim.NEG) {
            throw new IllegalArgumentException("neg: negation, the `-` operator, on a bool tensor is not supported.");
        }
        if (!dt.isFloatingPoint() && !keepsIntegers) {
            x = castPlain(be, x, DType.FLOAT32);
            dt = DType.FLOAT32;
        }
        if (dt == DType.BOOL) {
            x = castPlain(be, x, DType.INT64);
            dt = DType.INT64;
        }
        Tensor out = Tensor.empty(x.shape, dt, x.device());
        Tensor xin = x;
        exec(() -> be.unary(p, a, xin, out));
        return out;
    }

    /**
     * The fused primal+tangent kernel of a unary primitive on plain tensors: {y, ty}, or null when
     * the backend has none for this case (nothing is allocated or written then).
     */
    static Tensor[] unaryJvp(Prim p, Attrs a, Tensor x, Tensor t) {
        if (!x.dtype.isFloatingPoint() || t.dtype != x.dtype || !Arrays.equals(x.shape, t.shape)
                || !t.device().equals(x.device())) {
            return null;
        }
        x.storage.checkAlive(p.opName());
        t.storage.checkAlive(p.opName());
        Backend be = x.storage.backend();
        Tensor y = Tensor.empty(x.shape, x.dtype, x.device());
        Tensor ty = Tensor.empty(x.shape, x.dtype, x.device());
        boolean[] done = new boolean[1];
        exec(() -> done[0] = be.unaryJvp(p, a, x, t, y, ty));
        return done[0] ? new Tensor[] {y, ty} : null;
    }

    /**
     * The fused primal+tangent kernel of ADD/SUB/MUL/DIV on plain contiguous tensors of one dtype,
     * a with the result's shape and b with it or a suffix of it: {c, tc}, or null (nothing written).
     */
    static Tensor[] binaryJvp(Prim p, Tensor a, Tensor ta, Tensor b, Tensor tb) {
        DType dt = a.dtype;
        if (!dt.isFloatingPoint() || b.dtype != dt || (ta != null && ta.dtype != dt) || (tb != null && tb.dtype != dt)
                || !a.isContiguous() || !b.isContiguous() || (ta != null && !ta.isContiguous())
                || (tb != null && !tb.isContiguous()) || b.shape.length > a.shape.length
                || !a.device().equals(b.device())) {
            return null;
        }
        int off = a.shape.length - b.shape.length;
        for (int i = 0; i < b.shape.length; i++) {
            if (b.shape[i] != a.shape[off + i]) {
                return null;
            }
        }
        if (b.numel() == 0) {
            return null;
        }
        for (Tensor t : new Tensor[] {a, b, ta, tb}) {
            if (t != null) {
                t.storage.checkAlive(p.opName());
            }
        }
        Backend be = a.storage.backend();
        Tensor c = Tensor.empty(a.shape, dt, a.device());
        Tensor tc = Tensor.empty(a.shape, dt, a.device());
        boolean[] done = new boolean[1];
        exec(() -> done[0] = be.binaryJvp(p, a, ta, b, tb, c, tc));
        return done[0] ? new Tensor[] {c, tc} : null;
    }

    /** PyTorch's result type of a binary op: dimensioned operands win over 0-dim ones of the same category. */
    static DType resultType(Tensor a, Tensor b) {
        boolean a0 = a.shape.length == 0;
        boolean b0 = b.shape.length == 0;
        if (a0 != b0) {
            Tensor dim = a0 ? b : a;
            Tensor zero = a0 ? a : b;
            if (zero.dtype.category() > dim.dtype.category()) {
                return zero.dtype;
            }
            return dim.dtype;
        }
        return DType.promote(a.dtype, b.dtype);
    }

    private static Tensor binary(Backend be, Prim p, Tensor a, Tensor b) {
        long[] shape = Shapes.broadcast(p.opName(), a.shape, b.shape);
        DType ct = resultType(a, b);
        if ((p == Prim.DIV || p == Prim.POW && ct == DType.BOOL) && !ct.isFloatingPoint()) {
            ct = DType.FLOAT32;
        }
        if (ct == DType.BOOL && p.kind() == Prim.Kind.BINARY) {
            ct = DType.INT64;
        }
        Tensor av = expandPlain(castPlain(be, a, ct), shape);
        Tensor bv = expandPlain(castPlain(be, b, ct), shape);
        Tensor out = Tensor.empty(shape, p.kind() == Prim.Kind.COMPARE ? DType.BOOL : ct, a.device());
        exec(() -> be.binary(p, av, bv, out));
        return out;
    }

    private static Tensor where(Backend be, Tensor mask, Tensor a, Tensor b) {
        if (mask.dtype != DType.BOOL) {
            throw new IllegalArgumentException("where: expected condition to be a boolean tensor, but got a tensor"
                    + " with dtype " + mask.dtype.torchName());
        }
        long[] shape = Shapes.broadcast("where", Shapes.broadcast("where", mask.shape, a.shape), b.shape);
        DType ct = resultType(a, b);
        Tensor out = Tensor.empty(shape, ct, a.device());
        Tensor mv = expandPlain(mask, shape);
        Tensor av = expandPlain(castPlain(be, a, ct), shape);
        Tensor bv = expandPlain(castPlain(be, b, ct), shape);
        exec(() -> be.where(mv, av, bv, out));
        return out;
    }

    private static Tensor reduce(Backend be, Prim p, Attrs a, Tensor x) {
        long[] outShape = x.shape.clone();
        for (long d : a.ints()) {
            if ((p == Prim.AMAX || p == Prim.AMIN) && x.shape[(int) d] == 0) {
                throw new IllegalArgumentException(p.opName() + ": Expected reduction dim " + d
                        + " to have non-zero size (input shape " + Shapes.str(x.shape) + ")");
            }
            outShape[(int) d] = 1;
        }
        DType dt = x.dtype;
        if ((p == Prim.SUM || p == Prim.PROD) && !dt.isFloatingPoint()) {
            dt = DType.INT64;
            x = castPlain(be, x, dt);
        }
        Tensor out = Tensor.empty(outShape, dt, x.device());
        Tensor xin = x;
        exec(() -> be.reduce(p, xin, out));
        if (a.flag()) {
            return out;
        }
        // keepdim=false: the same storage without the reduced dims (contiguous either way)
        int n = 0;
        long[] s = new long[outShape.length];
        for (int i = 0; i < outShape.length; i++) {
            if (!reduced(a, i)) {
                s[n++] = outShape[i];
            }
        }
        long[] shape = Arrays.copyOf(s, n);
        return new Tensor(out.storage, shape, Shapes.contiguousStrides(shape), 0, dt);
    }

    private static boolean reduced(Attrs a, int dim) {
        for (long d : a.ints()) {
            if (d == dim) {
                return true;
            }
        }
        return false;
    }

    private static Tensor softmax(Backend be, Prim p, Attrs a, Tensor x) {
        if (!x.dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(p.opName() + ": expected a floating point tensor, got " + x.dtype.torchName());
        }
        Tensor out = Tensor.empty(x.shape, x.dtype, x.device());
        exec(() -> be.softmax(p, x, x.shape.length == 0 ? 0 : (int) a.integer(0), out));
        return out;
    }

    private static Tensor matmul(Backend be, Tensor a, Tensor b) {
        if (a.shape.length < 2 || b.shape.length < 2) {
            throw new IllegalArgumentException("matmul: both arguments need at least 2 dims here, got "
                    + Shapes.str(a.shape) + " and " + Shapes.str(b.shape));
        }
        if (a.dtype != b.dtype) {
            throw new IllegalArgumentException("matmul: expected m1 and m2 to have the same dtype, but got: "
                    + a.dtype.torchName() + " != " + b.dtype.torchName());
        }
        if (!a.dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("matmul: only floating point tensors are supported, got " + a.dtype.torchName());
        }
        int ra = a.shape.length;
        int rb = b.shape.length;
        long m = a.shape[ra - 2];
        long k = a.shape[ra - 1];
        long k2 = b.shape[rb - 2];
        long n = b.shape[rb - 1];
        if (k != k2) {
            throw new IllegalArgumentException("matmul: mat1 and mat2 shapes cannot be multiplied (" + m + "x" + k
                    + " and " + k2 + "x" + n + "); shapes " + Shapes.str(a.shape) + " and " + Shapes.str(b.shape));
        }
        long[] batch = Shapes.broadcast("matmul: batch dims of " + Shapes.str(a.shape) + " and " + Shapes.str(b.shape),
                Arrays.copyOf(a.shape, ra - 2), Arrays.copyOf(b.shape, rb - 2));
        long[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        long[] aShape = Arrays.copyOf(batch, batch.length + 2);
        aShape[batch.length] = m;
        aShape[batch.length + 1] = k;
        long[] bShape = Arrays.copyOf(batch, batch.length + 2);
        bShape[batch.length] = k;
        bShape[batch.length + 1] = n;
        Tensor out = Tensor.empty(outShape, a.dtype, a.device());
        Tensor av = expandPlain(a, aShape);
        Tensor bv = expandPlain(b, bShape);
        exec(() -> be.matmul(av, bv, out));
        return out;
    }

    private static Tensor view(Prim p, Attrs a, Tensor x) {
        switch (p) {
            case RESHAPE -> {
                long[] target = a.ints().clone();
                long[] st = Shapes.viewStrides(x.shape, x.strides, target);
                if (st == null) {
                    throw new IllegalStateException("reshape: no view of " + Shapes.str(x.shape) + " as "
                            + Shapes.str(target));
                }
                return new Tensor(x.storage, target, st, x.offset, x.dtype);
            }
            case PERMUTE -> {
                int n = x.shape.length;
                long[] s = new long[n];
                long[] st = new long[n];
                for (int i = 0; i < n; i++) {
                    s[i] = x.shape[(int) a.integer(i)];
                    st[i] = x.strides[(int) a.integer(i)];
                }
                return new Tensor(x.storage, s, st, x.offset, x.dtype);
            }
            case EXPAND -> {
                return expandPlain(x, a.ints());
            }
            case SLICE -> {
                int d = (int) a.integer(0);
                long start = a.integer(1);
                long end = a.integer(2);
                long step = a.integer(3);
                long[] s = x.shape.clone();
                long[] st = x.strides.clone();
                s[d] = Math.max(0, (end - start + step - 1) / step);
                st[d] = x.strides[d] * step;
                return new Tensor(x.storage, s, st, x.offset + start * x.strides[d], x.dtype);
            }
            default -> throw new AssertionError(p);
        }
    }

    private static Tensor other(Backend be, Prim p, Attrs a, Tensor[] in) {
        Tensor x = in[0];
        switch (p) {
            case CONTIGUOUS -> {
                Tensor out = Tensor.empty(x.shape, x.dtype, x.device());
                exec(() -> be.copy(x, out));
                return out;
            }
            case CAST -> {
                Tensor out = Tensor.empty(x.shape, DType.values()[(int) a.integer(0)], x.device());
                exec(() -> be.copy(x, out));
                return out;
            }
            case TO_DEVICE -> {
                Device target = Device.Type.values()[(int) a.integer(0)] == Device.Type.CPU ? Device.cpu()
                        : Device.cuda((int) a.integer(1));
                return toDevice(x, target);
            }
            case SLICE_SCATTER -> {
                // ints: dim, start, end, step, full shape...
                long[] full = Arrays.copyOfRange(a.ints(), 4, a.ints().length);
                Tensor out = Tensor.empty(full, x.dtype, x.device());
                exec(() -> be.fill(out, 0));
                Tensor window = view(Prim.SLICE, new Attrs(Arrays.copyOf(a.ints(), 4), new double[0], false), out);
                exec(() -> be.copy(x, window));
                return out;
            }
            case INDEX_SELECT -> {
                int d = (int) a.integer(0);
                Tensor idx = checkIndex("index_select", in[1], x.shape.length == 0 ? 1 : x.shape[d], d, true);
                long[] s = x.shape.clone();
                if (s.length > 0) {
                    s[d] = idx.numel();
                }
                Tensor out = Tensor.empty(s, x.dtype, x.device());
                exec(() -> be.indexSelect(x, d, idx, out));
                return out;
            }
            case INDEX_ADD -> {
                int d = (int) a.integer(0);
                long[] full = Arrays.copyOfRange(a.ints(), 1, a.ints().length);
                Tensor idx = checkIndex("index_add", in[1], full.length == 0 ? 1 : full[d], d, true);
                Tensor out = Tensor.empty(full, x.dtype, x.device());
                exec(() -> be.fill(out, 0));
                exec(() -> be.indexAdd(out, d, idx, x));
                return out;
            }
            case GATHER -> {
                int d = (int) a.integer(0);
                Tensor idx = checkIndex("gather", in[1], x.shape.length == 0 ? 1 : x.shape[d], d, false);
                if (idx.shape.length != x.shape.length) {
                    throw new IllegalArgumentException("gather: index tensor must have the same number of dimensions"
                            + " as input tensor (index " + Shapes.str(idx.shape) + ", input " + Shapes.str(x.shape) + ")");
                }
                for (int i = 0; i < idx.shape.length; i++) {
                    if (i != d && idx.shape[i] > x.shape[i]) {
                        throw new IllegalArgumentException("gather: size does not match at dimension " + i
                                + ": index " + Shapes.str(idx.shape) + ", input " + Shapes.str(x.shape));
                    }
                }
                Tensor out = Tensor.empty(idx.shape, x.dtype, x.device());
                exec(() -> be.gather(x, d, idx, out));
                return out;
            }
            case SCATTER_ADD -> {
                int d = (int) a.integer(0);
                long[] full = Arrays.copyOfRange(a.ints(), 1, a.ints().length);
                Tensor idx = checkIndex("scatter_add", in[1], full.length == 0 ? 1 : full[d], d, false);
                Tensor out = Tensor.empty(full, x.dtype, x.device());
                exec(() -> be.fill(out, 0));
                exec(() -> be.scatterAdd(out, d, idx, x));
                return out;
            }
            case CAT -> {
                int d = (int) a.integer(0);
                DType dt = in[0].dtype;
                for (Tensor t : in) {
                    dt = DType.promote(dt, t.dtype);
                }
                long[] s = in[0].shape.clone();
                long total = 0;
                for (Tensor t : in) {
                    total += t.shape[d];
                }
                s[d] = total;
                Tensor out = Tensor.empty(s, dt, x.device());
                long at = 0;
                for (Tensor t : in) {
                    long n = t.shape[d];
                    if (n > 0) {
                        Tensor window = view(Prim.SLICE, Attrs.ints(d, at, at + n, 1), out);
                        exec(() -> be.copy(t, window));
                    }
                    at += n;
                }
                return out;
            }
            default -> throw new AssertionError(p);
        }
    }

    private static Tensor toDevice(Tensor x, Device target) {
        Tensor c = x.isContiguous() ? x : run(Prim.CONTIGUOUS, Attrs.NONE, new Tensor[] {x});
        Tensor out = Tensor.empty(c.shape, c.dtype, target);
        long bytes = c.numel() * c.dtype.byteSize();
        long srcOff = c.offset * c.dtype.byteSize();
        if (c.device().isCpu()) {
            out.storage.backend().copyFromHost(c.storage.segment().asSlice(srcOff, bytes), out.storage, 0, bytes);
        } else if (target.isCpu()) {
            c.storage.backend().copyToHost(c.storage, srcOff, out.storage.segment(), bytes);
        } else {
            Tensor host = toDevice(c, Device.cpu());
            return toDevice(host, target);
        }
        return out;
    }

    /** Checks an index tensor's dtype and range (negative indices are wrapped into a copy). */
    private static Tensor checkIndex(String op, Tensor idx, long size, int dim, boolean oneDim) {
        if (idx.dtype != DType.INT64) {
            throw new IllegalArgumentException(op + ": expected an int64 index tensor, got " + idx.dtype.torchName());
        }
        if (oneDim && idx.shape.length > 1) {
            throw new IllegalArgumentException(op + ": index must be 0-D or 1-D, got shape " + Shapes.str(idx.shape));
        }
        long[] v = idx.toLongArray();
        boolean negative = false;
        for (long i : v) {
            if (i < -size || i >= size) {
                throw new IndexOutOfBoundsException(op + ": index " + i + " is out of bounds for dimension " + dim
                        + " with size " + size);
            }
            negative |= i < 0;
        }
        if (!negative && idx.isContiguous() && idx.device().isCpu()) {
            return idx;
        }
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0) {
                v[i] += size;
            }
        }
        return Tensor.of(v, idx.shape).to(idx.device());
    }

    /** A plain (unrecorded) dtype conversion used inside kernels' argument preparation. */
    static Tensor castPlain(Backend be, Tensor x, DType dt) {
        if (x.dtype == dt) {
            return x;
        }
        Tensor out = Tensor.empty(x.shape, dt, x.device());
        exec(() -> be.copy(x, out));
        return out;
    }

    /** A view of x broadcast to {@code shape} (stride 0 on broadcast dims). */
    static Tensor expandPlain(Tensor x, long[] shape) {
        if (Arrays.equals(x.shape, shape)) {
            return x;
        }
        int off = shape.length - x.shape.length;
        long[] st = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (i < off) {
                st[i] = 0;
            } else {
                long cur = x.shape[i - off];
                st[i] = cur == shape[i] ? x.strides[i - off] : 0;
            }
        }
        return new Tensor(x.storage, shape.clone(), st, x.offset, x.dtype);
    }
}
