package dev.tangent.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.backend.Backends;
import dev.tangent.backend.cpu.CpuAccelerator;
import dev.tangent.backend.cpu.dnnl.DnnlAccelerator;
import dev.tangent.backend.cpu.dnnl.DnnlLibrary;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import dev.tangent.functional.JvpStrategy;
import java.lang.ref.WeakReference;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The counterexamples the property tests shrank to, as plain tests (each failed before its fix). */
class RegressionTest {

    /** Autograd.run: an output whose node lies inside another output's graph was ordered after it. */
    @Test
    void doubleBackwardJvpWithABroadcastInput() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(new double[] {0.3, -0.7}, 2);
            Tensor y = Tensor.of(new double[] {0.2}, 1);
            Tuple v = Tuple.of(Tensor.of(new double[] {1, 2}, 2), Tensor.of(new double[] {0.5}, 1));
            Function<Tuple, Tensor> f = in -> in.get(0).add(in.get(1)).sin();
            double[] analytic = {Math.cos(0.5) * 1.5, Math.cos(-0.5) * 2.5};   // cos(x + y) (vx + vy)
            for (JvpStrategy st : JvpStrategy.values()) {
                assertArrayEquals(analytic, Functional.jvp(f, Tuple.of(x, y), v, false, false, st).jvp().toDoubleArray(),
                        1e-15, st.toString());
            }
        }
    }

    @Test
    void vjpOfTwoOutputsWhereOneIsComputedFromTheOther() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(new double[] {0.1, 0.2, 0.3}, 3);
            Function<Tensor, Tuple> f = t -> {
                Tensor h = t.sin();
                return Tuple.of(h, h.sum());
            };
            // d/dx [sin x · 1 + sum(sin x) · 2] = cos x · 3
            double[] got = ((Tensor) Functional.vjp(f, x, Tuple.of(Tensor.ones(DType.FLOAT64, 3),
                    Tensor.scalar(2.0))).vjp()).toDoubleArray();
            assertArrayEquals(new double[] {3 * Math.cos(0.1), 3 * Math.cos(0.2), 3 * Math.cos(0.3)}, got, 1e-15);
        }
    }

    /** CpuBackend.copy: the fused [x; dx] cat of a size-0 matmul read past an empty storage. */
    /** forwardModeMatchesDoubleBackward: input [3, 0] -> [slice#0]; reading the empty view threw. */
    @Test
    void readingAnEmptyViewPastTheEndOfItsStorage() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.zeros(DType.FLOAT64, 3, 0).slice(0, 1, -1);   // [1, 0] at offset 1 of an empty storage
            assertArrayEquals(new double[0], x.toDoubleArray());
            assertArrayEquals(new long[0], Tensor.zeros(DType.INT64, 3, 0).slice(0, 1, -1).toLongArray());
            assertArrayEquals(new float[0], x.toFloatArray());
        }
    }

    @Test
    void jvpOfAMatmulOverAnEmptyOffsetView() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.ones(DType.FLOAT64, 1).slice(0, 1, 5);   // shape [0], storage offset 1
            for (JvpStrategy st : JvpStrategy.values()) {
                JvpResult<Tensor> r = Functional.jvp((Tensor t) -> t.matmul(Tensor.ones(DType.FLOAT64, 0, 2)), x, x,
                        false, false, st);
                assertArrayEquals(new double[] {0, 0}, r.output().toDoubleArray());
                assertArrayEquals(new double[] {0, 0}, r.jvp().toDoubleArray());
            }
        }
    }

    /** DnnlAccelerator.matmul: expanded rows/columns, or a batch dim expanded in both operands. */
    @Test
    void matmulOfExpandedOperandsAboveTheCutOver() {
        Assumptions.assumeTrue(DnnlLibrary.isAvailable());
        try (Scope s = Scope.open()) {
            Tensor row = Tensor.randn(1, 1, 512).expand(64, 512);                 // stride 0 on M
            Tensor w = Tensor.randn(2, 512, 32);
            float[] got = row.matmul(w).toFloatArray();
            float[] ref = row.contiguous().matmul(w).toFloatArray();
            assertArrayEquals(ref, got, 1e-3f);
            Tensor col = Tensor.randn(3, 512, 1).expand(512, 32);                 // stride 0 on N
            assertArrayEquals(Tensor.randn(4, 64, 512).matmul(col.contiguous()).toFloatArray(),
                    Tensor.randn(4, 64, 512).matmul(col).toFloatArray(), 1e-3f);
            Tensor a = Tensor.randn(5, 1, 16, 64).expand(3, 16, 64);             // batch stride 0 in both
            Tensor b = Tensor.randn(6, 1, 64, 16).expand(3, 64, 16);
            assertArrayEquals(a.contiguous().matmul(b.contiguous()).toFloatArray(), a.matmul(b).toFloatArray(), 1e-3f);
        }
    }

    /** prod's derivative over an empty dim built its exclusive products from no slices (found by seed 264021096026287, try 83). */
    @Test
    void prodJvpAndVjpOverAnEmptyDim() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.zeros(dev.tangent.DType.FLOAT32, 3, 0);
            var r = dev.tangent.functional.Functional.jvp((Tensor t) -> t.prod(1), x, Tensor.zerosLike(x));
            assertArrayEquals(new float[] {0f, 0f, 0f}, r.jvp().toFloatArray());
            assertArrayEquals(new float[] {1f, 1f, 1f}, r.output().toFloatArray());
            var g = dev.tangent.functional.Functional.vjp((Tensor t) -> t.prod(1), x, Tensor.ones(3));
            assertEquals(0, g.vjp().numel());
        }
    }

    /** DnnlAccelerator: strides oneDNN reads as overlapping (dnnl_invalid_arguments) fall back to Java. */
    @Test
    void eltwiseOnAStackedSlicedView() {
        Assumptions.assumeTrue(DnnlLibrary.isAvailable());
        CpuAccelerator saved = Backends.cpu().accelerator();
        DnnlAccelerator eager = new DnnlAccelerator(16);
        eager.cutovers(0, 0);
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(new float[] {0.1f, 0.2f, 0.3f}, 1, 3);
            Tensor view = Tensor.stack(0, x, x.cos()).slice(2, 0, 3, 2);           // [2, 1, 2], strides [3, 3, 2]
            Backends.cpu().accelerator(eager);
            float[] got = view.tanh().toFloatArray();
            float[] in = view.contiguous().toFloatArray();
            for (int i = 0; i < in.length; i++) {
                assertEquals(Math.tanh(in[i]), got[i], 1e-6);
            }
        } finally {
            Backends.cpu().accelerator(saved);
        }
    }

    /** JvpPlan.close: other threads' instances kept the function's captured tensors reachable. */
    @Test
    void aClosedPlanReleasesWhatItsFunctionCaptured() throws Exception {
        // a pool thread that stays alive, as in a service: its ThreadLocal map still holds its instance
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            WeakReference<Tensor> weights = compileUseOnAPoolThreadAndClose(pool);
            for (int i = 0; i < 50 && weights.get() != null; i++) {
                System.gc();
                Thread.sleep(10);
            }
            assertNull(weights.get(), "the weights of a closed plan are collectable");
        } finally {
            pool.shutdown();
        }
    }

    private static WeakReference<Tensor> compileUseOnAPoolThreadAndClose(java.util.concurrent.ExecutorService pool)
            throws Exception {
        Tensor w = Tensor.randn(1, 8, 8);
        JvpPlan<Tensor, Tensor> plan = JvpPlan.compile((Tensor t) -> t.matmul(w).tanh(), Tensor.ones(2, 8));
        pool.submit(() -> plan.apply(Tensor.ones(2, 8), Tensor.ones(2, 8))).get();
        plan.close();
        return new WeakReference<>(w);
    }
}
