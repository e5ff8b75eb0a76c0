package dev.tangent.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Operand;
import dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary;
import dev.tangent.engine.TensorAccess;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The native relu kernels (libtangent_cpu, {@code TANGENT_CPU_RELU}) against the Java reference
 * kernels, bit for bit: relu(NaN) = NaN, relu(-0) = -0, relu(-inf) = +0, and the tangent is zero
 * where y <= 0 and passes (NaN and ±inf tangents included) where y > 0 or y is NaN, as PyTorch's
 * threshold_backward. Lengths around the vector widths exercise the masked tails; the jvp also
 * runs in place (y over x, dy over dx), as the fused linear layer calls it.
 */
class NativeReluTest {
    private static final double[] SPECIAL = {Double.NaN, -Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
        0.0, -0.0, 1.0, -1.0, Double.MIN_VALUE, -Double.MIN_VALUE, 1e-40, -1e-40, Float.MAX_VALUE, -Float.MAX_VALUE, 1e300, -1e300};
    private static final double[] SPECIAL_TANGENT = {1.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
        -0.0, 0.0, -2.0, 3.0};

    @BeforeAll
    static void loaded() {
        assumeTrue(NativeKernels.enabled(), () -> "skipped: " + NativeCpuLibrary.unavailableReason());
    }

    private static Operand o(Tensor t) {
        return TensorAccess.get().value(t);
    }

    /** Every special value of x against every special tangent, then random values, n elements in all. */
    private static double[][] data(int n, long seed) {
        double[] x = new double[n];
        double[] t = new double[n];
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            int s = i / SPECIAL_TANGENT.length;
            if (s < SPECIAL.length) {
                x[i] = SPECIAL[s];
                t[i] = SPECIAL_TANGENT[i % SPECIAL_TANGENT.length];
            } else {
                x[i] = r.nextGaussian() * 3;
                t[i] = r.nextGaussian();
            }
        }
        return new double[][] {x, t};
    }

    private static void assertSameBits(Tensor expected, Tensor actual, String what) {
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++) {
            if (Double.doubleToLongBits(e[i]) != Double.doubleToLongBits(a[i])) {
                throw new AssertionError(what + ": element " + i + " java=" + e[i] + " native=" + a[i]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void matchesTheJavaKernelsBitForBit(DType dt) {
        for (int n : new int[] {1, 7, 8, 15, 16, 17, SPECIAL.length * SPECIAL_TANGENT.length, 1037}) {
            try (Scope s = Scope.open()) {
                double[][] d = data(n, n);
                Tensor x = Tensor.of(d[0], dt, n);
                Tensor t = Tensor.of(d[1], dt, n);
                String what = "relu " + dt + " n=" + n;

                Tensor yRef = Tensor.zeros(dt, n);
                JavaElementwise.unary(Prim.RELU, Attrs.Scalars.NONE, o(x), o(yRef));
                Tensor y = Tensor.zeros(dt, n);
                assertTrue(NativeKernels.unary(Prim.RELU, o(x), o(y)), what + ": the native kernel declined");
                assertSameBits(yRef, y, what + " forward");

                Tensor yjRef = Tensor.zeros(dt, n);
                Tensor tyRef = Tensor.zeros(dt, n);
                assertTrue(JavaElementwise.unaryJvp(Prim.RELU, Attrs.Scalars.NONE, o(x), o(t), o(yjRef), o(tyRef)));
                Tensor yj = Tensor.zeros(dt, n);
                Tensor ty = Tensor.zeros(dt, n);
                assertTrue(NativeKernels.unaryJvp(Prim.RELU, o(x), o(t), o(yj), o(ty)), what + ": the native jvp declined");
                assertSameBits(yjRef, yj, what + " jvp primal");
                assertSameBits(tyRef, ty, what + " jvp tangent");
                assertSameBits(yRef, yj, what + " jvp primal = forward");

                Tensor xi = Tensor.of(d[0], dt, n);
                Tensor ti = Tensor.of(d[1], dt, n);
                assertTrue(NativeKernels.unaryJvp(Prim.RELU, o(xi), o(ti), o(xi), o(ti)));
                assertSameBits(yjRef, xi, what + " in place, primal");
                assertSameBits(tyRef, ti, what + " in place, tangent");
            }
        }
    }
}
