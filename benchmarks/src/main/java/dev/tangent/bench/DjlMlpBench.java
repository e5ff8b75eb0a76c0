package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
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

import java.util.concurrent.TimeUnit;

/**
 * W2 "mlp": 784→1024→1024→10 tanh MLP, float32: forward and DJL's three ways to a jvp today.
 * Weights are made once per fork; every call frees its temporaries (NDScope).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DjlMlpBench {
    @Param({"1", "2"})
    public int threads;

    @Param({"1", "64", "1024"})
    public int batch;

    private NDManager manager;
    private DjlMlp mlp;
    private NDArray x, v;

    @Setup
    public void setUp() {
        Engine engine = DjlRuntime.start(threads);
        manager = engine.newBaseManager();
        mlp = new DjlMlp(engine, manager, 7);
        x = DjlRuntime.gaussian(manager, 21, 1f, batch, DjlMlp.IN);
        v = DjlRuntime.gaussian(manager, 22, 1f, batch, DjlMlp.IN);
    }

    @TearDown
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public void mlp_djlForward(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(mlp.forward(x));
        }
    }

    @Benchmark
    public void mlp_djlJvpFiniteDiff(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(mlp.jvpFiniteDiff(x, v));
        }
    }

    @Benchmark
    public void mlp_djlJvpByHand(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(mlp.jvpByHand(x, v));
        }
    }

    /** Leaks in libtorch (see DjlMemoryGrowth): the fork's RSS grows while this runs. */
    @Benchmark
    public void mlp_djlJvpDoubleBackward(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(mlp.jvpDoubleBackward(x, v));
        }
    }
}
