package dev.tangent.djl.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.PairList;
import ai.djl.util.RandomUtils;
import dev.tangent.DType;
import dev.tangent.Tensor;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The Tangent engine's {@link NDManager}, on DJL's {@link BaseNDManager} (a tree of managers; closing
 * one closes its arrays and sub-managers at once).
 *
 * <p><b>Memory.</b> Each array owns its result's memory through a {@link Lane}: a Tangent scope
 * opened on the thread that computed it, closed when the array (and every view of it) is closed —
 * by {@code array.close()}, an {@code NDScope}, or its manager's {@code close()}. DJL managers may be
 * used and closed from any thread but a Tangent scope only closes on its own thread, so memory made
 * on another thread than the closing one is returned when that thread next calls the engine (its
 * arrays are unusable at once). Intermediates of an operation are freed when it returns, except
 * while a gradient collector records (they live until it closes). Nothing is left to the garbage
 * collector.
 *
 * <p>Arrays are CPU-only; data types as {@link DataTypes}.
 */
public class TgNDManager extends BaseNDManager {
    private static final TgNDManager SYSTEM = new SystemManager();

    TgNDManager(NDManager parent, Device device) {
        super(parent, device);
        if (this.device.isGpu()) {
            throw new IllegalArgumentException("Tangent engine: only the CPU device is supported, got " + this.device);
        }
    }

    /** The root manager (never closed), parent of every base manager. */
    public static TgNDManager system() {
        return SYSTEM;
    }

    @Override
    public final Engine getEngine() {
        return TangentEngine.instance();
    }

    @Override
    public ByteBuffer allocateDirect(int capacity) {
        return ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
    }

    @Override
    public TgNDManager newSubManager() {
        return newSubManager(device);
    }

    @Override
    public TgNDManager newSubManager(Device dev) {
        TgNDManager m = new TgNDManager(this, dev);
        attachUncappedInternal(m.uid, m);
        return m;
    }

    @Override
    public NDArray from(NDArray array) {
        if (array == null || array instanceof TgNDArray) {
            return array;
        }
        NDArray r = create(array.toByteBuffer(), array.getShape(), array.getDataType());
        r.setName(array.getName());
        return r;
    }

    private TgNDArray make(DataType type, java.util.function.Supplier<Tensor> op) {
        return Exec.run(this, type, op);
    }

    // ------------------------------------------------------------------ creation

    @Override
    public NDArray create(Buffer data, Shape shape, DataType dataType) {
        BaseNDManager.validateBuffer(data, dataType, Math.toIntExact(shape.size()));
        return make(dataType, () -> DataTypes.fromBuffer(data, shape, dataType));
    }

    @Override
    public NDArray create(Shape shape, DataType dataType) {
        return zeros(shape, dataType);
    }

    @Override
    public NDArray zeros(Shape shape, DataType dataType) {
        return full(shape, 0, dataType);
    }

    @Override
    public NDArray ones(Shape shape, DataType dataType) {
        return full(shape, 1, dataType);
    }

    @Override
    public NDArray full(Shape shape, float value, DataType dataType) {
        DType st = DataTypes.storage(dataType);
        return make(dataType, () -> Tensor.full(value, st, dev.tangent.Device.cpu(), shape.getShape()));
    }

    @Override
    public NDArray arange(int start, int stop, int step, DataType dataType) {
        return arange((float) start, (float) stop, (float) step, dataType);
    }

    @Override
    public NDArray arange(float start, float stop, float step, DataType dataType) {
        if (Math.signum(stop - start) != Math.signum(step)) {
            return create(new Shape(0), dataType);
        }
        DType st = DataTypes.storage(dataType);
        return make(dataType, () -> Tensor.arange(start, stop, step, st));
    }

    @Override
    public NDArray eye(int rows, int cols, int k, DataType dataType) {
        DType st = DataTypes.storage(dataType);
        return make(dataType, () -> {
            Tensor i = Tensor.arange(rows).reshape(rows, 1).add(Tensor.scalar(k, DType.INT64));
            Tensor hit = i.eq(Tensor.arange(cols).reshape(1, cols));
            return Tensor.where(hit, Tensor.scalar(1, st), Tensor.scalar(0, st));
        });
    }

