package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tangent;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

/**
 * BERT-style encoder, 4 post-LN layers of hidden 256, 4 heads, FFN 1024, GELU, sequence 128 (see {@link EncoderSpec}), Tangent ({@code dev.tangent.nn.F}): forward, eager forward-mode jvp
 * ({@code Functional.jvp}) and a compiled {@code JvpPlan}; same seeded weights, inputs and
 * params as {@link DjlEncoderBench}. The plan is compiled in {@code @Setup} only in the fork
 * that times it.
 *
 * Heavy workload: one fork per parameter set, 10×1 s warmup (the same for both engines: at 1
 * thread the JIT compiler shares the pinned core until it settles) and 3×1 s measurement (a call longer
 * than an iteration makes that iteration one sample); run-bench.sh leaves these counts to the
 * annotations.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 3, time = 1)
public class TangentEncoderBench {
    @Param({"1", "2"})
    public String threads;

    @Param({"1", "16"})
    public int batch;

    /**
     * Where float32 normalisation runs: {@code onednn} (the default) or {@code java}
     * ({@code -p norm=java}: sets {@code tangent.dnnl.norm=false} before Tangent starts in this
     * fork, and checks that it took).
     */
    @Param({"onednn"})
    public String norm;

    private TangentEncoder net;
    private Tensor x, v;
    private JvpPlan<Tensor, Tensor> plan;

    @Setup
    public void setUp(BenchmarkParams params) {
        boolean javaNorm = switch (norm) {
            case "onednn" -> false;
            case "java" -> true;
            default -> throw new IllegalArgumentException("norm must be onednn or java, got " + norm);
        };
        if (javaNorm) {
            System.setProperty("tangent.dnnl.norm", "false");
        }
        BenchThreads.apply(threads);
        if (javaNorm != Tangent.cpuKernels().contains("tangent.dnnl.norm=false")) {
            throw new IllegalStateException("norm=" + norm + " did not take: " + Tangent.cpuKernels());
        }
        net = new TangentEncoder(EncoderSpec.params(EncoderSpec.SEED_WEIGHTS));
        long[] s = EncoderSpec.inputShape(batch);
        x = Tensor.of(NnParams.input(EncoderSpec.SEED_X, 1f, s), s);
        v = Tensor.of(NnParams.input(EncoderSpec.SEED_V, 1f, s), s);
        if (params.getBenchmark().endsWith("JvpPlan")) {
            plan = JvpPlan.compile(net::forward, x);
        }
    }

    @TearDown
    public void tearDown() {
        if (plan != null) {
            plan.close();
        }
    }

    @Benchmark
    public void encoder_tangentForward(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(net.forward(x));
        }
    }

    @Benchmark
    public void encoder_tangentJvp(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.jvp(net::forward, x, v));
        }
    }

    @Benchmark
    public void encoder_tangentJvpPlan(Blackhole bh) {
        bh.consume(plan.apply(x, v));
    }
}
