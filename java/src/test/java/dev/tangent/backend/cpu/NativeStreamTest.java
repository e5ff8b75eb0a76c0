package dev.tangent.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import dev.tangent.backend.Operand;
import dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary;
import dev.tangent.engine.TensorAccess;
import dev.tangent.ops.Prim;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tangent's native float32 binary ops and sum (libtangent_cpu, {@code tangent_cpu_binary_f32},
 * {@code tangent_cpu_sum_f32}) and the split of native kernels over threads ({@link CpuTeam}):
 * binary ops bit for bit against the Java kernel (NaN, ±inf, ±0, subnormals, every tail, one and
 * several threads); the sum within the bound of any float32 order, the same bits on 1, 2 and 3
 * threads, NaN and ±inf propagated, overflow to inf; the cases they do not take (broadcast,
 * non-contiguous, float64, small) left to the next kernel; split element-wise kernels equal to
 * one thread's, bit for bit.
 */
class NativeStreamTest {
    private static final float[] SPECIAL = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1f, -1f,
        Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, Float.MAX_VALUE, -Float.MAX_VALUE, 3f, 0.1f};

    @BeforeAll
    static void loaded() {
        assumeTrue(NativeKernels.enabled(), () -> "skipped: " + NativeCpuLibrary.unavailableReason());
    }

    @AfterEach
    void adaptive() {
        Tangent.adaptiveThreads();
    }

    private static Operand o(Tensor t) {
        return TensorAccess.get().value(t);
    }

    /** Every pair of special values first (a and b shifted against each other), then Gaussian values. */
    private static Tensor data(int n, long seed, boolean shifted) {
        float[] v = new float[n];
        Random r = new Random(seed);
        int k = SPECIAL.length;
        for (int i = 0; i < n; i++) {
            v[i] = i < k * k ? SPECIAL[shifted ? i / k : i % k] : (float) (r.nextGaussian() * 3);
        }
        return Tensor.of(v, n);
    }

    private static void assertSameBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i])) {
                throw new AssertionError(what + " at " + i + ": " + want[i] + " (Java) vs " + got[i] + " (native)");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Prim.class, names = {"ADD", "SUB", "MUL", "DIV"})
    void binaryEqualsJavaBitwise(Prim op) {
        for (int n : new int[] {4096, 4097, 4111, 3 * 65536 + 5, (1 << 20) + 3}) {
            for (int threads : new int[] {1, 2}) {
                Tangent.setNumThreads(threads);
                try (Scope s = Scope.open()) {
                    Tensor a = data(n, 1, false);
                    Tensor b = data(n, 2, true);
                    Tensor got = Tensor.zeros(n);
                    Tensor want = Tensor.zeros(n);
                    assertTrue(NativeKernels.binary(op, o(a), o(b), o(got)), "native takes " + op + " n=" + n);
                    JavaElementwise.binary(op, o(a), o(b), o(want));
                    assertSameBits(want.toFloatArray(), got.toFloatArray(), op + " n=" + n + " threads=" + threads);
                }
            }
        }
    }

    @Test
    void binaryDeclinesWhatItDoesNotCover() {
        try (Scope s = Scope.open()) {
            Tensor a = data(8192, 1, false);
            Tensor out = Tensor.zeros(8192);
            assertFalse(NativeKernels.binary(Prim.MUL, o(a), o(Tensor.full(2, 1)), o(out)), "broadcast operand");
            assertFalse(NativeKernels.binary(Prim.MAXIMUM, o(a), o(a), o(out)), "maximum");
            Tensor m = data(8192, 3, false).reshape(64, 128);
            Tensor mt = m.transpose(0, 1);
            Tensor out2 = Tensor.zeros(128, 64);
            assertFalse(NativeKernels.binary(Prim.ADD, o(mt), o(mt), o(out2)), "non-contiguous operand");
            Tensor small = data(100, 4, false);
            assertFalse(NativeKernels.binary(Prim.ADD, o(small), o(small), o(Tensor.zeros(100))), "below STREAM_MIN");
            Tensor d = Tensor.of(new double[8192], DType.FLOAT64, 8192);
            assertFalse(NativeKernels.binary(Prim.ADD, o(d), o(d), o(Tensor.zeros(DType.FLOAT64, 8192))), "float64");
            // through the backend the transposed case still gives the Java kernel's values
            Tensor viaBackend = mt.mul(mt);
            Tensor contiguousRef = Tensor.of(mt.toFloatArray(), 128, 64);
            assertSameBits(contiguousRef.mul(contiguousRef).toFloatArray(), viaBackend.toFloatArray(), "transposed mul");
        }
    }

    private static float nativeSum(Tensor x) {
        Tensor out = Tensor.zeros(new long[0]);
        assertTrue(NativeKernels.sum(Prim.SUM, o(x), o(out)), "native takes the sum");
        return out.toFloatArray()[0];
    }

    @ParameterizedTest
    @ValueSource(ints = {4096, 65536, 65537, 2 * 65536 + 17, 1 << 20, 3_000_001})
    void sumIsAccurateAndTheSameOnAnyNumberOfThreads(int n) {
        try (Scope s = Scope.open()) {
            float[] v = new float[n];
            Random r = new Random(n);
            double sum = 0;
            double abs = 0;
            for (int i = 0; i < n; i++) {
                v[i] = (float) (r.nextDouble() * 2 - 0.7);
                sum += v[i];
                abs += Math.abs(v[i]);
            }
            double exact = sum;
            double mag = abs;
            Tensor x = Tensor.of(v, n);
            Tangent.setNumThreads(1);
            float one = nativeSum(x);
            assertTrue(Math.abs(one - exact) <= (n + 2) * mag * 0x1p-24, () -> "sum " + one + " vs " + exact);
            // a cascade: far tighter than the bound of any order (sqrt-n growth at worst here)
            assertTrue(Math.abs(one - exact) <= 64 * mag * 0x1p-24, () -> "sum " + one + " vs " + exact + " (cascade bound)");
            for (int threads : new int[] {2, 3}) {
                Tangent.setNumThreads(threads);
                assertEquals(Float.floatToIntBits(one), Float.floatToIntBits(nativeSum(x)), "threads " + threads);
                assertEquals(Float.floatToIntBits(one), Float.floatToIntBits(x.sum().toFloatArray()[0]), "x.sum(), threads " + threads);
            }
        }
    }

    @Test
    void sumPropagatesNaNAndInfinityAndOverflowsLikeFloat32() {
        try (Scope s = Scope.open()) {
            int n = 200_003;
            float[] v = new float[n];
            java.util.Arrays.fill(v, 1f);
            v[150_000] = Float.NaN;
            assertTrue(Float.isNaN(nativeSum(Tensor.of(v, n))), "NaN");
            v[150_000] = Float.NEGATIVE_INFINITY;
            assertEquals(Float.NEGATIVE_INFINITY, nativeSum(Tensor.of(v, n)), "-inf");
            v[7] = Float.POSITIVE_INFINITY;
            assertTrue(Float.isNaN(nativeSum(Tensor.of(v, n))), "inf + -inf");
            java.util.Arrays.fill(v, Float.MAX_VALUE);
            assertEquals(Float.POSITIVE_INFINITY, nativeSum(Tensor.of(v, n)), "float32 overflow");
            java.util.Arrays.fill(v, -0f);
            float z = nativeSum(Tensor.of(v, n));
            assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(z), "a sum of -0s is +0");
        }
    }

    @Test
    void sumDeclinesWhatItDoesNotCover() {
        try (Scope s = Scope.open()) {
            Tensor m = data(8192, 3, false).reshape(64, 128);
            assertFalse(NativeKernels.sum(Prim.SUM, o(m.transpose(0, 1)), o(Tensor.zeros(new long[0]))), "non-contiguous");
            assertFalse(NativeKernels.sum(Prim.SUM, o(m), o(Tensor.zeros(64))), "a sum over one dim");
            assertFalse(NativeKernels.sum(Prim.AMAX, o(m), o(Tensor.zeros(new long[0]))), "amax");
            assertFalse(NativeKernels.sum(Prim.SUM, o(data(100, 1, false)), o(Tensor.zeros(new long[0]))), "small");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Prim.class, names = {"SIN", "EXP", "TANH"})
    void splitElementwiseEqualsOneThread(Prim op) {
        int n = (1 << 20) + 3;
        try (Scope s = Scope.open()) {
            Tensor x = data(n, 5, false);
            Tensor dx = data(n, 6, true);
            Tensor[] y = new Tensor[4];
            int k = 0;
            for (int threads : new int[] {1, 2}) {
                Tangent.setNumThreads(threads);
                y[k] = Tensor.zeros(n);
                y[k + 1] = Tensor.zeros(n);
                Tensor yj = Tensor.zeros(n);
                assertTrue(NativeKernels.unary(op, o(x), o(y[k])));
                assertTrue(NativeKernels.unaryJvp(op, o(x), o(dx), o(yj), o(y[k + 1])));
                k += 2;
            }
            assertSameBits(y[0].toFloatArray(), y[2].toFloatArray(), op + " forward, 2 threads");
            assertSameBits(y[1].toFloatArray(), y[3].toFloatArray(), op + " jvp tangent, 2 threads");
        }
    }

    @Test
    void teamCoversEveryElementOnceAndWaitsForEveryChunk() {
        int n = 1_000_003;
        AtomicIntegerArray seen = new AtomicIntegerArray(n);
        AtomicInteger running = new AtomicInteger();
        CpuTeam.forRange(3, n, 1000, (from, to) -> {
            running.incrementAndGet();
            for (long i = from; i < to; i++) {
                seen.incrementAndGet((int) i);
            }
            running.decrementAndGet();
        });
        assertEquals(0, running.get(), "a chunk still running after the call returned");
        for (int i = 0; i < n; i++) {
            if (seen.get(i) != 1) {
                throw new AssertionError("element " + i + " done " + seen.get(i) + " times");
            }
        }
        IllegalStateException boom = new IllegalStateException("boom");
        AtomicInteger after = new AtomicInteger();
        var thrown = assertThrows(IllegalStateException.class, () -> CpuTeam.forRange(2, n, 1000, (from, to) -> {
            running.incrementAndGet();
            try {
                if (from == 5000) {
                    throw boom;
                }
                after.incrementAndGet();
            } finally {
                running.decrementAndGet();
            }
        }));
        assertSame(boom, thrown);
        assertEquals(0, running.get(), "every chunk ended before the failure was rethrown");
    }

    @Test
    void theBackendRoutesLargeContiguousFloat32Work() {
        assumeTrue(Backends.cpu().nativeKernels(), "native kernels off in this backend");
        try (Scope s = Scope.open()) {
            int n = 1 << 18;
            Tensor a = data(n, 8, false);
            Tensor b = data(n, 9, true);
            Tensor want = Tensor.zeros(n);
            JavaElementwise.binary(Prim.MUL, o(a), o(b), o(want));
            assertSameBits(want.toFloatArray(), a.mul(b).toFloatArray(), "a.mul(b)");
            Tensor c = Tensor.randn(11, n);
            float viaTensor = c.sum().toFloatArray()[0];
            assertEquals(Float.floatToIntBits(nativeSum(c)), Float.floatToIntBits(viaTensor), "x.sum() is the native sum");
        }
    }
}
