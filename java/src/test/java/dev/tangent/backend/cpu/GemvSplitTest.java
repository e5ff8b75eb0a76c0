package dev.tangent.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpResult;
import dev.tangent.nn.F;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The native batch-1 GEMV split over output columns ({@link NativeKernels#gemvChunk}, {@link
 * CpuTeam}) computes what it computes on one thread: forward and fused jvp, W row-major, transposed
 * and with padded rows, widths that are and are not a multiple of the chunk, with and without bias and tanh
 * — compared with the unsplit call on the same native kernel, bit for bit (each output column is
 * computed by the same code from the same inputs, whichever thread takes it).
 */
class GemvSplitTest {
    @AfterEach
    void adaptive() {
        Tangent.adaptiveThreads();
    }

    @ParameterizedTest(name = "K={0} N={1} w={2} {3} bias={4}")
    @CsvSource({"784, 1024, plain, tanh, true", "784, 1000, kn, none, true", "300, 200, padded, tanh, false",
            "1024, 1024, kn, tanh, false", "5, 4099, plain, none, true"})
    void splitEqualsOneThread(long k, long n, String layout, String act, boolean withBias) {
        Assumptions.assumeTrue(Backends.cpu().nativeKernels(), "needs libtangent_cpu");
        try (Scope s = Scope.open()) {
            double scale = 1 / Math.sqrt(k);
            Tensor w = switch (layout) {
                case "plain" -> Tensor.randn(1, n, k).mul(scale);
                case "kn" -> Tensor.randn(1, k, n).mul(scale).mT();
                default -> Tensor.randn(1, n, k + 7).mul(scale).slice(1, 0, k, 1);   // rows k + 7 apart
            };
            Tensor bias = withBias ? Tensor.randn(2, n).mul(0.1) : null;
            Tensor x = Tensor.randn(3, 1, k);
            Tensor v = Tensor.randn(4, 1, k);
            Function<Tensor, Tensor> f = t -> F.linear(t, w, bias, act);
            Tangent.setNumThreads(1);
            Tensor y1 = f.apply(x);
            JvpResult<Tensor> j1 = Functional.jvp(f, x, v);
            Tangent.setNumThreads(2);
            long splits = CpuTeam.splitCalls();
            Tensor y2 = f.apply(x);
            JvpResult<Tensor> j2 = Functional.jvp(f, x, v);
            assertTrue(CpuTeam.splitCalls() - splits >= 2, "forward and jvp were split over two threads");
            assertArrayEquals(y1.toFloatArray(), y2.toFloatArray(), "forward");
            assertArrayEquals(j1.output().toFloatArray(), j2.output().toFloatArray(), "jvp output");
            assertArrayEquals(j1.jvp().toFloatArray(), j2.jvp().toFloatArray(), "jvp tangent");
            assertTrue(y1.abs().amax().item() > 0 && j1.jvp().abs().amax().item() > 0, "a non-trivial result");
        }
    }

    /**
     * With the adaptive default on an otherwise idle process, the GEMV borrows the idle core (and a
     * helper that watches for the next layer's job takes it without a wake-up): same values as one
     * thread, bit for bit, over repeated calls of a two-layer model.
     */
    @org.junit.jupiter.api.Test
    void borrowedCoreEqualsOneThread() throws Exception {
        Assumptions.assumeTrue(Backends.cpu().nativeKernels(), "needs libtangent_cpu");
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs two cores");
        try (Scope s = Scope.open()) {
            Tensor w1 = Tensor.randn(5, 1024, 784).mul(1 / Math.sqrt(784));
            Tensor w2 = Tensor.randn(6, 1024, 1024).mul(1 / Math.sqrt(1024));
            Tensor x = Tensor.randn(7, 1, 784);
            Tensor v = Tensor.randn(8, 1, 784);
            Function<Tensor, Tensor> f = t -> F.linear(F.linear(t, w1, null, "tanh"), w2, null, "tanh");
            Tangent.setNumThreads(1);
            JvpResult<Tensor> one = Functional.jvp(f, x, v);
            Tangent.adaptiveThreads();
            long borrowed = dev.tangent.backend.ThreadBudget.slotStats()[3];
            // a few attempts: a thread of the test JVM that took a core slot lately holds borrowing off
            for (int attempt = 0; attempt < 10 && dev.tangent.backend.ThreadBudget.slotStats()[3] == borrowed; attempt++) {
                Thread.sleep(5);   // no other thread took a core slot lately
                for (int i = 0; i < 20; i++) {
                    JvpResult<Tensor> j = Functional.jvp(f, x, v);
                    assertArrayEquals(one.output().toFloatArray(), j.output().toFloatArray(), "output, call " + i);
                    assertArrayEquals(one.jvp().toFloatArray(), j.jvp().toFloatArray(), "tangent, call " + i);
                }
            }
            assertTrue(dev.tangent.backend.ThreadBudget.slotStats()[3] - borrowed > 0, "the GEMVs borrowed the idle core");
        }
    }
}
