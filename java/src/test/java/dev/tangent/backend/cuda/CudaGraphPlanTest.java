package dev.tangent.backend.cuda;

import static dev.tangent.backend.cuda.CudaTests.GPU;
import static dev.tangent.backend.cuda.CudaTests.assertClose;
import static dev.tangent.backend.cuda.CudaTests.requireCuda;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Compiled plans on the GPU (replayed as CUDA graphs) against eager jvp, across many replays. */
class CudaGraphPlanTest {
    @Test
    void seedPlanReplaysAsAGraphAndReadsNewInputsEachTime() {
        requireCuda();
        Function<Tensor, Tensor> f = x -> x.exp().sum(1);
        try (Scope s = Scope.open(); JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(f, Tensor.zeros(4, 4).to(GPU))) {
            for (int i = 0; i < 5; i++) {
                Tensor x = Tensor.rand(i, 4, 4);
                Tensor v = Tensor.randn(100 + i, 4, 4);
                JvpResult<Tensor> eager = Functional.jvp(f, x, v);
                JvpResult<Tensor> r = plan.apply(x.to(GPU), v.to(GPU));
                assertClose("plan output #" + i, eager.output(), r.output(), 1e-5);
                assertClose("plan jvp #" + i, eager.jvp(), r.jvp(), 1e-5);
            }
        }
    }

    @Test
    void mlpPlanMatchesEagerInBothPrecisions() {
        requireCuda();
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            try (Scope s = Scope.open()) {
                Tensor w1 = Tensor.randn(1, 64, 128).mul(0.1).to(t).to(GPU);
                Tensor b1 = Tensor.randn(2, 128).mul(0.1).to(t).to(GPU);
                Tensor w2 = Tensor.randn(3, 128, 10).mul(0.1).to(t).to(GPU);
                Function<Tensor, Tensor> mlp = x -> x.matmul(w1).add(b1).tanh().matmul(w2);
                Tensor x0 = Tensor.randn(4, 33, 64).to(t).to(GPU);
                try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(mlp, x0)) {
                    for (int i = 0; i < 3; i++) {
                        Tensor x = Tensor.randn(10 + i, 33, 64).to(t).to(GPU);
                        Tensor v = Tensor.randn(20 + i, 33, 64).to(t).to(GPU);
                        JvpResult<Tensor> eager = Functional.jvp(mlp, x, v);
                        JvpResult<Tensor> r = plan.apply(x, v);
                        double tol = t == DType.FLOAT32 ? 1e-5 : 1e-12;
                        assertClose("mlp plan output " + t, eager.output(), r.output(), tol);
                        assertClose("mlp plan jvp " + t, eager.jvp(), r.jvp(), tol);
                    }
                }
            }
        }
    }

    @Test
    void planWithHostRoundTripsFallsBackToEagerReplay() {
        requireCuda();
        Function<Tuple, Tensor> f = in -> in.get(0).indexSelect(1, Tensor.of(new long[] {3, 1}, 2).to(GPU))
                .mul(in.get(1)).softmax(0);
        Tuple ex = Tuple.of(Tensor.zeros(5, 4).to(GPU), Tensor.zeros(5, 2).to(GPU));
        try (Scope s = Scope.open(); JvpPlan<Tuple, Tensor> plan = JvpPlan.compile(f, ex)) {
            for (int i = 0; i < 3; i++) {
                Tuple x = Tuple.of(Tensor.randn(i, 5, 4).to(GPU), Tensor.randn(i + 5, 5, 2).to(GPU));
                Tuple v = Tuple.of(Tensor.randn(i + 9, 5, 4).to(GPU), Tensor.randn(i + 13, 5, 2).to(GPU));
                JvpResult<Tensor> eager = Functional.jvp(f, x, v);
                JvpResult<Tensor> r = plan.apply(x, v);
                assertClose("index plan output", eager.output(), r.output(), 1e-5);
                assertClose("index plan jvp", eager.jvp(), r.jvp(), 1e-5);
            }
        }
    }
}
