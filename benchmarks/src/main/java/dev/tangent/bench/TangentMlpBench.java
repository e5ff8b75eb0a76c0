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

/**
 * W2 "mlp" in Tangent: forward, jvp w.r.t. the input in forward mode, by the double-backward
 * trick, and as a compiled plan; same weights, inputs and shapes as {@link DjlMlpBench}.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TangentMlpBench {
    /** Fixed 1 and 2, and "default" (adaptive): RESULTS compares the defaults with the best fixed count. */
    @Param({"1", "2", "default"})
    public String threads;

    @Param({"1", "64", "1024"})
    public int batch;

    /** "linear": layers as {@code F.linear(x, w, b, "tanh")} (fused); "ops": {@code x.matmul(w).add(b).tanh()}. */
    @Param({"linear"})
    public String form;

    /**
     * "on": the fused linear epilogues (default); "off": {@code -Dtangent.fuse.epilogue=false} set
     * in this fork before Tangent's engine starts — F.linear, x@W's jvp and plans run as before
     * them (the composition of separate kernels).
     */
    @Param({"on"})
    public String fuse;

    private TangentMlp mlp;
    private java.util.function.Function<Tensor, Tensor> f;
    private Tensor x, v;
    private JvpPlan<Tensor, Tensor> plan;

    @Setup
    public void setUp() {
        System.setProperty("tangent.fuse.epilogue", String.valueOf(!"off".equals(fuse)));
        BenchThreads.apply(threads);
        mlp = new TangentMlp(7);
        x = TangentMlp.gaussian(21, 1f, batch, DjlMlp.IN);
        v = TangentMlp.gaussian(22, 1f, batch, DjlMlp.IN);
        f = "ops".equals(form) ? mlp::forwardOps : mlp::forward;
        plan = JvpPlan.compile(f, x);
        System.out.println("tangent: fuse=" + fuse + " form=" + form + " batch=" + batch + ": plan of "
                + plan.kernelCount() + " kernels");
    }

    @TearDown
    public void tearDown() {
        plan.close();
    }

    @Benchmark
    public void mlp_tangentForward(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(f.apply(x));
        }
    }

    @Benchmark
    public void mlp_tangentJvp(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.jvp(f, x, v));
        }
    }

    @Benchmark
    public void mlp_tangentJvpDoubleBackward(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.jvp(f, x, v, false, false, JvpStrategy.DOUBLE_BACKWARD));
        }
    }

    @Benchmark
    public void mlp_tangentJvpPlan(Blackhole bh) {
        bh.consume(plan.apply(x, v));
    }
}
