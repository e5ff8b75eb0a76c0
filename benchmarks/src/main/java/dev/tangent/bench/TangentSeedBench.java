package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpStrategy;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/** W1 "seed" in Tangent: x.exp().sum(1) on 4×4 float32 — forward, jvp (both strategies), compiled jvp. */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TangentSeedBench {
    @Param({"1", "2"})
    public String threads;

    private Tensor x, v;
    private JvpPlan<Tensor, Tensor> plan;

    static Tensor expReducer(Tensor t) {
        return t.exp().sum(1);
    }

    @Setup
    public void setUp() {
        BenchThreads.apply(threads);
        x = TangentMlp.gaussian(11, 1f, 4, 4);
        v = TangentMlp.gaussian(12, 1f, 4, 4);
        plan = JvpPlan.compile(TangentSeedBench::expReducer, x);
    }

    @TearDown
    public void tearDown() {
        plan.close();
    }

    @Benchmark
    public void seed_tangentForward(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(expReducer(x));
        }
    }

    @Benchmark
    public void seed_tangentJvp(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.jvp(TangentSeedBench::expReducer, x, v));
        }
    }

    @Benchmark
    public void seed_tangentJvpDoubleBackward(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.jvp(TangentSeedBench::expReducer, x, v, false, false, JvpStrategy.DOUBLE_BACKWARD));
        }
    }

    @Benchmark
    public void seed_tangentJvpPlan(Blackhole bh) {
        bh.consume(plan.apply(x, v));
    }
}
