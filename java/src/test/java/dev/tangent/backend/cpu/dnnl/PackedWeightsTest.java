package dev.tangent.backend.cpu.dnnl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import dev.tangent.backend.cpu.CpuAccelerator;
import dev.tangent.backend.cpu.CpuBackend;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import dev.tangent.nn.F;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Matmul weights packed once for oneDNN ({@link PackedWeights}): the values are the plain-weight
 * matmul's bit for bit; a weight is packed at its second use and once; a copy is never stale (a
 * plan's variable, wrapped memory: neither is packed); the copy is freed with its weight.
 */
class PackedWeightsTest {
    private static CpuAccelerator prev;
    private static long budget;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(DnnlLibrary.isAvailable(), "oneDNN is not available");
        CpuBackend cpu = Backends.cpu();
        prev = cpu.accelerator();
        cpu.accelerator(new DnnlAccelerator(64));
        budget = PackedWeights.limit();
    }

    @AfterAll
    static void tearDown() {
        if (budget > 0) {
            Backends.cpu().accelerator(prev);
            PackedWeights.limit(budget);
        }
    }

    /** The results of {@code call}: first with packing off (the reference), then three calls with it on. */
    private static void assertPackedEqualsPlain(String what, Supplier<List<Tensor>> call) {
        PackedWeights.limit(0);
        List<float[]> plain = values(call.get());
        PackedWeights.limit(1L << 30);
        for (int i = 0; i < 3; i++) {
            List<float[]> packed = values(call.get());
            for (int j = 0; j < plain.size(); j++) {
                assertArrayEquals(plain.get(j), packed.get(j), what + ", call " + i + ", result " + j);
            }
        }
    }

    private static List<float[]> values(List<Tensor> ts) {
        List<float[]> out = new ArrayList<>();
        for (Tensor t : ts) {
            out.add(t.toFloatArray());
        }
        return out;
    }

    @Test
    void packedValuesAreThePlainOnesBitForBit() {
        long[][] shapes = {{64, 784, 1024}, {7, 33, 17}, {1024, 256, 128}, {128, 1024, 10}, {1, 784, 1024}, {2, 1024, 1024},
            {1, 300, 513}, {3, 37, 1024}};
        for (long[] s : shapes) {
            try (Scope scope = Scope.open()) {
                Tensor x = Tensor.randn(1, s[0], s[1]);
                Tensor dx = Tensor.randn(2, s[0], s[1]);
                Tensor w = Tensor.randn(3, s[2], s[1]).mul(1 / Math.sqrt(s[1]));
                Tensor wKn = Tensor.randn(4, s[1], s[2]).mul(1 / Math.sqrt(s[1]));
                Tensor b = Tensor.randn(5, s[2]);
                String shape = s[0] + "x" + s[1] + " by " + s[1] + "x" + s[2];
                assertPackedEqualsPlain("linear " + shape, () -> List.of(F.linear(x, w, b)));
                assertPackedEqualsPlain("linear tanh " + shape, () -> List.of(F.linear(x, wKn.mT(), b, "tanh")));
                assertPackedEqualsPlain("matmul " + shape, () -> List.of(x.matmul(wKn)));
                assertPackedEqualsPlain("linear tanh jvp " + shape, () -> {
                    JvpResult<Tensor> r = Functional.jvp((Tensor t) -> F.linear(t, w, b, "tanh"), x, dx);
                    return List.of(r.output(), r.jvp());
                });
            }
        }
    }

    @Test
    void packedFiltersGiveThePerCallReorderedOnesBitForBit() {
        long[][] convs = {{2, 16, 14, 32, 3, 1, 1, 1}, {1, 3, 32, 64, 7, 2, 3, 1}, {2, 16, 9, 32, 3, 1, 1, 2}, {1, 64, 7, 64, 1, 1, 0, 1}};
        for (long[] c : convs) {
            try (Scope scope = Scope.open()) {
                Tensor x = Tensor.randn(60, c[0], c[1], c[2], c[2]);
                Tensor dx = Tensor.randn(61, c[0], c[1], c[2], c[2]);
                Tensor w = Tensor.randn(62, c[3], c[1] / c[7], c[4], c[4]).mul(0.1);
                String what = "conv2d x " + java.util.Arrays.toString(x.shape()) + " w " + java.util.Arrays.toString(w.shape())
                        + " stride " + c[5] + " pad " + c[6] + " groups " + c[7];
                assertPackedEqualsPlain(what, () -> List.of(F.conv2d(x, w, null, c[5], c[6], 1, c[7])));
                assertPackedEqualsPlain(what + " jvp", () -> {
                    JvpResult<Tensor> r = Functional.jvp((Tensor t) -> F.conv2d(t, w, null, c[5], c[6], 1, c[7]), x, dx);
                    return List.of(r.output(), r.jvp());
                });
                // reverse mode: the input gradient (convolution backward data) reads the filters packed too
                Tensor gy = Tensor.randn(65, F.conv2d(x, w, null, c[5], c[6], 1, c[7]).shape());
                assertPackedEqualsPlain(what + " vjp", () -> List.of(
                        Functional.vjp((Tensor t) -> F.conv2d(t, w, null, c[5], c[6], 1, c[7]), x, gy).vjp()));
            }
        }
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.randn(66, 2, 16, 14, 14);
            Tensor w = Tensor.randn(67, 32, 16, 3, 3);
            Tensor gy = Tensor.randn(68, 2, 32, 14, 14);
            F.conv2d(x, w, null, 1, 1, 1, 1);
            F.conv2d(x, w, null, 1, 1, 1, 1);   // the forward's packed copy
            long before = PackedWeights.packs();
            Functional.vjp((Tensor t) -> F.conv2d(t, w, null, 1, 1, 1, 1), x, gy);
            Functional.vjp((Tensor t) -> F.conv2d(t, w, null, 1, 1, 1, 1), x, gy);
            assertEquals(before + 1, PackedWeights.packs(), "backward data packs its own layout once");
        }
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.randn(63, 2, 16, 14, 14);
            Tensor w = Tensor.randn(64, 32, 16, 3, 3);
            long before = PackedWeights.packs();
            F.conv2d(x, w, null, 1, 1, 1, 1);
            assertEquals(before, PackedWeights.packs(), "the first use reorders per call");
            F.conv2d(x, w, null, 1, 1, 1, 1);
            F.conv2d(x, w, null, 1, 1, 1, 1);
            assertEquals(before + 1, PackedWeights.packs(), "the second use packs the filters, later ones read them");
        }
    }

    @Test
    void aWeightIsPackedAtItsSecondUseAndOnce() {
        PackedWeights.limit(1L << 30);
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.randn(6, 64, 784);
            Tensor w = Tensor.randn(7, 784, 1024);
            long before = PackedWeights.packs();
            x.matmul(w);
            assertEquals(before, PackedWeights.packs(), "the first use is not packed");
            x.matmul(w);
            assertEquals(before + 1, PackedWeights.packs(), "the second use packs");
            Tensor y = Tensor.randn(8, 64, 784).matmul(w);
            assertEquals(before + 1, PackedWeights.packs(), "later uses read the cached copy");
            assertEquals(64 * 1024, y.numel());
        }
    }

    @Test
    void theCopyIsFreedWithItsWeight() {
        PackedWeights.limit(1L << 30);
        Tensor x = Tensor.randn(9, 64, 784);
        long before = PackedWeights.bytes();
        try (Scope scope = Scope.open()) {
            Tensor w = Tensor.randn(10, 784, 1024);
            for (int i = 0; i < 3; i++) {
                x.matmul(w);
            }
            assertTrue(PackedWeights.bytes() >= before + 4L * 784 * 1024, "a packed copy of w is alive");
        }
        assertEquals(before, PackedWeights.bytes(), "closing w's scope frees its packed copy");
    }

    @Test
    void aPlanVariableUsedAsWeightIsNeverReadStale() {
        PackedWeights.limit(1L << 30);
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.randn(11, 64, 784);
            java.util.function.Function<Tensor, Tensor> f = w -> F.linear(x, w, null, "tanh");
            Tensor w0 = Tensor.randn(12, 1024, 784).mul(0.03);
            Tensor v = Tensor.randn(13, 1024, 784).mul(0.03);
            try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(f, w0)) {
                for (int i = 0; i < 4; i++) {
                    Tensor w = Tensor.randn(20 + i, 1024, 784).mul(0.03);
                    JvpResult<Tensor> got = plan.apply(w, v);
                    float[] out = got.output().toFloatArray();
                    float[] jvp = got.jvp().toFloatArray();
                    PackedWeights.limit(0);
                    JvpResult<Tensor> want = Functional.jvp(f, w, v);
                    PackedWeights.limit(1L << 30);
                    assertArrayEquals(want.output().toFloatArray(), out, "plan output, call " + i);
                    assertArrayEquals(want.jvp().toFloatArray(), jvp, "plan jvp, call " + i);
                }
            }
        }
    }

    @Test
    void aPlanPacksItsConstantWeights() {
        PackedWeights.limit(1L << 30);
        try (Scope scope = Scope.open()) {
            Tensor w = Tensor.randn(30, 1024, 784).mul(0.03);
            Tensor b = Tensor.randn(31, 1024);
            java.util.function.Function<Tensor, Tensor> f = t -> F.linear(t, w, b, "tanh");
            Tensor x = Tensor.randn(32, 256, 784);
            Tensor v = Tensor.randn(33, 256, 784);
            long before = PackedWeights.packs();
            long afterFirst = 0;
            try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(f, x)) {
                for (int i = 0; i < 4; i++) {
                    if (i == 1) {
                        afterFirst = PackedWeights.packs();
                    }
                    JvpResult<Tensor> got = plan.apply(x, v);
                    PackedWeights.limit(0);
                    JvpResult<Tensor> want = Functional.jvp(f, x, v);
                    PackedWeights.limit(1L << 30);
                    assertArrayEquals(want.output().toFloatArray(), got.output().toFloatArray(), "output, call " + i);
                    assertArrayEquals(want.jvp().toFloatArray(), got.jvp().toFloatArray(), "jvp, call " + i);
                }
            }
            assertTrue(afterFirst > before, "w is packed");
            assertEquals(afterFirst, PackedWeights.packs(), "and then read packed, not packed again");
        }
    }

    @Test
    void wrappedMemoryIsNeverPacked() {
        PackedWeights.limit(1L << 30);
        try (Arena arena = Arena.ofConfined(); Scope scope = Scope.open()) {
            long k = 784;
            long n = 1024;
            MemorySegment seg = arena.allocate(4 * k * n, 64);
            float[] init = Tensor.randn(40, k, n).toFloatArray();
            MemorySegment.copy(init, 0, seg, ValueLayout.JAVA_FLOAT, 0, init.length);
            Tensor w = Tensor.wrap(seg, DType.FLOAT32, k, n);
            Tensor x = Tensor.randn(41, 64, k);
            long before = PackedWeights.packs();
            x.matmul(w);
            x.matmul(w);
            seg.fill((byte) 0);                 // the owner rewrites its memory
            float[] y = x.matmul(w).toFloatArray();
            assertEquals(before, PackedWeights.packs(), "wrapped memory is not packed");
            for (float f : y) {
                assertEquals(0f, f, "the matmul reads the rewritten memory");
            }
        }
    }

    @Test
    void threadsSharingAWeightPackItOnceAndAgree() throws Exception {
        PackedWeights.limit(1L << 30);
        int threads = Tangent.numThreads();
        Tangent.setNumThreads(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Scope scope = Scope.open()) {
            Tensor w = Tensor.randn(50, 784, 1024);
            Tensor x = Tensor.randn(51, 64, 784);
            PackedWeights.limit(0);
            float[] want = x.matmul(w).toFloatArray();
            PackedWeights.limit(1L << 30);
            long before = PackedWeights.packs();
            List<Future<float[]>> got = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                got.add(pool.submit(() -> {
                    float[] last = null;
                    for (int i = 0; i < 10; i++) {
                        try (Scope s = Scope.open()) {
                            last = x.matmul(w).toFloatArray();
                        }
                    }
                    return last;
                }));
            }
            for (Future<float[]> f : got) {
                assertArrayEquals(want, f.get());
            }
            assertEquals(before + 1, PackedWeights.packs(), "one packing for all threads");
        } finally {
            pool.shutdownNow();
            Tangent.setNumThreads(threads);
        }
    }
}
