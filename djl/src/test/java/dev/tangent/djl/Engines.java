package dev.tangent.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tangent.djl.engine.TangentEngine;
import java.util.Random;

/** The two engines the tests compare: Tangent, and DJL's PyTorch engine as the reference. */
final class Engines {
    static final String TANGENT = TangentEngine.ENGINE_NAME;
    static final String PYTORCH = "PyTorch";

    private Engines() {}

    static Engine tangent() {
        return Engine.getEngine(TANGENT);
    }

    static Engine pytorch() {
        return Engine.getEngine(PYTORCH);
    }

    /** float32 N(0,1)*scale values of this shape, reproducible from seed, in {@code m}. */
    static NDArray gaussian(NDManager m, long seed, float scale, long... shape) {
        Random r = new Random(seed);
        float[] v = new float[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian() * scale;
        }
        return m.create(v, new Shape(shape));
    }

    /** float64 N(0,1)*scale values. */
    static NDArray gaussian64(NDManager m, long seed, double scale, long... shape) {
        Random r = new Random(seed);
        double[] v = new double[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian() * scale;
        }
        return m.create(v, new Shape(shape));
    }

    /** max |a - b| / max(max |b|, tiny). */
    static double relErr(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("sizes differ: " + a.length + " vs " + b.length);
        }
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs((double) a[i] - b[i]));
            scale = Math.max(scale, Math.abs((double) b[i]));
        }
        return diff / Math.max(scale, 1e-30);
    }

    static double relErr(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new AssertionError("sizes differ: " + a.length + " vs " + b.length);
        }
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return diff / Math.max(scale, 1e-300);
    }

    static double relErr(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            throw new AssertionError("shapes differ: " + a.getShape() + " vs " + b.getShape());
        }
        return relErr(a.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray(),
                b.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray());
    }
}
