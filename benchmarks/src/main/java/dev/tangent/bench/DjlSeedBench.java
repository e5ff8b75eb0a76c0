package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
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

/** W1 "seed": x.exp().sum(1) on a 4×4 float32 input; the cost floor of one tiny call. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DjlSeedBench {
    /** libtorch intra-op and inter-op threads, fixed per fork before the engine starts. */
    @Param({"1", "2"})
    public int threads;

    private NDManager manager;
    private NDArray x, v;

    @Setup
    public void setUp() {
        Engine engine = DjlRuntime.start(threads);
        manager = engine.newBaseManager();
        x = DjlRuntime.gaussian(manager, 11, 1f, 4, 4);
        v = DjlRuntime.gaussian(manager, 12, 1f, 4, 4);
    }

    @TearDown
    public void tearDown() {
        manager.close();
    }

    static NDArray forward(NDArray x) {
        return x.exp().sum(new int[] {1});
    }

    /** [f(x), J·v]: d/dx sum_j exp(x_ij) applied to v is sum_j exp(x_ij)·v_ij. */
    static NDList jvpByHand(NDArray x, NDArray v) {
        NDArray e = x.exp();
        return new NDList(e.sum(new int[] {1}), e.mul(v).sum(new int[] {1}));
    }

    @Benchmark
    public void seed_djlForward(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(forward(x));
        }
    }

    @Benchmark
    public void seed_djlJvpByHand(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(jvpByHand(x, v));
        }
    }
}
