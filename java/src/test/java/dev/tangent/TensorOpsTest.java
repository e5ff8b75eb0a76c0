package dev.tangent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every op against values computed independently here (closed forms, hand-worked small cases or
 * java.lang.Math per element), in float32 and float64.
 */
class TensorOpsTest {
    private Scope scope;

    @BeforeEach
    void open() {
        scope = Scope.open();
    }

    @AfterEach
    void close() {
        scope.close();
    }

    // ------------------------------------------------------------------ helpers

    static Tensor t(DType dt, double[] v, long... shape) {
        return Tensor.of(v, dt, shape);
    }

    static Tensor vec(DType dt, double... v) {
        return Tensor.of(v, dt, v.length);
    }

    /** The value as the tensor stores it (float32 rounds). */
    static double stored(DType dt, double v) {
        return dt == DType.FLOAT32 ? (float) v : v;
    }

    static void close(double[] expected, Tensor actual, DType dt) {
        close(expected, actual, dt, dt == DType.FLOAT32 ? 2e-6 : 1e-13);
    }

    static void close(double[] expected, Tensor actual, DType dt, double rel) {
        assertEquals(dt, actual.dtype(), "dtype");
        double[] a = actual.toDoubleArray();
        assertEquals(expected.length, a.length, "element count");
        for (int i = 0; i < a.length; i++) {
            double e = expected[i];
            if (Double.isNaN(e)) {
                assertTrue(Double.isNaN(a[i]), "element " + i + ": expected NaN, got " + a[i]);
            } else if (Double.isInfinite(e)) {
                assertEquals(e, a[i], "element " + i);
            } else {
                assertEquals(e, a[i], rel * Math.max(1, Math.abs(e)), "element " + i);
            }
        }
    }

    static final double[] X = {-2.5, -1.0, -0.25, 0.0, 0.5, 1.75, 3.0};
    static final double[] UNIT = {-0.9, -0.5, 0.0, 0.25, 0.75};
    static final double[] POS = {0.125, 0.5, 1.0, 2.0, 7.5};

