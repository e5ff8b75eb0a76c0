package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.util.RandomUtils;

/**
 * The neural-network operations DJL's blocks call (NDArrayEx), against plain-Java reference
 * implementations written here: the same assertions on both engines.
 */
class NnContractTest extends ContractBase {
    private static double[] values(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    @BothEngines
    void linearIsXTimesWTransposedPlusB(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray x = Engines.gaussian64(m, 1, 1, 2, 3);
            NDArray w = Engines.gaussian64(m, 2, 1, 4, 3);
            NDArray b = Engines.gaussian64(m, 3, 1, 4);
            double[] xv = values(x);
            double[] wv = values(w);
            double[] bv = values(b);
            double[] want = new double[8];
            for (int i = 0; i < 2; i++) {
                for (int o = 0; o < 4; o++) {
                    double s = bv[o];
                    for (int k = 0; k < 3; k++) {
                        s += xv[i * 3 + k] * wv[o * 3 + k];
                    }
                    want[i * 4 + o] = s;
                }
            }
            NDArray y = Linear.linear(x, w, b).singletonOrThrow();
            assertEquals(new Shape(2, 4), y.getShape());
            assertClose(y, 1e-12, want);
            assertEquals(new Shape(5, 2, 4), Linear.linear(x.reshape(1, 2, 3).repeat(0, 5), w, b).head().getShape());
        }
    }

