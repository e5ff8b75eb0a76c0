package dev.tangent.djl.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpResult;
import dev.tangent.nn.F;
import org.junit.jupiter.api.Test;

/**
 * The engine's convolution and pooling (im2col / stacked slices on oneDNN's matmul) against
 * Tangent's own kernels, values and jvps, float64, on awkward geometry: groups, dilation, strides,
 * padding, ceil mode, count_include_pad, non-square kernels.
 */
class ComposeTest {
    private static void close(Tensor got, Tensor want, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        double[] g = got.toDoubleArray();
        double[] w = want.toDoubleArray();
        double err = 0;
        double scale = 1e-300;
        for (int i = 0; i < g.length; i++) {
            err = Math.max(err, Math.abs(g[i] - w[i]));
            scale = Math.max(scale, Math.abs(w[i]));
        }
        assertTrue(err / scale <= 1e-12, what + ": " + err / scale);
    }

    @Test
    void convolutionEqualsTangentsKernel() {
        long[][] cases = {
            // n, c, h, w, o, groups, kh, kw, sh, sw, ph, pw, dh, dw
            {2, 4, 9, 7, 6, 1, 3, 3, 1, 1, 1, 1, 1, 1},
            {1, 4, 10, 10, 4, 2, 3, 2, 2, 1, 1, 0, 1, 2},
            {2, 3, 8, 8, 5, 1, 1, 1, 2, 2, 0, 0, 1, 1},
            {1, 6, 7, 9, 6, 3, 5, 3, 1, 2, 2, 1, 1, 1},
        };
        for (long[] c : cases) {
            try (Scope s = Scope.open()) {
                Tensor x = Tensor.random(1, true, DType.FLOAT64, c[0], c[1], c[2], c[3]);
                Tensor w = Tensor.random(2, true, DType.FLOAT64, c[4], c[1] / c[5], c[6], c[7]);
                Tensor b = Tensor.random(3, true, DType.FLOAT64, c[4]);
                Tensor vx = Tensor.random(4, true, DType.FLOAT64, x.shape());
                Tensor vw = Tensor.random(5, true, DType.FLOAT64, w.shape());
                long[] st = {c[8], c[9]};
                long[] pd = {c[10], c[11]};
                long[] dl = {c[12], c[13]};
                long g = c[5];
                JvpResult<Tensor> want = Functional.jvp((Tuple t) -> F.conv2d(t.get(0), t.get(1), b, st, pd, dl, g),
                        Tuple.of(x, w), Tuple.of(vx, vw));
                JvpResult<Tensor> got = Functional.jvp((Tuple t) -> Compose.conv2d(t.get(0), t.get(1), b, st, pd, dl, g),
                        Tuple.of(x, w), Tuple.of(vx, vw));
                close(got.output(), want.output(), "conv " + java.util.Arrays.toString(c));
                close(got.jvp(), want.jvp(), "conv jvp " + java.util.Arrays.toString(c));
            }
        }
    }

    @Test
    void poolingEqualsTangentsKernel() {
        long[][] cases = {
            // kh, kw, sh, sw, ph, pw, ceil
            {2, 2, 2, 2, 0, 0, 0},
            {3, 3, 2, 2, 1, 1, 0},
            {3, 3, 2, 2, 1, 1, 1},
            {3, 2, 2, 3, 0, 1, 1},
            {3, 3, 1, 1, 1, 1, 0},
        };
        for (long[] c : cases) {
            for (boolean max : new boolean[] {true, false}) {
                for (boolean countPad : new boolean[] {true, false}) {
                    try (Scope s = Scope.open()) {
                        Tensor x = Tensor.random(7, true, DType.FLOAT64, 2, 3, 9, 8);
                        Tensor v = Tensor.random(8, true, DType.FLOAT64, 2, 3, 9, 8);
                        long[] k = {c[0], c[1]};
                        long[] st = {c[2], c[3]};
                        long[] pd = {c[4], c[5]};
                        boolean ceil = c[6] == 1;
                        JvpResult<Tensor> want = Functional.jvp((Tensor t) -> max
                                ? F.maxPool2d(t, k, st, pd, new long[] {1, 1}, ceil)
                                : F.avgPool2d(t, k, st, pd, ceil, countPad, 0), x, v);
                        JvpResult<Tensor> got = Functional.jvp((Tensor t) -> Compose.pool2d(t, k, st, pd, ceil, max, countPad),
                                x, v);
                        String what = (max ? "max" : "avg" + (countPad ? "" : " no pad count")) + " "
                                + java.util.Arrays.toString(c);
                        close(got.output(), want.output(), what);
                        close(got.jvp(), want.jvp(), what + " jvp");
                    }
                }
            }
        }
    }
}