    @Override
    public NDArray linspace(float start, float stop, int num, boolean endpoint) {
        if (num < 0) {
            throw new IllegalArgumentException("linspace: num must be non-negative, got " + num);
        }
        return make(DataType.FLOAT32, () -> {
            double[] v = new double[num];
            double div = endpoint ? num - 1 : num;
            double step = div > 0 ? (stop - start) / div : 0;
            for (int i = 0; i < num; i++) {
                v[i] = start + i * step;
            }
            if (endpoint && num > 1) {
                v[num - 1] = stop;
            }
            return Tensor.of(v, DType.FLOAT32, num);
        });
    }

    // ------------------------------------------------------------------ random (seeded by DJL's RandomUtils)

    private static long nextSeed() {
        return RandomUtils.RANDOM.nextLong();
    }

    @Override
    public NDArray randomInteger(long low, long high, Shape shape, DataType dataType) {
        if (high <= low) {
            throw new IllegalArgumentException("randomInteger: high (" + high + ") must be greater than low (" + low + ")");
        }
        long seed = nextSeed();
        return make(dataType, () -> {
            SplittableRandom r = new SplittableRandom(seed);
            long[] v = new long[Math.toIntExact(shape.size())];
            for (int i = 0; i < v.length; i++) {
                v[i] = r.nextLong(low, high);
            }
            return Tensor.of(v, shape.getShape()).to(DataTypes.storage(dataType));
        });
    }

