package dev.tangent;

import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import dev.tangent.engine.Dispatch;
import dev.tangent.engine.Node;
import dev.tangent.engine.TensorAccess;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An n-dimensional array of float32, float64, int64 or bool elements in native memory (never a
 * Java array), with PyTorch's semantics: broadcasting, type promotion, views that share storage,
 * and differentiation in both modes.
 *
 * <p><b>Memory.</b> A tensor's storage is freed when the {@link Scope} that was innermost on the
 * creating thread closes (or by the garbage collector when none was open). Using a tensor whose
 * storage was freed throws {@link IllegalStateException}; it never touches freed memory, also when
 * another thread closes the scope while a kernel reads the tensor (the memory is released when the
 * kernel ends).
 *
 * <p><b>Autograd.</b> A tensor may require grad (reverse mode: operations on it are recorded on a
 * tape, see {@link dev.tangent.autograd.Autograd#grad}) and may carry tangents (forward mode, see
 * {@link dev.tangent.autograd.ForwardAD}).
 *
 * <p><b>Threads.</b> Tensors are immutable values (no in-place operations), so any number of
 * threads may read and compute from the same tensors at once. The only mutable state is the
 * {@link #setRequiresGrad(boolean)} flag of a leaf, which must be set before sharing it.
 *
 * <p>Tensors cannot be serialized (their memory is native): ship the values
 * ({@link #toFloatArray()}) and build tensors where they are used.
 */
public final class Tensor implements Value, Serializable {
    private static final long serialVersionUID = 1L;

    static {
        TensorAccess.install(new TensorState());
    }

    // The innermost (plain) value's memory and layout; a dual tensor mirrors its primal's.
    final transient Operand value;
    // Forward mode: level > 0 means this is primal + eps_level * tangent.
    final transient int level;
    final transient Tensor primal;
    final transient Tensor tangent;
    // Reverse mode.
    transient volatile boolean requiresGrad;
    transient Node gradFn;
    private transient volatile Tensor grad;

    Tensor(Operand value) {
        this.value = value;
        this.level = 0;
        this.primal = null;
        this.tangent = null;
    }

    Tensor(int level, Tensor primal, Tensor tangent) {
        this.value = primal.value;
        this.level = level;
        this.primal = primal;
        this.tangent = tangent;
    }

    // ---------------------------------------------------------------- creation (see Creation)

    /** A float32 tensor of {@code shape} holding {@code data} in row-major order. */
    public static Tensor of(float[] data, long... shape) { return Creation.of(data, shape); }
    /** A float64 tensor of {@code shape} holding {@code data} in row-major order. */
    public static Tensor of(double[] data, long... shape) { return Creation.of(data, shape); }
    /** An int64 tensor of {@code shape} holding {@code data} in row-major order. */
    public static Tensor of(long[] data, long... shape) { return Creation.of(data, shape); }
    /** A tensor of {@code dtype} and {@code shape} from double values (converted). */
    public static Tensor of(double[] data, DType dtype, long... shape) { return Creation.of(data, dtype, shape); }
    /** A 1-D float32 tensor. */
    public static Tensor vector(float... data) { return of(data, data.length); }
    /** A 1-D float64 tensor. */
    public static Tensor vector(double... data) { return of(data, data.length); }
    /** A zero-dimensional (shape {@code []}) float32 tensor. */
    public static Tensor scalar(float value) { return of(new float[] {value}); }
    /** A zero-dimensional (shape {@code []}) float64 tensor. */
    public static Tensor scalar(double value) { return of(new double[] {value}); }
    /** A zero-dimensional tensor of the given dtype. */
    public static Tensor scalar(double value, DType dtype) { return full(value, dtype, Device.cpu()); }
    /** float32 zeros of this shape. */
    public static Tensor zeros(long... shape) { return full(0, DType.FLOAT32, Device.cpu(), shape); }
    /** Zeros of this dtype and shape. */
    public static Tensor zeros(DType dtype, long... shape) { return full(0, dtype, Device.cpu(), shape); }
    /** {@code torch.zeros_like(x)}: zeros of x's shape, dtype and device. */
    public static Tensor zerosLike(Tensor x) { return full(0, x.dtype(), x.device(), x.shape()); }
    /** float32 ones of this shape. */
    public static Tensor ones(long... shape) { return full(1, DType.FLOAT32, Device.cpu(), shape); }
    /** Ones of this dtype and shape. */
    public static Tensor ones(DType dtype, long... shape) { return full(1, dtype, Device.cpu(), shape); }
    /** {@code torch.ones_like(x)}. */
    public static Tensor onesLike(Tensor x) { return full(1, x.dtype(), x.device(), x.shape()); }
    /** float32 tensor of this shape filled with {@code value}. */
    public static Tensor full(double value, long... shape) { return full(value, DType.FLOAT32, Device.cpu(), shape); }
    /** A tensor of this dtype, device and shape filled with {@code value}. */
    public static Tensor full(double value, DType dtype, Device device, long... shape) {
        return Creation.full(value, dtype, device, shape);
    }
    /** {@code torch.arange(end)}: int64 values 0, 1, ..., end-1. */
    public static Tensor arange(long end) { return arange(0, end, 1, DType.INT64); }
    /** {@code torch.arange(start, end, step, dtype=...)}. */
    public static Tensor arange(double start, double end, double step, DType dtype) {
        return Creation.arange(start, end, step, dtype);
    }
    /**
     * A tensor over caller-owned native host memory, without copying (e.g. a direct buffer of another
     * engine, or staging memory filled in place). Tangent never frees that memory: the caller keeps
     * it alive, and unchanged, as long as this tensor is used; closing the scope only ends the
     * tensor's use. Not counted in {@link Tangent#liveBytes()}.
     */
    public static Tensor wrap(java.lang.foreign.MemorySegment memory, DType dtype, long... shape) {
        return Creation.wrap(memory, dtype, shape);
    }
    /** Uniform [0, 1) float32 values from a seeded generator (same seed, same values). */
    public static Tensor rand(long seed, long... shape) { return random(seed, false, DType.FLOAT32, shape); }
    /** Standard normal float32 values from a seeded generator (same seed, same values). */
    public static Tensor randn(long seed, long... shape) { return random(seed, true, DType.FLOAT32, shape); }
    /** Uniform or normal values of the given dtype from a seeded generator. */
    public static Tensor random(long seed, boolean normal, DType dtype, long... shape) {
        return Creation.random(seed, normal, dtype, shape);
    }

    // ---------------------------------------------------------------- metadata

    /** The shape (a copy). */
    public long[] shape() { return value.shape().clone(); }
    /** Size of one dim (negative dims count from the end). */
    public long size(int dim) { return value.shape()[Shapes.wrapDim("size", dim, value.dim())]; }
    /** Strides in elements (a copy). */
    public long[] stride() { return value.strides().clone(); }
    /** Offset of the first element in the storage, in elements. */
    public long storageOffset() { return value.offset(); }
    /** Number of dimensions. */
    public int dim() { return value.dim(); }
    /** Number of elements. */
    public long numel() { return value.numel(); }
    /** Element type. */
    public DType dtype() { return value.dtype(); }
    /** Where the storage lives. */
    public Device device() { return value.device(); }
    /** True when elements are laid out row-major without gaps. */
    public boolean isContiguous() { return value.isContiguous(); }
    /** True while the storage is not freed. */
    public boolean isAlive() { return !value.storage().isFreed(); }
    /** True when this tensor and {@code other} view the same memory (one is a view of the other, or both of a third). */
    public boolean sharesStorage(Tensor other) { return value.storage() == other.value.storage(); }

    // ---------------------------------------------------------------- autograd state

    /** Whether reverse-mode operations on this tensor are recorded. */
    public boolean requiresGrad() { return requiresGrad; }

    /**
     * Makes this leaf record operations for reverse mode (PyTorch's {@code requires_grad_()}).
     * Returns this.
     */
    public Tensor setRequiresGrad(boolean on) {
        if (gradFn != null && !on) {
            throw new IllegalArgumentException("setRequiresGrad: you can only change requires_grad flags of leaf"
                    + " variables; this tensor is the output of " + gradFn.name());
        }
        if (on && !dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("setRequiresGrad: only tensors of floating point dtype can require"
                    + " gradients, got " + dtype().torchName());
        }
        this.requiresGrad = on;
        return this;
    }

    /** The name of the recorded op that produced this tensor, as PyTorch's {@code grad_fn} (e.g. {@code SumBackward0}); null for leaves. */
    public String gradFnName() { return gradFn == null ? null : gradFn.name(); }
    /** True for tensors not produced by a recorded operation. */
    public boolean isLeaf() { return gradFn == null; }
    /** The gradient accumulated by {@link #backward()}, or null. */
    public Tensor grad() { return grad; }
    /** Sets the accumulated gradient (used by {@link #backward()}); null clears it. */
    public void setGrad(Tensor g) { this.grad = g; }
    /** Reverse mode from this one-element tensor: accumulates d(this)/d(leaf) into each leaf's {@link #grad()}. */
    public void backward() { dev.tangent.autograd.Autograd.backward(this, null); }
    /** Reverse mode with an explicit gradient of the same shape as this tensor. */
    public void backward(Tensor gradient) { dev.tangent.autograd.Autograd.backward(this, gradient); }

    /** A tensor sharing storage with no gradient history and no tangents. */
    public Tensor detach() {
        return new Tensor(value);
    }

    /** Every storage this value keeps alive (itself, its tangents, its gradient). */
    List<Storage> storagesForScope() {
        List<Storage> r = new ArrayList<>();
        for (Tensor t = this; t != null; ) {
            if (t.level > 0) {
                if (t.tangent != null) {
                    r.addAll(t.tangent.storagesForScope());
                }
                t = t.primal;
            } else {
                r.add(t.value.storage());
                if (t.grad != null) {
                    r.addAll(t.grad.storagesForScope());
                }
                t = null;
            }
        }
        return r;
    }

    // ---------------------------------------------------------------- reading values (see Creation)

    /** All elements converted to float, row-major. */
    public float[] toFloatArray() { return Creation.toFloatArray(this); }
    /** All elements converted to double, row-major. */
    public double[] toDoubleArray() { return Creation.toDoubleArray(this); }
    /** Copies the first {@code count} elements (row-major, as float) into {@code dst}; no allocation for contiguous float32. */
    public void copyTo(float[] dst, int count) { Creation.copyTo(this, dst, count); }
    /** All elements converted to long, row-major. */
    public long[] toLongArray() { return Creation.toLongArray(this); }

    /**
     * A read-only direct buffer (native byte order) over this tensor's elements, without copying —
     * for handing the memory to another library (e.g. DJL's {@code manager.create(ByteBuffer, ...)}).
     * The tensor must be contiguous and on the CPU ({@link IllegalArgumentException} otherwise: call
     * {@code contiguous()} / {@code to(Device.cpu())} first) and alive. The buffer holds the memory:
     * if the tensor's scope closes first, the tensor is freed for Tangent at once but its memory goes
     * back only when the buffer is garbage collected, so the buffer never reads freed memory. For a
     * tensor over caller-owned memory ({@link #wrap}) the caller keeps that memory alive. Tensors
     * are immutable: whoever gets the address must not write through it.
     */
    public java.nio.ByteBuffer toByteBuffer() {
        if (!value.device().isCpu() || !value.isContiguous()) {
            throw new IllegalArgumentException("toByteBuffer: needs a contiguous CPU tensor, got shape "
                    + Shapes.str(value.shape()) + " strides " + Shapes.str(value.strides()) + " on " + device()
                    + "; call contiguous() / to(Device.cpu()) first");
        }
        Storage st = value.storage();
        st.acquire("toByteBuffer");
        long bytes = value.numel() * dtype().byteSize();
        // An automatic arena whose cleanup releases the hold: the memory outlives the buffer, never the reverse.
        java.lang.foreign.MemorySegment view = java.lang.foreign.MemorySegment.ofAddress(st.address() + value.byteOffset())
                .reinterpret(bytes, java.lang.foreign.Arena.ofAuto(), s -> st.release());
        return view.asReadOnly().asByteBuffer().order(java.nio.ByteOrder.nativeOrder());
    }

    /** The value of a one-element tensor. */
    public double item() {
        value.storage().checkAlive("item");
        if (numel() != 1) {
            throw new IllegalArgumentException("item: a Tensor with " + numel() + " elements cannot be converted"
                    + " to a scalar (shape " + Shapes.str(value.shape()) + ")");
        }
        return toDoubleArray()[0];
    }

    /** PyTorch's printing, e.g. {@code tensor([6.3090, 4.6742])}; throws IllegalStateException once freed. */
    @Override
    public String toString() {
        value.storage().checkAlive("toString");
        return Printer.format(this);
    }

    // ---------------------------------------------------------------- devices and types

    /** This tensor with elements converted to {@code target} (this tensor if already that type). */
    public Tensor to(DType target) { return target == dtype() ? this : Dispatch.apply(Prim.CAST, new Attrs.Cast(target), this); }
    /** PyTorch's {@code .long()}. */
    public Tensor toLong() { return to(DType.INT64); }
    /** PyTorch's {@code .float()}. */
    public Tensor toFloat() { return to(DType.FLOAT32); }
    /** PyTorch's {@code .double()}. */
    public Tensor toDouble() { return to(DType.FLOAT64); }
    /** This tensor on another device (a copy; differentiable; this tensor if already there). */
    public Tensor to(Device target) {
        return target.equals(device()) ? this : Dispatch.apply(Prim.TO_DEVICE, new Attrs.Transfer(target), this);
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
    public Tensor leakyRelu() { return leakyRelu(0.01); }
    /** Leaky ReLU: x if x &gt; 0 else slope * x. */
    public Tensor leakyRelu(double negativeSlope) { return un(Prim.LEAKY_RELU, negativeSlope, 0); }
    /** ELU with alpha 1. */
    public Tensor elu() { return elu(1.0); }
    /** ELU: x if x &gt; 0 else alpha * (exp(x) - 1). */
    public Tensor elu(double alpha) { return un(Prim.ELU, alpha, 0); }
    /** GELU, exact erf form: 0.5 x (1 + erf(x / sqrt 2)). */
    public Tensor gelu() { return un(Prim.GELU); }
    /** GELU; {@code tanhApproximation} selects PyTorch's {@code approximate='tanh'}. */
    public Tensor gelu(boolean tanhApproximation) { return un(tanhApproximation ? Prim.GELU_TANH : Prim.GELU); }
    /** Softplus with beta 1, threshold 20. */
    public Tensor softplus() { return softplus(1.0, 20.0); }
    /** Softplus: log(1 + exp(beta x)) / beta, linear above threshold. */
    public Tensor softplus(double beta, double threshold) { return un(Prim.SOFTPLUS, beta, threshold); }

    /** Clamps into [min, max]; pass NaN for no bound on that side. */
    public Tensor clamp(double min, double max) {
        if (Double.isNaN(min) && Double.isNaN(max)) {
            throw new IllegalArgumentException("clamp: at least one of 'min' or 'max' must not be None");
        }
        return un(Prim.CLAMP, Double.isNaN(min) ? Double.NEGATIVE_INFINITY : min,
                Double.isNaN(max) ? Double.POSITIVE_INFINITY : max);
    }

    /** {@code clamp(min=...)}. */
    public Tensor clampMin(double min) { return clamp(min, Double.NaN); }
    /** {@code clamp(max=...)}. */
    public Tensor clampMax(double max) { return clamp(Double.NaN, max); }
    /** {@code x ** exponent} with a scalar exponent. */
    public Tensor pow(double exponent) { return un(Prim.POW_SCALAR, exponent, 0); }

    private Tensor un(Prim p) { return Dispatch.apply(p, Attrs.Scalars.NONE, this); }
    private Tensor un(Prim p, double p0, double p1) { return Dispatch.apply(p, new Attrs.Scalars(p0, p1), this); }

    // ---------------------------------------------------------------- binary

    public Tensor add(Tensor o) { return bin(Prim.ADD, o); }
    public Tensor sub(Tensor o) { return bin(Prim.SUB, o); }
    public Tensor mul(Tensor o) { return bin(Prim.MUL, o); }
    public Tensor div(Tensor o) { return bin(Prim.DIV, o); }
    /** {@code x ** y}, element-wise with broadcasting. */
    public Tensor pow(Tensor o) { return bin(Prim.POW, o); }
    public Tensor maximum(Tensor o) { return bin(Prim.MAXIMUM, o); }
    public Tensor minimum(Tensor o) { return bin(Prim.MINIMUM, o); }
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
    public Tensor gt(Tensor o) { return bin(Prim.GT, o); }
    public Tensor ge(Tensor o) { return bin(Prim.GE, o); }
    public Tensor lt(Tensor o) { return bin(Prim.LT, o); }
    public Tensor le(Tensor o) { return bin(Prim.LE, o); }
    public Tensor eq(Tensor o) { return bin(Prim.EQ, o); }
    public Tensor ne(Tensor o) { return bin(Prim.NE, o); }
    public Tensor gt(double s) { return gt(wrapScalar(s)); }
    public Tensor ge(double s) { return ge(wrapScalar(s)); }
    public Tensor lt(double s) { return lt(wrapScalar(s)); }
    public Tensor le(double s) { return le(wrapScalar(s)); }
    public Tensor eq(double s) { return eq(wrapScalar(s)); }
    public Tensor ne(double s) { return ne(wrapScalar(s)); }

    /** {@code torch.where(mask, a, b)}: a where mask is true, else b (all broadcast). */
    public static Tensor where(Tensor mask, Tensor a, Tensor b) { return Dispatch.apply(Prim.WHERE, Attrs.NONE, mask, a, b); }
    /** {@code torch.where(mask, a, scalar)}. */
    public static Tensor where(Tensor mask, Tensor a, double b) { return where(mask, a, a.wrapScalar(b)); }

    private Tensor bin(Prim p, Tensor o) { return Dispatch.apply(p, Attrs.NONE, this, o); }

    /** A Python-number operand: a 0-dim tensor that does not promote this tensor's dtype. */
    Tensor wrapScalar(double s) { return Creation.wrapScalar(s, dtype(), device()); }

    // ---------------------------------------------------------------- reductions (see Reductions)

    /** Sum of all elements (0-dim result). */
    public Tensor sum() { return sum(Reductions.allDims(this), false); }
    public Tensor sum(int dim) { return sum(new int[] {dim}, false); }
    public Tensor sum(int dim, boolean keepdim) { return sum(new int[] {dim}, keepdim); }
    /** Sum over {@code dims}; {@code keepdim} keeps them with size 1. */
    public Tensor sum(int[] dims, boolean keepdim) { return Reductions.reduce(this, Prim.SUM, dims, keepdim); }
    public Tensor mean() { return mean(Reductions.allDims(this), false); }
    public Tensor mean(int dim) { return mean(new int[] {dim}, false); }
    public Tensor mean(int dim, boolean keepdim) { return mean(new int[] {dim}, keepdim); }
    /** Mean over {@code dims}. */
    public Tensor mean(int[] dims, boolean keepdim) { return Reductions.mean(this, dims, keepdim); }
    public Tensor prod() { return prod(Reductions.allDims(this), false); }
    public Tensor prod(int dim) { return prod(new int[] {dim}, false); }
    public Tensor prod(int dim, boolean keepdim) { return prod(new int[] {dim}, keepdim); }
    public Tensor prod(int[] dims, boolean keepdim) { return Reductions.reduce(this, Prim.PROD, dims, keepdim); }
    public Tensor amax() { return amax(Reductions.allDims(this), false); }
    public Tensor amax(int dim) { return amax(new int[] {dim}, false); }
    public Tensor amax(int dim, boolean keepdim) { return amax(new int[] {dim}, keepdim); }
    public Tensor amax(int[] dims, boolean keepdim) { return Reductions.reduce(this, Prim.AMAX, dims, keepdim); }
    public Tensor amin() { return amin(Reductions.allDims(this), false); }
    public Tensor amin(int dim) { return amin(new int[] {dim}, false); }
    public Tensor amin(int dim, boolean keepdim) { return amin(new int[] {dim}, keepdim); }
    public Tensor amin(int[] dims, boolean keepdim) { return Reductions.reduce(this, Prim.AMIN, dims, keepdim); }
    public Tensor logsumexp(int dim) { return logsumexp(new int[] {dim}, false); }
    public Tensor logsumexp(int dim, boolean keepdim) { return logsumexp(new int[] {dim}, keepdim); }
    /** log(sum(exp(x))) over dims, computed stably (the max is subtracted first). */
    public Tensor logsumexp(int[] dims, boolean keepdim) { return Reductions.logsumexp(this, dims, keepdim); }
    /** 2-norm of all elements. */
    public Tensor norm() { return Reductions.norm(this, Reductions.allDims(this), false); }
    /** 2-norm over dims. */
    public Tensor norm(int[] dims, boolean keepdim) { return Reductions.norm(this, dims, keepdim); }
    /** Unbiased variance of all elements. */
    public Tensor var() { return Reductions.var(this, Reductions.allDims(this), true, false, true); }
    public Tensor var(int dim) { return var(new int[] {dim}, true, false); }
    public Tensor var(int dim, boolean unbiased, boolean keepdim) { return var(new int[] {dim}, unbiased, keepdim); }
    /** Variance over dims; {@code unbiased} divides by n - 1 (Bessel). */
    public Tensor var(int[] dims, boolean unbiased, boolean keepdim) { return Reductions.var(this, dims, unbiased, keepdim, false); }
    /** Unbiased standard deviation of all elements (derivative 0 where it is 0, as PyTorch's). */
    public Tensor std() { return Reductions.std(this, Reductions.allDims(this), true, false, true); }
    public Tensor std(int dim) { return std(new int[] {dim}, true, false); }
    /** Standard deviation over dims; {@code unbiased} divides the variance by n - 1. */
    public Tensor std(int[] dims, boolean unbiased, boolean keepdim) { return Reductions.std(this, dims, unbiased, keepdim, false); }
    /** Softmax along {@code dim}. */
    public Tensor softmax(int dim) { return Reductions.softmax(this, Prim.SOFTMAX, dim); }
    /** Log-softmax along {@code dim}. */
    public Tensor logSoftmax(int dim) { return Reductions.softmax(this, Prim.LOG_SOFTMAX, dim); }

    // ---------------------------------------------------------------- linear algebra

    /** {@code torch.matmul}: dot, matrix and batched products with PyTorch's 1-D promotion and batch broadcasting. */
    public Tensor matmul(Tensor o) { return Linalg.matmul(this, o); }
    /** Reverses all dims ({@code x.T}); for 2-D, the transpose. */
    public Tensor T() { return Views.reverseDims(this); }
    /** Transposes the last two dims ({@code x.mT}). */
    public Tensor mT() { return Views.mT(this); }

    // ---------------------------------------------------------------- shape (see Views)

    /** A tensor with the same elements in a new shape (one dim may be -1); a view when possible. */
    public Tensor reshape(long... newShape) { return Views.reshape(this, newShape, true); }
    /** Like {@link #reshape}, but fails instead of copying (PyTorch's {@code view}). */
    public Tensor view(long... newShape) { return Views.reshape(this, newShape, false); }
    /** Reorders dims (a view). */
    public Tensor permute(int... dims) { return Views.permute(this, dims); }
    /** Swaps two dims (a view). */
    public Tensor transpose(int dim0, int dim1) { return Views.transpose(this, dim0, dim1); }
    /** Removes every size-1 dim. */
    public Tensor squeeze() { return Views.squeeze(this); }
    /** Removes {@code dim} if its size is 1 (else returns this, as PyTorch does). */
    public Tensor squeeze(int dim) { return Views.squeeze(this, dim); }
    /** Inserts a size-1 dim at {@code dim} (which may be -1 for the end). */
    public Tensor unsqueeze(int dim) { return Views.unsqueeze(this, dim); }
    /** All dims into one. */
    public Tensor flatten() { return reshape(numel()); }
    /** Dims start..end (inclusive) into one. */
    public Tensor flatten(int startDim, int endDim) { return Views.flatten(this, startDim, endDim); }
    /** Broadcasts size-1 dims to larger sizes without copying; -1 keeps a size. */
    public Tensor expand(long... sizes) { return Views.expand(this, sizes); }
    /** Expands to {@code other}'s shape. */
    public Tensor expandAs(Tensor other) { return expand(other.value.shape()); }
    /** This tensor if contiguous, else a contiguous copy. */
    public Tensor contiguous() { return isContiguous() ? this : Dispatch.apply(Prim.CONTIGUOUS, Attrs.NONE, this); }
    /** {@code x.clone()}: a contiguous copy that shares nothing with this tensor (differentiable). */
    @Override
    public Tensor clone() { return Dispatch.apply(Prim.CONTIGUOUS, Attrs.NONE, this); }

    // ---------------------------------------------------------------- indexing (see Indexing)

    /** Python's {@code x[..., start:end:step, ...]} on one dim (a view); bounds clamped as Python does. */
    public Tensor slice(int dim, long start, long end, long step) { return Indexing.slice(this, dim, start, end, step); }
    /** {@code x[start:end]} along {@code dim} with step 1. */
    public Tensor slice(int dim, long start, long end) { return slice(dim, start, end, 1); }
    /** {@code x[..., index, ...]}: removes {@code dim} (a view); negative indices count from the end. */
    public Tensor select(int dim, long index) { return Indexing.select(this, dim, index); }
    /** {@code x[i]}: select along dim 0. */
    public Tensor get(long index) { return select(0, index); }
    /** {@code x.index_select(dim, index)} with a 1-D int64 index. */
    public Tensor indexSelect(int dim, Tensor index) { return Indexing.indexSelect(this, dim, index); }
    /** {@code x.gather(dim, index)}. */
    public Tensor gather(int dim, Tensor index) { return Indexing.gather(this, dim, index); }
    /** PyTorch's advanced indexing on the leading dims: {@code x.index(a, b)} is {@code x[a, b]}. */
    public Tensor index(Tensor... indices) { return Indexing.advanced(this, indices); }
    /** {@code torch.cat(tensors, dim)}. */
    public static Tensor cat(List<Tensor> tensors, int dim) { return Indexing.cat(tensors, dim); }
    /** {@code torch.cat(tensors, dim)}. */
    public static Tensor cat(int dim, Tensor... tensors) { return cat(Arrays.asList(tensors), dim); }
    /** {@code torch.stack(tensors, dim)}: a new dim. */
    public static Tensor stack(List<Tensor> tensors, int dim) { return Indexing.stack(tensors, dim); }
    /** {@code torch.stack(tensors, dim)}. */
    public static Tensor stack(int dim, Tensor... tensors) { return stack(Arrays.asList(tensors), dim); }

    // ---------------------------------------------------------------- serialization

    private Object writeReplace() throws NotSerializableException {
        throw new NotSerializableException(NOT_SERIALIZABLE);
    }

    private void readObject(ObjectInputStream in) throws NotSerializableException {
        throw new NotSerializableException(NOT_SERIALIZABLE);
    }

    /** The message every attempt to serialize a tensor fails with. */
    public static final String NOT_SERIALIZABLE = "dev.tangent.Tensor: tensors live in native memory and cannot be"
            + " serialized; ship the values (toFloatArray()) or a description that builds the tensors where they"
            + " are used";
}
