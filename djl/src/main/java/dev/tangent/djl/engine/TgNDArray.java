package dev.tangent.djl.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrayAdapter;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.tangent.DType;
import dev.tangent.Tensor;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * A DJL {@link NDArray} whose value is a Tangent {@link Tensor}: every implemented operation runs
 * on Tangent (so it carries tangents inside {@code DjlFunctional} and records on Tangent's tape
 * inside a gradient collector). Every NDArray method is overridden here: the ones Tangent does not
 * implement are marked {@link Unimplemented} and throw (strict) unless a fallback engine is set,
 * see {@link Fallback}.
 *
 * <p>Tangent tensors are immutable; DJL's in-place operations ({@code addi}, {@code set},
 * {@code intern}) replace the array's tensor with a new one. Another array viewing the same memory
 * (a reshape of it) keeps the old values — unlike PyTorch, where the view sees the write.
 *
 * <p>Memory: see {@link Lane} and {@link TgNDManager}.
 */
public class TgNDArray extends NDArrayAdapter {
    private volatile Tensor tensor;
    private volatile Lane lane;
    /** DJL's type when it is not the tensor's own (int32, int8, uint8 stored as int64); else null. */
    private DataType logical;
    private final TgNDArrayEx ex = new TgNDArrayEx(this);
    // reverse mode: the accumulated gradient and its memory
    private volatile Tensor grad;
    private volatile Lane gradLane;

    /** Wraps {@code tensor}, attached to {@code manager}; {@code lane} (may be null) is the memory it owns one reference of. */
    TgNDArray(TgNDManager manager, Tensor tensor, Lane lane, DataType logical) {
        this(manager, tensor, lane, logical, true);
    }

    TgNDArray(TgNDManager manager, Tensor tensor, Lane lane, DataType logical, boolean attach) {
        super(manager, null, null, null, NDManager.nextUid());
        this.tensor = tensor;
        this.lane = lane;
        setLogical(logical, tensor);
        this.shape = new Shape(tensor.shape());
        this.dataType = this.logical != null ? this.logical : DataTypes.of(tensor.dtype());
        if (attach) {
            manager.attachInternal(uid, this);
            NDScope.register(this);
        }
    }

    /**
     * An array over {@code tensor} owned by the caller (no lane: the tensor's Tangent scope, or the
     * caller, frees it), attached to {@code manager}.
     */
    public static TgNDArray wrap(TgNDManager manager, Tensor tensor) {
        return new TgNDArray(manager, tensor, null, null);
    }

    /** Like {@link #wrap} but not attached to the manager (plan results, valid until the plan's next call). */
    public static TgNDArray borrow(TgNDManager manager, Tensor tensor) {
        return new TgNDArray(manager, tensor, null, null, false);
    }

    /**
     * An array owning {@code tensor} in DJL's way (freed when the array, or its manager, is closed):
     * {@code tensor} must have been made on this thread in a Tangent scope of this thread, and is
     * moved out of it.
     */
    public static TgNDArray own(TgNDManager manager, Tensor tensor) {
        return new TgNDArray(manager, tensor, Lane.adopt(tensor), null);
    }

    private void setLogical(DataType l, Tensor t) {
        this.logical = l != null && DataTypes.isNarrowInt(l) && t.dtype() == DType.INT64 ? l : null;
    }

    // ------------------------------------------------------------------ state

    /** The Tangent tensor (the same memory, no copy); throws once the array is closed. */
    public Tensor getTensor() {
        return t();
    }

    Tensor t() {
        Tensor x = tensor;
        if (x == null || isClosed) {
            throw new IllegalStateException("Native resource has been release already.");
        }
        return x;
    }

    Tensor tensorOrNull() {
        return tensor;
    }

    Lane lane() {
        return lane;
    }

    /** The manager results of this array's operations belong to. */
    TgNDManager resultManager() {
        return manager instanceof TgNDManager ? (TgNDManager) manager : TgNDManager.system();
    }

    /** The tensor of any array: this engine's without copying, another engine's copied (a constant). */
    static Tensor of(NDArray a) {
        if (a == null) {
            return null;
        }
        if (a instanceof TgNDArray) {
            return ((TgNDArray) a).t();
        }
        return DataTypes.fromBuffer(a.toByteBuffer(), a.getShape(), a.getDataType());
    }

    private TgNDArray un(Supplier<Tensor> op) {
        return Exec.run(resultManager(), keepLogical(), op, this);
    }

    private TgNDArray op(DataType logicalResult, Supplier<Tensor> op, NDArray... inputs) {
        return Exec.run(resultManager(), logicalResult, op, inputs);
    }

    private DataType keepLogical() {
        return logical;
    }

    private TgNDArray bin(NDArray other, java.util.function.BinaryOperator<Tensor> f) {
        return op(logical, () -> f.apply(t(), of(other)), this, other);
    }

    TgNDArray inPlace(NDArray result) {
        intern(result);
        return this;
    }

    @Override
    public DataType getDataType() {
        if (isClosed) {
            throw new IllegalStateException("Native resource has been release already.");
        }
        return dataType;
    }

    @Override
    public Shape getShape() {
        if (isClosed) {
            throw new IllegalStateException("Native resource has been release already.");
        }
        return shape;
    }

    @Override
    public Device getDevice() {
        return manager.getDevice();
    }

    @Override
    public SparseFormat getSparseFormat() {
        return SparseFormat.DENSE;
    }

    @Override
    public NDArrayEx getNDArrayInternal() {
        return ex;
    }

    @Override
    public boolean isReleased() {
        return isClosed;
    }

    @Override
    public void detach() {
        manager.detachInternal(getUid());
        manager = TgNDManager.system();
    }

    @Override
    public void attach(NDManager m) {
        detach();
        this.manager = m;
        m.attachInternal(getUid(), this);
    }

    @Override
    public void returnResource(NDManager m) {
        detach();
        this.manager = m;
        m.attachUncappedInternal(getUid(), this);
    }

    @Override
    public void close() {
        if (isClosed) {
            return;
        }
        manager.detachInternal(getUid());
        isClosed = true;
        tensor = null;
        Lane l = lane;
        lane = null;
        if (l != null) {
            l.release();
        }
        Lane g = gradLane;
        gradLane = null;
        grad = null;
        if (g != null) {
            g.release();
        }
        TgGradientCollector.forget(this);
    }

