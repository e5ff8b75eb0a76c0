package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
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
 * ResNet-18 (torchvision layout, 3×224×224, BatchNorm in inference mode; see {@link Resnet18Spec}), DJL reverse mode at batch 1: vjp (one backward) and the hvp of 0.5·‖f(x)‖² (double
 * backward), the baselines of {@link TangentResnet18ReverseBench}.
 *
 * Heavy workload: one fork per parameter set, 25×1 s warmup (the same for both engines: at 1
 * thread the JIT compiler shares the pinned core until it settles) and 3×1 s measurement (a call longer
 * than an iteration makes that iteration one sample); run-bench.sh leaves these counts to the
 * annotations.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 25, time = 1)
@Measurement(iterations = 3, time = 1)
public class DjlResnet18ReverseBench {
    @Param({"1", "2"})
    public int threads;

    @Param({"1"})
    public int batch;

    private NDManager manager;
    private DjlResnet18 net;
    private NDArray x, v, u;

    @Setup
    public void setUp() {
        Engine engine = DjlRuntime.start(threads);
        manager = engine.newBaseManager();
        net = new DjlResnet18(engine, manager, Resnet18Spec.params(Resnet18Spec.SEED_WEIGHTS));
        long[] s = Resnet18Spec.inputShape(batch);
        long[] us = new long[] {batch, Resnet18Spec.CLASSES};
        x = manager.create(NnParams.input(Resnet18Spec.SEED_X, 1f, s), new Shape(s));
        v = manager.create(NnParams.input(Resnet18Spec.SEED_V, 1f, s), new Shape(s));
        u = manager.create(NnParams.input(Resnet18Spec.SEED_U, 1f, us), new Shape(us));
    }

    @TearDown
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public void resnet18_djlVjp(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(net.vjp(x, u));
        }
    }

    @Benchmark
    public void resnet18_djlHvp(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(net.hvp(x, v));
        }
    }
}