    /** Naive cross-correlation of x [N, C, H, W] with w [O, C, kh, kw], stride s, zero padding p. */
    static double[] conv2d(double[] x, long[] xs, double[] w, long[] ws, double[] bias, int s, int p) {
        int n = (int) xs[0];
        int c = (int) xs[1];
        int h = (int) xs[2];
        int wd = (int) xs[3];
        int o = (int) ws[0];
        int kh = (int) ws[2];
        int kw = (int) ws[3];
        int oh = (h + 2 * p - kh) / s + 1;
        int ow = (wd + 2 * p - kw) / s + 1;
        double[] y = new double[n * o * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int f = 0; f < o; f++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double acc = bias == null ? 0 : bias[f];
                        for (int ch = 0; ch < c; ch++) {
                            for (int u = 0; u < kh; u++) {
                                for (int v = 0; v < kw; v++) {
                                    int r = i * s - p + u;
                                    int q = j * s - p + v;
                                    if (r >= 0 && r < h && q >= 0 && q < wd) {
                                        acc += x[((b * c + ch) * h + r) * wd + q] * w[((f * c + ch) * kh + u) * kw + v];
                                    }
                                }
                            }
                        }
                        y[((b * o + f) * oh + i) * ow + j] = acc;
                    }
                }
            }
        }
        return y;
    }

    @BothEngines
    void convolution1dAnd2dMatchTheDefinition(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray x = Engines.gaussian64(m, 4, 1, 2, 2, 5, 5);
            NDArray w = Engines.gaussian64(m, 5, 1, 3, 2, 3, 3);
            NDArray b = Engines.gaussian64(m, 6, 1, 3);
            NDArray y = Conv2d.conv2d(x, w, b, new Shape(2, 2), new Shape(1, 1)).singletonOrThrow();
            assertEquals(new Shape(2, 3, 3, 3), y.getShape());
            assertClose(y, 1e-12, conv2d(values(x), new long[] {2, 2, 5, 5}, values(w), new long[] {3, 2, 3, 3},
                    values(b), 2, 1));
            NDArray x1 = Engines.gaussian64(m, 7, 1, 1, 2, 6);
            NDArray w1 = Engines.gaussian64(m, 8, 1, 4, 2, 3);
            NDArray y1 = Conv1d.conv1d(x1, w1, null, new Shape(1), new Shape(1), new Shape(1)).singletonOrThrow();
            assertEquals(new Shape(1, 4, 6), y1.getShape());
            assertClose(y1, 1e-12, conv1dPad1(values(x1), values(w1)));
        }
    }

    private static double[] conv1dPad1(double[] x, double[] w) {
        // x [1, 2, 6], w [4, 2, 3], padding 1, stride 1
        double[] y = new double[4 * 6];
        for (int f = 0; f < 4; f++) {
            for (int j = 0; j < 6; j++) {
                double acc = 0;
                for (int c = 0; c < 2; c++) {
                    for (int v = 0; v < 3; v++) {
                        int q = j - 1 + v;
                        if (q >= 0 && q < 6) {
                            acc += x[c * 6 + q] * w[(f * 2 + c) * 3 + v];
                        }
                    }
                }
                y[f * 6 + j] = acc;
            }
        }
        return y;
    }

    @BothEngines
    void poolingMaxAverageAndGlobal(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray x = m.arange(0f, 32f, 1f).reshape(1, 2, 4, 4);
            NDArray mx = Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
            assertValues(mx, new Shape(1, 2, 2, 2), DataType.FLOAT32, 5, 7, 13, 15, 21, 23, 29, 31);
            NDArray av = Pool.avgPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false, true);
            assertValues(av, new Shape(1, 2, 2, 2), DataType.FLOAT32, 2.5, 4.5, 10.5, 12.5, 18.5, 20.5, 26.5, 28.5);
            NDArray ceil = Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(0, 0), true);
            assertEquals(new Shape(1, 2, 2, 2), ceil.getShape());
            assertValues(ceil.get("0, 0"), new Shape(2, 2), DataType.FLOAT32, 10, 11, 14, 15);
            NDArray padded = Pool.avgPool2d(x, new Shape(3, 3), new Shape(1, 1), new Shape(1, 1), false, true);
            assertEquals(new Shape(1, 2, 4, 4), padded.getShape());
            assertEquals((0 + 1 + 4 + 5) / 9.0, padded.getFloat(0, 0, 0, 0), 1e-6, "padding counts as zeros");
            assertValues(Pool.globalAvgPool2d(x), new Shape(1, 2), DataType.FLOAT32, 7.5, 23.5);
            assertValues(Pool.globalMaxPool2d(x), new Shape(1, 2), DataType.FLOAT32, 15, 31);
            NDArray x1 = m.arange(0f, 8f, 1f).reshape(1, 1, 8);
            assertValues(Pool.maxPool1d(x1, new Shape(2), new Shape(2), new Shape(0), false), new Shape(1, 1, 4),
                    DataType.FLOAT32, 1, 3, 5, 7);
            assertValues(Pool.avgPool1d(x1, new Shape(4), new Shape(4), new Shape(0), false, true), new Shape(1, 1, 2),
                    DataType.FLOAT32, 1.5, 5.5);
        }
    }

    @BothEngines
    void batchNormLayerNormEmbeddingDropout(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray x = Engines.gaussian64(m, 9, 1, 2, 3, 2, 2);
            double[] rm = {0.5, -1, 0};
            double[] rv = {1, 4, 0.25};
            double[] g = {2, 1, -1};
            double[] be = {0, 1, 3};
            NDArray y = BatchNorm.batchNorm(x, m.create(rm), m.create(rv), m.create(g), m.create(be), 1, 0.9f, 1e-5f,
                    false).singletonOrThrow();
            double[] xv = values(x);
            double[] want = new double[xv.length];
            for (int i = 0; i < xv.length; i++) {
                int c = (i / 4) % 3;
                want[i] = (xv[i] - rm[c]) / Math.sqrt(rv[c] + 1e-5) * g[c] + be[c];
            }
            assertClose(y, 1e-6, want);

            NDArray z = Engines.gaussian64(m, 10, 2, 2, 5);
            double[] zv = values(z);
            double[] lw = {1, 2, 3, 4, 5};
            double[] lb = {0, 0, 1, 1, -1};
            double[] lwant = new double[10];
            for (int r = 0; r < 2; r++) {
                double mean = 0;
                for (int k = 0; k < 5; k++) {
                    mean += zv[r * 5 + k] / 5;
                }
                double var = 0;
                for (int k = 0; k < 5; k++) {
                    var += Math.pow(zv[r * 5 + k] - mean, 2) / 5;
                }
                for (int k = 0; k < 5; k++) {
                    lwant[r * 5 + k] = (zv[r * 5 + k] - mean) / Math.sqrt(var + 1e-5) * lw[k] + lb[k];
                }
            }
            assertClose(LayerNorm.layerNorm(z, new Shape(5), m.create(lw), m.create(lb), 1e-5f).singletonOrThrow(), 1e-6,
                    lwant);

            NDArray table = m.create(new float[] {0, 1, 10, 11, 20, 21}, new Shape(3, 2));
            NDArray rows = Embedding.embedding(m.create(new long[] {2, 0, 2}), table, ai.djl.ndarray.types.SparseFormat.DENSE)
                    .singletonOrThrow();
            assertValues(rows, new Shape(3, 2), DataType.FLOAT32, 20, 21, 0, 1, 20, 21);

            NDArray ones = m.ones(new Shape(100, 100));
            assertTrue(Dropout.dropout(ones, 0.3f, false).singletonOrThrow().contentEquals(ones), "identity when not training");
            RandomUtils.RANDOM.setSeed(1);
            NDArray d = Dropout.dropout(ones, 0.3f, true).singletonOrThrow();
            double zeros = d.eq(0).toType(DataType.FLOAT32, false).mean().getFloat();
            assertEquals(0.3, zeros, 0.03);
            assertEquals(1 / 0.7, d.max().getFloat(), 1e-5, "survivors are scaled by 1 / (1 - rate)");
        }
    }

    @BothEngines
    void activationsAsDjlDefinesThem(String engine) {
        double[] x = {-3, -1, -0.25, 0, 0.5, 2, 4};
        try (NDManager m = manager(engine)) {
            NDArray a = m.create(x);
            act(Activation.relu(a), x, v -> Math.max(v, 0));
            act(Activation.relu6(a), x, v -> Math.min(Math.max(v, 0), 6));
            act(Activation.sigmoid(a), x, v -> 1 / (1 + Math.exp(-v)));
            act(Activation.tanh(a), x, Math::tanh);
            act(Activation.softPlus(a), x, v -> Math.log1p(Math.exp(v)));
            act(Activation.softSign(a), x, v -> v / (1 + Math.abs(v)));
            act(Activation.leakyRelu(a, 0.1f), x, v -> v > 0 ? v : 0.1f * v);
            act(Activation.elu(a, 1.5f), x, v -> v > 0 ? v : 1.5 * Math.expm1(v));
            act(Activation.selu(a), x, v -> 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v)));
            act(Activation.gelu(a), x, v -> 0.5 * v * (1 + erf(v / Math.sqrt(2))));
            act(Activation.swish(a, 1.5f), x, v -> v / (1 + Math.exp(-1.5 * v)));
            // DJL defines mish with log2: x * tanh(log2(1 + e^x)) (NDArrayEx.mish), and both engines use it
            act(Activation.mish(a), x, v -> v * Math.tanh(Math.log1p(Math.exp(v)) / Math.log(2)));
            NDList blockOut = Activation.reluBlock().forward(new ai.djl.training.ParameterStore(m, false),
                    new NDList(a), false);
            act(blockOut.singletonOrThrow(), x, v -> Math.max(v, 0));
        }
    }

    private static void act(NDArray got, double[] x, java.util.function.DoubleUnaryOperator f) {
        double[] want = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            want[i] = f.applyAsDouble(x[i]);
        }
        assertClose(got, 1e-6, want);
    }

    /** erf to about 1e-7 (Abramowitz and Stegun 7.1.26 is not enough; this is a series / continued fraction). */
    static double erf(double z) {
        double t = 1.0 / (1.0 + 0.5 * Math.abs(z));
        double ans = 1 - t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223
                + t * 0.17087277)))))))));
        return z >= 0 ? ans : -ans;
    }
}
