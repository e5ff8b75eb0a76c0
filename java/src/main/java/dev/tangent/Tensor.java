package dev.tangent;

import dev.tangent.autograd.Node;
import dev.tangent.backend.Backends;
import dev.tangent.backend.Storage;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * An n-dimensional array of float32, float64, int64 or bool elements in native memory (never a
 * Java array), with PyTorch's semantics: broadcasting, type promotion, views that share storage,
 * and differentiation in both modes.
 *
 * <p><b>Memory.</b> A tensor's storage is freed when the {@link Scope} that was innermost on the
 * creating thread closes (or by the garbage collector when none was open). Using a tensor whose
 * storage was freed throws {@link IllegalStateException}.
 *
 * <p><b>Autograd.</b> A tensor may require grad (reverse mode: operations on it are recorded on a
 * tape, see {@code dev.tangent.autograd.Autograd#grad}) and may carry tangents (forward mode, inside
 * {@code dev.tangent.functional.Functional#jvp}).
 *
 * <p><b>Threads.</b> Tensors are immutable values (no in-place operations), so any number of
 * threads may read and compute from the same tensors at once. The only mutable state is the
 * {@link #setRequiresGrad(boolean)} flag of a leaf, which must be set before sharing it.
 */
public final class Tensor implements Value {
    // Layout of the innermost (plain) value; a dual tensor mirrors its primal's.
    final Storage storage;
    final long[] shape;
    final long[] strides;
    final long offset;
    final DType dtype;
    // Forward mode: level > 0 means this is primal + eps_level * tangent.
    final int level;
    final Tensor primal;
    final Tensor tangent;
    // Reverse mode.
    volatile boolean requiresGrad;
    Node gradFn;
    private volatile Tensor grad;

    Tensor(Storage storage, long[] shape, long[] strides, long offset, DType dtype) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.dtype = dtype;
        this.level = 0;
        this.primal = null;
        this.tangent = null;
    }

    Tensor(int level, Tensor primal, Tensor tangent) {
        this.storage = primal.storage;
        this.shape = primal.shape;
        this.strides = primal.strides;
        this.offset = primal.offset;
        this.dtype = primal.dtype;
        this.level = level;
        this.primal = primal;
        this.tangent = tangent;
    }

    // ---------------------------------------------------------------- creation

    /** A float32 tensor of {@code shape} holding {@code data} in row-major order. */
    public static Tensor of(float[] data, long... shape) {
        checkData("Tensor.of", data.length, shape);
        Tensor t = empty(shape, DType.FLOAT32, Device.cpu());
        MemorySegment.copy(data, 0, t.storage.segment(), ValueLayout.JAVA_FLOAT, 0, data.length);
        return t;
    }

    /** A float64 tensor of {@code shape} holding {@code data} in row-major order. */
    public static Tensor of(double[] data, long... shape) {
        checkData("Tensor.of", data.length, shape);
        Tensor t = empty(shape, DType.FLOAT64, Device.cpu());
        MemorySegment.copy(data, 0, t.storage.segment(), ValueLayout.JAVA_DOUBLE, 0, data.length);
        return t;
    }

    /** An int64 tensor of {@code shape} holding {@code data} in row-major order. */
    public static Tensor of(long[] data, long... shape) {
        checkData("Tensor.of", data.length, shape);
        Tensor t = empty(shape, DType.INT64, Device.cpu());
        MemorySegment.copy(data, 0, t.storage.segment(), ValueLayout.JAVA_LONG, 0, data.length);
        return t;
    }

    /** A tensor of {@code dtype} and {@code shape} from double values (converted). */
    public static Tensor of(double[] data, DType dtype, long... shape) {
        return dtype == DType.FLOAT64 ? of(data, shape) : convertedCopy(of(data, shape), dtype);
    }

    /** A 1-D float32 tensor. */
    public static Tensor vector(float... data) {
        return of(data, data.length);
    }

    /** A 1-D float64 tensor. */
    public static Tensor vector(double... data) {
        return of(data, data.length);
    }

    /** A zero-dimensional (shape {@code []}) float32 tensor. */
    public static Tensor scalar(float value) {
        return of(new float[] {value});
    }

    /** A zero-dimensional (shape {@code []}) float64 tensor. */
    public static Tensor scalar(double value) {
        return of(new double[] {value});
    }

    /** A zero-dimensional tensor of the given dtype. */
    public static Tensor scalar(double value, DType dtype) {
        return full(value, dtype, Device.cpu());
    }

    /** float32 zeros of this shape. */
    public static Tensor zeros(long... shape) {
        return full(0, DType.FLOAT32, Device.cpu(), shape);
    }

    /** Zeros of this dtype and shape. */
    public static Tensor zeros(DType dtype, long... shape) {
        return full(0, dtype, Device.cpu(), shape);
    }

    /** float32 ones of this shape. */
    public static Tensor ones(long... shape) {
        return full(1, DType.FLOAT32, Device.cpu(), shape);
    }

    /** Ones of this dtype and shape. */
    public static Tensor ones(DType dtype, long... shape) {
        return full(1, dtype, Device.cpu(), shape);
    }

    /** float32 tensor of this shape filled with {@code value}. */
    public static Tensor full(double value, long... shape) {
        return full(value, DType.FLOAT32, Device.cpu(), shape);
    }

    /** A tensor of this dtype, device and shape filled with {@code value}. */
    public static Tensor full(double value, DType dtype, Device device, long... shape) {
        checkShape("full", shape);
        Tensor t = empty(shape, dtype, device);
        t.storage.backend().fill(t, value);
        return t;
    }

    /** {@code torch.arange(end)}: int64 values 0, 1, ..., end-1. */
    public static Tensor arange(long end) {
        return arange(0, end, 1, DType.INT64);
    }

    /** {@code torch.arange(start, end, step, dtype=...)}. */
    public static Tensor arange(double start, double end, double step, DType dtype) {
        if (step == 0 || Double.isNaN(start) || Double.isNaN(end) || Double.isNaN(step)) {
            throw new IllegalArgumentException("arange: step must be nonzero and bounds finite (start=" + start
                    + ", end=" + end + ", step=" + step + ")");
        }
        long n = (long) Math.ceil((end - start) / step);
        if (n < 0) {
            throw new IllegalArgumentException("arange: upper bound and larger bound inconsistent with step sign"
                    + " (start=" + start + ", end=" + end + ", step=" + step + ")");
        }
        double[] d = new double[Math.toIntExact(n)];
        for (int i = 0; i < d.length; i++) {
            d[i] = start + i * step;
        }
        return convertedCopy(of(d, n), dtype);
    }

    /** Uniform [0, 1) float32 values from a seeded generator (same seed, same values). */
    public static Tensor rand(long seed, long... shape) {
        return random(seed, false, DType.FLOAT32, shape);
    }

    /** Standard normal float32 values from a seeded generator (same seed, same values). */
    public static Tensor randn(long seed, long... shape) {
        return random(seed, true, DType.FLOAT32, shape);
    }

    /** Uniform or normal values of the given dtype from a seeded generator. */
    public static Tensor random(long seed, boolean normal, DType dtype, long... shape) {
        checkShape(normal ? "randn" : "rand", shape);
        SplittableRandom r = new SplittableRandom(seed);
        double[] d = new double[Math.toIntExact(Shapes.numel(shape))];
        for (int i = 0; i < d.length; i++) {
            if (normal) {
                // Box-Muller: two uniforms per normal keeps the stream simple and reproducible.
                double u1 = 1.0 - r.nextDouble();
                double u2 = r.nextDouble();
                d[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
            } else {
                d[i] = r.nextDouble();
            }
        }
        return convertedCopy(of(d, shape), dtype);
    }

    /** {@code t.to(dtype)} that frees the float64 staging tensor at once instead of at GC. */
    private static Tensor convertedCopy(Tensor t, DType dtype) {
        if (t.dtype == dtype) {
            return t;
        }
        Tensor r = empty(t.shape, dtype, t.device());
        r.storage.backend().copy(t, r);
        t.storage.free();
        return r;
    }

    /** Uninitialised contiguous tensor (internal: every caller writes all elements). */
    static Tensor empty(long[] shape, DType dtype, Device device) {
        var backend = Backends.of(device);
        long bytes = Shapes.numel(shape) * dtype.byteSize();
        Storage st = new Storage(backend, backend.allocate(bytes), bytes);
        Scope.register(st);
        return new Tensor(st, shape, Shapes.contiguousStrides(shape), 0, dtype);
    }

    private static void checkData(String op, int length, long[] shape) {
        checkShape(op, shape);
        if (Shapes.numel(shape) != length) {
            throw new IllegalArgumentException(op + ": " + length + " values do not fill shape "
                    + Shapes.str(shape) + " (" + Shapes.numel(shape) + " elements)");
        }
    }

    private static void checkShape(String op, long[] shape) {
        for (long s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException(op + ": negative dimension in shape " + Shapes.str(shape));
            }
        }
    }

    // ---------------------------------------------------------------- metadata

    /** The shape (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    /** Size of one dim (negative dims count from the end). */
    public long size(int dim) {
        return shape[Shapes.wrapDim("size", dim, shape.length)];
    }

    /** Strides in elements (a copy). */
    public long[] stride() {
        return strides.clone();
    }

    /** Offset of the first element in the storage, in elements. */
    public long storageOffset() {
        return offset;
    }

    /** Number of dimensions. */
    public int dim() {
        return shape.length;
    }

    /** Number of elements. */
    public long numel() {
        return Shapes.numel(shape);
    }

    /** Element type. */
    public DType dtype() {
        return dtype;
    }

    /** Where the storage lives. */
    public Device device() {
        return storage.device();
    }

    /** The storage this tensor views (for backends). */
    public Storage storage() {
        return storage;
    }

    /** True when elements are laid out row-major without gaps. */
    public boolean isContiguous() {
        return Shapes.isContiguous(shape, strides);
    }

    /** True while the storage is not freed. */
    public boolean isAlive() {
        return !storage.isFreed();
    }

    // ---------------------------------------------------------------- autograd state

    /** Whether reverse-mode operations on this tensor are recorded. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Makes this leaf record operations for reverse mode (PyTorch's {@code requires_grad_()}).
     * Returns this.
     */
    public Tensor setRequiresGrad(boolean value) {
        if (gradFn != null && !value) {
            throw new IllegalArgumentException("setRequiresGrad: you can only change requires_grad flags of leaf"
                    + " variables; this tensor is the output of " + gradFn.name());
        }
        if (value && !dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("setRequiresGrad: only tensors of floating point dtype can require"
                    + " gradients, got " + dtype.torchName());
        }
        this.requiresGrad = value;
        return this;
    }

    /** The tape node that produced this tensor, or null for leaves. */
    public Node gradFn() {
        return gradFn;
    }

    /** True for tensors not produced by a recorded operation. */
    public boolean isLeaf() {
        return gradFn == null;
    }

    /** The gradient accumulated by {@link #backward()}, or null. */
    public Tensor grad() {
        return grad;
    }

    /** Sets the accumulated gradient (used by {@link #backward()}); null clears it. */
    public void setGrad(Tensor g) {
        this.grad = g;
    }

    /**
     * Reverse mode from this one-element tensor: accumulates d(this)/d(leaf) into each leaf's
     * {@link #grad()}, as {@code loss.backward()} does.
     */
    public void backward() {
        dev.tangent.autograd.Autograd.backward(this, null);
    }

    /** Reverse mode with an explicit gradient of the same shape as this tensor. */
    public void backward(Tensor gradient) {
        dev.tangent.autograd.Autograd.backward(this, gradient);
    }

    /** A tensor sharing storage with no gradient history and no tangents. */
    public Tensor detach() {
        Tensor p = this;
        while (p.level > 0) {
            p = p.primal;
        }
        return new Tensor(p.storage, p.shape, p.strides, p.offset, p.dtype);
    }

    /** Every storage this value keeps alive (itself, its tangents, its gradient). */
    List<Storage> storagesForScope() {
        List<Storage> r = new ArrayList<>();
        collect(this, r);
        return r;
    }

    private static void collect(Tensor t, List<Storage> r) {
        while (t != null) {
            if (t.level > 0) {
                collect(t.tangent, r);
                t = t.primal;
            } else {
                r.add(t.storage);
                if (t.grad != null) {
                    collect(t.grad, r);
                }
                t = null;
            }
        }
    }

    // ---------------------------------------------------------------- reading values

    /** All elements converted to float, row-major. */
    public float[] toFloatArray() {
        storage.checkAlive("toFloatArray");
        double[] d = toDoubleArray();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** All elements converted to double, row-major. */
    public double[] toDoubleArray() {
        Tensor c = hostContiguous("toDoubleArray", DType.FLOAT64);
        double[] d = new double[Math.toIntExact(c.numel())];
        MemorySegment.copy(c.storage.segment(), ValueLayout.JAVA_DOUBLE, c.offset * 8, d, 0, d.length);
        return d;
    }

    /** All elements converted to long, row-major. */
    public long[] toLongArray() {
        Tensor c = hostContiguous("toLongArray", DType.INT64);
        long[] d = new long[Math.toIntExact(c.numel())];
        MemorySegment.copy(c.storage.segment(), ValueLayout.JAVA_LONG, c.offset * 8, d, 0, d.length);
        return d;
    }

    /** The value of a one-element tensor. */
    public double item() {
        storage.checkAlive("item");
        if (numel() != 1) {
            throw new IllegalArgumentException("item: a Tensor with " + numel() + " elements cannot be converted"
                    + " to a scalar (shape " + Shapes.str(shape) + ")");
        }
        return toDoubleArray()[0];
    }

    private Tensor hostContiguous(String op, DType as) {
        storage.checkAlive(op);
        try (Scope s = Scope.open()) {
            Tensor plain = detach();
            Tensor c = plain.to(Device.cpu());
            if (c.dtype != as || !c.isContiguous() || c.offset != 0) {
                Tensor out = empty(c.shape, as, Device.cpu());
                out.storage.backend().copy(c, out);
                c = out;
            }
            return s.keep(c);
        }
    }

    /** PyTorch's printing, e.g. {@code tensor([6.3090, 4.6742])}; throws IllegalStateException once freed. */
    @Override
    public String toString() {
        storage.checkAlive("toString");
        return Printer.format(this);
    }

    // ---------------------------------------------------------------- devices and types

    /** This tensor with elements converted to {@code dtype} (this tensor if already that type). */
    public Tensor to(DType target) {
        if (target == dtype) {
            return this;
        }
        return Dispatch.apply(Prim.CAST, Attrs.ints(target.ordinal()), this);
    }

    /** PyTorch's {@code .long()}. */
    public Tensor toLong() {
        return to(DType.INT64);
    }

    /** PyTorch's {@code .float()}. */
    public Tensor toFloat() {
        return to(DType.FLOAT32);
    }

    /** PyTorch's {@code .double()}. */
    public Tensor toDouble() {
        return to(DType.FLOAT64);
    }

    /** This tensor on another device (a copy; this tensor if already there). */
    public Tensor to(Device target) {
        if (target.equals(device())) {
            return this;
        }
        return Dispatch.transfer(this, target);
    }

    // ---------------------------------------------------------------- unary

    public Tensor neg() { return un(Prim.NEG); }
    public Tensor abs() { return un(Prim.ABS); }
    public Tensor sign() { return un(Prim.SIGN); }
    public Tensor exp() { return un(Prim.EXP); }
    public Tensor expm1() { return un(Prim.EXPM1); }
    public Tensor log() { return un(Prim.LOG); }
    public Tensor log1p() { return un(Prim.LOG1P); }
    public Tensor sqrt() { return un(Prim.SQRT); }
    public Tensor rsqrt() { return un(Prim.RSQRT); }
    public Tensor reciprocal() { return un(Prim.RECIPROCAL); }
    public Tensor square() { return un(Prim.SQUARE); }
    public Tensor sin() { return un(Prim.SIN); }
    public Tensor cos() { return un(Prim.COS); }
    public Tensor tan() { return un(Prim.TAN); }
    public Tensor asin() { return un(Prim.ASIN); }
    public Tensor acos() { return un(Prim.ACOS); }
    public Tensor atan() { return un(Prim.ATAN); }
    public Tensor sinh() { return un(Prim.SINH); }
    public Tensor cosh() { return un(Prim.COSH); }
    public Tensor tanh() { return un(Prim.TANH); }
    public Tensor asinh() { return un(Prim.ASINH); }
    public Tensor acosh() { return un(Prim.ACOSH); }
    public Tensor atanh() { return un(Prim.ATANH); }
    public Tensor erf() { return un(Prim.ERF); }
    public Tensor sigmoid() { return un(Prim.SIGMOID); }
    public Tensor relu() { return un(Prim.RELU); }
    /** SiLU (swish): x * sigmoid(x). */
    public Tensor silu() { return un(Prim.SILU); }

    /** Leaky ReLU with PyTorch's default slope 0.01. */
    public Tensor leakyRelu() {
        return leakyRelu(0.01);
    }

    /** Leaky ReLU: x if x &gt; 0 else slope * x. */
    public Tensor leakyRelu(double negativeSlope) {
        return Dispatch.apply(Prim.LEAKY_RELU, Attrs.reals(negativeSlope), this);
    }

    /** ELU with alpha 1. */
    public Tensor elu() {
        return elu(1.0);
    }

    /** ELU: x if x &gt; 0 else alpha * (exp(x) - 1). */
    public Tensor elu(double alpha) {
        return Dispatch.apply(Prim.ELU, Attrs.reals(alpha), this);
    }

    /** GELU, exact erf form: 0.5 x (1 + erf(x / sqrt 2)). */
    public Tensor gelu() {
        return un(Prim.GELU);
    }

    /** GELU; {@code tanhApproximation} selects PyTorch's {@code approximate='tanh'}. */
    public Tensor gelu(boolean tanhApproximation) {
        return tanhApproximation ? un(Prim.GELU_TANH) : un(Prim.GELU);
    }

    /** Softplus with beta 1, threshold 20. */
    public Tensor softplus() {
        return softplus(1.0, 20.0);
    }

    /** Softplus: log(1 + exp(beta x)) / beta, linear above threshold. */
    public Tensor softplus(double beta, double threshold) {
        return Dispatch.apply(Prim.SOFTPLUS, Attrs.reals(beta, threshold), this);
    }

    /** Clamps into [min, max]; pass NaN for no bound on that side. */
    public Tensor clamp(double min, double max) {
        if (Double.isNaN(min) && Double.isNaN(max)) {
            throw new IllegalArgumentException("clamp: at least one of 'min' or 'max' must not be None");
        }
        return Dispatch.apply(Prim.CLAMP, Attrs.reals(Double.isNaN(min) ? Double.NEGATIVE_INFINITY : min,
                Double.isNaN(max) ? Double.POSITIVE_INFINITY : max), this);
    }

    /** {@code clamp(min=...)}. */
    public Tensor clampMin(double min) {
        return clamp(min, Double.NaN);
    }

    /** {@code clamp(max=...)}. */
    public Tensor clampMax(double max) {
        return clamp(Double.NaN, max);
    }

    /** {@code x ** exponent} with a scalar exponent. */
    public Tensor pow(double exponent) {
        return Dispatch.apply(Prim.POW_SCALAR, Attrs.reals(exponent), this);
    }

    private Tensor un(Prim p) {
        return Dispatch.apply(p, Attrs.NONE, this);
    }

    // ---------------------------------------------------------------- binary

    public Tensor add(Tensor o) { return Dispatch.apply(Prim.ADD, Attrs.NONE, this, o); }
    public Tensor sub(Tensor o) { return Dispatch.apply(Prim.SUB, Attrs.NONE, this, o); }
    public Tensor mul(Tensor o) { return Dispatch.apply(Prim.MUL, Attrs.NONE, this, o); }
    public Tensor div(Tensor o) { return Dispatch.apply(Prim.DIV, Attrs.NONE, this, o); }
    /** {@code x ** y}, element-wise with broadcasting. */
    public Tensor pow(Tensor o) { return Dispatch.apply(Prim.POW, Attrs.NONE, this, o); }
    public Tensor maximum(Tensor o) { return Dispatch.apply(Prim.MAXIMUM, Attrs.NONE, this, o); }
    public Tensor minimum(Tensor o) { return Dispatch.apply(Prim.MINIMUM, Attrs.NONE, this, o); }

    public Tensor add(double s) { return add(wrapScalar(s)); }
    public Tensor sub(double s) { return sub(wrapScalar(s)); }
    public Tensor mul(double s) { return mul(wrapScalar(s)); }
    public Tensor div(double s) { return div(wrapScalar(s)); }
    public Tensor maximum(double s) { return maximum(wrapScalar(s)); }
    public Tensor minimum(double s) { return minimum(wrapScalar(s)); }
    /** {@code s - x} (PyTorch's {@code rsub}). */
    public Tensor rsub(double s) { return wrapScalar(s).sub(this); }
    /** {@code s / x}. */
    public Tensor rdiv(double s) { return wrapScalar(s).div(this); }
    /** {@code s ** x}. */
    public Tensor rpow(double s) { return wrapScalar(s).pow(this); }

    // comparisons: bool masks
    public Tensor gt(Tensor o) { return Dispatch.apply(Prim.GT, Attrs.NONE, this, o); }
    public Tensor ge(Tensor o) { return Dispatch.apply(Prim.GE, Attrs.NONE, this, o); }
    public Tensor lt(Tensor o) { return Dispatch.apply(Prim.LT, Attrs.NONE, this, o); }
    public Tensor le(Tensor o) { return Dispatch.apply(Prim.LE, Attrs.NONE, this, o); }
    public Tensor eq(Tensor o) { return Dispatch.apply(Prim.EQ, Attrs.NONE, this, o); }
    public Tensor ne(Tensor o) { return Dispatch.apply(Prim.NE, Attrs.NONE, this, o); }
    public Tensor gt(double s) { return gt(wrapScalar(s)); }
    public Tensor ge(double s) { return ge(wrapScalar(s)); }
    public Tensor lt(double s) { return lt(wrapScalar(s)); }
    public Tensor le(double s) { return le(wrapScalar(s)); }
    public Tensor eq(double s) { return eq(wrapScalar(s)); }
    public Tensor ne(double s) { return ne(wrapScalar(s)); }

    /** {@code torch.where(mask, a, b)}: a where mask is true, else b (all broadcast). */
    public static Tensor where(Tensor mask, Tensor a, Tensor b) {
        return Dispatch.apply(Prim.WHERE, Attrs.NONE, mask, a, b);
    }

    /** {@code torch.where(mask, a, scalar)}. */
    public static Tensor where(Tensor mask, Tensor a, double b) {
        return where(mask, a, a.wrapScalar(b));
    }

    /** A Python-number operand: a 0-dim tensor that does not promote this tensor's dtype. */
    Tensor wrapScalar(double s) {
        DType dt = dtype.isFloatingPoint() ? dtype
                : (s == Math.rint(s) && !Double.isInfinite(s) ? dtype : DType.FLOAT32);
        if (dt == DType.BOOL) {
            dt = DType.INT64;
        }
        return Constants.scalar(s, dt, device());
    }

    // ---------------------------------------------------------------- reductions

    /** Sum of all elements (0-dim result). */
    public Tensor sum() { return sum(allDims(), false); }
    public Tensor sum(int dim) { return sum(new int[] {dim}, false); }
    public Tensor sum(int dim, boolean keepdim) { return sum(new int[] {dim}, keepdim); }
    /** Sum over {@code dims}; {@code keepdim} keeps them with size 1. */
    public Tensor sum(int[] dims, boolean keepdim) { return reduce(Prim.SUM, dims, keepdim); }

    public Tensor mean() { return mean(allDims(), false); }
    public Tensor mean(int dim) { return mean(new int[] {dim}, false); }
    public Tensor mean(int dim, boolean keepdim) { return mean(new int[] {dim}, keepdim); }
    /** Mean over {@code dims}. */
    public Tensor mean(int[] dims, boolean keepdim) {
        requireFloat("mean");
        long n = reducedCount("mean", dims);
        return sum(dims, keepdim).div((double) n);
    }

    public Tensor prod() { return prod(allDims(), false); }
    public Tensor prod(int dim) { return prod(new int[] {dim}, false); }
    public Tensor prod(int dim, boolean keepdim) { return prod(new int[] {dim}, keepdim); }
    public Tensor prod(int[] dims, boolean keepdim) { return reduce(Prim.PROD, dims, keepdim); }

    public Tensor amax() { return amax(allDims(), false); }
    public Tensor amax(int dim) { return amax(new int[] {dim}, false); }
    public Tensor amax(int dim, boolean keepdim) { return amax(new int[] {dim}, keepdim); }
    public Tensor amax(int[] dims, boolean keepdim) { return reduce(Prim.AMAX, dims, keepdim); }

    public Tensor amin() { return amin(allDims(), false); }
    public Tensor amin(int dim) { return amin(new int[] {dim}, false); }
    public Tensor amin(int dim, boolean keepdim) { return amin(new int[] {dim}, keepdim); }
    public Tensor amin(int[] dims, boolean keepdim) { return reduce(Prim.AMIN, dims, keepdim); }

    public Tensor logsumexp(int dim) { return logsumexp(new int[] {dim}, false); }
    public Tensor logsumexp(int dim, boolean keepdim) { return logsumexp(new int[] {dim}, keepdim); }
    /** log(sum(exp(x))) over dims, computed stably (the max is subtracted first). */
    public Tensor logsumexp(int[] dims, boolean keepdim) {
        requireFloat("logsumexp");
        Tensor m = amax(dims, true).detach();
        // PyTorch: where the max is infinite, shift by 0 so inf - inf gives no NaN.
        m = where(m.abs().eq(Double.POSITIVE_INFINITY), m.wrapScalar(0), m); // not m * 0: -inf * 0 is NaN
        Tensor r = sub(m).exp().sum(dims, true).log().add(m);
        return keepdim ? r : r.squeezeDims(normalizeDims("logsumexp", dims));
    }

    /** 2-norm of all elements. */
    public Tensor norm() {
        requireFloat("norm");
        return sqrtWithZeroGradAtZero(mul(this).sum());
    }

    /** 2-norm over dims. */
    public Tensor norm(int[] dims, boolean keepdim) {
        requireFloat("norm");
        return sqrtWithZeroGradAtZero(mul(this).sum(dims, keepdim));
    }

    /** sqrt whose derivative at 0 is 0 (PyTorch's norm gradient at a zero vector), not 0 * inf = NaN. */
    private static Tensor sqrtWithZeroGradAtZero(Tensor s) {
        Tensor nonZero = s.ne(0.0);
        return where(nonZero, where(nonZero, s, 1.0).sqrt(), 0.0);
    }

    /** Unbiased variance of all elements. */
    public Tensor var() { return var(allDims(), true, false); }
    public Tensor var(int dim) { return var(new int[] {dim}, true, false); }
    public Tensor var(int dim, boolean unbiased, boolean keepdim) { return var(new int[] {dim}, unbiased, keepdim); }
    /** Variance over dims; {@code unbiased} divides by n - 1 (Bessel). */
    public Tensor var(int[] dims, boolean unbiased, boolean keepdim) {
        requireFloat("var");
        long n = reducedCount("var", dims);
        Tensor d = sub(mean(dims, true));
        return d.mul(d).sum(dims, keepdim).div((double) (unbiased ? n - 1 : n));
    }

    public Tensor std() { return var().sqrt(); }
    public Tensor std(int dim) { return var(dim).sqrt(); }
    public Tensor std(int[] dims, boolean unbiased, boolean keepdim) { return var(dims, unbiased, keepdim).sqrt(); }

    /** Softmax along {@code dim}. */
    public Tensor softmax(int dim) {
        return Dispatch.apply(Prim.SOFTMAX, Attrs.ints(Shapes.wrapDim("softmax", dim, shape.length)), this);
    }

    /** Log-softmax along {@code dim}. */
    public Tensor logSoftmax(int dim) {
        return Dispatch.apply(Prim.LOG_SOFTMAX, Attrs.ints(Shapes.wrapDim("log_softmax", dim, shape.length)), this);
    }

    private Tensor reduce(Prim p, int[] dims, boolean keepdim) {
        int[] nd = normalizeDims(p.opName(), dims);
        long[] a = new long[nd.length];
        for (int i = 0; i < nd.length; i++) {
            a[i] = nd[i];
        }
        return Dispatch.apply(p, Attrs.ints(keepdim, a), this);
    }

    private int[] allDims() {
        int[] d = new int[shape.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = i;
        }
        return d;
    }

    int[] normalizeDims(String op, int[] dims) {
        boolean[] seen = new boolean[Math.max(shape.length, 1)];
        int[] r = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.wrapDim(op, dims[i], shape.length);
            if (seen[d]) {
                throw new IllegalArgumentException(op + ": dim " + d + " appears multiple times in the list of dims");
            }
            seen[d] = true;
            r[i] = d;
        }
        Arrays.sort(r);
        if (shape.length == 0) {
            return new int[0];
        }
        return r;
    }

    private long reducedCount(String op, int[] dims) {
        long n = 1;
        for (int d : normalizeDims(op, dims)) {
            n *= shape[d];
        }
        return n;
    }

    private void requireFloat(String op) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected a floating point tensor, got " + dtype.torchName());
        }
    }

    // ---------------------------------------------------------------- linear algebra

    /**
     * {@code torch.matmul}: 1-D·1-D dot product, 2-D matrix product, 1-D promoted on either side,
     * and batched products with broadcast batch dims.
     */
    public Tensor matmul(Tensor o) {
        return Linalg.matmul(this, o);
    }

    /** Reverses all dims ({@code x.T}); for 2-D, the transpose. */
    public Tensor T() {
        int[] p = new int[shape.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = p.length - 1 - i;
        }
        return permute(p);
    }

    /** Transposes the last two dims ({@code x.mT}). */
    public Tensor mT() {
        if (shape.length < 2) {
            throw new IllegalArgumentException("mT: tensor.mT is only supported on matrices or batches of matrices."
                    + " Got " + shape.length + "-D tensor.");
        }
        return transpose(-2, -1);
    }

    // ---------------------------------------------------------------- shape and indexing

    /** A tensor with the same elements in a new shape (one dim may be -1); a view when possible. */
    public Tensor reshape(long... newShape) {
        long[] target = Shapes.inferReshape("reshape", shape, newShape);
        if (Shapes.viewStrides(shape, strides, target) == null) {
            return contiguous().reshape(target);
        }
        return Dispatch.apply(Prim.RESHAPE, Attrs.ints(target), this);
    }

    /** Like {@link #reshape}, but fails instead of copying (PyTorch's {@code view}). */
    public Tensor view(long... newShape) {
        long[] target = Shapes.inferReshape("view", shape, newShape);
        if (Shapes.viewStrides(shape, strides, target) == null) {
            throw new IllegalArgumentException("view: view size " + Shapes.str(target) + " is not compatible with"
                    + " input tensor's size " + Shapes.str(shape) + " and stride " + Shapes.str(strides)
                    + " (at least one dimension spans across two contiguous subspaces). Use reshape(...) instead.");
        }
        return Dispatch.apply(Prim.RESHAPE, Attrs.ints(target), this);
    }

    /** Reorders dims (a view). */
    public Tensor permute(int... dims) {
        if (dims.length != shape.length) {
            throw new IllegalArgumentException("permute: number of dims don't match: input has " + shape.length
                    + " dims " + Shapes.str(shape) + ", permutation has " + dims.length);
        }
        long[] p = new long[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.wrapDim("permute", dims[i], shape.length);
            if (seen[d]) {
                throw new IllegalArgumentException("permute: repeated dim " + d + " in " + Arrays.toString(dims));
            }
            seen[d] = true;
            p[i] = d;
        }
        return Dispatch.apply(Prim.PERMUTE, Attrs.ints(p), this);
    }

    /** Swaps two dims (a view). */
    public Tensor transpose(int dim0, int dim1) {
        int a = Shapes.wrapDim("transpose", dim0, shape.length);
        int b = Shapes.wrapDim("transpose", dim1, shape.length);
        int[] p = new int[shape.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = i;
        }
        if (shape.length == 0) {
            return this;
        }
        p[a] = b;
        p[b] = a;
        return permute(p);
    }

    /** Removes every size-1 dim. */
    public Tensor squeeze() {
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] != 1) {
                keep.add(i);
            }
        }
        long[] s = new long[keep.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = shape[keep.get(i)];
        }
        return s.length == shape.length ? this : reshape(s);
    }

    /** Removes {@code dim} if its size is 1 (else returns this, as PyTorch does). */
    public Tensor squeeze(int dim) {
        int d = Shapes.wrapDim("squeeze", dim, shape.length);
        if (shape.length == 0 || shape[d] != 1) {
            return this;
        }
        return squeezeDims(new int[] {d});
    }

    Tensor squeezeDims(int[] sortedDims) {
        if (sortedDims.length == 0) {
            return this;
        }
        long[] s = new long[shape.length - sortedDims.length];
        int j = 0;
        int k = 0;
        for (int i = 0; i < shape.length; i++) {
            if (k < sortedDims.length && sortedDims[k] == i) {
                k++;
            } else {
                s[j++] = shape[i];
            }
        }
        return reshape(s);
    }

    /** Inserts a size-1 dim at {@code dim} (which may be -1 for the end). */
    public Tensor unsqueeze(int dim) {
        int d = Shapes.wrapDim("unsqueeze", dim, shape.length + 1);
        long[] s = new long[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            s[i] = i == d ? 1 : shape[j++];
        }
        return reshape(s);
    }

    /** All dims into one. */
    public Tensor flatten() {
        return reshape(numel());
    }

    /** Dims start..end (inclusive) into one. */
    public Tensor flatten(int startDim, int endDim) {
        if (shape.length == 0) {
            return reshape(1);
        }
        int a = Shapes.wrapDim("flatten", startDim, shape.length);
        int b = Shapes.wrapDim("flatten", endDim, shape.length);
        if (a > b) {
            throw new IllegalArgumentException("flatten: start_dim cannot come after end_dim (" + a + " > " + b + ")");
        }
        long[] s = new long[shape.length - (b - a)];
        long m = 1;
        for (int i = a; i <= b; i++) {
            m *= shape[i];
        }
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i < a || i > b) {
                s[j++] = shape[i];
            } else if (i == a) {
                s[j++] = m;
            }
        }
        return reshape(s);
    }

    /** Broadcasts size-1 dims to larger sizes without copying; -1 keeps a size. */
    public Tensor expand(long... sizes) {
        if (sizes.length < shape.length) {
            throw new IllegalArgumentException("expand: the number of sizes provided (" + sizes.length + ") must be"
                    + " greater or equal to the number of dimensions in the tensor (" + shape.length + ")");
        }
        long[] target = sizes.clone();
        int off = sizes.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            long cur = i >= off ? shape[i - off] : 1;
            if (target[i] == -1) {
                if (i < off) {
                    throw new IllegalArgumentException("expand: -1 is not allowed in a leading, non-existing dimension"
                            + " (sizes " + Arrays.toString(sizes) + ")");
                }
                target[i] = cur;
            } else if (target[i] < 0) {
                throw new IllegalArgumentException("expand: invalid size " + target[i] + " at dimension " + i
                        + " (sizes " + Arrays.toString(sizes) + ", tensor sizes " + Shapes.str(shape) + ")");
            } else if (cur != 1 && cur != target[i]) {
                throw new IllegalArgumentException("expand: the expanded size of the tensor (" + target[i]
                        + ") must match the existing size (" + cur + ") at non-singleton dimension " + i
                        + ". Target sizes: " + Arrays.toString(sizes) + ". Tensor sizes: " + Shapes.str(shape));
            }
        }
        if (Arrays.equals(target, shape)) {
            return this;
        }
        return Dispatch.apply(Prim.EXPAND, Attrs.ints(target), this);
    }

    /** Expands to {@code other}'s shape. */
    public Tensor expandAs(Tensor other) {
        return expand(other.shape);
    }

    /**
     * Python's {@code x[..., start:end:step, ...]} on one dim (a view). Bounds are clamped as Python
     * does; negative start/end count from the end; step must be positive.
     */
    public Tensor slice(int dim, long start, long end, long step) {
        int d = Shapes.wrapDim("slice", dim, shape.length);
        if (shape.length == 0) {
            throw new IllegalArgumentException("slice: cannot slice a 0-dim tensor");
        }
        if (step <= 0) {
            throw new IllegalArgumentException("slice: step must be greater than zero, got " + step);
        }
        long n = shape[d];
        long s = start < 0 ? Math.max(start + n, 0) : Math.min(start, n);
        long e = end < 0 ? Math.max(end + n, 0) : Math.min(end, n);
        if (e < s) {
            e = s;
        }
        if (s == 0 && e == n && step == 1) {
            return this;
        }
        return Dispatch.apply(Prim.SLICE, Attrs.ints(d, s, e, step), this);
    }

    /** {@code x[start:end]} along {@code dim} with step 1. */
    public Tensor slice(int dim, long start, long end) {
        return slice(dim, start, end, 1);
    }

    /** {@code x[..., index, ...]}: removes {@code dim} (a view); negative indices count from the end. */
    public Tensor select(int dim, long index) {
        if (shape.length == 0) {
            throw new IllegalArgumentException("select: select() cannot be applied to a 0-dim tensor.");
        }
        int d = Shapes.wrapDim("select", dim, shape.length);
        long n = shape[d];
        if (index < -n || index >= n) {
            throw new IndexOutOfBoundsException("select: index " + index + " is out of range for dimension " + d
                    + " with size " + n + " (shape " + Shapes.str(shape) + ")");
        }
        long i = index < 0 ? index + n : index;
        return Dispatch.apply(Prim.SLICE, Attrs.ints(d, i, i + 1, 1), this).squeezeDims(new int[] {d});
    }

    /** {@code x[i]}: select along dim 0. */
    public Tensor get(long index) {
        return select(0, index);
    }

    /** {@code x.index_select(dim, index)} with a 1-D int64 index. */
    public Tensor indexSelect(int dim, Tensor index) {
        return Indexing.indexSelect(this, dim, index);
    }

    /** {@code x.gather(dim, index)}. */
    public Tensor gather(int dim, Tensor index) {
        return Indexing.gather(this, dim, index);
    }

    /**
     * PyTorch's advanced indexing with integer tensors on the leading dims:
     * {@code x.index(a, b)} is {@code x[a, b]} (indices broadcast together).
     */
    public Tensor index(Tensor... indices) {
        return Indexing.advanced(this, indices);
    }

    /** {@code torch.cat(tensors, dim)}. */
    public static Tensor cat(List<Tensor> tensors, int dim) {
        return Indexing.cat(tensors, dim);
    }

    /** {@code torch.cat(tensors, dim)}. */
    public static Tensor cat(int dim, Tensor... tensors) {
        return cat(Arrays.asList(tensors), dim);
    }

    /** {@code torch.stack(tensors, dim)}: a new dim. */
    public static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("stack: expects a non-empty list of tensors");
        }
        long[] s0 = tensors.get(0).shape;
        int d = Shapes.wrapDim("stack", dim, s0.length + 1);
        List<Tensor> parts = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (!Arrays.equals(t.shape, s0)) {
                throw new IllegalArgumentException("stack: expects each tensor to be equal size, but got "
                        + Shapes.str(s0) + " at entry 0 and " + Shapes.str(t.shape) + " at entry " + i);
            }
            parts.add(t.unsqueeze(d));
        }
        return cat(parts, d);
    }

    /** {@code torch.stack(tensors, dim)}. */
    public static Tensor stack(int dim, Tensor... tensors) {
        return stack(Arrays.asList(tensors), dim);
    }

    /** This tensor if contiguous, else a contiguous copy. */
    public Tensor contiguous() {
        if (isContiguous()) {
            return this;
        }
        return Dispatch.apply(Prim.CONTIGUOUS, Attrs.NONE, this);
    }
}
