package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
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

/** W3 "elementwise" in Tangent: (x.sin() * x.exp()).sum() over 2^20 float32 — forward, jvp, compiled jvp. */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TangentElementwiseBench {
    @Param({"1", "2"})
    public String threads;

    /**
     * {@code false}: the plan is compiled with {@code -Dtangent.chunks=false} (its element-wise chain
     * runs kernel by kernel over all 2^20 elements), to compare with the chunked default in one run
     * ({@code -p chunks=true,false}).
     */
    @Param({"true"})
    public String chunks;

    private Tensor x, v;
    private JvpPlan<Tensor, Tensor> plan;
    private String prevChunks;

    static Tensor f(Tensor t) {
        return t.sin().mul(t.exp()).sum();
    }

    @Setup
    public void setUp() {
        BenchThreads.apply(threads);
        x = TangentMlp.gaussian(31, 1f, 1 << 20);
        v = TangentMlp.gaussian(32, 1f, 1 << 20);
        // Set for the whole trial: a plan records its instance for a thread on that thread's first call.
        prevChunks = System.getProperty("tangent.chunks");
        System.setProperty("tangent.chunks", chunks);
        plan = JvpPlan.compile(TangentElementwiseBench::f, x);
    }

    @TearDown
    public void tearDown() {
        plan.close();
        if (prevChunks == null) {
            System.clearProperty("tangent.chunks");
        } else {
            System.setProperty("tangent.chunks", prevChunks);
        }
    }

    @Benchmark
    public void elementwise_tangentForward(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(f(x));
        }
    }

    @Benchmark
    public void elementwise_tangentJvp(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.jvp(TangentElementwiseBench::f, x, v));
        }
    }

    @Benchmark
    public void elementwise_tangentJvpPlan(Blackhole bh) {
        bh.consume(plan.apply(x, v));
    }
}
