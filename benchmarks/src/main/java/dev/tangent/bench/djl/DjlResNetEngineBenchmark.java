package dev.tangent.bench.djl;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.tangent.djl.DjlFunctional;
import dev.tangent.djl.DjlJvpPlan;
import java.nio.file.Path;
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
 * DJL's ResNetV1-18 (32x32 RGB, batch 1, the same weights from one .params file) on the PyTorch and
 * Tangent engines: forward, and the jvp a DJL user writes today against DjlFunctional and a plan.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
public class DjlResNetEngineBenchmark {
    @Param({"1"})
    public int threads;

    @Param({"1"})
    public int batch;

    private Model pt;
    private Model tg;
    private NDArray ptX, ptV, tgX, tgV;
    private DjlJvpPlan plan;

    @Setup
    public void setUp() throws Exception {
        DjlModels.start(threads);
        Path dir = DjlModels.save(DjlModels.RESNET18, new Shape(batch, 3, 32, 32), 7);
        pt = DjlModels.load(DjlModels.RESNET18, "PyTorch", dir);
        tg = DjlModels.load(DjlModels.RESNET18, "Tangent", dir);
        ptX = DjlModels.gaussian(pt.getNDManager(), 21, batch, 3, 32, 32);
        ptV = DjlModels.gaussian(pt.getNDManager(), 22, batch, 3, 32, 32);
        tgX = DjlModels.gaussian(tg.getNDManager(), 21, batch, 3, 32, 32);
        tgV = DjlModels.gaussian(tg.getNDManager(), 22, batch, 3, 32, 32);
        plan = DjlJvpPlan.compile(tg.getBlock(), new NDList(tgX));
    }

    @TearDown
    public void tearDown() {
        plan.close();
        pt.close();
        tg.close();
    }

    @Benchmark
    public void djlresnet_djlForward(Blackhole bh) {
        try (NDScope s = new NDScope()) {
            bh.consume(DjlModels.forward(pt.getBlock(), pt.getNDManager(), ptX));
        }
    }

    @Benchmark
    public void djlresnet_tangentEngineForward(Blackhole bh) {
        try (NDScope s = new NDScope()) {
            bh.consume(DjlModels.forward(tg.getBlock(), tg.getNDManager(), tgX));
        }
    }

    @Benchmark
    public void djlresnet_djlJvpDoubleBackward(Blackhole bh) {
        try (NDScope s = new NDScope()) {
            bh.consume(DjlModels.doubleBackwardJvp(pt.getBlock(), pt.getNDManager(), ptX, ptV));
        }
    }

    @Benchmark
    public void djlresnet_djlJvpFiniteDiff(Blackhole bh) {
        try (NDScope s = new NDScope()) {
            bh.consume(DjlModels.finiteDiffJvp(pt.getBlock(), pt.getNDManager(), ptX, ptV));
        }
    }

    @Benchmark
    public void djlresnet_tangentFacadeJvpOnPytorchModel(Blackhole bh) {
        try (NDScope s = new NDScope()) {
            bh.consume(DjlFunctional.jvp(pt.getBlock(), new NDList(ptX), new NDList(ptV)));
        }
    }

    @Benchmark
    public void djlresnet_tangentFacadeJvp(Blackhole bh) {
        try (NDScope s = new NDScope()) {
            bh.consume(DjlFunctional.jvp(tg.getBlock(), new NDList(tgX), new NDList(tgV)));
        }
    }

    @Benchmark
    public void djlresnet_tangentPlanJvp(Blackhole bh) {
        bh.consume(plan.apply(new NDList(tgX), new NDList(tgV)));
    }
}
