package dev.tangent.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The Java kernels' float32 sum ({@link CascadeSum}): accumulated in float32 like PyTorch's, so a
 * partial sum overflows where PyTorch's does, and accurate by its cascade, not by a wider type.
 * Runs with no accelerator, so the Java reduction is the one measured.
 */
class CascadeSumTest {
    private static final float MAX = Float.MAX_VALUE;

    private static <T> T onJavaKernels(Supplier<T> f) {
        CpuBackend cpu = Backends.cpu();
        var prev = cpu.accelerator();
        cpu.accelerator(null);
        try (Scope s = Scope.open()) {
            return f.get();
        } finally {
            cpu.accelerator(prev);
        }
    }

    private static float sum(float... v) {
        return onJavaKernels(() -> Tensor.of(v, v.length).sum().toFloatArray()[0]);
    }

    /** PyTorch 2.13 (CPU): torch.tensor(v).sum() for each row, float32. */
    @Test
    void partialSumsOverflowAsInPyTorch() {
        // -max + -max = -inf in float32 (a float64 accumulator gives a finite -6.8e38, then + inf = inf)
        assertTrue(Float.isNaN(sum(-MAX, -MAX, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY)));
        // (max + max) overflows before -max comes: inf (float64: 0)
        assertEquals(Float.POSITIVE_INFINITY, sum(MAX, MAX, -MAX, -MAX));
        // the lanes are added in PyTorch's order: ((max + max) + -max) + 0 overflows, (max + -max) + max does not
        assertEquals(Float.POSITIVE_INFINITY, sum(MAX, MAX, -MAX, 0f, 0f));
        assertEquals(MAX, sum(MAX, -MAX, MAX, 0f, 0f));
        // a sum of -0s is +0
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(sum(-0f, -0f, -0f)));
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(sum()));
    }

    /** Along a dim of a transposed view and over several dims, the same arithmetic (PyTorch: [nan, 4] and [nan, nan]). */
    @Test
    void overflowOverStridedAndSeveralDims() {
        float[] v = {-MAX, 1f, -MAX, 1f, Float.POSITIVE_INFINITY, 1f, Float.POSITIVE_INFINITY, 1f};
        float[] r = onJavaKernels(() -> Tensor.of(v, 4, 2).T().sum(1).toFloatArray());
        assertTrue(Float.isNaN(r[0]));
        assertEquals(4f, r[1]);
        float[] w = {-MAX, -MAX, -MAX, -MAX, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY,
            Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY};
        float[] s = onJavaKernels(() -> Tensor.of(w, 2, 2, 2).sum(new int[] {0, 2}, false).toFloatArray());
        assertTrue(Float.isNaN(s[0]) && Float.isNaN(s[1]), "[-max, -max, inf, inf] twice: " + java.util.Arrays.toString(s));
    }

    /**
     * 2^22 copies of 0.1f: a float32 running sum drifts (adding 0.1 to ~4e5 keeps few of its
     * bits); the cascade stays within 1e-6 of the exact sum (PyTorch's: 419430.28 for 419430.41).
     */
    @Test
    void longSumsStayAccurate() {
        int n = 1 << 22;
        double exact = (double) 0.1f * n;
        float naive = 0f;
        for (int i = 0; i < n; i++) {
            naive += 0.1f;
        }
        float cascade = onJavaKernels(() -> Tensor.full(0.1f, DType.FLOAT32, dev.tangent.Device.cpu(), n).sum().toFloatArray()[0]);
        assertTrue(Math.abs(naive - exact) / exact > 1e-2, "the naive float32 sum is off: " + naive + " vs " + exact);
        assertTrue(Math.abs(cascade - exact) / exact < 1e-6, "cascade " + cascade + " vs exact " + exact);
    }

    /**
     * Contiguous rows (a sum over trailing dims) take a shortcut past the strided walk: it must give
     * the strided walk's result bit for bit (any NaN equal to any NaN: the sign of a NaN made by
     * inf - inf depends on the instruction order the JIT picks) — the same row summed through a transposed view takes
     * the walk. Rows of 0 to 200 elements (across the short-row / cascade boundary of 64) with
     * -0, ±inf, NaN, huge and tiny values; float32 sum and the float64 sum, prod, amax and amin.
     */
    @Test
    void contiguousRowsMatchTheStridedWalkBitForBit() {
        java.util.Random rnd = new java.util.Random(7);
        float[] specials = {-0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, MAX, -MAX,
            Float.MIN_VALUE, 1e-30f, 3f};
        for (int n = 0; n <= 200; n += n < 70 ? 1 : 13) {
            int rows = 3;
            float[] v = new float[rows * n];
            for (int i = 0; i < v.length; i++) {
                v[i] = rnd.nextInt(20) == 0 ? specials[rnd.nextInt(specials.length)] : (float) rnd.nextGaussian() * 100f;
            }
            int len = n;
            float[] fast = onJavaKernels(() -> Tensor.of(v, rows, len).sum(1).toFloatArray());
            float[] walk = onJavaKernels(() -> Tensor.of(v, rows, len).T().sum(0).toFloatArray());
            for (int r = 0; r < rows; r++) {
                assertEquals(Float.floatToIntBits(walk[r]), Float.floatToIntBits(fast[r]),
                        "float32 sum of row " + r + " of length " + n);
            }
            for (String op : n == 0 ? new String[] {"sum", "prod"} : new String[] {"sum", "prod", "amax", "amin"}) {
                double[] f = onJavaKernels(() -> reduce(op, Tensor.of(v, rows, len).to(DType.FLOAT64), 1));
                double[] w = onJavaKernels(() -> reduce(op, Tensor.of(v, rows, len).to(DType.FLOAT64).T(), 0));
                for (int r = 0; r < rows; r++) {
                    assertEquals(Double.doubleToLongBits(w[r]), Double.doubleToLongBits(f[r]),
                            "float64 " + op + " of row " + r + " of length " + n);
                }
            }
        }
    }

    private static double[] reduce(String op, Tensor t, int dim) {
        Tensor r = switch (op) {
            case "sum" -> t.sum(dim);
            case "prod" -> t.prod(dim);
            case "amax" -> t.amax(dim);
            default -> t.amin(dim);
        };
        return r.toDoubleArray();
    }

    /**
     * A sum over a run of dims followed by kept ones, on a contiguous tensor (summed a tile of
     * output columns at a time) equals, bit for bit (any NaN alike), the same sum over a transposed
     * view of the same values (the strided walk per output): a partial second tile, carries into
     * levels 1 and 2 of the cascade, NaN, ±inf, -0 and overflowing partial sums.
     */
    @Test
    void columnTilesEqualTheStridedWalkBitForBit() {
        for (long[] c : new long[][] {{3, 37, 1500}, {2, 1100, 40}, {1, 4100, 3}}) {
            assertSameSums(c, new int[] {1});
        }
    }

    /**
     * A sum whose innermost reduced dim is a contiguous run (dims 0 and 2 of [a, b, c], as batch
     * norm sums NCHW over N, H, W: whole rounds of the 4 lanes added at once) equals, bit for bit
     * (any NaN alike), the same sum over a view where that dim is strided (one element at a time):
     * runs that start mid-round, carries up to level 2, NaN, ±inf, -0 and overflow.
     */
    @Test
    void contiguousRunsEqualElementByElementBitForBit() {
        for (long[] c : new long[][] {{5, 3, 3137}, {70, 2, 65}, {1, 4, 4101}, {3, 2, 3}}) {
            assertSameSums(c, new int[] {0, 2});
        }
    }

    /**
     * Sums {@code dims} of a contiguous [a, b, n] tensor and of a view with the same values whose
     * dims 1 and 2 are swapped in memory (x[p][q][i] stored at z[p][i][q]), which the Java kernel
     * walks element by element, and requires the same floats: {@code floatToIntBits} takes every
     * NaN alike (Java leaves a NaN's sign and payload to the hardware and the JIT, which may swap an
     * addition's operands) and keeps -0 and +0 apart.
     */
    private static void assertSameSums(long[] shape, int[] dims) {
        int a = (int) shape[0];
        int b = (int) shape[1];
        int n = (int) shape[2];
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, MAX, -MAX};
        float[] x = new float[a * b * n];
        java.util.Random rnd = new java.util.Random(a * 131L + b * 7L + n);
        for (int k = 0; k < x.length; k++) {
            x[k] = k % 997 == 5 ? special[(k / 997) % special.length] : (float) (rnd.nextGaussian() * (1 + k % 7));
        }
        float[] z = new float[x.length];
        for (int p = 0; p < a; p++) {
            for (int q = 0; q < b; q++) {
                for (int i = 0; i < n; i++) {
                    z[(p * n + i) * b + q] = x[(p * b + q) * n + i];
                }
            }
        }
        float[] fast = onJavaKernels(() -> Tensor.of(x, a, b, n).sum(dims, false).toFloatArray());
        float[] walk = onJavaKernels(() -> Tensor.of(z, a, n, b).transpose(1, 2).sum(dims, false).toFloatArray());
        assertEquals(walk.length, fast.length);
        for (int k = 0; k < walk.length; k++) {
            assertEquals(Float.floatToIntBits(walk[k]), Float.floatToIntBits(fast[k]),
                    java.util.Arrays.toString(shape) + " sum " + java.util.Arrays.toString(dims) + " output " + k + ": "
                            + walk[k] + " vs " + fast[k]);
        }
    }
}
