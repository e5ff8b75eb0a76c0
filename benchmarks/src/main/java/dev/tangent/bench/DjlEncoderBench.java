package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.concurrent.TimeUnit;
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

/**
 * BERT-style encoder, 4 post-LN layers of hidden 256, 4 heads, FFN 1024, GELU, sequence 128 (see {@link EncoderSpec}), DJL (PyTorch engine): forward and the jvp w.r.t. the input by hand-propagated
 * tangents and by PyTorch's double-backward trick. Same seeded weights and inputs as
 * {@link TangentEncoderBench}; every call frees its temporaries (NDScope).
 *
 * Heavy workload: one fork per parameter set, 10×1 s warmup (the same for both engines: at 1
 * thread the JIT compiler shares the pinned core until it settles) and 3×1 s measurement (a call longer
 * than an iteration makes that iteration one sample); run-bench.sh leaves these counts to the
 * annotations.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 3, time = 1)
public class DjlEncoderBench {
    @Param({"1", "2"})
    public int threads;

    @Param({"1", "16"})
    public int batch;

    private NDManager manager;
    private DjlEncoder net;
    private NDArray x, v;

    @Setup
    public void setUp() {
        Engine engine = DjlRuntime.start(threads);
        manager = engine.newBaseManager();
        net = new DjlEncoder(engine, manager, EncoderSpec.params(EncoderSpec.SEED_WEIGHTS));
        long[] s = EncoderSpec.inputShape(batch);
        x = manager.create(NnParams.input(EncoderSpec.SEED_X, 1f, s), new Shape(s));
        v = manager.create(NnParams.input(EncoderSpec.SEED_V, 1f, s), new Shape(s));
    }

    @TearDown
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public void encoder_djlForward(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(net.forward(x));
        }
    }

    @Benchmark
    public void encoder_djlJvpByHand(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(net.jvpByHand(x, v));
        }
    }

    /** Leaks x.grad's graph in libtorch (see DjlMlp): the fork's RSS grows while this runs. */
    @Benchmark
    public void encoder_djlJvpDoubleBackward(Blackhole bh) {
        try (NDScope ignored = new NDScope()) {
            bh.consume(net.jvpDoubleBackward(x, v));
        }
    }
}
