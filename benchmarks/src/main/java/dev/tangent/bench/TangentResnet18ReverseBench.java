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
 * ResNet-18 (torchvision layout, 3×224×224, BatchNorm in inference mode; see {@link Resnet18Spec}), Tangent reverse mode at batch 1: vjp and the hvp of 0.5·‖f(x)‖², as
 * {@link DjlResnet18ReverseBench}.
 *
 * Heavy workload: one fork per parameter set, 25×1 s warmup (at 1 thread the JVM, JIT compiler
 * included, shares one core: with 1×1 s, C2 compiling during the measurement made a third of the
 * calls take twice their CPU time; with 10×1 s the hvp was still getting faster at the last
 * warm-up iteration, 1,399 → 326 ms, and measured 312 ms against 173 ms after 15 s of warm-up in
 * KernelProfileProbe) and 3×1 s measurement (a call longer than an
 * iteration makes that iteration one sample); run-bench.sh leaves these counts to the annotations.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 25, time = 1)
@Measurement(iterations = 3, time = 1)
public class TangentResnet18ReverseBench {
    @Param({"1", "2"})
    public String threads;

    @Param({"1"})
    public int batch;

    private TangentResnet18 net;
    private Tensor x, v, u;

    @Setup
    public void setUp() {
        BenchThreads.apply(threads);
        net = new TangentResnet18(Resnet18Spec.params(Resnet18Spec.SEED_WEIGHTS));
        long[] s = Resnet18Spec.inputShape(batch);
        long[] us = new long[] {batch, Resnet18Spec.CLASSES};
        x = Tensor.of(NnParams.input(Resnet18Spec.SEED_X, 1f, s), s);
        v = Tensor.of(NnParams.input(Resnet18Spec.SEED_V, 1f, s), s);
        u = Tensor.of(NnParams.input(Resnet18Spec.SEED_U, 1f, us), us);
    }

    @Benchmark
    public void resnet18_tangentVjp(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.vjp(net::forward, x, u));
        }
    }

    @Benchmark
    public void resnet18_tangentHvp(Blackhole bh) {
        try (Scope s = Scope.open()) {
            bh.consume(Functional.hvp(net::halfSquaredNorm, x, v));
        }
    }
}
