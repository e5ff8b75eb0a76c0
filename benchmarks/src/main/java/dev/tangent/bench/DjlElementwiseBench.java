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

/** W3 "elementwise": (x.sin() * x.exp()).sum() over 2^20 float32 elements; memory-bound. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DjlElementwiseBench {
    static final int SIZE = 1 << 20;

    @Param({"1", "2"})
    public int threads;

    private NDManager manager;
    private NDArray x, v;

    @Setup
    public void setUp() {
        Engine engine = DjlRuntime.start(threads);
        manager = engine.newBaseManager();
        x = DjlRuntime.gaussian(manager, 31, 1f, SIZE);
        v = DjlRuntime.gaussian(manager, 32, 1f, SIZE);
    }

    @TearDown
    public void tearDown() {
        manager.close();
    }

    static NDArray forward(NDArray x) {
        return x.sin().mul(x.exp()).sum();
    }

    /** [f(x), J·v] with J·v = sum((cos x·exp x + sin x·exp x)·v). */
    static NDList jvpByHand(NDArray x, NDArray v) {
        NDArray s = x.sin();
        NDArray e = x.exp();
        NDArray out = s.mul(e).sum();
        NDArray tangent = x.cos().mul(e).add(s.mul(e)).mul(v).sum();
        return new NDList(out, tangent);
    }

    @Benchmark
    public void elementwise_djlForward(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(forward(x));
        }
    }

    @Benchmark
    public void elementwise_djlJvpByHand(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(jvpByHand(x, v));
        }
    }
}
