package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Helpers for the NDArray contract tests, which run the same assertions on both engines. */
abstract class ContractBase {
    static NDManager manager(String engine) {
        return NDManager.newBaseManager(engine);
    }

    static void assertValues(NDArray a, Shape shape, DataType type, double... expected) {
        assertEquals(shape, a.getShape(), "shape");
        assertEquals(type, a.getDataType(), "data type");
        double[] got = a.toType(DataType.FLOAT64, false).toDoubleArray();
        assertArrayEquals(expected, got, 1e-6 * (1 + max(expected)), "values");
    }

    static void assertClose(NDArray a, double tol, double... expected) {
        double[] got = a.toType(DataType.FLOAT64, false).toDoubleArray();
        assertArrayEquals(expected, got, tol, "values");
    }

    static void assertBools(NDArray a, Shape shape, boolean... expected) {
        assertEquals(shape, a.getShape(), "shape");
        assertEquals(DataType.BOOLEAN, a.getDataType(), "data type");
        assertArrayEquals(expected, a.toBooleanArray());
    }

    static double max(double[] v) {
        double m = 0;
        for (double x : v) {
            if (Double.isFinite(x)) {
                m = Math.max(m, Math.abs(x));
            }
        }
        return m;
    }

    static NDArray f32(NDManager m, float[] v, long... shape) {
        return m.create(v, new Shape(shape));
    }

    static double[] range(int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }
}