    @Override
    public NDArray randomPermutation(long n) {
        long seed = nextSeed();
        return make(DataType.INT64, () -> {
            SplittableRandom r = new SplittableRandom(seed);
            long[] v = new long[Math.toIntExact(n)];
            for (int i = 0; i < v.length; i++) {
                v[i] = i;
            }
            for (int i = v.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                long t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
            return Tensor.of(v, n);
        });
    }

    @Override
    public NDArray randomUniform(float low, float high, Shape shape, DataType dataType) {
        DType st = floating("randomUniform", dataType);
        long seed = nextSeed();
        return make(dataType, () -> Tensor.random(seed, false, st, shape.getShape()).mul((double) high - low).add(low));
    }

    @Override
    public NDArray randomNormal(float loc, float scale, Shape shape, DataType dataType) {
        DType st = floating("randomNormal", dataType);
        long seed = nextSeed();
        return make(dataType, () -> Tensor.random(seed, true, st, shape.getShape()).mul(scale).add(loc));
    }

    @Override
    public NDArray truncatedNormal(float loc, float scale, Shape shape, DataType dataType) {
        DType st = floating("truncatedNormal", dataType);
        long seed = nextSeed();
        return make(dataType, () -> {
            // standard normal samples, redrawn outside [-2, 2] (DJL's definition), then scaled
            SplittableRandom r = new SplittableRandom(seed);
            double[] v = new double[Math.toIntExact(shape.size())];
            for (int i = 0; i < v.length; i++) {
                double s;
                do {
                    double u1 = 1.0 - r.nextDouble();
                    double u2 = r.nextDouble();
                    s = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
                } while (s < -2 || s > 2);
                v[i] = loc + scale * s;
            }
            return Tensor.of(v, st, shape.getShape());
        });
    }

    private static DType floating(String op, DataType t) {
        DType st = DataTypes.storage(t);
        if (!st.isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expects a floating data type, got " + t);
        }
        return st;
    }

    // ------------------------------------------------------------------ not implemented (strict)

    @Override
    @Unimplemented
    public NDArray randomMultinomial(int n, NDArray pValues) {
        return Fallback.callManager("NDManager.randomMultinomial(int, NDArray)", this,
                m -> m.randomMultinomial(n, m.from(pValues)));
    }

    @Override
    @Unimplemented
    public NDArray randomMultinomial(int n, NDArray pValues, Shape shape) {
        return Fallback.callManager("NDManager.randomMultinomial(int, NDArray, Shape)", this,
                m -> m.randomMultinomial(n, m.from(pValues), shape));
    }

    @Override
    @Unimplemented
    public NDArray sampleNormal(NDArray mu, NDArray sigma) {
        return Fallback.callManager("NDManager.sampleNormal(NDArray, NDArray)", this,
                m -> m.sampleNormal(m.from(mu), m.from(sigma)));
    }

    @Override
    @Unimplemented
    public NDArray sampleNormal(NDArray mu, NDArray sigma, Shape shape) {
        return Fallback.callManager("NDManager.sampleNormal(NDArray, NDArray, Shape)", this,
                m -> m.sampleNormal(m.from(mu), m.from(sigma), shape));
    }

    @Override
    @Unimplemented
    public NDArray samplePoisson(NDArray lam) {
        return Fallback.callManager("NDManager.samplePoisson(NDArray)", this, m -> m.samplePoisson(m.from(lam)));
    }

    @Override
    @Unimplemented
    public NDArray samplePoisson(NDArray lam, Shape shape) {
        return Fallback.callManager("NDManager.samplePoisson(NDArray, Shape)", this,
                m -> m.samplePoisson(m.from(lam), shape));
    }

    @Override
    @Unimplemented
    public NDArray sampleGamma(NDArray alpha, NDArray beta) {
        return Fallback.callManager("NDManager.sampleGamma(NDArray, NDArray)", this,
                m -> m.sampleGamma(m.from(alpha), m.from(beta)));
    }

    @Override
    @Unimplemented
    public NDArray sampleGamma(NDArray alpha, NDArray beta, Shape shape) {
        return Fallback.callManager("NDManager.sampleGamma(NDArray, NDArray, Shape)", this,
                m -> m.sampleGamma(m.from(alpha), m.from(beta), shape));
    }

    @Override
    @Unimplemented
    public NDArray create(String[] data, Charset charset, Shape shape) {
        throw Fallback.unsupported("NDManager.create(String[], Charset, Shape)", " (string arrays)");
    }

    @Override
    @Unimplemented
    public NDArray createCSR(Buffer data, long[] indptr, long[] indices, Shape shape) {
        throw Fallback.unsupported("NDManager.createCSR(Buffer, long[], long[], Shape)", " (sparse arrays)");
    }

    @Override
    @Unimplemented
    public NDArray createRowSparse(Buffer data, Shape dataShape, long[] indices, Shape shape) {
        throw Fallback.unsupported("NDManager.createRowSparse(Buffer, Shape, long[], Shape)", " (sparse arrays)");
    }

    @Override
    @Unimplemented
    public NDArray createCoo(Buffer data, long[][] indices, Shape shape) {
        throw Fallback.unsupported("NDManager.createCoo(Buffer, long[][], Shape)", " (sparse arrays)");
    }

    @Override
    @Unimplemented
    public NDList load(Path path) {
        throw Fallback.unsupported("NDManager.load(Path)", "");
    }

    @Override
    @Unimplemented
    public void invoke(String operation, NDArray[] src, NDArray[] dest, PairList<String, ?> params) {
        throw Fallback.unsupported("NDManager.invoke(String, NDArray[], NDArray[], PairList)", " (engine-specific operators)");
    }

    @Override
    @Unimplemented
    public NDList invoke(String operation, NDList src, PairList<String, ?> params) {
        throw Fallback.unsupported("NDManager.invoke(String, NDList, PairList)", " (engine-specific operators)");
    }

    @Override
    public void close() {
        Home.current().drain();
        super.close();
    }

    /** The root manager: never closed, parent of every base manager. */
    private static final class SystemManager extends TgNDManager implements NDManager.SystemNDManager {
        SystemManager() {
            super(null, Device.cpu());
        }

        @Override
        public void attachInternal(String resourceId, AutoCloseable... resources) {}

        @Override
        public void attachUncappedInternal(String resourceId, AutoCloseable resource) {}

        @Override
        public void detachInternal(String resourceId) {}

        @Override
        public void close() {}
    }
}
