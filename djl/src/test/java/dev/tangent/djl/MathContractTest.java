package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Element-wise math, comparisons and reductions: values, broadcasting, type promotion, errors. */
class MathContractTest extends ContractBase {

    @BothEngines
    void arithmeticBroadcastsAndPromotes(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray row = m.create(new float[] {10, 20, 30});
            NDArray col = m.create(new float[] {100, 200}, new Shape(2, 1));
            assertValues(a.add(row), new Shape(2, 3), DataType.FLOAT32, 11, 22, 33, 14, 25, 36);
            assertValues(a.sub(col), new Shape(2, 3), DataType.FLOAT32, -99, -98, -97, -196, -195, -194);
            assertValues(a.mul(2), new Shape(2, 3), DataType.FLOAT32, 2, 4, 6, 8, 10, 12);
            assertValues(a.div(row), new Shape(2, 3), DataType.FLOAT32, .1, .1, .1, .4, .25, .2);
            assertValues(a.pow(2), new Shape(2, 3), DataType.FLOAT32, 1, 4, 9, 16, 25, 36);
            assertValues(a.pow(row.div(10)), new Shape(2, 3), DataType.FLOAT32, 1, 4, 27, 4, 25, 216);
            assertValues(NDArrays.sub(1, a.get(0)), new Shape(3), DataType.FLOAT32, 0, -1, -2);
            assertValues(a.getNDArrayInternal().rdiv(6), new Shape(2, 3), DataType.FLOAT32, 6, 3, 2, 1.5, 1.2, 1);
            assertValues(a.neg(), new Shape(2, 3), DataType.FLOAT32, -1, -2, -3, -4, -5, -6);
            NDArray i = m.create(new int[] {7, -7, 4});
            assertValues(i.add(1), new Shape(3), DataType.INT32, 8, -6, 5);
            assertValues(i.mul(2), new Shape(3), DataType.INT32, 14, -14, 8);
            assertValues(i.add(0.5f), new Shape(3), DataType.FLOAT32, 7.5, -6.5, 4.5);
            assertValues(i.div(2), new Shape(3), DataType.FLOAT32, 3.5, -3.5, 2);
            assertValues(i.mod(3), new Shape(3), DataType.INT32, 1, 2, 1);
            assertValues(m.create(new float[] {7.5f, -7.5f}).mod(2), new Shape(2), DataType.FLOAT32, 1.5, 0.5);
            assertValues(a.maximum(3.5f), new Shape(2, 3), DataType.FLOAT32, 3.5, 3.5, 3.5, 4, 5, 6);
            assertValues(a.minimum(row.div(5)), new Shape(2, 3), DataType.FLOAT32, 1, 2, 3, 2, 4, 6);
            assertThrows(RuntimeException.class, () -> a.add(m.ones(new Shape(4))), "shapes (2,3) and (4) do not broadcast");
        }
    }

    @BothEngines
    void inPlaceOperationsReturnTheSameArray(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = m.create(new float[] {1, 2, 3});
            assertSame(a, a.addi(1));
            assertSame(a, a.muli(m.create(new float[] {2, 3, 4})));
            assertSame(a, a.subi(1).divi(2));
            assertValues(a, new Shape(3), DataType.FLOAT32, 1.5, 4, 7.5);
            assertSame(a, a.negi());
            assertValues(a, new Shape(3), DataType.FLOAT32, -1.5, -4, -7.5);
            assertValues(a.powi(2), new Shape(3), DataType.FLOAT32, 2.25, 16, 56.25);
        }
    }

    @BothEngines
    void unaryFunctionsMatchJavaMath(String engine) {
        double[] x = {-2.5, -1, -0.5, 0, 0.25, 0.5, 1.5, 2.5};
        try (NDManager m = manager(engine)) {
            NDArray a = m.create(x);
            check(a.abs(), x, Math::abs);
            check(a.square(), x, v -> v * v);
            check(a.exp(), x, Math::exp);
            check(a.sin(), x, Math::sin);
            check(a.cos(), x, Math::cos);
            check(a.tan(), x, Math::tan);
            check(a.tanh(), x, Math::tanh);
            check(a.sinh(), x, Math::sinh);
            check(a.cosh(), x, Math::cosh);
            check(a.atan(), x, Math::atan);
            check(a.sign(), x, Math::signum);
            check(a.floor(), x, Math::floor);
            check(a.ceil(), x, Math::ceil);
            check(a.trunc(), x, v -> v < 0 ? Math.ceil(v) : Math.floor(v));
            check(a.round(), x, Math::rint);
            check(a.toDegrees(), x, Math::toDegrees);
            check(a.toRadians(), x, Math::toRadians);
            check(a.clip(-1, 1), x, v -> Math.max(-1, Math.min(1, v)));
            double[] p = {0.25, 0.5, 1, 2, 10};
            NDArray b = m.create(p);
            check(b.log(), p, Math::log);
            check(b.log10(), p, Math::log10);
            check(b.log2(), p, v -> Math.log(v) / Math.log(2));
            check(b.sqrt(), p, Math::sqrt);
            check(b.cbrt(), p, Math::cbrt);
            double[] u = {-0.9, -0.5, 0, 0.5, 0.9};
            NDArray c = m.create(u);
            check(c.asin(), u, Math::asin);
            check(c.acos(), u, Math::acos);
            NDArray y = m.create(new double[] {1, -1, 1, -1, 0, 2});
            NDArray xx = m.create(new double[] {1, 1, -1, -1, 1, 0});
            check(y.atan2(xx), new double[] {0, 1, 2, 3, 4, 5}, k -> Math.atan2(new double[] {1, -1, 1, -1, 0, 2}[(int) k],
                    new double[] {1, 1, -1, -1, 1, 0}[(int) k]));
            NDArray special = m.create(new float[] {Float.NaN, Float.POSITIVE_INFINITY, 1});
            assertBools(special.isNaN(), new Shape(3), true, false, false);
            assertBools(special.isInfinite(), new Shape(3), false, true, false);
        }
    }

    private static void check(NDArray got, double[] x, java.util.function.DoubleUnaryOperator f) {
        double[] want = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            want[i] = f.applyAsDouble(x[i]);
        }
        assertClose(got, 1e-9, want);
    }

    @BothEngines
    void comparisonsGiveBooleanArrays(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
            NDArray b = m.create(new float[] {2, 2});
            assertBools(a.eq(b), new Shape(2, 2), false, true, false, false);
            assertBools(a.neq(2), new Shape(2, 2), true, false, true, true);
            assertBools(a.gt(b), new Shape(2, 2), false, false, true, true);
            assertBools(a.gte(3), new Shape(2, 2), false, false, true, true);
            assertBools(a.lt(b), new Shape(2, 2), true, false, false, false);
            assertBools(a.lte(2), new Shape(2, 2), true, true, false, false);
            NDArray t = m.create(new boolean[] {true, true, false, false});
            NDArray f = m.create(new boolean[] {true, false, true, false});
            assertBools(t.logicalAnd(f), new Shape(4), true, false, false, false);
            assertBools(t.logicalOr(f), new Shape(4), true, true, true, false);
            assertBools(t.logicalXor(f), new Shape(4), false, true, true, false);
            assertBools(t.logicalNot(), new Shape(4), false, false, true, true);
            assertTrue(a.contentEquals(a.duplicate()));
            assertFalse(a.contentEquals(b));
            assertFalse(a.contentEquals(a.toType(DataType.FLOAT64, false)), "different data types are not equal");
            assertTrue(m.create(5f).contentEquals(5f));
            assertFalse(m.create(new float[] {5, 5}).contentEquals(5f), "a Number compares as a 0-dim array");
            assertTrue(a.allClose(a.add(1e-7f)));
            assertFalse(a.allClose(a.add(1e-2f)));
            assertValues(NDArrays.where(a.gt(2), a, a.neg()), new Shape(2, 2), DataType.FLOAT32, -1, -2, 3, 4);
        }
    }

    @BothEngines
    void reductionsOverAllAndOneAxis(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = m.create(new float[] {1, 5, 3, 4, 2, 6}, new Shape(2, 3));
            assertValues(a.sum(), new Shape(), DataType.FLOAT32, 21);
            assertValues(a.sum(new int[] {0}), new Shape(3), DataType.FLOAT32, 5, 7, 9);
            assertValues(a.sum(new int[] {1}, true), new Shape(2, 1), DataType.FLOAT32, 9, 12);
            assertValues(a.sum(new int[] {0, 1}), new Shape(), DataType.FLOAT32, 21);
            assertValues(a.mean(), new Shape(), DataType.FLOAT32, 3.5);
            assertValues(a.mean(new int[] {-1}), new Shape(2), DataType.FLOAT32, 3, 4);
            assertValues(a.max(), new Shape(), DataType.FLOAT32, 6);
            assertValues(a.max(new int[] {1}), new Shape(2), DataType.FLOAT32, 5, 6);
            assertValues(a.min(new int[] {0}, true), new Shape(1, 3), DataType.FLOAT32, 1, 2, 3);
            assertValues(a.prod(), new Shape(), DataType.FLOAT32, 720);
            assertValues(a.prod(new int[] {1}), new Shape(2), DataType.FLOAT32, 15, 48);
            assertValues(a.argMax(), new Shape(), DataType.INT64, 5);
            assertValues(a.argMax(1), new Shape(2), DataType.INT64, 1, 2);
            assertValues(a.argMin(0), new Shape(3), DataType.INT64, 0, 1, 0);
            assertValues(a.cumSum(1), new Shape(2, 3), DataType.FLOAT32, 1, 6, 9, 4, 6, 12);
            assertValues(a.cumSum(), new Shape(2, 3), DataType.FLOAT32, 1, 5, 3, 5, 7, 9);
            assertValues(m.create(new float[] {3, 4}).norm(), new Shape(), DataType.FLOAT32, 5);
            assertValues(a.norm(new int[] {1}), new Shape(2), DataType.FLOAT32, Math.sqrt(35), Math.sqrt(56));
            assertValues(m.create(new int[] {1, 2, 3}).sum(), new Shape(), DataType.INT64, 6);
            assertValues(m.create(new boolean[] {true, false, true}).sum(), new Shape(), DataType.INT64, 2);
            assertThrows(RuntimeException.class, () -> a.sum(new int[] {2}), "axis out of range");
        }
    }

    @BothEngines
    void softmaxFamily(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = m.create(new double[] {1, 2, 3, 1, 1, 1}, new Shape(2, 3));
            double e = Math.exp(1) + Math.exp(2) + Math.exp(3);
            assertValues(a.softmax(1), new Shape(2, 3), DataType.FLOAT64, Math.exp(1) / e, Math.exp(2) / e,
                    Math.exp(3) / e, 1 / 3.0, 1 / 3.0, 1 / 3.0);
            assertValues(a.logSoftmax(-1), new Shape(2, 3), DataType.FLOAT64, 1 - Math.log(e), 2 - Math.log(e),
                    3 - Math.log(e), -Math.log(3), -Math.log(3), -Math.log(3));
            assertValues(a.softmax(0).sum(new int[] {0}), new Shape(3), DataType.FLOAT64, 1, 1, 1);
        }
    }

    @BothEngines
    void matrixProducts(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray b = m.create(new float[] {1, 0, 0, 1, 1, 1}, new Shape(3, 2));
            assertValues(a.matMul(b), new Shape(2, 2), DataType.FLOAT32, 4, 5, 10, 11);
            NDArray v = m.create(new float[] {1, 1, 1});
            assertValues(a.matMul(v), new Shape(2), DataType.FLOAT32, 6, 15);
            assertValues(v.dot(v), new Shape(), DataType.FLOAT32, 3);
            assertValues(a.dot(b), new Shape(2, 2), DataType.FLOAT32, 4, 5, 10, 11);
            NDArray ba = a.reshape(1, 2, 3).repeat(0, 2);
            NDArray bb = b.reshape(1, 3, 2).repeat(0, 2);
            assertValues(ba.matMul(b), new Shape(2, 2, 2), DataType.FLOAT32, 4, 5, 10, 11, 4, 5, 10, 11);
            assertThrows(RuntimeException.class, () -> a.matMul(a), "(2,3) x (2,3)");
        }
    }
}
