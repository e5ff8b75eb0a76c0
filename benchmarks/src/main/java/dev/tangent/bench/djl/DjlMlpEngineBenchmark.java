package dev.tangent.bench.djl;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.tangent.Tensor;
import dev.tangent.djl.DjlFunctional;
import dev.tangent.djl.DjlJvpPlan;
import dev.tangent.djl.Interop;
import dev.tangent.functional.Functional;
import dev.tangent.nn.F;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * DJL's Mlp (784-1024-1024-10 tanh, the same weights from one .params file) on the PyTorch engine and
 * on the Tangent engine: forward; jvp as a DJL user writes it today (PyTorch double backward, finite
 * differences) against DjlFunctional's forward-mode jvp and a compiled DjlJvpPlan; and the cost of
 * the DJL layer — the Tangent engine against Tangent's own API on the same weights.
 * Variant names: djl* run on DJL's PyTorch engine, tangent* on Tangent.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DjlMlpEngineBenchmark {
    @Param({"1"})
    public int threads;

    @Param({"1", "64"})
    public int batch;

    private Model pt;
    private Model tg;
    private NDArray ptX, ptV, tgX, tgV;
    private DjlJvpPlan plan;
    private final List<Tensor> weights = new ArrayList<>();
    private Tensor x, v;

    @Setup
    public void setUp() throws Exception {
        DjlModels.start(threads);
        Path dir = DjlModels.save(DjlModels.MLP, new Shape(batch, 784), 7);
        pt = DjlModels.load(DjlModels.MLP, "PyTorch", dir);
        tg = DjlModels.load(DjlModels.MLP, "Tangent", dir);
        ptX = DjlModels.gaussian(pt.getNDManager(), 21, batch, 784);
        ptV = DjlModels.gaussian(pt.getNDManager(), 22, batch, 784);
        tgX = DjlModels.gaussian(tg.getNDManager(), 21, batch, 784);
        tgV = DjlModels.gaussian(tg.getNDManager(), 22, batch, 784);
        plan = DjlJvpPlan.compile(tg.getBlock(), new NDList(tgX));
        for (Pair<String, Parameter> p : tg.getBlock().getParameters()) {
            weights.add(Interop.toTensor(p.getValue().getArray()));
        }
        x = Interop.toTensor(tgX);
        v = Interop.toTensor(tgV);
    }

    @TearDown
    public void tearDown() {
        plan.close();
        pt.close();
        tg.close();
    }

    /** The same MLP in Tangent's own API, on the Tangent model's weights (no copy). */
    private Tensor tangentMlp(Tensor in) {
        Tensor h = F.linear(in, weights.get(0), weights.get(1)).tanh();
        h = F.linear(h, weights.get(2), weights.get(3)).tanh();
        return F.linear(h, weights.get(4), weights.get(5));
    }

    @Benchmark
    public void djlmlp_djlForward(Blackhole bh) {
        try (NDScope s = new NDScope()) {
            bh.consume(DjlModels.forward(pt.getBlock(), pt.getNDManager(), ptX));
        }
    }

    @Benchmark
    public void djlmlp_tangentEngineForward(Blackhole bh) {
        try (NDScope s = new NDScope()) {
            bh.consume(DjlModels.forward(tg.getBlock(), tg.getNDManager(), tgX));
        }
    }

    @Benchmark
    public void djlmlp_tangentApiForward(Blackhole bh) {
        try (dev.tangent.Scope s = dev.tangent.Scope.open()) {
            bh.consume(tangentMlp(x).sum().item());
        }
    }

    @Benchmark
    public void djlmlp_djlJvpDoubleBackward(Blackhole bh) {
        try (NDScope s = new NDScope()) {
            bh.consume(DjlModels.doubleBackwardJvp(pt.getBlock(), pt.getNDManager(), ptX, ptV));
        }
    }

    @Benchmark
    public void djlmlp_djlJvpFiniteDiff(Blackhole bh) {
        try (NDScope s = new NDScope()) {
            bh.consume(DjlModels.finiteDiffJvp(pt.getBlock(), pt.getNDManager(), ptX, ptV));
        }
    }

    /** DjlFunctional on the user's PyTorch model and arrays: weights and inputs read in place, results copied back. */
    @Benchmark
    public void djlmlp_tangentFacadeJvpOnPytorchModel(Blackhole bh) {
        try (NDScope s = new NDScope()) {
            bh.consume(DjlFunctional.jvp(pt.getBlock(), new NDList(ptX), new NDList(ptV)));
        }
    }

    @Benchmark
    public void djlmlp_tangentFacadeJvp(Blackhole bh) {
        try (NDScope s = new NDScope()) {
            bh.consume(DjlFunctional.jvp(tg.getBlock(), new NDList(tgX), new NDList(tgV)));
        }
    }

    @Benchmark
    public void djlmlp_tangentPlanJvp(Blackhole bh) {
        bh.consume(plan.apply(new NDList(tgX), new NDList(tgV)));
    }

    @Benchmark
    public void djlmlp_tangentApiJvp(Blackhole bh) {
        try (dev.tangent.Scope s = dev.tangent.Scope.open()) {
            bh.consume(Functional.jvp(this::tangentMlp, x, v).jvp().sum().item());
        }
    }
}
