package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.backend.cpu.dnnl.DnnlAcceleratorTest.assertClose;
import static dev.tangent.backend.cpu.dnnl.DnnlAcceleratorTest.o;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Operand;
import dev.tangent.backend.cpu.CpuBackend;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The oneDNN normalisation kernels ({@link DnnlNorm}) against the Java reference kernels
 * (JavaNorm) with the cut-overs at zero, so that oneDNN really runs: layer norm over one and two
 * dims with and without affine, the layer norm's Jacobian, inference batch norm on 2-d to 5-d
 * inputs, group norm; the accelerator must take every case (a silent decline would hide oneDNN
 * behind the Java kernel); many threads on one primitive; what stays on Java.
 */
class DnnlNormTest {
    private static DnnlAccelerator acc;
    private static final CpuBackend JAVA = new CpuBackend();

    @BeforeAll
    static void setUp() {
        acc = new DnnlAccelerator(256);
        acc.cutovers(0, 0);
    }

    /** A case: the primitive, its attributes and its operands' shapes (x first). */
    record NormCase(String name, Prim op, Attrs attrs, long[]... shapes) {
        /**
         * Whether oneDNN takes it: group_norm only with a bias (without one PyTorch's
         * {@code x * scale - scale * mean} keeps a -0 that oneDNN's form turns into +0).
         */
        boolean onOneDnn() {
            return !(attrs instanceof Attrs.GroupNorm g) || g.bias();
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(name);
            for (long[] s : shapes) {
                b.append(' ').append(Arrays.toString(s));
            }
            return b.toString();
        }
    }

    private static long[] s(long... d) {
        return d;
    }

    static List<NormCase> oneDnnCases() {
        return cases().stream().filter(NormCase::onOneDnn).toList();
    }

    static List<NormCase> cases() {
        List<NormCase> r = new ArrayList<>();
        for (boolean w : new boolean[] {false, true}) {
            for (boolean b : new boolean[] {false, true}) {
                String aff = (w ? " weight" : "") + (b ? " bias" : "");
                List<long[]> ln = new ArrayList<>(List.of(s(4, 33, 19)));
                List<long[]> ln2 = new ArrayList<>(List.of(s(3, 5, 7, 6)));
                List<long[]> bn = new ArrayList<>(List.of(s(3, 5, 7, 6), s(5), s(5)));
                List<long[]> gn = new ArrayList<>(List.of(s(2, 6, 5, 4)));
                if (w) {
                    ln.add(s(19));
                    ln2.add(s(7, 6));
                    bn.add(s(5));
                    gn.add(s(6));
                }
                if (b) {
                    ln.add(s(19));
                    ln2.add(s(7, 6));
                    bn.add(s(5));
                    gn.add(s(6));
                }
                r.add(new NormCase("layer_norm 1 dim" + aff, Prim.LAYER_NORM, new Attrs.LayerNorm(1, 1e-5, w, b),
                        ln.toArray(long[][]::new)));
                r.add(new NormCase("layer_norm 2 dims" + aff, Prim.LAYER_NORM, new Attrs.LayerNorm(2, 1e-3, w, b),
                        ln2.toArray(long[][]::new)));
                r.add(new NormCase("batch_norm 4-d" + aff, Prim.BATCH_NORM, new Attrs.BatchNorm(1e-5, w, b),
                        bn.toArray(long[][]::new)));
                r.add(new NormCase("group_norm 3 groups" + aff, Prim.GROUP_NORM, new Attrs.GroupNorm(3, 1e-5, w, b),
                        gn.toArray(long[][]::new)));
            }
        }
        r.add(new NormCase("layer_norm 1-d input", Prim.LAYER_NORM, new Attrs.LayerNorm(1, 1e-5, true, true), s(300),
                s(300), s(300)));
        r.add(new NormCase("layer_norm_grad 1 dim", Prim.LAYER_NORM_GRAD, new Attrs.LayerNorm(1, 1e-5, false, false),
                s(4, 33, 19), s(4, 33, 19)));
        r.add(new NormCase("layer_norm_grad 2 dims", Prim.LAYER_NORM_GRAD, new Attrs.LayerNorm(2, 0.1, false, false),
                s(3, 5, 7, 6), s(3, 5, 7, 6)));
        r.add(new NormCase("batch_norm 2-d", Prim.BATCH_NORM, new Attrs.BatchNorm(1e-5, true, true), s(17, 9), s(9),
                s(9), s(9), s(9)));
        r.add(new NormCase("batch_norm 5-d", Prim.BATCH_NORM, new Attrs.BatchNorm(1e-3, true, false),
                s(2, 3, 4, 5, 3), s(3), s(3), s(3)));
        r.add(new NormCase("group_norm 1 group 3-d", Prim.GROUP_NORM, new Attrs.GroupNorm(1, 1e-5, true, true),
                s(3, 4, 29), s(4), s(4)));
        r.add(new NormCase("group_norm groups = channels", Prim.GROUP_NORM, new Attrs.GroupNorm(8, 1e-5, false, true),
                s(2, 8, 3, 3), s(8)));
        return r;
    }

