package dev.tangent.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.backend.Backends;
import dev.tangent.backend.NativeMemory;
import dev.tangent.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Compiled plans and linearize give what eager jvp gives, reject other shapes, and hold no per-call memory. */
class PlanAndLinearizeTest {
    private static final Tensor W1 = Tensor.randn(1, 64, 128).mul(0.1);
    private static final Tensor B1 = Tensor.randn(2, 128).mul(0.1);
    private static final Tensor W2 = Tensor.randn(3, 128, 10).mul(0.1);

    static Tensor mlp(Tensor x) {
        return x.matmul(W1).add(B1).tanh().matmul(W2);
    }

    /**
     * With the CPU's fused linear kernels (oneDNN, or at one row the native GEMV) and the epilogue
     * merge on (the default), the plan of {@link #mlp} is one kernel per layer: x@W1+B1 then tanh,
     * with its tangent, and x@W2 with its tangent. Without them it runs the composition's kernels
     * (more than 2: the stacked [x; dx] matmul, its slices, the bias add, tanh, the x@0 terms).
     */
    static void assertKernelCount(int count, long batch) {
        CpuBackend cpu = Backends.cpu();
        boolean fused = Boolean.parseBoolean(System.getProperty("tangent.fuse.epilogue", "true"))
                && (cpu.accelerator() != null || batch == 1 && cpu.nativeKernels());
        if (fused) {
            assertEquals(2, count, "one fused kernel per layer");
        } else {
            assertTrue(count > 2, "unfused plan: " + count + " kernels");
        }
    }

