package dev.tangent.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import dev.tangent.backend.Operand;
import dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary;
import dev.tangent.engine.TensorAccess;
import dev.tangent.functional.Functional;
import dev.tangent.nn.F;
import dev.tangent.ops.Attrs;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The native max_pool2d + jvp kernel ({@code tangent_cpu_max_pool2d_f32}) against the Java
 * reference, bit for bit: the values against {@code JavaNn.maxPool2d}, the tangent against the
 * input tangent gathered at the Java kernel's indices. Inputs hold NaN (several per window), ±inf,
 * ±0 and many ties (small integers), so that "a NaN wins, the last one; among equals the first tap"
 * is exercised; geometries cover padding, stride, dilation, ceil mode and non-square windows, rows
 * wide enough for the vectorised interior columns, and enough planes to split between threads.
 * End to end, {@code Functional.jvp} of {@code F.maxPool2d} (the fused kernel) equals the
 * Java kernels' indices-and-gather rule. The indices reverse mode uses come from the same kernel
 * ({@code NativeKernels.maxPool2dIndices}) and equal the Java kernel's.
 */
class NativeMaxPoolTest {
    @BeforeAll
    static void loaded() {
        assumeTrue(NativeKernels.enabled(), () -> "skipped: " + NativeCpuLibrary.unavailableReason());
    }

    private static Operand o(Tensor t) {
        return TensorAccess.get().value(t);
    }

    private static Attrs.Pool pool(long kh, long kw, long sh, long sw, long ph, long pw, long dh, long dw, boolean ceil) {
        return new Attrs.Pool(new long[] {kh, kw}, new long[] {sh, sw}, new long[] {ph, pw}, new long[] {dh, dw}, ceil,
                true, 0);
    }

    static Stream<Arguments> geometries() {
        List<Arguments> a = new ArrayList<>();
        a.add(Arguments.of(pool(3, 3, 2, 2, 1, 1, 1, 1, false), new long[] {2, 3, 11, 12}));   // ResNet's stem pool
        a.add(Arguments.of(pool(2, 2, 2, 2, 0, 0, 1, 1, false), new long[] {1, 4, 8, 9}));
        a.add(Arguments.of(pool(3, 2, 1, 2, 1, 0, 1, 1, true), new long[] {2, 2, 7, 9}));
        a.add(Arguments.of(pool(3, 3, 1, 2, 1, 1, 2, 2, false), new long[] {1, 3, 9, 10}));   // dilated and padded
        a.add(Arguments.of(pool(3, 3, 3, 3, 1, 1, 1, 1, true), new long[] {1, 2, 10, 8}));
        a.add(Arguments.of(pool(1, 1, 1, 1, 0, 0, 1, 1, false), new long[] {1, 1, 1, 1}));
        // wide rows: the vectorised runs of interior columns (stride 2, 1 and 3) and their tails
        a.add(Arguments.of(pool(3, 3, 2, 2, 1, 1, 1, 1, false), new long[] {2, 3, 9, 70}));
        a.add(Arguments.of(pool(3, 3, 1, 1, 1, 1, 1, 1, false), new long[] {1, 2, 6, 53}));
        a.add(Arguments.of(pool(2, 3, 3, 3, 0, 1, 1, 1, true), new long[] {1, 2, 8, 100}));
        // enough planes for the kernel's team to split them (409,600 elements)
        a.add(Arguments.of(pool(3, 3, 2, 2, 1, 1, 1, 1, false), new long[] {4, 64, 40, 40}));
        return a.stream();
    }