    @Override
    public void intern(NDArray replaced) {
        TgNDArray r = (TgNDArray) (replaced instanceof TgNDArray ? replaced : resultManager().from(replaced));
        Tensor old = t();
        Tensor nt = r.t();
        if (old.requiresGrad() && nt.isLeaf() && nt != old && nt.dtype().isFloatingPoint()) {
            nt.setRequiresGrad(true);
        }
        Lane nl = r.lane;
        // the replacement's reference to its memory moves to this array
        r.lane = null;
        r.close();
        Lane ol = lane;
        tensor = nt;
        lane = nl;
        setLogical(r.logical, nt);
        dataType = r.dataType;
        shape = new Shape(nt.shape());
        if (ol != null) {
            ol.release();
        }
        if (old.requiresGrad()) {
            TgGradientCollector.remember(this);
        }
    }

    // ------------------------------------------------------------------ conversions

    @Override
    public NDArray toDevice(Device device, boolean copy) {
        if (device.equals(getDevice())) {
            return copy ? duplicate() : this;
        }
        throw Fallback.unsupported("toDevice(" + device + ")", " (the Tangent engine's arrays live on the CPU)");
    }

    @Override
    public NDArray toType(DataType type, boolean copy) {
        if (type.equals(getDataType())) {
            return copy ? duplicate() : this;
        }
        DType st = DataTypes.storage(type);
        return op(type, () -> wrapNarrow(t().to(st), type), this);
    }