    @Test
    void planOfOneRowIsOneKernelPerLayer() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.randn(14, 1, 64);
            Tensor v = Tensor.randn(15, 1, 64);
            JvpResult<Tensor> eager = Functional.jvp(PlanAndLinearizeTest::mlp, x, v);
            try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(PlanAndLinearizeTest::mlp, x)) {
                assertKernelCount(plan.kernelCount(), 1);
                JvpResult<Tensor> r = plan.apply(x, v);
                assertArrayEquals(eager.output().toFloatArray(), r.output().toFloatArray(), 1e-6f);
                assertArrayEquals(eager.jvp().toFloatArray(), r.jvp().toFloatArray(), 1e-6f);
            }
        }
    }

    @Test
    void planEqualsEagerJvpAndReusesItsBuffers() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.randn(4, 8, 64);
            Tensor v = Tensor.randn(5, 8, 64);
            JvpResult<Tensor> eager = Functional.jvp(PlanAndLinearizeTest::mlp, x, v);
            try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(PlanAndLinearizeTest::mlp, x)) {
                assertKernelCount(plan.kernelCount(), 8);
                JvpResult<Tensor> r = plan.apply(x, v);
                assertArrayEquals(eager.output().toFloatArray(), r.output().toFloatArray(), 1e-6f);
                assertArrayEquals(eager.jvp().toFloatArray(), r.jvp().toFloatArray(), 1e-6f);
                // new inputs, same plan: the result follows the inputs
                Tensor x2 = Tensor.randn(6, 8, 64);
                Tensor v2 = Tensor.randn(7, 8, 64);
                JvpResult<Tensor> eager2 = Functional.jvp(PlanAndLinearizeTest::mlp, x2, v2);
                // let the garbage collector free earlier unscoped temporaries first (it would
                // otherwise do so during the loop, and live bytes would drop)
                for (int g = 0; g < 5; g++) {
                    System.gc();
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                long live = NativeMemory.liveBytes();
                for (int i = 0; i < 1000; i++) {
                    plan.apply(x2, v2);
                }
                assertEquals(live, NativeMemory.liveBytes(), "a plan allocates no native memory per call");
                JvpResult<Tensor> r2 = plan.apply(x2, v2);
                assertArrayEquals(eager2.jvp().toFloatArray(), r2.jvp().toFloatArray(), 1e-6f);
            }
        }
    }

    @Test
    void planRejectsOtherShapesDtypesAndUseAfterClose() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.randn(4, 8, 64);
            JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(PlanAndLinearizeTest::mlp, x);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> plan.apply(Tensor.randn(1, 9, 64), Tensor.randn(1, 9, 64)));
            assertTrue(e.getMessage().contains("[9, 64]") && e.getMessage().contains("[8, 64]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> plan.apply(x.toDouble(), x.toDouble()));
            plan.close();
            assertThrows(IllegalStateException.class, () -> plan.apply(x, x));
        }
    }

    @Test
    void planIsSafeFromManyThreads() throws Exception {
        Tensor x = Tensor.randn(4, 8, 64);
        Tensor v = Tensor.randn(5, 8, 64);
        float[] eager = Functional.jvp(PlanAndLinearizeTest::mlp, x, v).jvp().toFloatArray();
        try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(PlanAndLinearizeTest::mlp, x)) {
            // the plan merges each layer into one kernel: equal to eager within rounding, and
            // bit for bit the same on every thread
            float[] want = plan.apply(x, v).jvp().toFloatArray();
            assertArrayEquals(eager, want, 1e-6f);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Boolean>> fs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    fs.add(pool.submit(() -> {
                        boolean ok = true;
                        for (int i = 0; i < 300; i++) {
                            float[] got = plan.apply(x, v).jvp().toFloatArray();
                            ok &= java.util.Arrays.equals(want, got);
                        }
                        return ok;
                    }));
                }
                for (Future<Boolean> f : fs) {
                    assertTrue(f.get(), "each thread sees exactly the single-thread result");
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void linearizeAppliesTheSameJacobianToManyTangents() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.random(8, true, DType.FLOAT64, 3, 4);
            Function<Tensor, Tensor> f = t -> t.sin().mul(t.exp()).sum(1).add(t.mean());
            Linearized<Tensor, Tensor> lin = Func.linearize(f, x);
            assertArrayEquals(f.apply(x).toDoubleArray(), lin.output().toDoubleArray(), 1e-12);
            for (int k = 0; k < 5; k++) {
                Tensor v = Tensor.random(20 + k, true, DType.FLOAT64, 3, 4);
                assertArrayEquals(Functional.jvp(f, x, v).jvp().toDoubleArray(), lin.jvp(v).toDoubleArray(), 1e-12);
            }
            assertThrows(FunctionalException.class, () -> lin.jvp(Tensor.zeros(DType.FLOAT64, 4, 3)));
        }
    }

    @Test
    void linearizeOfATupleFunctionAndAConstantOutput() {
        try (Scope s = Scope.open()) {
            Tuple xs = Tuple.of(Tensor.random(1, true, DType.FLOAT64, 3), Tensor.random(2, true, DType.FLOAT64, 3));
            Function<Tuple, Tuple> f = in -> Tuple.of(in.get(0).mul(in.get(1)), Tensor.ones(DType.FLOAT64, 2));
            Linearized<Tuple, Tuple> lin = Func.linearize(f, xs);
            Tuple v = Tuple.of(Tensor.random(3, true, DType.FLOAT64, 3), Tensor.random(4, true, DType.FLOAT64, 3));
            Tuple got = lin.jvp(v);
            Tuple want = Functional.jvp(f, xs, v).jvp();
            assertArrayEquals(want.get(0).toDoubleArray(), got.get(0).toDoubleArray(), 1e-12);
            assertArrayEquals(new double[] {0, 0}, got.get(1).toDoubleArray());
        }
    }

    @Test
    void funcJvpMatchesFunctionalJvp() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.random(5, true, DType.FLOAT64, 2, 3);
            Tensor v = Tensor.random(6, true, DType.FLOAT64, 2, 3);
            JvpResult<Tensor> a = Func.jvp((Tensor t) -> t.tanh().sum(0), x, v);
            JvpResult<Tensor> b = Functional.jvp((Tensor t) -> t.tanh().sum(0), x, v);
            assertArrayEquals(b.jvp().toDoubleArray(), a.jvp().toDoubleArray(), 1e-14);
            assertThrows(FunctionalException.class, () -> Func.jvp((Tensor t) -> t, x, null));
        }
    }

    @Test
    void threadCountIsValidated() {
        int before = Tangent.numThreads();
        assertThrows(IllegalArgumentException.class, () -> Tangent.setNumThreads(0));
        assertEquals(before, Tangent.numThreads());
    }
}