    /** Operands for a case: x around 3 with spread 2 (not centred: the mean matters), var positive. */
    private static Tensor[] operands(NormCase c, long seed) {
        Tensor[] in = new Tensor[c.shapes().length];
        for (int i = 0; i < in.length; i++) {
            Tensor t = Tensor.randn(seed + i, c.shapes()[i]);
            boolean var = c.op() == Prim.BATCH_NORM && i == 2;
            in[i] = var ? t.abs().add(0.1) : i == 0 ? t.mul(2).add(3) : t;
        }
        return in;
    }

    private static Operand[] ops(Tensor[] ts) {
        Operand[] r = new Operand[ts.length];
        for (int i = 0; i < ts.length; i++) {
            r[i] = o(ts[i]);
        }
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void normalisationMatchesJava(NormCase c) {
        try (Scope s = Scope.open()) {
            Tensor[] in = operands(c, 1);
            Tensor want = Tensor.zeros(DType.FLOAT32, c.shapes()[0]);
            Tensor got = Tensor.full(Float.NaN, c.shapes()[0]); // garbage that must be overwritten
            JAVA.norm(c.op(), c.attrs(), ops(in), o(want));
            assertEquals(c.onOneDnn(), acc.norm(c.op(), c.attrs(), ops(in), o(got)), c + " on oneDNN");
            new CpuBackend(acc).norm(c.op(), c.attrs(), ops(in), o(got)); // the backend's choice
            assertClose(want, got, 2e-5, c.toString());
        }
    }

    /** Eight threads running one cached layer norm, its Jacobian, batch and group norm get one thread's bits. */
    @Test
    void eightThreadsGiveTheSameBitsAsOne() throws Exception {
        List<NormCase> cs = oneDnnCases();
        try (Scope s = Scope.open()) {
            List<Tensor[]> ins = new ArrayList<>();
            for (NormCase c : cs) {
                ins.add(operands(c, 7));
            }
            float[][] one = runAll(cs, ins);
            int threads = 8;
            CyclicBarrier go = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Boolean>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    fs.add(pool.submit(() -> {
                        go.await();
                        boolean same = true;
                        for (int i = 0; i < 10; i++) {
                            try (Scope inner = Scope.open()) {
                                float[][] r = runAll(cs, ins);
                                for (int k = 0; k < r.length; k++) {
                                    same &= Arrays.equals(one[k], r[k]);
                                }
                            }
                        }
                        return same;
                    }));
                }
                for (Future<Boolean> f : fs) {
                    assertTrue(f.get(), "a thread saw different bits");
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    private static float[][] runAll(List<NormCase> cs, List<Tensor[]> ins) {
        float[][] r = new float[cs.size()][];
        for (int i = 0; i < r.length; i++) {
            NormCase c = cs.get(i);
            Tensor out = Tensor.zeros(DType.FLOAT32, c.shapes()[0]);
            assertTrue(acc.norm(c.op(), c.attrs(), ops(ins.get(i)), o(out)));
            r[i] = out.toFloatArray();
        }
        return r;
    }

    /**
     * Non-finite inputs give the Java kernels' (PyTorch's) results through the backend: the layer
     * norm's Jacobian with an infinite gradient (oneDNN computes -inf where PyTorch's backward gives
     * NaN, so the accelerator declines after the fact), batch norm with an infinite weight (NaN, where
     * oneDNN's own batch normalisation would give inf), layer norm with NaN in a row.
     */
    @Test
    void nonFiniteInputsGiveTheJavaResults() {
        CpuBackend dnnl = new CpuBackend(acc);
        try (Scope s = Scope.open()) {
            Attrs.LayerNorm plain = new Attrs.LayerNorm(1, 1e-5, false, false);
            float[] gv = Tensor.randn(20, 8, 64).toFloatArray();
            gv[70] = Float.POSITIVE_INFINITY;
            Tensor x = Tensor.randn(21, 8, 64);
            Tensor g = Tensor.of(gv, 8, 64);
            assertFalse(acc.norm(Prim.LAYER_NORM_GRAD, plain, ops(new Tensor[] {x, g}), o(Tensor.zeros(DType.FLOAT32, 8, 64))),
                    "a non-finite result is left to the Java kernel");
            sameAsJava(dnnl, Prim.LAYER_NORM_GRAD, plain, x, g);

            float[] xv = x.toFloatArray();
            xv[130] = Float.NaN;
            sameAsJava(dnnl, Prim.LAYER_NORM, new Attrs.LayerNorm(1, 1e-5, true, true), Tensor.of(xv, 8, 64),
                    Tensor.randn(22, 64), Tensor.randn(23, 64));

            float[] w = {1f, Float.POSITIVE_INFINITY, 0.5f, 2f};
            Tensor xb = Tensor.randn(24, 4, 4, 32, 32);
            sameAsJava(dnnl, Prim.BATCH_NORM, new Attrs.BatchNorm(1e-5, true, false), xb, Tensor.randn(25, 4),
                    Tensor.randn(26, 4).abs(), Tensor.of(w, 4));
        }
    }

    /** The backend (oneDNN where it takes the case) gives the Java kernel's bits for NaN and ±inf, and its values elsewhere. */
    private static void sameAsJava(CpuBackend dnnl, Prim op, Attrs a, Tensor... in) {
        Tensor want = Tensor.zeros(DType.FLOAT32, in[0].shape());
        Tensor got = Tensor.zeros(DType.FLOAT32, in[0].shape());
        JAVA.norm(op, a, ops(in), o(want));
        dnnl.norm(op, a, ops(in), o(got));
        float[] e = want.toFloatArray();
        float[] g = got.toFloatArray();
        int nonFinite = 0;
        for (int i = 0; i < e.length; i++) {
            if (!Float.isFinite(e[i]) || !Float.isFinite(g[i])) {
                nonFinite++;
                assertEquals(Float.floatToIntBits(e[i]), Float.floatToIntBits(g[i]), op + " element " + i);
            } else {
                assertEquals(e[i], g[i], 2e-5 * Math.max(1, Math.abs(e[i])), op + " element " + i);
            }
        }
        assertTrue(nonFinite > 0, op + ": the case has non-finite results");
    }

    /** float64, strided operands, empty tensors and work below the default cut-over stay on Java. */
    @Test
    void float64StridedEmptyAndSmallWorkStayOnJava() {
        try (Scope s = Scope.open()) {
            Attrs.LayerNorm a = new Attrs.LayerNorm(1, 1e-5, false, false);
            Tensor x = Tensor.randn(3, 64, 128);
            assertFalse(acc.norm(Prim.LAYER_NORM, a, ops(new Tensor[] {x.toDouble()}),
                    o(Tensor.zeros(DType.FLOAT64, 64, 128))));
            assertFalse(acc.norm(Prim.LAYER_NORM, a, ops(new Tensor[] {x.T()}), o(Tensor.zeros(DType.FLOAT32, 128, 64))));
            assertFalse(acc.norm(Prim.LAYER_NORM, a, ops(new Tensor[] {Tensor.zeros(DType.FLOAT32, 0, 8)}),
                    o(Tensor.zeros(DType.FLOAT32, 0, 8))));
            DnnlAccelerator defaults = new DnnlAccelerator(8);
            Tensor small = Tensor.randn(4, 8, 16);
            assertFalse(defaults.norm(Prim.LAYER_NORM, a, ops(new Tensor[] {small}), o(Tensor.zeros(DType.FLOAT32, 8, 16))),
                    "128 elements are below the default cut-over");
            assertTrue(defaults.norm(Prim.LAYER_NORM, a, ops(new Tensor[] {x}), o(Tensor.zeros(DType.FLOAT32, 64, 128))));
        }
    }
}