    /** Applies op to a tensor of xs and compares with f applied per element to the stored inputs. */
    static void unary(DType dt, double[] xs, Function<Tensor, Tensor> op, DoubleUnaryOperator f) {
        Tensor x = vec(dt, xs);
        double[] e = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            e[i] = stored(dt, f.applyAsDouble(stored(dt, xs[i])));
        }
        close(e, op.apply(x), dt);
    }

    // ------------------------------------------------------------------ unary

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void elementaryUnaryOps(DType dt) {
        unary(dt, X, Tensor::neg, v -> -v);
        unary(dt, X, Tensor::abs, Math::abs);
        unary(dt, X, Tensor::sign, Math::signum);
        unary(dt, X, Tensor::exp, Math::exp);
        unary(dt, X, Tensor::expm1, Math::expm1);
        unary(dt, POS, Tensor::log, Math::log);
        unary(dt, UNIT, Tensor::log1p, Math::log1p);
        unary(dt, POS, Tensor::sqrt, Math::sqrt);
        unary(dt, POS, Tensor::rsqrt, v -> 1 / Math.sqrt(v));
        unary(dt, X, Tensor::reciprocal, v -> 1 / v);
        unary(dt, X, Tensor::square, v -> v * v);
        unary(dt, X, Tensor::sin, Math::sin);
        unary(dt, X, Tensor::cos, Math::cos);
        unary(dt, UNIT, Tensor::tan, Math::tan);
        unary(dt, UNIT, Tensor::asin, Math::asin);
        unary(dt, UNIT, Tensor::acos, Math::acos);
        unary(dt, X, Tensor::atan, Math::atan);
        unary(dt, X, Tensor::sinh, Math::sinh);
        unary(dt, X, Tensor::cosh, Math::cosh);
        unary(dt, X, Tensor::tanh, Math::tanh);
        unary(dt, X, Tensor::asinh, v -> Math.log(v + Math.sqrt(v * v + 1)));
        unary(dt, new double[] {1.0, 1.5, 2.0, 10.0}, Tensor::acosh, v -> Math.log(v + Math.sqrt(v * v - 1)));
        unary(dt, UNIT, Tensor::atanh, v -> 0.5 * Math.log((1 + v) / (1 - v)));
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void specialValuesAndDomains(DType dt) {
        close(new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1},
                vec(dt, 0, -0.0, -1).reciprocal(), dt);
        close(new double[] {Double.POSITIVE_INFINITY, 0}, vec(dt, 1000, -1000).exp(), dt);
        close(new double[] {Double.NaN, Double.NEGATIVE_INFINITY, 0}, vec(dt, -1, 0, 1).log(), dt);
        close(new double[] {Double.NaN}, vec(dt, -4).sqrt(), dt);
        close(new double[] {Double.NaN, Double.POSITIVE_INFINITY}, vec(dt, 1.5, 1).atanh(), dt);
        close(new double[] {Double.NaN}, vec(dt, 0.5).acosh(), dt);
        close(new double[] {-1, 0, 1}, vec(dt, -3, 0, 2).sign(), dt);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void erfKnownValues(DType dt) {
        // Tabulated: erf(0.5), erf(1), erf(-2), erf(3), erf(0), erf(10).
        close(new double[] {0.5204998778130465, 0.8427007929497149, -0.9953222650189527, 0.9999779095030014, 0, 1},
                vec(dt, 0.5, 1, -2, 3, 0, 10).erf(), dt);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void activations(DType dt) {
        unary(dt, X, Tensor::sigmoid, v -> 1 / (1 + Math.exp(-v)));
        unary(dt, X, Tensor::relu, v -> v > 0 ? v : 0);
        unary(dt, X, Tensor::leakyRelu, v -> v > 0 ? v : 0.01 * v);
        unary(dt, X, x -> x.leakyRelu(0.2), v -> v > 0 ? v : 0.2 * v);
        unary(dt, X, Tensor::elu, v -> v > 0 ? v : Math.exp(v) - 1);
        unary(dt, X, x -> x.elu(0.5), v -> v > 0 ? v : 0.5 * (Math.exp(v) - 1));
        unary(dt, X, Tensor::silu, v -> v / (1 + Math.exp(-v)));
        unary(dt, X, Tensor::softplus, v -> Math.log(1 + Math.exp(v)));
        unary(dt, X, x -> x.gelu(true),
                v -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
        // Exact GELU is x * Phi(x); Phi from standard normal tables.
        close(new double[] {0.8413447460685429, -0.15865525393145707, 2 * 0.9772498680518208,
                0.5 * 0.6914624612740131, 0}, vec(dt, 1, -1, 2, 0.5, 0).gelu(), dt);
        close(new double[] {0.8413447460685429}, vec(dt, 1).gelu(false), dt);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void softplusThresholdAndBeta(DType dt) {
        // Default threshold 20: above it the input passes through exactly.
        close(new double[] {25, 20.5}, vec(dt, 25, 20.5).softplus(), dt);
        // beta = 2, threshold = 1: 0.6*2 > 1 is linear; 0.4*2 < 1 is log(1 + e^0.8)/2.
        close(new double[] {0.6, stored(dt, Math.log(1 + Math.exp(2 * stored(dt, 0.4))) / 2)},
                vec(dt, 0.6, 0.4).softplus(2, 1), dt);
        // Large negative inputs give tiny positive values, not 0 or NaN.
        double[] r = vec(dt, -30).softplus().toDoubleArray();
        assertEquals(Math.exp(-30), r[0], 1e-6 * Math.exp(-30));
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void clampAndPowScalar(DType dt) {
        unary(dt, X, x -> x.clamp(-1, 1), v -> Math.max(-1, Math.min(1, v)));
        unary(dt, X, x -> x.clampMin(0.5), v -> Math.max(0.5, v));
        unary(dt, X, x -> x.clampMax(0.5), v -> Math.min(0.5, v));
        unary(dt, X, x -> x.pow(2), v -> v * v);
        unary(dt, X, x -> x.pow(3), v -> v * v * v);
        unary(dt, POS, x -> x.pow(0.5), Math::sqrt);
        unary(dt, POS, x -> x.pow(-1.5), v -> 1 / (v * Math.sqrt(v)));
        unary(dt, X, x -> x.pow(0), v -> 1);
        close(new double[] {Double.NaN, 1}, vec(dt, Double.NaN, 3).clamp(0, 1), dt);
    }

    @Test
    void unaryOnIntegersPromotesToFloat32OrKeepsInt() {
        Tensor i = Tensor.of(new long[] {-2, 0, 3}, 3);
        assertEquals(DType.FLOAT32, i.exp().dtype());
        close(new double[] {(float) Math.exp(-2), 1, (float) Math.exp(3)}, i.exp(), DType.FLOAT32);
        assertEquals(DType.INT64, i.neg().dtype());
        assertArrayEquals(new long[] {2, 0, -3}, i.neg().toLongArray());
        assertArrayEquals(new long[] {2, 0, 3}, i.abs().toLongArray());
        assertArrayEquals(new long[] {0, 0, 3}, i.relu().toLongArray());
        assertArrayEquals(new long[] {4, 0, 9}, i.square().toLongArray());
    }

    // ------------------------------------------------------------------ binary

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void binaryTensorTensorWithBroadcast(DType dt) {
        double[] av = {1, -2, 3.5, 4, 0.5, -6};
        double[] bv = {2, -0.5, 4};
        Tensor a = t(dt, av, 2, 3);
        Tensor b = vec(dt, bv);
        check(dt, a, b, av, bv, Tensor::add, Double::sum);
        check(dt, a, b, av, bv, Tensor::sub, (x, y) -> x - y);
        check(dt, a, b, av, bv, Tensor::mul, (x, y) -> x * y);
        check(dt, a, b, av, bv, Tensor::div, (x, y) -> x / y);
        check(dt, a, b, av, bv, Tensor::maximum, Math::max);
        check(dt, a, b, av, bv, Tensor::minimum, Math::min);
        double[] pa = {1, 2, 3.5, 4, 0.5, 6};
        check(dt, t(dt, pa, 2, 3), b, pa, bv, Tensor::pow, Math::pow);
        // The broadcast operand on the left.
        double[] e = new double[6];
        for (int i = 0; i < 6; i++) {
            e[i] = bv[i % 3] - av[i];
        }
        close(e, b.sub(a), dt);
        assertArrayEquals(new long[] {2, 3}, b.sub(a).shape());
    }

    private static void check(DType dt, Tensor a, Tensor b, double[] av, double[] bv,
            java.util.function.BinaryOperator<Tensor> op, java.util.function.DoubleBinaryOperator f) {
        double[] e = new double[av.length];
        for (int i = 0; i < av.length; i++) {
            e[i] = stored(dt, f.applyAsDouble(av[i], bv[i % bv.length]));
        }
        Tensor r = op.apply(a, b);
        assertArrayEquals(a.shape(), r.shape());
        close(e, r, dt);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void binaryWithScalarOnEitherSide(DType dt) {
        Tensor x = vec(dt, 1, -2, 4);
        close(new double[] {3, 0, 6}, x.add(2), dt);
        close(new double[] {-1, -4, 2}, x.sub(2), dt);
        close(new double[] {1, 4, -2}, x.rsub(2), dt);
        close(new double[] {3, -6, 12}, x.mul(3), dt);
        close(new double[] {0.5, -1, 2}, x.div(2), dt);
        close(new double[] {2, -1, 0.5}, x.rdiv(2), dt);
        close(new double[] {2, 0.25, 16}, x.rpow(2), dt);
        close(new double[] {1, 0, 4}, x.maximum(0), dt);
        close(new double[] {0, -2, 0}, x.minimum(0), dt);
        // 0-dim tensor operand, either side.
        Tensor s = Tensor.scalar(10, dt);
        close(new double[] {11, 8, 14}, x.add(s), dt);
        close(new double[] {9, 12, 6}, s.sub(x), dt);
        close(new double[] {10, -5, 2.5}, s.div(x), dt);
        close(new double[] {1, 4, 16}, x.pow(Tensor.scalar(2, dt)), dt);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void comparisonsGiveBoolMasks(DType dt) {
        Tensor a = vec(dt, 1, 2, 3);
        Tensor b = vec(dt, 3, 2, 1);
        assertEquals(DType.BOOL, a.gt(b).dtype());
        assertArrayEquals(new double[] {0, 0, 1}, a.gt(b).toDoubleArray());
        assertArrayEquals(new double[] {0, 1, 1}, a.ge(b).toDoubleArray());
        assertArrayEquals(new double[] {1, 0, 0}, a.lt(b).toDoubleArray());
        assertArrayEquals(new double[] {1, 1, 0}, a.le(b).toDoubleArray());
        assertArrayEquals(new double[] {0, 1, 0}, a.eq(b).toDoubleArray());
        assertArrayEquals(new double[] {1, 0, 1}, a.ne(b).toDoubleArray());
        assertArrayEquals(new double[] {0, 1, 1}, a.gt(1.5).toDoubleArray());
        assertArrayEquals(new double[] {1, 0, 0}, a.eq(1).toDoubleArray());
        // broadcast [3,1] vs [3] -> [3,3]
        Tensor m = a.reshape(3, 1).lt(b);
        assertArrayEquals(new long[] {3, 3}, m.shape());
        assertArrayEquals(new double[] {1, 1, 0, 1, 0, 0, 0, 0, 0}, m.toDoubleArray());
        // NaN compares false except ne.
        Tensor n = vec(dt, Double.NaN);
        assertArrayEquals(new double[] {0}, n.eq(n).toDoubleArray());
        assertArrayEquals(new double[] {1}, n.ne(n).toDoubleArray());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void whereSelectsAndBroadcasts(DType dt) {
        Tensor x = vec(dt, -1, 2, -3, 4);
        Tensor r = Tensor.where(x.gt(0), x, x.mul(10));
        close(new double[] {-10, 2, -30, 4}, r, dt);
        close(new double[] {0, 2, 0, 4}, Tensor.where(x.gt(0), x, 0), dt);
        // mask [2,1], a [2], b 0-dim -> [2,2]
        Tensor mask = Tensor.of(new double[] {1, 0}, DType.BOOL, 2, 1);
        Tensor w = Tensor.where(mask, vec(dt, 5, 6), Tensor.scalar(-1, dt));
        assertArrayEquals(new long[] {2, 2}, w.shape());
        close(new double[] {5, 6, -1, -1}, w, dt);
    }

    // ------------------------------------------------------------------ reductions

    // 2x3x2 values 1..12 with a few negatives
    static final double[] R = {1, -2, 3, 4, 5, -6, 7, 8, -9, 10, 11, 12};

    static double r(int i, int j, int k) {
        return R[i * 6 + j * 2 + k];
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void sumMeanProdOverAllOneAndSeveralDims(DType dt) {
        Tensor x = t(dt, R, 2, 3, 2);
        double total = 0;
        double prod = 1;
        for (double v : R) {
            total += v;
            prod *= v;
        }
        Tensor s = x.sum();
        assertArrayEquals(new long[0], s.shape());
        close(new double[] {total}, s, dt);
        close(new double[] {total / 12}, x.mean(), dt);
        close(new double[] {prod}, x.prod(), dt);
        // over dim 1
        double[] e = new double[4];
        double[] ep = new double[4];
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 2; k++) {
                ep[i * 2 + k] = 1;
                for (int j = 0; j < 3; j++) {
                    e[i * 2 + k] += r(i, j, k);
                    ep[i * 2 + k] *= r(i, j, k);
                }
            }
        }
        assertArrayEquals(new long[] {2, 2}, x.sum(1).shape());
        close(e, x.sum(1), dt);
        assertArrayEquals(new long[] {2, 1, 2}, x.sum(1, true).shape());
        close(e, x.sum(1, true), dt);
        close(ep, x.prod(1), dt);
        double[] em = e.clone();
        for (int i = 0; i < 4; i++) {
            em[i] /= 3;
        }
        close(em, x.mean(-2), dt);
        // over dims {0, 2} with keepdim
        double[] e02 = new double[3];
        for (int j = 0; j < 3; j++) {
            e02[j] = r(0, j, 0) + r(0, j, 1) + r(1, j, 0) + r(1, j, 1);
        }
        Tensor s02 = x.sum(new int[] {2, 0}, true);
        assertArrayEquals(new long[] {1, 3, 1}, s02.shape());
        close(e02, s02, dt);
        assertArrayEquals(new long[] {3}, x.sum(new int[] {0, -1}, false).shape());
        double[] m02 = e02.clone();
        for (int j = 0; j < 3; j++) {
            m02[j] /= 4;
        }
        close(m02, x.mean(new int[] {0, 2}, false), dt);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void amaxAminLogsumexp(DType dt) {
        Tensor x = t(dt, R, 2, 3, 2);
        close(new double[] {12}, x.amax(), dt);
        close(new double[] {-9}, x.amin(), dt);
        double[] mx = new double[6];
        double[] mn = new double[6];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                mx[i * 3 + j] = Math.max(r(i, j, 0), r(i, j, 1));
                mn[i * 3 + j] = Math.min(r(i, j, 0), r(i, j, 1));
            }
        }
        close(mx, x.amax(2), dt);
        close(mn, x.amin(-1), dt);
        assertArrayEquals(new long[] {2, 1, 1}, x.amax(new int[] {1, 2}, true).shape());
        close(new double[] {5, 12}, x.amax(new int[] {1, 2}, true), dt);
        // logsumexp over dim 0, hand formula
        Tensor y = t(dt, new double[] {0, 1, 2, 1000, 1000, -1000}, 2, 3);
        double[] lse = {Math.log(1 + Math.exp(1000 - 0)) + 0, 1000 + Math.log(1 + Math.exp(1 - 1000)),
                2 + Math.log(1 + Math.exp(-1002))};
        lse[0] = 1000 + Math.log1p(Math.exp(-1000));
        close(lse, y.logsumexp(0), dt);
        double[] row = {Math.log(1 + Math.E + Math.E * Math.E), 1000 + Math.log(2)};
        close(row, y.logsumexp(1), dt, dt == DType.FLOAT32 ? 2e-6 : 1e-13);
        assertArrayEquals(new long[] {2, 1}, y.logsumexp(1, true).shape());
        // -inf rows stay -inf (no NaN)
        close(new double[] {Double.NEGATIVE_INFINITY},
                vec(dt, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY).logsumexp(0).reshape(1), dt);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void normVarStd(DType dt) {
        Tensor x = t(dt, new double[] {3, 4, 0, 1, 2, 2}, 2, 3);
        close(new double[] {Math.sqrt(9 + 16 + 0 + 1 + 4 + 4)}, x.norm(), dt);
        close(new double[] {5, 3}, x.norm(new int[] {1}, false), dt);
        assertArrayEquals(new long[] {2, 1}, x.norm(new int[] {1}, true).shape());
        // row 0: {3,4,0} mean 7/3; row 1: {1,2,2} mean 5/3
        double ss0 = sq(3 - 7.0 / 3) + sq(4 - 7.0 / 3) + sq(0 - 7.0 / 3);
        double ss1 = sq(1 - 5.0 / 3) + 2 * sq(2 - 5.0 / 3);
        close(new double[] {ss0 / 2, ss1 / 2}, x.var(1), dt);
        close(new double[] {ss0 / 3, ss1 / 3}, x.var(1, false, false), dt);
        assertArrayEquals(new long[] {2, 1}, x.var(1, true, true).shape());
        close(new double[] {Math.sqrt(ss0 / 2), Math.sqrt(ss1 / 2)}, x.std(1), dt);
        close(new double[] {Math.sqrt(ss0 / 3), Math.sqrt(ss1 / 3)}, x.std(new int[] {1}, false, false), dt);
        // all elements: mean 2, deviations 1,2,-2,-1,0,0 -> ss 10
        close(new double[] {10.0 / 5}, x.var(), dt);
        close(new double[] {Math.sqrt(10.0 / 5)}, x.std(), dt);
        close(new double[] {10.0 / 6}, x.var(new int[] {0, 1}, false, false), dt);
        // over dim 0: columns {3,1},{4,2},{0,2}: unbiased var = (d^2)/2 each = 2,2,2
        close(new double[] {2, 2, 2}, x.var(0), dt);
    }

    static double sq(double v) {
        return v * v;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void softmaxAndLogSoftmax(DType dt) {
        Tensor x = t(dt, new double[] {1, 2, 3, -1, 0, 1000}, 2, 3);
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        double[] e = {Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z, 0, 0, 1};
        close(e, x.softmax(1), dt);
        close(e, x.softmax(-1), dt);
        double[] le = {1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z), -1001, -1000, 0};
        close(le, x.logSoftmax(1), dt);
        // along dim 0: columns {1,-1}, {2,0}, {3,1000}
        double s = 1 / (1 + Math.exp(-2));
        close(new double[] {s, s, 0, 1 - s, 1 - s, 1}, x.softmax(0), dt);
        assertArrayEquals(new long[] {2, 3}, x.softmax(0).shape());
    }

    @Test
    void integerAndBoolReductions() {
        Tensor i = Tensor.of(new long[] {1, 2, 3, 4}, 2, 2);
        assertEquals(DType.INT64, i.sum().dtype());
        assertEquals(10, i.sum().item());
        assertArrayEquals(new long[] {3, 7}, i.sum(1).toLongArray());
        assertArrayEquals(new long[] {3, 8}, i.prod(0).toLongArray());
        assertArrayEquals(new long[] {2, 4}, i.amax(1).toLongArray());
        Tensor mask = i.gt(1);
        assertEquals(DType.INT64, mask.sum().dtype());
        assertEquals(3, mask.sum().item());
    }

    @Test
    void int64ValuesAbove2To53SurviveStridedCopies() {
        long big = (1L << 53) + 1;   // not representable as a double
        Tensor x = Tensor.of(new long[] {big, 1, 2, -big}, 2, 2);
        assertArrayEquals(new long[] {big, 2, 1, -big}, x.T().toLongArray());
        assertArrayEquals(new long[] {big, 2, 1, -big}, x.T().contiguous().toLongArray());
        assertArrayEquals(new long[] {-big, 2}, x.slice(0, 1, 2).select(1, -1).expand(2).add(
                Tensor.of(new long[] {0, big + 2}, 2)).mul(0).add(Tensor.of(new long[] {-big, 2}, 2)).toLongArray());
        assertArrayEquals(new long[] {2, big}, Tensor.cat(0, Tensor.of(new long[] {2}, 1), x.select(1, 0).slice(0, 0, 1))
                .toLongArray());
    }

    @Test
    void nanPropagates() {
        Tensor x = Tensor.vector(1.0, Double.NaN, 2.0);
        assertTrue(Double.isNaN(x.amax().item()));
        assertTrue(Double.isNaN(x.amin().item()));
        assertTrue(Double.isNaN(x.sum().item()));
        assertTrue(Double.isNaN(x.maximum(Tensor.vector(0.0, 0.0, 0.0)).toDoubleArray()[1]));
        assertTrue(Double.isNaN(Tensor.vector(0.0, 0.0, 0.0).minimum(x).toDoubleArray()[1]));
        for (Tensor r : new Tensor[] {x.relu(), x.sigmoid(), x.softplus(), x.leakyRelu(), x.gelu(), x.elu(), x.tanh()}) {
            assertTrue(Double.isNaN(r.toDoubleArray()[1]), r.toString());
        }
    }

    // ------------------------------------------------------------------ matmul

    /** Naive [.., m, k] @ [.., k, n] on row-major arrays, batch already equal. */
    static double[] mm(double[] a, double[] b, int batch, int m, int k, int n, boolean bBroadcast) {
        double[] o = new double[batch * m * n];
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += a[q * m * k + i * k + p] * b[(bBroadcast ? 0 : q) * k * n + p * n + j];
                    }
                    o[q * m * n + i * n + j] = s;
                }
            }
        }
        return o;
    }

    static double[] seq(int n, double scale) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = ((i * 7) % 11 - 5) * scale;
        }
        return d;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void matmulEveryShapeRule(DType dt) {
        // 1-D . 1-D -> 0-dim dot product
        Tensor d = vec(dt, 1, 2, 3).matmul(vec(dt, 4, -5, 6));
        assertArrayEquals(new long[0], d.shape());
        close(new double[] {4 - 10 + 18}, d, dt);
        double[] a = seq(12, 0.5);
        double[] b = seq(20, 0.25);
        // 2-D . 2-D
        Tensor m = t(dt, a, 3, 4).matmul(t(dt, b, 4, 5));
        assertArrayEquals(new long[] {3, 5}, m.shape());
        close(mm(a, b, 1, 3, 4, 5, false), m, dt);
        // 1-D . 2-D: [4] @ [4,5] -> [5]
        double[] v = {1, -1, 2, 0.5};
        Tensor vm = vec(dt, v).matmul(t(dt, b, 4, 5));
        assertArrayEquals(new long[] {5}, vm.shape());
        close(mm(v, b, 1, 1, 4, 5, false), vm, dt);
        // 2-D . 1-D: [3,4] @ [4] -> [3]
        Tensor mv = t(dt, a, 3, 4).matmul(vec(dt, v));
        assertArrayEquals(new long[] {3}, mv.shape());
        close(mm(a, v, 1, 3, 4, 1, false), mv, dt);
        // batched: [2,3,4] @ [2,4,5]
        double[] ba = seq(24, 0.5);
        double[] bb = seq(40, 0.25);
        Tensor bm = t(dt, ba, 2, 3, 4).matmul(t(dt, bb, 2, 4, 5));
        assertArrayEquals(new long[] {2, 3, 5}, bm.shape());
        close(mm(ba, bb, 2, 3, 4, 5, false), bm, dt);
        // batch broadcast of a 2-D right operand: [2,3,4] @ [4,5]
        close(mm(ba, b, 2, 3, 4, 5, true), t(dt, ba, 2, 3, 4).matmul(t(dt, b, 4, 5)), dt);
        // 1-D . 3-D: [4] @ [2,4,5] -> [2,5]
        Tensor v3 = vec(dt, v).matmul(t(dt, bb, 2, 4, 5));
        assertArrayEquals(new long[] {2, 5}, v3.shape());
        double[] e = new double[10];
        for (int q = 0; q < 2; q++) {
            double[] bq = java.util.Arrays.copyOfRange(bb, q * 20, q * 20 + 20);
            System.arraycopy(mm(v, bq, 1, 1, 4, 5, false), 0, e, q * 5, 5);
        }
        close(e, v3, dt);
        // 3-D . 1-D: [2,3,4] @ [4] -> [2,3]
        Tensor m3 = t(dt, ba, 2, 3, 4).matmul(vec(dt, v));
        assertArrayEquals(new long[] {2, 3}, m3.shape());
        close(mm(ba, v, 2, 3, 4, 1, true), m3, dt);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void matmulBroadcastBatch(DType dt) {
        // [2,1,3,4] @ [5,4,2] -> [2,5,3,2]
        double[] a = seq(24, 0.5);
        double[] b = seq(40, 0.25);
        Tensor r = t(dt, a, 2, 1, 3, 4).matmul(t(dt, b, 5, 4, 2));
        assertArrayEquals(new long[] {2, 5, 3, 2}, r.shape());
        double[] e = new double[2 * 5 * 3 * 2];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 5; j++) {
                for (int p = 0; p < 3; p++) {
                    for (int q = 0; q < 2; q++) {
                        double s = 0;
                        for (int k = 0; k < 4; k++) {
                            s += a[i * 12 + p * 4 + k] * b[j * 8 + k * 2 + q];
                        }
                        e[((i * 5 + j) * 3 + p) * 2 + q] = s;
                    }
                }
            }
        }
        close(e, r, dt);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void transposesTAndMT(DType dt) {
        Tensor x = t(dt, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new long[] {3, 2}, x.T().shape());
        close(new double[] {1, 4, 2, 5, 3, 6}, x.T().contiguous(), dt);
        close(new double[] {1, 4, 2, 5, 3, 6}, x.mT(), dt);
        Tensor y = t(dt, seq(24, 1), 2, 3, 4);
        assertArrayEquals(new long[] {4, 3, 2}, y.T().shape());
        assertArrayEquals(new long[] {2, 4, 3}, y.mT().shape());
        double[] s = seq(24, 1);
        assertEquals(s[1 * 12 + 2 * 4 + 3], y.mT().select(0, 1).select(0, 3).select(0, 2).item(), 0);
        assertEquals(s[1 * 12 + 2 * 4 + 3], y.T().select(0, 3).select(0, 2).select(0, 1).item(), 0);
        // x @ x.T by hand
        close(new double[] {14, 32, 32, 77}, x.matmul(x.T()), dt);
    }

    // ------------------------------------------------------------------ shape ops

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void reshapeViewPermuteTranspose(DType dt) {
        double[] s = seq(24, 1);
        Tensor x = t(dt, s, 2, 3, 4);
        assertArrayEquals(new long[] {6, 4}, x.reshape(-1, 4).shape());
        assertArrayEquals(new long[] {2, 12}, x.view(2, -1).shape());
        close(s, x.reshape(4, 6), dt);
        close(s, x.view(24), dt);
        Tensor p = x.permute(2, 0, 1);
        assertArrayEquals(new long[] {4, 2, 3}, p.shape());
        double[] e = new double[24];
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 3; j++) {
                    e[k * 6 + i * 3 + j] = s[i * 12 + j * 4 + k];
                }
            }
        }
        close(e, p, dt);
        close(e, p.contiguous(), dt);
        // reshape of a permuted tensor copies, in the permuted order
        close(e, p.reshape(24), dt);
        Tensor tr = x.transpose(0, 2);
        assertArrayEquals(new long[] {4, 3, 2}, tr.shape());
        assertEquals(s[1 * 12 + 2 * 4 + 3], tr.select(0, 3).select(0, 2).select(0, 1).item(), 0);
        assertArrayEquals(new long[] {2, 3, 4}, x.transpose(-1, -1).shape());
    }

    @Test
    void squeezeUnsqueezeFlattenExpand() {
        Tensor x = Tensor.of(new double[] {1, 2, 3}, 1, 3, 1);
        assertArrayEquals(new long[] {3}, x.squeeze().shape());
        assertArrayEquals(new long[] {3, 1}, x.squeeze(0).shape());
        assertArrayEquals(new long[] {1, 3}, x.squeeze(-1).shape());
        assertArrayEquals(new long[] {1, 3, 1}, x.squeeze(1).shape());
        assertArrayEquals(new long[] {1, 1, 3, 1}, x.unsqueeze(0).shape());
        assertArrayEquals(new long[] {1, 3, 1, 1}, x.unsqueeze(-1).shape());
        assertArrayEquals(new long[] {1, 3, 1, 1}, x.unsqueeze(3).shape());
        assertArrayEquals(new long[] {3}, x.flatten().shape());
        Tensor y = Tensor.zeros(2, 3, 4, 5);
        assertArrayEquals(new long[] {2, 12, 5}, y.flatten(1, 2).shape());
        assertArrayEquals(new long[] {2, 60}, y.flatten(1, -1).shape());
        assertArrayEquals(new long[] {1}, Tensor.scalar(2.0).flatten().shape());
        Tensor e = Tensor.vector(1.0, 2.0, 3.0).reshape(3, 1).expand(3, 4);
        assertArrayEquals(new long[] {3, 4}, e.shape());
        assertArrayEquals(new double[] {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3}, e.toDoubleArray());
        assertArrayEquals(new long[] {2, 3, 4}, e.expand(2, -1, -1).shape());
        assertArrayEquals(new double[] {1, 2, 3, 1, 2, 3}, Tensor.vector(1.0, 2.0, 3.0).expand(2, 3).toDoubleArray());
        assertArrayEquals(new double[] {5, 5, 5}, Tensor.scalar(5.0).expand(3).toDoubleArray());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void sliceWithStepOnEveryDimAndSelect(DType dt) {
        double[] s = seq(24, 1);
        Tensor x = t(dt, s, 2, 3, 4);
        // x[:, :, 1::2]
        Tensor a = x.slice(2, 1, 4, 2);
        assertArrayEquals(new long[] {2, 3, 2}, a.shape());
        double[] e = new double[12];
        for (int i = 0, n = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                e[n++] = s[i * 12 + j * 4 + 1];
                e[n++] = s[i * 12 + j * 4 + 3];
            }
        }
        close(e, a, dt);
        // x[:, ::2] (dim 1: rows 0 and 2)
        Tensor b = x.slice(1, 0, 3, 2);
        assertArrayEquals(new long[] {2, 2, 4}, b.shape());
        double[] eb = new double[16];
        for (int i = 0, n = 0; i < 2; i++) {
            for (int j = 0; j < 3; j += 2) {
                for (int k = 0; k < 4; k++) {
                    eb[n++] = s[i * 12 + j * 4 + k];
                }
            }
        }
        close(eb, b, dt);
        // x[1:], x[-1:], negative bounds, clamped bounds, empty slice
        close(java.util.Arrays.copyOfRange(s, 12, 24), x.slice(0, 1, 2), dt);
        close(java.util.Arrays.copyOfRange(s, 12, 24), x.slice(0, -1, Long.MAX_VALUE), dt);
        assertArrayEquals(new long[] {2, 3, 4}, x.slice(2, -100, 100).shape());
        assertArrayEquals(new long[] {2, 0, 4}, x.slice(1, 2, 1).shape());
        // step 3 over 4: indices 0, 3
        close(new double[] {s[0], s[3]}, x.select(0, 0).select(0, 0).slice(0, 0, 4, 3), dt);
        // select with negative index
        close(java.util.Arrays.copyOfRange(s, 8, 12), x.select(1, -1).select(0, 0), dt);
        close(java.util.Arrays.copyOfRange(s, 12, 24), x.get(-1), dt);
        assertArrayEquals(new long[] {2, 4}, x.select(1, 1).shape());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void indexSelectGatherAdvancedIndexing(DType dt) {
        double[] s = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        Tensor x = t(dt, s, 3, 4);
        Tensor rows = x.indexSelect(0, Tensor.of(new long[] {2, 0, 2}, 3));
        assertArrayEquals(new long[] {3, 4}, rows.shape());
        close(new double[] {9, 10, 11, 12, 1, 2, 3, 4, 9, 10, 11, 12}, rows, dt);
        close(new double[] {4, 1, 8, 5, 12, 9}, x.indexSelect(1, Tensor.of(new long[] {-1, 0}, 2)), dt);
        // gather along dim 1: out[i][j] = x[i][idx[i][j]]
        Tensor idx = Tensor.of(new long[] {3, 0, 1, 1, 2, 0}, 3, 2);
        close(new double[] {4, 1, 6, 6, 11, 9}, x.gather(1, idx), dt);
        // gather along dim 0: out[i][j] = x[idx[i][j]][j]
        Tensor idx0 = Tensor.of(new long[] {2, 0, 1, 2}, 1, 4);
        close(new double[] {9, 2, 7, 12}, x.gather(0, idx0), dt);
        // x[arange(3), t]: one element per row
        Tensor col = Tensor.of(new long[] {1, 3, 0}, 3);
        Tensor picked = x.index(Tensor.arange(3), col);
        assertArrayEquals(new long[] {3}, picked.shape());
        close(new double[] {2, 8, 9}, picked, dt);
        // x[[2, -3]] keeps the trailing dim
        Tensor r = x.index(Tensor.of(new long[] {2, -3}, 2));
        assertArrayEquals(new long[] {2, 4}, r.shape());
        close(new double[] {9, 10, 11, 12, 1, 2, 3, 4}, r, dt);
        // broadcast index tensors: [2,1] and [3] -> [2,3]
        Tensor bi = x.index(Tensor.of(new long[] {0, 2}, 2, 1), Tensor.of(new long[] {0, 1, 3}, 3));
        assertArrayEquals(new long[] {2, 3}, bi.shape());
        close(new double[] {1, 2, 4, 9, 10, 12}, bi, dt);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void catStackContiguous(DType dt) {
        Tensor a = t(dt, new double[] {1, 2, 3, 4}, 2, 2);
        Tensor b = t(dt, new double[] {5, 6}, 1, 2);
        Tensor c0 = Tensor.cat(0, a, b);
        assertArrayEquals(new long[] {3, 2}, c0.shape());
        close(new double[] {1, 2, 3, 4, 5, 6}, c0, dt);
        Tensor c1 = Tensor.cat(List.of(a, b.reshape(2, 1)), -1);
        assertArrayEquals(new long[] {2, 3}, c1.shape());
        close(new double[] {1, 2, 5, 3, 4, 6}, c1, dt);
        // cat of non-contiguous inputs
        close(new double[] {1, 3, 2, 4, 1, 2, 3, 4}, Tensor.cat(0, a.T(), a), dt);
        Tensor s0 = Tensor.stack(0, a, a.mul(10));
        assertArrayEquals(new long[] {2, 2, 2}, s0.shape());
        close(new double[] {1, 2, 3, 4, 10, 20, 30, 40}, s0, dt);
        Tensor s2 = Tensor.stack(List.of(a, a.mul(10)), -1);
        assertArrayEquals(new long[] {2, 2, 2}, s2.shape());
        close(new double[] {1, 10, 2, 20, 3, 30, 4, 40}, s2, dt);
        Tensor st = Tensor.stack(0, Tensor.scalar(1, dt), Tensor.scalar(2, dt));
        assertArrayEquals(new long[] {2}, st.shape());
        Tensor tc = a.T().contiguous();
        assertTrue(tc.isContiguous());
        assertArrayEquals(new long[] {2, 1}, tc.stride());
        close(new double[] {1, 3, 2, 4}, tc, dt);
        assertSame(a, a.contiguous());
        // cat promotes dtypes: int64 with float -> float
        Tensor mixed = Tensor.cat(0, Tensor.of(new long[] {7}, 1), vec(dt, 0.5));
        close(new double[] {7, 0.5}, mixed, dt);
    }

    // ------------------------------------------------------------------ dtypes

    @Test
    void dtypePromotionRules() {
        Tensor f = Tensor.vector(1f, 2f);
        Tensor d = Tensor.vector(1.0, 2.0);
        Tensor i = Tensor.of(new long[] {1, 2}, 2);
        Tensor b = i.gt(1);
        assertEquals(DType.FLOAT64, f.add(d).dtype());
        assertEquals(DType.FLOAT64, d.mul(f).dtype());
        // dimensioned operand wins over a 0-dim one of the same category
        assertEquals(DType.FLOAT32, f.add(Tensor.scalar(1.5)).dtype());
        assertEquals(DType.FLOAT32, Tensor.scalar(1.5).add(f).dtype());
        // ... but a 0-dim operand of a higher category wins
        assertEquals(DType.FLOAT64, i.add(Tensor.scalar(1.5)).dtype());
        assertEquals(DType.FLOAT32, i.add(f).dtype());
        assertEquals(DType.FLOAT64, i.add(d).dtype());
        assertEquals(DType.INT64, i.add(b).dtype());
        assertEquals(DType.FLOAT32, b.add(f).dtype());
        // two 0-dim tensors promote normally
        assertEquals(DType.FLOAT64, Tensor.scalar(1f).add(Tensor.scalar(1.0)).dtype());
        // Python-number operands keep the tensor's dtype
        assertEquals(DType.FLOAT32, f.mul(2.5).dtype());
        assertEquals(DType.FLOAT64, d.mul(2.5).dtype());
        assertEquals(DType.INT64, i.mul(3).dtype());
        assertArrayEquals(new long[] {3, 6}, i.mul(3).toLongArray());
        // ... except a non-integral number on an integer tensor: float32 (the default dtype)
        assertEquals(DType.FLOAT32, i.mul(2.5).dtype());
        assertArrayEquals(new double[] {2.5, 5}, i.mul(2.5).toDoubleArray());
        // true division of integers gives float32
        assertEquals(DType.FLOAT32, i.div(Tensor.of(new long[] {2, 4}, 2)).dtype());
        assertArrayEquals(new double[] {0.5, 0.5}, i.div(Tensor.of(new long[] {2, 4}, 2)).toDoubleArray());
        assertEquals(DType.FLOAT32, i.div(2).dtype());
        // bool + bool arithmetic gives int64
        assertEquals(DType.INT64, b.add(b).dtype());
        assertEquals(DType.INT64, b.add(1).dtype());
        // where promotes its two value operands
        assertEquals(DType.FLOAT64, Tensor.where(b, f, d).dtype());
        // conversions
        assertArrayEquals(new long[] {1, -2, 2}, Tensor.vector(1.9, -2.7, 2.5).toLong().toLongArray());
        assertEquals(DType.FLOAT64, f.toDouble().dtype());
        assertEquals(DType.FLOAT32, d.toFloat().dtype());
        assertSame(f, f.to(DType.FLOAT32));
    }

    // ------------------------------------------------------------------ creation

    @Test
    void arangeZerosOnesFull() {
        Tensor a = Tensor.arange(5);
        assertEquals(DType.INT64, a.dtype());
        assertArrayEquals(new long[] {0, 1, 2, 3, 4}, a.toLongArray());
        assertArrayEquals(new long[] {0}, Tensor.arange(0).shape());
        Tensor f = Tensor.arange(0, 1, 0.25, DType.FLOAT32);
        assertEquals(DType.FLOAT32, f.dtype());
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75}, f.toDoubleArray());
        assertArrayEquals(new double[] {5, 3, 1}, Tensor.arange(5, 0, -2, DType.FLOAT64).toDoubleArray());
        assertArrayEquals(new long[] {4}, Tensor.arange(1, 2.5, 0.4, DType.FLOAT64).shape());
        Tensor z = Tensor.zeros(2, 3);
        assertEquals(DType.FLOAT32, z.dtype());
        assertArrayEquals(new long[] {2, 3}, z.shape());
        assertArrayEquals(new double[6], z.toDoubleArray());
        assertArrayEquals(new double[] {1, 1}, Tensor.ones(DType.FLOAT64, 2).toDoubleArray());
        assertEquals(DType.FLOAT64, Tensor.ones(DType.FLOAT64, 2).dtype());
        assertArrayEquals(new double[] {2.5, 2.5, 2.5}, Tensor.full(2.5, 3).toDoubleArray());
        assertArrayEquals(new long[] {7, 7}, Tensor.full(7, DType.INT64, Device.cpu(), 2).toLongArray());
        assertArrayEquals(new long[] {0, 0}, Tensor.zeros(DType.INT64, 2).toLongArray());
        // a strided (non-contiguous) view then full-of-something: fill must respect offsets
        assertArrayEquals(new double[] {-1.5}, Tensor.full(-1.5, DType.FLOAT64, Device.cpu()).toDoubleArray());
        assertArrayEquals(new long[] {0, 3}, Tensor.zeros(0, 3).shape());
    }

    @Test
    void seededRandom() {
        double[] a = Tensor.rand(42, 100).toDoubleArray();
        double[] b = Tensor.rand(42, 100).toDoubleArray();
        double[] c = Tensor.rand(43, 100).toDoubleArray();
        assertArrayEquals(a, b);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
        for (double v : a) {
            assertTrue(v >= 0 && v < 1, "rand in [0, 1): " + v);
        }
        assertArrayEquals(Tensor.randn(7, 5).toDoubleArray(), Tensor.randn(7, 5).toDoubleArray());
        assertNotEquals(java.util.Arrays.toString(Tensor.randn(7, 5).toDoubleArray()),
                java.util.Arrays.toString(Tensor.randn(8, 5).toDoubleArray()));
        double[] n = Tensor.randn(1, 10_000).toDoubleArray();
        double mean = 0;
        for (double v : n) {
            mean += v;
        }
        mean /= n.length;
        double var = 0;
        for (double v : n) {
            var += (v - mean) * (v - mean);
        }
        double std = Math.sqrt(var / (n.length - 1));
        // Standard error of the mean is 0.01; of the std about 0.007: 5 sigma bounds.
        assertEquals(0, mean, 0.05);
        assertEquals(1, std, 0.035);
        assertEquals(DType.FLOAT32, Tensor.randn(1, 3).dtype());
        assertEquals(DType.FLOAT64, Tensor.random(1, true, DType.FLOAT64, 3).dtype());
        assertArrayEquals(new long[] {2, 3}, Tensor.rand(3, 2, 3).shape());
    }

    @Test
    void scalarsItemAndArrays() {
        Tensor s = Tensor.scalar(3.5f);
        assertArrayEquals(new long[0], s.shape());
        assertEquals(0, s.dim());
        assertEquals(1, s.numel());
        assertEquals(3.5, s.item());
        assertEquals(2.25, Tensor.scalar(2.25).item());
        assertEquals(DType.FLOAT64, Tensor.scalar(2.25).dtype());
        assertEquals(4, Tensor.of(new long[] {4}, 1, 1).item());
        assertEquals(7.0, Tensor.scalar(3.5f).add(Tensor.scalar(3.5f)).item());
        assertArrayEquals(new long[0], Tensor.scalar(2.0).exp().shape());
        assertArrayEquals(new long[0], Tensor.scalar(2.0).sum().shape());
        assertEquals(2.0, Tensor.scalar(2.0).sum(0).item());
        assertEquals(1.0, Tensor.scalar(2.0).softmax(0).item());
        Tensor x = Tensor.of(new double[] {0.1, 0.2, 0.3, 0.4}, 2, 2);
        assertArrayEquals(new double[] {0.1, 0.2, 0.3, 0.4}, x.toDoubleArray());
        assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, x.toFloatArray());
        assertArrayEquals(new float[] {0.1f, 0.3f, 0.2f, 0.4f}, x.T().toFloatArray());
        Tensor f = Tensor.of(new float[] {0.1f, 0.7f}, 2);
        assertArrayEquals(new double[] {0.1f, 0.7f}, f.toDoubleArray());
        assertEquals(3, Tensor.of(new long[] {1, 2, 3}, 3).select(0, -1).item());
    }
}