    /** Small integers (ties), with NaN, ±inf and ±0 sprinkled in. */
    private static float[] data(long n, long seed) {
        Random r = new Random(seed);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f};
        float[] d = new float[(int) n];
        for (int i = 0; i < n; i++) {
            d[i] = r.nextInt(10) == 0 ? special[r.nextInt(special.length)] : r.nextInt(5) - 2;
        }
        return d;
    }

    private static void assertSameBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " java=" + expected[i] + " native=" + actual[i]);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void matchesJavaValuesAndIndices(Attrs.Pool a, long[] shape) {
        try (Scope s = Scope.open()) {
            long n = shape[0] * shape[1] * shape[2] * shape[3];
            Tensor x = Tensor.of(data(n, n), shape);
            Tensor t = Tensor.of(data(n, n + 1), shape);
            Tensor ref = F.maxPool2d(x, a.kernel(), a.stride(), a.padding(), a.dilation(), a.ceilMode());
            long[] os = ref.shape();
            Tensor yRef = Tensor.zeros(DType.FLOAT32, os);
            Tensor idx = Tensor.zeros(DType.INT64, os);
            JavaNn.maxPool2d(a, o(x), o(yRef), o(idx));
            float[] td = t.toFloatArray();
            long[] ix = idx.toLongArray();
            float[] tyRef = new float[ix.length];
            long plane = shape[2] * shape[3];
            long outPlane = os[2] * os[3];
            for (int i = 0; i < ix.length; i++) {
                tyRef[i] = td[(int) ((i / outPlane) * plane + ix[i])];
            }
            Tensor y = Tensor.zeros(DType.FLOAT32, os);
            Tensor ty = Tensor.zeros(DType.FLOAT32, os);
            assertTrue(NativeKernels.maxPool2d(a, o(x), o(t), o(y), o(ty)), "the native kernel declined");
            String what = "max_pool2d " + java.util.Arrays.toString(shape) + " " + a;
            assertSameBits(yRef.toFloatArray(), y.toFloatArray(), what + " values");
            assertSameBits(tyRef, ty.toFloatArray(), what + " tangent");
            Tensor y2 = Tensor.zeros(DType.FLOAT32, os);
            assertTrue(NativeKernels.maxPool2d(a, o(x), null, o(y2), null));
            assertSameBits(yRef.toFloatArray(), y2.toFloatArray(), what + " values without the jvp");
        }
    }

    /** The indices (reverse mode's max_pool2d) by the jvp kernel: the Java kernel's, element for element, and its values. */
    @ParameterizedTest
    @MethodSource("geometries")
    void indicesMatchJava(Attrs.Pool a, long[] shape) {
        try (Scope s = Scope.open()) {
            long n = shape[0] * shape[1] * shape[2] * shape[3];
            Tensor x = Tensor.of(data(n, 3 * n), shape);
            long[] os = F.maxPool2d(x, a.kernel(), a.stride(), a.padding(), a.dilation(), a.ceilMode()).shape();
            Tensor yRef = Tensor.zeros(DType.FLOAT32, os);
            Tensor idxRef = Tensor.zeros(DType.INT64, os);
            JavaNn.maxPool2d(a, o(x), o(yRef), o(idxRef));
            Tensor y = Tensor.zeros(DType.FLOAT32, os);
            Tensor idx = Tensor.zeros(DType.INT64, os);
            String what = "max_pool2d indices " + java.util.Arrays.toString(shape) + " " + a;
            assertTrue(NativeKernels.maxPool2dIndices(a, o(x), o(y), o(idx)), what + ": declined");
            assertEquals(java.util.Arrays.toString(idxRef.toLongArray()), java.util.Arrays.toString(idx.toLongArray()), what);
            assertSameBits(yRef.toFloatArray(), y.toFloatArray(), what + " values");
            Tensor idx2 = Tensor.zeros(DType.INT64, os);
            assertTrue(NativeKernels.maxPool2dIndices(a, o(x), null, o(idx2)), what + ": declined without values");
            assertEquals(java.util.Arrays.toString(idxRef.toLongArray()), java.util.Arrays.toString(idx2.toLongArray()),
                    what + " without values");
        }
    }

    /** A window with no tap inside the plane (the Java kernel's index -1) is declined, not given index 0. */
    @Test
    void indicesDeclineAWindowOutsideThePlane() {
        try (Scope s = Scope.open()) {
            Attrs.Pool a = pool(2, 1, 1, 1, 1, 0, 3, 1, false);   // rows: taps at -1 and 2 of a 2-row plane
            Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 1, 1, 2, 3);
            long[] os = F.maxPool2d(x, a.kernel(), a.stride(), a.padding(), a.dilation(), a.ceilMode()).shape();
            assertTrue(!NativeKernels.maxPool2dIndices(a, o(x), null, o(Tensor.zeros(DType.INT64, os))));
        }
    }

    @Test
    void functionalJvpEqualsTheJavaRule() {
        long[] shape = {2, 3, 13, 11};
        long n = shape[0] * shape[1] * shape[2] * shape[3];
        Tensor x = Tensor.of(data(n, 7), shape);
        Tensor v = Tensor.of(data(n, 8), shape);
        java.util.function.Function<Tensor, Tensor> f = z -> F.maxPool2d(z, 3, 2, 1);
        var fused = Functional.jvp(f, x, v);
        CpuBackend cpu = Backends.cpu();
        CpuAccelerator prevAcc = cpu.accelerator();
        boolean prevNative = cpu.nativeKernels();
        cpu.accelerator(null);
        cpu.nativeKernels(false);
        try {
            var rule = Functional.jvp(f, x, v);
            assertSameBits(rule.output().toFloatArray(), fused.output().toFloatArray(), "jvp value");
            assertSameBits(rule.jvp().toFloatArray(), fused.jvp().toFloatArray(), "jvp tangent");
        } finally {
            cpu.accelerator(prevAcc);
            cpu.nativeKernels(prevNative);
        }
    }
}
