package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * BERT-style encoder, 4 post-LN layers of hidden 256, 4 heads, FFN 1024, GELU, sequence 128 (see {@link EncoderSpec}), Tangent reverse mode at batch 1: vjp and the hvp of 0.5·‖f(x)‖², as
 * {@link DjlEncoderReverseBench}.
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
public class TangentEncoderReverseBench {
    @Param({"1", "2"})
    public String threads;

    @Param({"1"})
    public int batch;

    private TangentEncoder net;
    private Tensor x, v, u;

    @Setup
    public void setUp() {
        BenchThreads.apply(threads);
        net = new TangentEncoder(EncoderSpec.params(EncoderSpec.SEED_WEIGHTS));
        long[] s = EncoderSpec.inputShape(batch);
        long[] us = EncoderSpec.inputShape(batch);
        x = Tensor.of(NnParams.input(EncoderSpec.SEED_X, 1f, s), s);
        v = Tensor.of(NnParams.input(EncoderSpec.SEED_V, 1f, s), s);
        u = Tensor.of(NnParams.input(EncoderSpec.SEED_U, 1f, us), us);
    }

    @Benchmark
    public void encoder_tangentVjp(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.vjp(net::forward, x, u));
        }
    }

    @Benchmark
    public void encoder_tangentHvp(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.hvp(net::halfSquaredNorm, x, v));
        }
    }
}
