package dev.tangent.backend.cuda;

import static dev.tangent.backend.cuda.CudaTests.GPU;
import static dev.tangent.backend.cuda.CudaTests.assertClose;
import static dev.tangent.backend.cuda.CudaTests.requireCuda;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Representative {@code jvp} calls (the seed examples, an MLP, softmax, pow, where, indexing, both
 * float dtypes) on the GPU against the same calls on the CPU, which the golden tests tie to
 * PyTorch. Skipped without a GPU.
 */
class CudaJvpTest {
    /** name -> function of a tuple of inputs. */
    static Map<String, Function<Tuple, Tensor>> cases() {
        Map<String, Function<Tuple, Tensor>> m = new LinkedHashMap<>();
        m.put("exp_reducer x.exp().sum(1)", in -> in.get(0).exp().sum(1));
        m.put("adder 2x + 3y", in -> in.get(0).mul(2).add(in.get(1).mul(3)));
        m.put("mlp tanh", in -> in.get(0).matmul(in.get(1)).tanh().matmul(in.get(2)).sum(1));
        m.put("softmax * log_softmax", in -> in.get(0).softmax(1).mul(in.get(1).logSoftmax(0)));
        m.put("pow, sqrt, div", in -> in.get(0).abs().add(0.5).pow(in.get(1)).div(in.get(2).square().add(1).sqrt()));
        m.put("where relu maximum", in -> Tensor.where(in.get(0).gt(0), in.get(0).relu(), in.get(1).maximum(in.get(2))));
        m.put("sin * exp sum", in -> in.get(0).sin().mul(in.get(1).exp()).sum());
        m.put("index_select + gather", in -> in.get(0).indexSelect(0, Tensor.of(new long[] {2, 0, 2}, 3).to(GPU_OR_CPU(in)))
                .gather(1, Tensor.of(new long[] {1, 0, 3, 2, 2, 0}, 3, 2).to(GPU_OR_CPU(in))).sum(0));
        m.put("amax, mean, transpose", in -> in.get(0).mT().amax(1).add(in.get(1).mean(0)));
        return m;
    }

    static dev.tangent.Device GPU_OR_CPU(Tuple in) {
        return in.get(0).device();
    }

    static Tuple inputs(DType t, long seed) {
        List<Value> v = new ArrayList<>();
        v.add(Tensor.randn(seed, 4, 4).to(t));
        v.add(Tensor.randn(seed + 1, 4, 4).to(t));
        v.add(Tensor.randn(seed + 2, 4, 4).to(t));
        return Tuple.of(v.toArray(new Value[0]));
    }

    static Tuple on(Tuple t, dev.tangent.Device d) {
        Value[] v = new Value[t.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = t.get(i).to(d);
        }
        return Tuple.of(v);
    }

    @Test
    void jvpOnTheGpuMatchesTheCpu() {
        requireCuda();
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            double tol = t == DType.FLOAT32 ? 1e-4 : 1e-10;
            for (Map.Entry<String, Function<Tuple, Tensor>> c : cases().entrySet()) {
                try (Scope s = Scope.open()) {
                    Tuple x = inputs(t, 1);
                    Tuple v = inputs(t, 7);
                    JvpResult<Tensor> cpu = Functional.jvp(c.getValue(), x, v);
                    JvpResult<Tensor> gpu = Functional.jvp(c.getValue(), on(x, GPU), on(v, GPU));
                    assertClose(c.getKey() + " output " + t, cpu.output(), gpu.output(), tol);
                    assertClose(c.getKey() + " jvp " + t, cpu.jvp(), gpu.jvp(), tol);
                }
            }
        }
    }

    @Test
    void createGraphJvpAndLargeElementwise() {
        requireCuda();
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.rand(3, 1 << 20).to(DType.FLOAT32);
            Tensor v = Tensor.ones(1 << 20);
            Function<Tensor, Tensor> f = a -> a.sin().mul(a.exp()).sum();
            JvpResult<Tensor> cpu = Functional.jvp(f, x, v);
            JvpResult<Tensor> gpu = Functional.jvp(f, x.to(GPU), v.to(GPU));
            assertClose("sin*exp sum output", cpu.output(), gpu.output(), 1e-4);
            assertClose("sin*exp sum jvp", cpu.jvp(), gpu.jvp(), 1e-4);
            JvpResult<Tensor> g2 = Functional.jvp(f, x.to(GPU), v.to(GPU), true, false);
            assertClose("create_graph jvp", cpu.jvp(), g2.jvp(), 1e-4);
        }
    }
}