    private static Tensor wrapNarrow(Tensor t, DataType type) {
        // int8 / uint8 wrap around as their C types do
        if (type == DataType.UINT8 || type == DataType.INT8) {
            long[] v = t.toLongArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = type == DataType.UINT8 ? (v[i] & 0xff) : (byte) v[i];
            }
            return Tensor.of(v, t.shape());
        }
        if (type == DataType.INT32) {
            long[] v = t.toLongArray();
            boolean same = true;
            for (int i = 0; i < v.length; i++) {
                long w = (int) v[i];
                same &= w == v[i];
                v[i] = w;
            }
            return same ? t : Tensor.of(v, t.shape());
        }
        return t;
    }

    @Override
    public ByteBuffer toByteBuffer(boolean tryDirect) {
        return Exec.quiet(() -> DataTypes.toBuffer(t(), getDataType(), tryDirect));
    }

    @Override
    public ByteBuffer toByteBuffer() {
        return toByteBuffer(false);
    }

    // Typed readers copy straight out of the tensor: DJL's defaults read a direct view
    // (toByteBuffer(true)), which here holds the memory until collected.

    private IllegalStateException mismatch(String want) {
        return new IllegalStateException("DataType mismatch, Required " + want + " Actual " + getDataType());
    }

    @Override
    public float[] toFloatArray() {
        if (getDataType() != DataType.FLOAT32) {
            throw mismatch("float,");
        }
        return Exec.quiet(() -> {
            Tensor x = t();
            float[] v = new float[Math.toIntExact(x.numel())];
            x.copyTo(v, v.length);
            return v;
        });
    }

    @Override
    public double[] toDoubleArray() {
        if (getDataType() != DataType.FLOAT64) {
            throw mismatch("double");
        }
        return Exec.quiet(() -> t().toDoubleArray());
    }

    @Override
    public long[] toLongArray() {
        if (getDataType() != DataType.INT64) {
            throw mismatch("long");
        }
        return Exec.quiet(() -> t().toLongArray());
    }

    @Override
    public int[] toIntArray() {
        if (getDataType() != DataType.INT32) {
            throw mismatch("int");
        }
        long[] v = Exec.quiet(() -> t().toLongArray());
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (int) v[i];
        }
        return r;
    }

    @Override
    public boolean[] toBooleanArray() {
        if (getDataType() != DataType.BOOLEAN) {
            throw mismatch("boolean");
        }
        long[] v = Exec.quiet(() -> t().toLong().toLongArray());
        boolean[] r = new boolean[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[i] != 0;
        }
        return r;
    }

    @Override
    public byte[] toByteArray() {
        ByteBuffer b = toByteBuffer(false);
        byte[] r = new byte[b.remaining()];
        b.get(r);
        return r;
    }

    @Override
    public int[] toUint8Array() {
        byte[] b = toByteArray();
        int[] r = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[i] & 0xff;
        }
        return r;
    }

    @Override
    @Unimplemented
    public String[] toStringArray(Charset charset) {
        throw Fallback.unsupported("NDArray.toStringArray(Charset)", " (string arrays)");
    }

    @Override
    public void set(Buffer buffer) {
        Shape s = getShape();
        DataType d = getDataType();
        ai.djl.ndarray.BaseNDManager.validateBuffer(buffer, d, Math.toIntExact(s.size()));
        intern(op(d, () -> DataTypes.fromBuffer(buffer, s, d)));
    }

    @Override
    public NDArray duplicate() {
        NDArray r = op(logical, () -> t().clone(), this);
        r.setName(getName());
        return r;
    }

    // ------------------------------------------------------------------ gradients

    @Override
    public void setRequiresGradient(boolean requiresGrad) {
        Exec.quiet(() -> t().setRequiresGrad(requiresGrad));
        if (requiresGrad) {
            TgGradientCollector.remember(this);
        } else {
            TgGradientCollector.forget(this);
        }
    }

    @Override
    public NDArray getGradient() {
        if (!hasGradient()) {
            throw new IllegalStateException("No gradient attached to this NDArray, please call"
                    + " array.setRequiresGradient() on your NDArray or block.setInitializer() on your Block");
        }
        Tensor g = grad;
        if (g == null) {
            return resultManager().zeros(getShape(), getDataType());
        }
        Lane l = gradLane;
        return new TgNDArray(resultManager(), g, l == null ? null : l.retain(), null);
    }

    /** Replaces the accumulated gradient (the new one's memory moves to this array). */
    void setGradient(Tensor g, Lane l) {
        Lane old = gradLane;
        grad = g;
        gradLane = l;
        if (old != null) {
            old.release();
        }
    }

    Tensor gradOrNull() {
        return grad;
    }

    @Override
    public boolean hasGradient() {
        Tensor x = tensor;
        return x != null && x.requiresGrad();
    }

    @Override
    public NDArray stopGradient() {
        return op(logical, () -> t().detach(), this);
    }

    @Override
    public NDArray scaleGradient(double scale) {
        // y = x * s + stop(x) * (1 - s): the value of x, the gradient scaled by s
        return op(logical, () -> {
            Tensor x = t();
            return x.mul(scale).add(x.detach().mul(1 - scale));
        }, this);
    }

    // ------------------------------------------------------------------ indexing

    @Override
    public NDArray gather(NDArray index, int axis) {
        return op(logical, () -> t().gather(axis, of(index).toLong()), this, index);
    }

    @Override
    public NDArray gatherNd(NDArray index) {
        return op(logical, () -> {
            Tensor x = t();
            Tensor idx = of(index).toLong();
            long depth = idx.size(0);
            if (depth > x.dim()) {
                throw new IllegalArgumentException("Indexing rank " + depth + " exceeds the data rank " + x.dim());
            }
            Tensor[] parts = new Tensor[(int) depth];
            for (int i = 0; i < depth; i++) {
                parts[i] = idx.get(i);
            }
            return x.index(parts);
        }, this, index);
    }

    @Override
    public NDArray take(NDManager m, NDArray index) {
        TgNDManager target = m instanceof TgNDManager ? (TgNDManager) m : resultManager();
        return Exec.run(target, logical, () -> {
            Tensor x = t().reshape(-1);
            Tensor idx = of(index);
            long n = x.numel();
            long[] v = idx.toLongArray();
            for (int i = 0; i < v.length; i++) {
                if (v[i] < -n || v[i] >= n) {
                    throw new IndexOutOfBoundsException("take: index " + v[i] + " is out of bounds for an array of "
                            + n + " elements");
                }
                if (v[i] < 0) {
                    v[i] += n;
                }
            }
            return x.indexSelect(0, Tensor.of(v, v.length)).reshape(idx.shape());
        }, this, index);
    }

    @Override
    public NDArray put(NDArray index, NDArray value) {
        return op(logical, () -> {
            Tensor x = t();
            long[] pos = of(index).toLongArray();
            long n = x.numel();
            long[] from = new long[pos.length];
            for (int i = 0; i < pos.length; i++) {
                if (pos[i] < -n || pos[i] >= n) {
                    throw new IndexOutOfBoundsException("put: index " + pos[i] + " is out of bounds for " + n
                            + " elements");
                }
                pos[i] = pos[i] < 0 ? pos[i] + n : pos[i];
                from[i] = i;
            }
            return Compose.scatterFlat(x, pos, of(value), from);
        }, this, index, value);
    }

    @Override
    public NDArray scatter(NDArray index, NDArray value, int axis) {
        return op(logical, () -> {
            Tensor x = t();
            Tensor idx = of(index);
            Tensor src = of(value);
            int d = axis < 0 ? axis + x.dim() : axis;
            long[] is = idx.shape();
            long[] iv = idx.toLongArray();
            long[] xs = Compose.strides(x.shape());
            long[] ss = Compose.strides(src.shape());
            long[] ist = Compose.strides(is);
            long[] pos = new long[iv.length];
            long[] from = new long[iv.length];
            for (int k = 0; k < iv.length; k++) {
                long rem = k;
                long p = 0;
                long f = 0;
                for (int j = 0; j < is.length; j++) {
                    long c = rem / ist[j];
                    rem %= ist[j];
                    f += c * ss[j];
                    p += (j == d ? iv[k] : c) * xs[j];
                }
                pos[k] = p;
                from[k] = f;
            }
            return Compose.scatterFlat(x, pos, src, from);
        }, this, index, value);
    }

    @Override
    public NDArray booleanMask(NDArray index, int axis) {
        return op(logical, () -> {
            Tensor x = t();
            Tensor m = of(index);
            int a = axis < 0 ? axis + x.dim() : axis;
            long[] xs = x.shape();
            long[] ms = m.shape();
            if (a + ms.length > xs.length
                    || !Arrays.equals(ms, Arrays.copyOfRange(xs, a, a + ms.length))) {
                throw new IllegalArgumentException("booleanMask: mask shape " + Arrays.toString(ms)
                        + " does not match the data shape " + Arrays.toString(xs) + " from axis " + axis);
            }
            long[] mv = m.toLongArray();
            List<Long> keep = new ArrayList<>();
            for (int i = 0; i < mv.length; i++) {
                if (mv[i] != 0) {
                    keep.add((long) i);
                }
            }
            long[] flatShape = new long[xs.length - ms.length + 1];
            System.arraycopy(xs, 0, flatShape, 0, a);
            flatShape[a] = mv.length;
            System.arraycopy(xs, a + ms.length, flatShape, a + 1, xs.length - a - ms.length);
            long[] k = keep.stream().mapToLong(Long::longValue).toArray();
            return x.reshape(flatShape).indexSelect(a, Tensor.of(k, k.length));
        }, this, index);
    }

    @Override
    public NDArray sequenceMask(NDArray sequenceLength, float value) {
        return op(logical, () -> {
            Tensor x = t();
            if (x.dim() < 2) {
                throw new IllegalArgumentException("sequenceMask: the array must be at least 2-D [batch, time, ...], got "
                        + Arrays.toString(x.shape()));
            }
            Tensor len = of(sequenceLength).toDouble().reshape(-1, 1);
            Tensor steps = Tensor.arange(0, x.size(1), 1, DType.FLOAT64).reshape(1, -1);
            Tensor keep = steps.lt(len);
            long[] s = new long[x.dim()];
            Arrays.fill(s, 1);
            s[0] = x.size(0);
            s[1] = x.size(1);
            return Tensor.where(keep.reshape(s), x, value);
        }, this, sequenceLength);
    }

    @Override
    public NDArray sequenceMask(NDArray sequenceLength) {
        return sequenceMask(sequenceLength, 0);
    }

    // ------------------------------------------------------------------ comparisons

    @Override
    public boolean contentEquals(Number number) {
        return contentEquals(resultManager().create(number));
    }

    @Override
    public boolean contentEquals(NDArray other) {
        if (other == null || !getShape().equals(other.getShape()) || getDataType() != other.getDataType()) {
            return false;
        }
        return Exec.quiet(() -> {
            Tensor a = t();
            Tensor b = of(other);
            if (a.dtype().isFloatingPoint()) {
                return Arrays.equals(a.toDoubleArray(), b.toDoubleArray());
            }
            return Arrays.equals(a.toLongArray(), b.toLongArray());
        });
    }

    private TgNDArray cmp(NDArray other, java.util.function.BinaryOperator<Tensor> f) {
        return op(null, () -> f.apply(t(), of(other)), this, other);
    }

    private TgNDArray cmp(Number n, java.util.function.BiFunction<Tensor, Double, Tensor> f) {
        return op(null, () -> f.apply(t(), n.doubleValue()), this);
    }

    @Override public NDArray eq(Number n) { return cmp(n, Tensor::eq); }
    @Override public NDArray eq(NDArray other) { return cmp(other, Tensor::eq); }
    @Override public NDArray neq(Number n) { return cmp(n, Tensor::ne); }
    @Override public NDArray neq(NDArray other) { return cmp(other, Tensor::ne); }
    @Override public NDArray gt(Number n) { return cmp(n, Tensor::gt); }
    @Override public NDArray gt(NDArray other) { return cmp(other, Tensor::gt); }
    @Override public NDArray gte(Number n) { return cmp(n, Tensor::ge); }
    @Override public NDArray gte(NDArray other) { return cmp(other, Tensor::ge); }
    @Override public NDArray lt(Number n) { return cmp(n, Tensor::lt); }
    @Override public NDArray lt(NDArray other) { return cmp(other, Tensor::lt); }
    @Override public NDArray lte(Number n) { return cmp(n, Tensor::le); }
    @Override public NDArray lte(NDArray other) { return cmp(other, Tensor::le); }

    // ------------------------------------------------------------------ arithmetic

    /** A DJL Number as a 0-dim tensor of its own type (as DJL's managers create it). */
    private Tensor num(Number n) {
        Tensor x = t();
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            // a Python-float operand: keeps a floating array's type, makes an integer array float32
            return Tensor.scalar(d, x.dtype().isFloatingPoint() ? x.dtype() : DType.FLOAT32);
        }
        long v = n.longValue();
        return Tensor.scalar(v, x.dtype() == DType.BOOL ? DType.INT64 : x.dtype());
    }

    private TgNDArray arith(Number n, java.util.function.BinaryOperator<Tensor> f) {
        return op(logical, () -> f.apply(t(), num(n)), this);
    }

    @Override public NDArray add(Number n) { return arith(n, Tensor::add); }
    @Override public NDArray add(NDArray other) { return bin(other, Tensor::add); }
    @Override public NDArray sub(Number n) { return arith(n, Tensor::sub); }
    @Override public NDArray sub(NDArray other) { return bin(other, Tensor::sub); }
    @Override public NDArray mul(Number n) { return arith(n, Tensor::mul); }
    @Override public NDArray mul(NDArray other) { return bin(other, Tensor::mul); }
    @Override public NDArray div(Number n) { return op(null, () -> trueDiv(t(), num(n)), this); }
    @Override public NDArray div(NDArray other) { return op(null, () -> trueDiv(t(), of(other)), this, other); }
    @Override public NDArray mod(Number n) { return arith(n, Compose::mod); }
    @Override public NDArray mod(NDArray other) { return bin(other, Compose::mod); }
    @Override public NDArray pow(Number n) { return arith(n, TgNDArray::power); }
    @Override public NDArray pow(NDArray other) { return bin(other, TgNDArray::power); }

    /** PyTorch's true division: integers divide as float32. */
    private static Tensor trueDiv(Tensor a, Tensor b) {
        if (!a.dtype().isFloatingPoint() && !b.dtype().isFloatingPoint()) {
            return a.toFloat().div(b.toFloat());
        }
        return a.div(b);
    }

    private static Tensor power(Tensor a, Tensor b) {
        if (b.dim() == 0 && a.dtype().isFloatingPoint()) {
            return a.pow(b.item());
        }
        return a.pow(b);
    }

    @Override
    public NDArray xlogy(NDArray other) {
        if (isScalar() || other.isScalar()) {
            throw new IllegalArgumentException("scalar is not allowed for xlogy()");
        }
        return op(null, () -> {
            Tensor x = t();
            Tensor y = of(other);
            Tensor r = x.mul(y.log());
            return Tensor.where(x.eq(0.0), Tensor.zerosLike(r), r);
        }, this, other);
    }

    @Override public NDArray addi(Number n) { return inPlace(add(n)); }
    @Override public NDArray addi(NDArray other) { return inPlace(add(other)); }
    @Override public NDArray subi(Number n) { return inPlace(sub(n)); }
    @Override public NDArray subi(NDArray other) { return inPlace(sub(other)); }
    @Override public NDArray muli(Number n) { return inPlace(mul(n)); }
    @Override public NDArray muli(NDArray other) { return inPlace(mul(other)); }
    @Override public NDArray divi(Number n) { return inPlace(div(n)); }
    @Override public NDArray divi(NDArray other) { return inPlace(div(other)); }
    @Override public NDArray modi(Number n) { return inPlace(mod(n)); }
    @Override public NDArray modi(NDArray other) { return inPlace(mod(other)); }
    @Override public NDArray powi(Number n) { return inPlace(pow(n)); }
    @Override public NDArray powi(NDArray other) { return inPlace(pow(other)); }
    @Override public NDArray sign() { return un(() -> t().sign()); }
    @Override public NDArray signi() { return inPlace(sign()); }
    @Override public NDArray maximum(Number n) { return arith(n, Tensor::maximum); }
    @Override public NDArray maximum(NDArray other) { return bin(other, Tensor::maximum); }
    @Override public NDArray minimum(Number n) { return arith(n, Tensor::minimum); }
    @Override public NDArray minimum(NDArray other) { return bin(other, Tensor::minimum); }
    @Override public NDArray neg() { return un(() -> t().neg()); }
    @Override public NDArray negi() { return inPlace(neg()); }
    @Override public NDArray abs() { return un(() -> t().abs()); }
    @Override public NDArray square() { return un(() -> t().square()); }
    @Override public NDArray sqrt() { return un(() -> t().sqrt()); }
    @Override public NDArray cbrt() { return un(() -> { Tensor x = t(); return x.sign().mul(x.abs().pow(1.0 / 3)); }); }
    @Override public NDArray floor() { return un(() -> Compose.floor(t())); }
    @Override public NDArray ceil() { return un(() -> Compose.ceil(t())); }
    @Override public NDArray round() { return un(() -> Compose.round(t())); }
    @Override public NDArray trunc() { return un(() -> Compose.trunc(t())); }
    @Override public NDArray exp() { return un(() -> t().exp()); }
    @Override public NDArray log() { return un(() -> t().log()); }
    @Override public NDArray log10() { return un(() -> t().log().div(Math.log(10))); }
    @Override public NDArray log2() { return un(() -> t().log().div(Math.log(2))); }
    @Override public NDArray sin() { return un(() -> t().sin()); }
    @Override public NDArray cos() { return un(() -> t().cos()); }
    @Override public NDArray tan() { return un(() -> t().tan()); }
    @Override public NDArray asin() { return un(() -> t().asin()); }
    @Override public NDArray acos() { return un(() -> t().acos()); }
    @Override public NDArray atan() { return un(() -> t().atan()); }
    @Override public NDArray atan2(NDArray other) { return op(null, () -> Compose.atan2(t(), of(other)), this, other); }
    @Override public NDArray sinh() { return un(() -> t().sinh()); }
    @Override public NDArray cosh() { return un(() -> t().cosh()); }
    @Override public NDArray tanh() { return un(() -> t().tanh()); }
    @Override public NDArray asinh() { return un(() -> t().asinh()); }
    @Override public NDArray acosh() { return un(() -> t().acosh()); }
    @Override public NDArray atanh() { return un(() -> t().atanh()); }
    @Override public NDArray toDegrees() { return un(() -> t().mul(180.0 / Math.PI)); }
    @Override public NDArray toRadians() { return un(() -> t().mul(Math.PI / 180.0)); }
    @Override public NDArray erf() { return un(() -> t().erf()); }
    @Override public NDArray isNaN() { return op(null, () -> { Tensor x = t(); return x.ne(x); }, this); }
    @Override public NDArray isInfinite() { return op(null, () -> t().abs().eq(Double.POSITIVE_INFINITY), this); }

    @Override
    public NDArray clip(Number min, Number max) {
        return un(() -> t().clamp(min == null ? Double.NaN : min.doubleValue(), max == null ? Double.NaN : max.doubleValue()));
    }

    @Override
    @Unimplemented
    public NDArray gammaln() {
        return Fallback.call("NDArray.gammaln()", this, NDArray::gammaln);
    }

    @Override
    @Unimplemented
    public NDArray erfinv() {
        return Fallback.call("NDArray.erfinv()", this, NDArray::erfinv);
    }

    // ------------------------------------------------------------------ reductions

    private static int[] axes(int[] axes, int ndim) {
        int[] r = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            r[i] = axes[i] < 0 ? axes[i] + ndim : axes[i];
            if (r[i] < 0 || r[i] >= Math.max(ndim, 1)) {
                throw new IllegalArgumentException("axis " + axes[i] + " is out of bounds for array of dimension " + ndim);
            }
        }
        return r;
    }

    private Tensor floatForMean(Tensor x) {
        return x.dtype().isFloatingPoint() ? x : x.toFloat();
    }

    @Override
    public NDArray max() {
        return un(() -> nonEmpty("max", t()).amax());
    }

    @Override
    public NDArray max(int[] axes, boolean keepDims) {
        return un(() -> nonEmpty("max", t()).amax(axes(axes, t().dim()), keepDims));
    }

    @Override
    public NDArray min() {
        return un(() -> nonEmpty("min", t()).amin());
    }

    @Override
    public NDArray min(int[] axes, boolean keepDims) {
        return un(() -> nonEmpty("min", t()).amin(axes(axes, t().dim()), keepDims));
    }

    private static Tensor nonEmpty(String op, Tensor x) {
        if (x.numel() == 0) {
            throw new IllegalArgumentException(op + ": cannot reduce an empty array " + Arrays.toString(x.shape()));
        }
        return x;
    }

    private Tensor sumable(Tensor x) {
        return x.dtype() == DType.BOOL ? x.toLong() : x;
    }

    @Override public NDArray sum() { return op(null, () -> sumable(t()).sum(), this); }
    @Override public NDArray sum(int[] axes, boolean keepDims) { return op(null, () -> sumable(t()).sum(axes(axes, t().dim()), keepDims), this); }
    @Override public NDArray prod() { return op(null, () -> sumable(t()).prod(), this); }
    @Override public NDArray prod(int[] axes, boolean keepDims) { return op(null, () -> sumable(t()).prod(axes(axes, t().dim()), keepDims), this); }
    @Override public NDArray mean() { return op(null, () -> floatForMean(t()).mean(), this); }
    @Override public NDArray mean(int[] axes, boolean keepDims) { return op(null, () -> floatForMean(t()).mean(axes(axes, t().dim()), keepDims), this); }

    @Override
    public NDArray cumSum() {
        if (isScalar()) {
            return reshape(1);
        }
        if (isEmpty()) {
            return reshape(0);
        }
        return cumSum(0);
    }

    @Override
    public NDArray cumSum(int axis) {
        return op(null, () -> Compose.cumsum(t(), axis), this);
    }

    @Override
    @Unimplemented
    public NDArray cumProd(int axis) {
        return Fallback.call("NDArray.cumProd(int)", this, a -> a.cumProd(axis));
    }

    @Override
    @Unimplemented
    public NDArray cumProd(int axis, DataType dataType) {
        return Fallback.call("NDArray.cumProd(int, DataType)", this, a -> a.cumProd(axis, dataType));
    }

    @Override
    public NDArray normalize(double p, long dim, double eps) {
        return un(() -> {
            Tensor x = t();
            int d = (int) (dim < 0 ? dim + x.dim() : dim);
            Tensor n = p == 2 ? x.norm(new int[] {d}, true) : x.abs().pow(p).sum(d, true).pow(1 / p);
            return x.div(n.clampMin(eps));
        });
    }

    @Override
    public NDArray rotate90(int times, int[] axes) {
        if (axes.length != 2) {
            throw new IllegalArgumentException("Axes must be 2");
        }
        int k = ((times % 4) + 4) % 4;
        return un(() -> {
            Tensor x = t();
            int a0 = axes[0];
            int a1 = axes[1];
            switch (k) {
                case 1:
                    return Compose.flip(x, a1).transpose(a0, a1);
                case 2:
                    return Compose.flip(x, a0, a1);
                case 3:
                    return Compose.flip(x.transpose(a0, a1), a1);
                default:
                    return x.clone();
            }
        });
    }

    @Override
    public NDArray trace(int offset, int axis1, int axis2) {
        return un(() -> sumable(Compose.diagonal(t(), offset, axis1, axis2)).sum(-1));
    }

    @Override
    public NDList split(long sections, int axis) {
        long n = getShape().get(axis < 0 ? axis + getShape().dimension() : axis);
        if (sections <= 0 || n % sections != 0) {
            throw new IllegalArgumentException("array split does not result in an equal division: " + n + " into "
                    + sections + " sections");
        }
        long size = n / sections;
        long[] idx = new long[(int) sections - 1];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = (i + 1) * size;
        }
        return split(idx, axis);
    }

    @Override
    public NDList split(long[] indices, int axis) {
        if (indices.length == 0) {
            return new NDList(this);
        }
        return Exec.runList(resultManager(), () -> {
            Tensor x = t();
            int d = axis < 0 ? axis + x.dim() : axis;
            List<Tensor> parts = new ArrayList<>();
            long start = 0;
            for (int i = 0; i <= indices.length; i++) {
                long end = i < indices.length ? indices[i] : x.size(d);
                parts.add(x.slice(d, start, Math.max(start, end)));
                start = Math.max(start, end);
            }
            return parts;
        }, this);
    }

    // ------------------------------------------------------------------ shapes

    @Override
    public NDArray flatten() {
        return un(() -> t().reshape(-1));
    }

    @Override
    public NDArray flatten(int startDim, int endDim) {
        return un(() -> t().flatten(startDim, endDim));
    }

    @Override
    public NDArray reshape(Shape s) {
        return un(() -> t().reshape(s.getShape()));
    }

    @Override
    public NDArray expandDims(int axis) {
        return un(() -> t().unsqueeze(axis));
    }

    @Override
    public NDArray squeeze() {
        return un(() -> t().squeeze());
    }

    @Override
    public NDArray squeeze(int axis) {
        return squeeze(new int[] {axis});
    }

    @Override
    public NDArray squeeze(int[] axes) {
        return un(() -> {
            Tensor x = t();
            if (x.dim() == 0) {
                if (axes.length == 0 || (axes.length == 1 && axes[0] == 0)) {
                    return x.clone();
                }
                throw new IllegalArgumentException("axis " + axes[0] + " is out of bounds for array of dimension 0");
            }
            int[] a = axes(axes, x.dim());
            for (int d : a) {
                if (x.size(d) != 1) {
                    throw new IllegalArgumentException("Unable to squeeze axis with non-one size: axis " + d
                            + " of shape " + Arrays.toString(x.shape()));
                }
            }
            List<Long> keep = new ArrayList<>();
            for (int i = 0; i < x.dim(); i++) {
                final int ii = i;
                if (Arrays.stream(a).noneMatch(v -> v == ii)) {
                    keep.add(x.size(i));
                }
            }
            return x.reshape(keep.stream().mapToLong(Long::longValue).toArray());
        });
    }

    @Override
    public NDArray pad(Shape padding, double value) {
        return un(() -> Compose.pad(t(), padding.getShape(), value));
    }

    @Override
    public NDArray transpose() {
        return un(() -> {
            Tensor x = t();
            int[] p = new int[x.dim()];
            for (int i = 0; i < p.length; i++) {
                p[i] = p.length - 1 - i;
            }
            return x.permute(p);
        });
    }

    @Override
    public NDArray transpose(int... axes) {
        return un(() -> {
            Tensor x = t();
            if (axes.length != x.dim()) {
                throw new IllegalArgumentException("transpose: axes " + Arrays.toString(axes)
                        + " do not match an array of dimension " + x.dim());
            }
            return x.permute(axes);
        });
    }

    @Override
    public NDArray swapAxes(int axis1, int axis2) {
        return un(() -> t().transpose(axis1, axis2));
    }

    @Override
    public NDArray broadcast(Shape s) {
        return un(() -> t().expand(s.getShape()));
    }

    @Override
    public NDArray flip(int... axes) {
        return un(() -> Compose.flip(t(), axes));
    }

    @Override
    public NDArray tile(long repeats) {
        if (isEmpty()) {
            return duplicate();
        }
        int dim = isScalar() ? 1 : getShape().dimension();
        long[] r = new long[dim];
        Arrays.fill(r, repeats);
        return tile(r);
    }

    @Override
    public NDArray tile(int axis, long repeats) {
        long[] r = new long[getShape().dimension()];
        Arrays.fill(r, 1);
        r[axis < 0 ? axis + r.length : axis] = repeats;
        return tile(r);
    }

    @Override
    public NDArray tile(long[] repeats) {
        return un(() -> {
            Tensor x = t();
            int n = Math.max(repeats.length, x.dim());
            long[] xs = new long[n];
            Arrays.fill(xs, 1);
            System.arraycopy(x.shape(), 0, xs, n - x.dim(), x.dim());
            long[] rs = new long[n];
            Arrays.fill(rs, 1);
            System.arraycopy(repeats, 0, rs, n - repeats.length, repeats.length);
            // [a, b] tiled (r, s): view as [1, a, 1, b], expand to [r, a, s, b], merge
            long[] inter = new long[2 * n];
            long[] big = new long[2 * n];
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                inter[2 * i] = 1;
                inter[2 * i + 1] = xs[i];
                big[2 * i] = rs[i];
                big[2 * i + 1] = xs[i];
                out[i] = rs[i] * xs[i];
            }
            return x.reshape(inter).expand(big).reshape(out);
        });
    }

    @Override
    public NDArray tile(Shape desiredShape) {
        long[] want = desiredShape.getShape();
        long[] have = getShape().getShape();
        long[] r = new long[want.length];
        for (int i = 0; i < want.length; i++) {
            long h = i - (want.length - have.length) >= 0 ? have[i - (want.length - have.length)] : 1;
            if (want[i] % h != 0) {
                throw new IllegalArgumentException("The desired shape " + desiredShape + " is not a multiple of "
                        + getShape());
            }
            r[i] = want[i] / h;
        }
        return tile(r);
    }

    @Override
    public NDArray repeat(long repeats) {
        if (isEmpty()) {
            return duplicate();
        }
        int dim = isScalar() ? 1 : getShape().dimension();
        long[] r = new long[dim];
        Arrays.fill(r, repeats);
        return repeat(r);
    }

    @Override
    public NDArray repeat(int axis, long repeats) {
        long[] r = new long[getShape().dimension()];
        Arrays.fill(r, 1);
        r[axis < 0 ? axis + r.length : axis] = repeats;
        return repeat(r);
    }

    @Override
    public NDArray repeat(long[] repeats) {
        return un(() -> {
            Tensor x = t();
            if (x.dim() == 0) {
                x = x.reshape(1);
            }
            if (repeats.length > x.dim()) {
                throw new IllegalArgumentException("repeat: " + repeats.length + " repeats for an array of dimension "
                        + x.dim());
            }
            Tensor r = x;
            int off = x.dim() - repeats.length;
            for (int i = 0; i < repeats.length; i++) {
                int d = off + i;
                if (repeats[i] == 1) {
                    continue;
                }
                long n = r.size(d);
                long[] idx = new long[(int) (n * repeats[i])];
                for (int j = 0; j < idx.length; j++) {
                    idx[j] = j / repeats[i];
                }
                r = r.indexSelect(d, Tensor.of(idx, idx.length));
            }
            return r;
        });
    }

    @Override
    public NDArray repeat(Shape desiredShape) {
        long[] want = desiredShape.getShape();
        long[] have = getShape().getShape();
        long[] r = new long[want.length];
        for (int i = 0; i < want.length; i++) {
            long h = i - (want.length - have.length) >= 0 ? have[i - (want.length - have.length)] : 1;
            r[i] = want[i] / h;
        }
        return repeat(r);
    }

    // ------------------------------------------------------------------ logic, sorting, search

    private static Tensor truth(Tensor x) {
        return x.dtype() == DType.BOOL ? x : x.ne(0);
    }

    @Override public NDArray logicalAnd(NDArray other) { return op(null, () -> Compose.and(truth(t()), truth(of(other))), this, other); }
    @Override public NDArray logicalOr(NDArray other) { return op(null, () -> Compose.or(truth(t()), truth(of(other))), this, other); }
    @Override public NDArray logicalXor(NDArray other) { return op(null, () -> truth(t()).toLong().ne(truth(of(other)).toLong()), this, other); }
    @Override public NDArray logicalNot() { return op(null, () -> truth(t()).toLong().eq(0), this); }

    @Override
    public NDArray argSort(int axis, boolean ascending) {
        return op(null, () -> Compose.argsort(t(), axis, ascending), this);
    }

    @Override
    public NDArray sort() {
        return sort(-1);
    }

    @Override
    public NDArray sort(int axis) {
        return un(() -> {
            Tensor x = t();
            return x.gather(axis, Compose.argsort(x, axis, true));
        });
    }

    @Override
    public NDList topK(int k, int axis, boolean largest, boolean sorted) {
        return Exec.runList(resultManager(), () -> {
            Tensor x = t();
            int d = axis < 0 ? axis + x.dim() : axis;
            Tensor idx = Compose.argsort(x, d, !largest).slice(d, 0, k);
            return List.of(x.gather(d, idx), idx);
        }, this);
    }

    @Override
    public NDArray argMax() {
        return op(null, () -> Compose.argExtreme(t(), null, true), this);
    }

    @Override
    public NDArray argMax(int axis) {
        return op(null, () -> Compose.argExtreme(t(), axis, true), this);
    }

    @Override
    public NDArray argMin() {
        return op(null, () -> Compose.argExtreme(t(), null, false), this);
    }

    @Override
    public NDArray argMin(int axis) {
        return op(null, () -> Compose.argExtreme(t(), axis, false), this);
    }

    @Override
    public NDArray nonzero() {
        return op(null, () -> {
            Tensor x = t();
            long[] v = truth(x).toLong().reshape(-1).toLongArray();
            long[] st = Compose.strides(x.shape());
            List<long[]> rows = new ArrayList<>();
            for (int i = 0; i < v.length; i++) {
                if (v[i] != 0) {
                    long[] c = new long[x.dim()];
                    long rem = i;
                    for (int d = 0; d < c.length; d++) {
                        c[d] = rem / st[d];
                        rem %= st[d];
                    }
                    rows.add(c);
                }
            }
            long[] flat = new long[rows.size() * x.dim()];
            for (int i = 0; i < rows.size(); i++) {
                System.arraycopy(rows.get(i), 0, flat, i * x.dim(), x.dim());
            }
            return Tensor.of(flat, rows.size(), x.dim());
        }, this);
    }

    @Override
    public NDArray softmax(int axis) {
        return un(() -> t().softmax(axis));
    }

    @Override
    public NDArray logSoftmax(int axis) {
        return un(() -> t().logSoftmax(axis));
    }

    @Override
    public NDArray diagonal() {
        return diagonal(0, 0, 1);
    }

    @Override
    public NDArray diagonal(int offset) {
        return diagonal(offset, 0, 1);
    }

    @Override
    public NDArray diagonal(int offset, int axis1, int axis2) {
        return un(() -> Compose.diagonal(t(), offset, axis1, axis2));
    }

    @Override
    public NDArray diff(int n, int dim) {
        return un(() -> {
            Tensor x = t();
            for (int i = 0; i < n; i++) {
                long len = x.size(dim);
                x = x.slice(dim, 1, len).sub(x.slice(dim, 0, len - 1));
            }
            return x;
        });
    }

    // ------------------------------------------------------------------ linear algebra

    @Override
    public NDArray dot(NDArray other) {
        return bin(other, (a, b) -> {
            if (a.dim() == 0 || b.dim() == 0) {
                return a.mul(b);
            }
            return a.matmul(b);
        });
    }

    @Override
    public NDArray matMul(NDArray other) {
        if (isScalar() || other.isScalar()) {
            throw new IllegalArgumentException("scalar is not allowed for matMul()");
        }
        return bin(other, Tensor::matmul);
    }

    @Override
    public NDArray batchMatMul(NDArray other) {
        return bin(other, (a, b) -> {
            if (a.dim() != 3 || b.dim() != 3) {
                throw new IllegalArgumentException("batchMatMul: expected 3-D arrays, got " + Arrays.toString(a.shape())
                        + " and " + Arrays.toString(b.shape()));
            }
            return a.matmul(b);
        });
    }

    @Override
    public NDArray batchDot(NDArray other) {
        return bin(other, (a, b) -> {
            if (a.dim() < 3 || b.dim() < 3) {
                throw new IllegalArgumentException("batchDot: expected 3-D or more arrays, got "
                        + Arrays.toString(a.shape()) + " and " + Arrays.toString(b.shape()));
            }
            return a.matmul(b);
        });
    }

    @Override
    public NDArray norm(boolean keepDims) {
        return op(null, () -> {
            Tensor x = floatForMean(t());
            Tensor n = x.norm();
            if (!keepDims) {
                return n;
            }
            long[] s = new long[x.dim()];
            Arrays.fill(s, 1);
            return n.reshape(s);
        }, this);
    }

    @Override
    public NDArray norm(int ord, int[] axes, boolean keepDims) {
        if (axes.length != 1) {
            throw Fallback.unsupported("NDArray.norm(int, int[], boolean) over " + axes.length + " axes",
                    " (matrix norms)");
        }
        return op(null, () -> {
            Tensor x = floatForMean(t());
            int[] a = axes(axes, x.dim());
            switch (ord) {
                case 2:
                    return x.norm(a, keepDims);
                case 1:
                    return x.abs().sum(a, keepDims);
                case Integer.MAX_VALUE:
                    return x.abs().amax(a, keepDims);
                case Integer.MIN_VALUE:
                    return x.abs().amin(a, keepDims);
                case 0:
                    return x.ne(0.0).to(x.dtype()).sum(a, keepDims);
                default:
                    return x.abs().pow(ord).sum(a, keepDims).pow(1.0 / ord);
            }
        }, this);
    }

    @Override
    public NDArray oneHot(int depth, float onValue, float offValue, DataType type) {
        return op(type, () -> {
            Tensor idx = t().toLong().unsqueeze(-1);
            Tensor hit = idx.eq(Tensor.arange(depth));
            DType st = DataTypes.storage(type);
            return Tensor.where(hit, Tensor.full(onValue, st, hit.device()), Tensor.full(offValue, st, hit.device()));
        }, this);
    }

    @Override
    @Unimplemented
    public NDArray inverse() {
        return Fallback.call("NDArray.inverse()", this, NDArray::inverse);
    }

    // ------------------------------------------------------------------ not implemented (strict)

    @Override
    @Unimplemented
    public NDArray percentile(Number percentile) {
        return Fallback.call("NDArray.percentile(Number)", this, a -> a.percentile(percentile));
    }

    @Override
    @Unimplemented
    public NDArray percentile(Number percentile, int[] axes) {
        return Fallback.call("NDArray.percentile(Number, int[])", this, a -> a.percentile(percentile, axes));
    }

    @Override
    @Unimplemented
    public NDArray median() {
        return Fallback.call("NDArray.median()", this, NDArray::median);
    }

    @Override
    @Unimplemented
    public NDArray median(int[] axes) {
        return Fallback.call("NDArray.median(int[])", this, a -> a.median(axes));
    }

    @Override
    public NDArray toDense() {
        return this;
    }

    @Override
    @Unimplemented
    public NDArray toSparse(SparseFormat fmt) {
        throw Fallback.unsupported("NDArray.toSparse(SparseFormat)", " (sparse arrays)");
    }

    @Override
    @Unimplemented
    public NDList unique(Integer dim, boolean sorted, boolean returnInverse, boolean returnCounts) {
        return Fallback.call("NDArray.unique(Integer, boolean, boolean, boolean)", this,
                a -> a.unique(dim, sorted, returnInverse, returnCounts));
    }

    @Override
    @Unimplemented
    public NDArray fft(long length, long axis) {
        return Fallback.call("NDArray.fft(long, long)", this, a -> a.fft(length, axis));
    }

    @Override
    @Unimplemented
    public NDArray ifft(long length, long axis) {
        return Fallback.call("NDArray.ifft(long, long)", this, a -> a.ifft(length, axis));
    }

    @Override
    @Unimplemented
    public NDArray rfft(long length, long axis) {
        return Fallback.call("NDArray.rfft(long, long)", this, a -> a.rfft(length, axis));
    }

    @Override
    @Unimplemented
    public NDArray irfft(long length, long axis) {
        return Fallback.call("NDArray.irfft(long, long)", this, a -> a.irfft(length, axis));
    }

    @Override
    @Unimplemented
    public NDArray stft(long nFft, long hopLength, boolean center, NDArray window, boolean normalize,
            boolean returnComplex) {
        return Fallback.call("NDArray.stft(long, long, boolean, NDArray, boolean, boolean)", this,
                a -> a.stft(nFft, hopLength, center, Fallback.to(a, window), normalize, returnComplex));
    }

    @Override
    @Unimplemented
    public NDArray fft2(long[] sizes, long[] axes) {
        return Fallback.call("NDArray.fft2(long[], long[])", this, a -> a.fft2(sizes, axes));
    }

    @Override
    @Unimplemented
    public NDArray ifft2(long[] sizes, long[] axes) {
        return Fallback.call("NDArray.ifft2(long[], long[])", this, a -> a.ifft2(sizes, axes));
    }

    @Override
    @Unimplemented
    public NDArray complex() {
        throw Fallback.unsupported("NDArray.complex()", " (complex arrays)");
    }

    @Override
    @Unimplemented
    public NDArray real() {
        throw Fallback.unsupported("NDArray.real()", " (complex arrays)");
    }

    @Override
    @Unimplemented
    public NDArray conj() {
        throw Fallback.unsupported("NDArray.conj()", " (complex arrays)");
    }

    // ------------------------------------------------------------------ indexing through Tangent's indexer
    // (NDArrayAdapter would copy the array to an alternative engine for these)

    @Override
    public NDArray get(ai.djl.ndarray.index.NDIndex index) {
        return get(manager, index);
    }

    @Override
    public void set(ai.djl.ndarray.index.NDIndex index, NDArray value) {
        ex.getIndexer(manager).set(this, index, value);
    }

    @Override
    public void set(ai.djl.ndarray.index.NDIndex index, Number value) {
        ex.getIndexer(manager).set(this, index, value);
    }

    @Override
    public void set(ai.djl.ndarray.index.NDIndex index, java.util.function.Function<NDArray, NDArray> function) {
        set(index, function.apply(get(index)));
    }

    @Override
    public void set(NDArray index, Number value) {
        set(new ai.djl.ndarray.index.NDIndex("{}", index), value);
    }

    @Override
    public void setScalar(ai.djl.ndarray.index.NDIndex index, Number value) {
        ex.getIndexer(manager).setScalar(this, index, value);
    }

    // ------------------------------------------------------------------ bookkeeping (DJL's, kept here)

    @Override
    public NDManager getManager() {
        return manager;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public void setName(String name) {
        this.name = name;
    }

    @Override
    public String getUid() {
        return uid;
    }

    @Override
    public void tempAttach(NDManager m) {
        NDManager original = this.manager;
        detach();
        this.manager = m;
        m.tempAttachInternal(original, getUid(), this);
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof NDArray && contentEquals((NDArray) obj);
    }

    @Override
    public int hashCode() {
        return 0;
    }

    @Override
    public String toString() {
        if (isClosed) {
            return "This array is already closed";
        }
        return toDebugString();
    }
}
