package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.HvpStrategy;
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

/** W2 reverse mode in Tangent: vjp and hvp of the MLP, as {@link DjlMlpReverseBench}. */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TangentMlpReverseBench {
    @Param({"1", "2"})
    public int threads;

    @Param({"1", "64"})
    public int batch;

    private TangentMlp mlp;
    private Tensor x, u, v;

    @Setup
    public void setUp() {
        Tangent.setNumThreads(threads);
        mlp = new TangentMlp(7);
        x = TangentMlp.gaussian(21, 1f, batch, DjlMlp.IN);
        u = TangentMlp.gaussian(23, 1f, batch, DjlMlp.OUT);
        v = TangentMlp.gaussian(22, 1f, batch, DjlMlp.IN);
    }

    @Benchmark
    public void mlp_tangentVjp(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.vjp(mlp::forward, x, u));
        }
    }

    @Benchmark
    public void mlp_tangentHvp(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.hvp((Tensor t) -> mlp.forward(t).sum(), x, v));
        }
    }

    /** The same H·v as the jvp of the gradient (forward-over-reverse, JAX's way for Hessians). */
    @Benchmark
    public void mlp_tangentHvpForwardOverReverse(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.hvp((Tensor t) -> mlp.forward(t).sum(), x, v, false, false,
                    HvpStrategy.FORWARD_OVER_REVERSE));
        }
    }
}
