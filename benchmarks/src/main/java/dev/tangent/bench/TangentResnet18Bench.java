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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

/**
 * ResNet-18 (torchvision layout, 3×224×224, BatchNorm in inference mode; see {@link Resnet18Spec}), Tangent ({@code dev.tangent.nn.F}): forward, eager forward-mode jvp
 * ({@code Functional.jvp}) and a compiled {@code JvpPlan}; same seeded weights, inputs and
 * params as {@link DjlResnet18Bench}. The plan is compiled in {@code @Setup} only in the fork
 * that times it.
 *
 * Heavy workload: one fork per parameter set, 10×1 s warmup (at 1 thread the JVM, JIT compiler
 * included, shares one core: with 1×1 s, C2 compiling during the measurement made a third of the
 * calls take twice their CPU time) and 3×1 s measurement (a call longer than an
 * iteration makes that iteration one sample); run-bench.sh leaves these counts to the annotations.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 3, time = 1)
public class TangentResnet18Bench {
    @Param({"1", "2"})
    public String threads;

    @Param({"1", "32"})
    public int batch;

    private TangentResnet18 net;
    private Tensor x, v;
    private JvpPlan<Tensor, Tensor> plan;

    @Setup
    public void setUp(BenchmarkParams params) {
        BenchThreads.apply(threads);
        net = new TangentResnet18(Resnet18Spec.params(Resnet18Spec.SEED_WEIGHTS));
        long[] s = Resnet18Spec.inputShape(batch);
        x = Tensor.of(NnParams.input(Resnet18Spec.SEED_X, 1f, s), s);
        v = Tensor.of(NnParams.input(Resnet18Spec.SEED_V, 1f, s), s);
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
    public void resnet18_tangentForward(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(net.forward(x));
        }
    }

    @Benchmark
    public void resnet18_tangentJvp(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.jvp(net::forward, x, v));
        }
    }

    @Benchmark
    public void resnet18_tangentJvpPlan(Blackhole bh) {
        bh.consume(plan.apply(x, v));
    }
}
