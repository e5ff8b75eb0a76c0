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

/** W2 "mlp", reverse mode: vjp (one backward) and hvp of sum(f) (double backward), batch 1 and 64. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DjlMlpReverseBench {
    @Param({"1", "2"})
    public int threads;

    @Param({"1", "64"})
    public int batch;

    private NDManager manager;
    private DjlMlp mlp;
    private NDArray x, u, v;

    @Setup
    public void setUp() {
        Engine engine = DjlRuntime.start(threads);
        manager = engine.newBaseManager();
        mlp = new DjlMlp(engine, manager, 7);
        x = DjlRuntime.gaussian(manager, 21, 1f, batch, DjlMlp.IN);
        v = DjlRuntime.gaussian(manager, 22, 1f, batch, DjlMlp.IN);
        u = DjlRuntime.gaussian(manager, 23, 1f, batch, DjlMlp.OUT);
    }

    @TearDown
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public void mlp_djlVjp(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(mlp.vjp(x, u));
        }
    }

    @Benchmark
    public void mlp_djlHvp(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(mlp.hvp(x, v));
        }
    }
}
