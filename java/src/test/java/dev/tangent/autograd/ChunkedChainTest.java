package dev.tangent.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.backend.Backends;
import dev.tangent.backend.NativeMemory;
import dev.tangent.backend.cpu.CpuAccelerator;
import dev.tangent.backend.cpu.CpuBackend;
import dev.tangent.backend.cpu.dnnl.DnnlAccelerator;
import dev.tangent.backend.cpu.dnnl.DnnlLibrary;
import dev.tangent.engine.ChainPlanner;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Element-wise chains of a recording run block by block ({@code ChainPlanner}, {@code ChunkedChain}):
 * element-wise results bit-identical to the unchunked replay of the same recording (±inf, ±0 and
 * subnormals included; NaN-ness identical, payloads not compared), full sums within float tolerance; on every CPU kernel set, at sizes
 * that are and are not multiples of the block, at an offset, with captured constants, on 1 and 2
 * threads; and the recording says it runs the chain chunked.
 */
class ChunkedChainTest {
    private static final long B = ChainPlanner.block();
    /** Sizes that chunk: two blocks exactly, one over, odd, and a remainder of almost a block. */
    private static final long[] CHUNKED = {2 * B, 2 * B + 1, 5 * B + 17, 4 * B - 1};

    /** The benchmark's function and friends: element-wise outputs, full sums, constants, offsets. */
    private static final List<Fn> FUNCTIONS = List.of(
            new Fn("sin*exp", 0, t -> t.sin().mul(t.exp())),
            new Fn("(sin*exp).sum", 0, t -> t.sin().mul(t.exp()).sum()),
            new Fn("tanh*2+sigmoid*x-c, /(cos+2), gelu", 0, t -> {
                Tensor c = Tensor.scalar(0.25, t.dtype());
                return t.tanh().mul(2.0).add(t.sigmoid().mul(t)).sub(c).div(t.cos().add(2.0)).add(t.gelu());
            }),
            new Fn("offset view * captured weight, log, sum", 3, t -> {
                long n = t.shape()[0] - 3;
                Tensor w = Tensor.random(9, true, t.dtype(), n);
                Tensor y = t.slice(0, 3, n + 3).exp().mul(w);
                return Tuple.of(y.add(1.0).log(), y.sum());
            }),
            new Fn("intermediate also returned", 0, t -> {
                Tensor s = t.sin();
                return Tuple.of(s, s.mul(t.exp()).sum(), s.neg().mul(t));
            }),
            new Fn("expanded 2-D, row sums break the chain", 0, t -> {
                Tensor m = t.unsqueeze(0).expand(2, t.shape()[0]);
                Tensor e = m.exp().mul(m);
                return e.sub(e.sum(1, true).mul(1e-6)).tanh().mul(e).exp();
            }));

    record Fn(String name, long extra, Function<Tensor, Value> f) {}

    /** The CPU kernel sets, each installed for a test body. */
    enum KernelSet { DEFAULT, JAVA, ONEDNN_CUTOVERS_0, NATIVE_OFF }

    @Test
    void chunkedEqualsUnchunkedOnEveryKernelSetSizeAndDtype() {
        for (KernelSet ks : KernelSet.values()) {
            if (ks == KernelSet.ONEDNN_CUTOVERS_0 && !DnnlLibrary.isAvailable()) {
                continue;
            }
            withKernels(ks, () -> {
                for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                    // every size on the default kernels; the other sets at an odd size
                    for (long n : ks == KernelSet.DEFAULT ? CHUNKED : new long[] {CHUNKED[2]}) {
                        for (Fn fn : FUNCTIONS) {
                            compare(fn, n, dt, false, ks + " " + dt.torchName() + " n=" + n + " " + fn.name());
                        }
                    }
                }
            });
        }
    }

    @Test
    void nonFiniteValuesAcrossBlockBoundariesAreUnchanged() {
        for (KernelSet ks : new KernelSet[] {KernelSet.DEFAULT, KernelSet.JAVA}) {
            withKernels(ks, () -> {
                for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                    for (Fn fn : FUNCTIONS) {
                        compare(fn, 3 * B + 5, dt, true, ks + " non-finite " + dt.torchName() + " " + fn.name());
                    }
                }
            });
        }
    }

    @Test
    void smallAndEmptyInputsAreNotChunked() {
        for (long n : new long[] {0, 1, B, 2 * B - 1}) {
            try (Scope s = Scope.open()) {
                Recording<JvpResult<Value>> r = record(FUNCTIONS.get(1), n, DType.FLOAT32, true);
                assertFalse(r.describe().contains("chunked"), n + ": " + r.describe());
                Tensor x = input(n, DType.FLOAT32, 1, false);
                r.replay(List.of(x, input(n, DType.FLOAT32, 2, false)), "test");
                JvpResult<Value> eager = Functional.jvp(t -> FUNCTIONS.get(1).f().apply(t), x, input(n, DType.FLOAT32, 2, false));
                assertEquals(((Tensor) eager.output()).item(), ((Tensor) r.result().output()).item(), 1e-3 * Math.max(1, n));
                r.close();
            }
        }
    }

    @Test
    void theBenchmarkPlanRunsOneChunkedChainAndEveryReplayUsesIt() {
        long n = 1 << 16;
        try (Scope s = Scope.open()) {
            Recording<JvpResult<Value>> r = record(FUNCTIONS.get(1), n, DType.FLOAT32, true);
            String d = r.describe();
            assertEquals(1, r.kernelCount(), d);
            assertTrue(d.startsWith("chunked 8 kernels over 65536 elements in 8 blocks of 8192") || B != 8192, d);
            assertTrue(d.contains("unary_jvp sin, unary_jvp exp") && d.contains("sum, sum"), d);
            assertTrue(d.contains("[ran 0 times]"), d); // recording ran the kernels themselves
            List<Tensor> values = List.of(input(n, DType.FLOAT32, 1, false), input(n, DType.FLOAT32, 2, false));
            long live = NativeMemory.liveBytes();
            for (int i = 0; i < 3; i++) {
                r.replay(values, "test");
            }
            assertEquals(live, NativeMemory.liveBytes(), "a replay allocates no native memory");
            assertTrue(r.describe().contains("[ran 3 times]"), r.describe());
            r.close();
            // The public plan replays the same chain: one kernel instead of eight.
            try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(t -> t.sin().mul(t.exp()).sum(), input(n, DType.FLOAT32, 1, false))) {
                assertEquals(1, plan.kernelCount());
                Tensor x = input(n, DType.FLOAT32, 3, false);
                Tensor v = input(n, DType.FLOAT32, 4, false);
                JvpResult<Tensor> p = plan.apply(x, v);
                JvpResult<Tensor> e = Functional.jvp(t -> t.sin().mul(t.exp()).sum(), x, v);
                assertEquals(e.output().item(), p.output().item(), 1e-5 * n);
                assertEquals(e.jvp().item(), p.jvp().item(), 1e-5 * n);
            }
        }
    }

    @Test
    void twoThreadsGiveTheSameBitsAsOne() {
        boolean fixed = Tangent.threadsFixed();
        int threads = Tangent.numThreads();
        long n = 7 * B + 3;
        try (Scope s = Scope.open()) {
            Tensor x = input(n, DType.FLOAT32, 1, true);
            Tensor v = input(n, DType.FLOAT32, 2, false);
            List<long[]> results = new ArrayList<>();
            for (int t : new int[] {1, 2}) {
                Tangent.setNumThreads(t);
                for (Fn fn : FUNCTIONS) {
                    Recording<JvpResult<Value>> r = record(fn, n + fn.extra(), DType.FLOAT32, true);
                    assertTrue(r.describe().contains("up to " + t + " threads"), r.describe());
                    r.replay(List.of(pad(x, fn.extra()), pad(v, fn.extra())), "test");
                    results.add(bits(r.result()));
                    r.close();
                }
            }
            for (int i = 0; i < FUNCTIONS.size(); i++) {
                assertBitsEqual(results.get(i), results.get(i + FUNCTIONS.size()), "2 threads vs 1: " + FUNCTIONS.get(i).name());
            }
        } finally {
            if (fixed) {
                Tangent.setNumThreads(threads);
            } else {
                Tangent.adaptiveThreads();
            }
        }
    }

    @Test
    void intermediatesLiveInBlockScratchNotFullBuffers() {
        long n = 1 << 18;
        try (Scope s = Scope.open()) {
            long before = NativeMemory.liveBytes();
            Recording<JvpResult<Value>> unchunked = record(FUNCTIONS.get(1), n, DType.FLOAT32, false);
            long full = NativeMemory.liveBytes() - before;
            unchunked.close();
            long mid = NativeMemory.liveBytes();
            Recording<JvpResult<Value>> chunked = record(FUNCTIONS.get(1), n, DType.FLOAT32, true);
            long blocked = NativeMemory.liveBytes() - mid;
            // Unchunked: x, v and 8 intermediates of n floats; chunked: x, v and block scratch.
            assertTrue(full >= 10 * n * 4, "unchunked holds " + full);
            assertTrue(blocked <= full - 7 * n * 4, "chunked holds " + blocked + " bytes, unchunked " + full);
            chunked.close();
            assertEquals(mid, NativeMemory.liveBytes(), "a closed recording frees its scratch");
        }
    }

    @Test
    void cudaPlansKeepTheirKernels() {
        Assumptions.assumeTrue(Device.cudaAvailable(), () -> "no CUDA: " + Device.cudaUnavailableReason());
        long n = 4 * B;
        Device gpu = Device.cuda(0);
        try (Scope s = Scope.open()) {
            Recording<JvpResult<Value>> r = Recording.record(
                    () -> List.of(Tensor.full(0.5, DType.FLOAT32, gpu, n), Tensor.full(0, DType.FLOAT32, gpu, n)),
                    vars -> Functional.jvp(t -> t.sin().mul(t.exp()), vars.get(0), vars.get(1)),
                    res -> List.of((Tensor) res.output(), (Tensor) res.jvp()), true, true);
            assertFalse(r.describe().contains("chunked"), r.describe());
            Tensor x = input(n, DType.FLOAT32, 1, false);
            Tensor v = input(n, DType.FLOAT32, 2, false);
            r.replay(List.of(x.to(gpu), v.to(gpu)), "test");
            JvpResult<Tensor> cpu = Functional.jvp(t -> t.sin().mul(t.exp()), x, v);
            float[] a = cpu.jvp().toFloatArray();
            float[] b = ((Tensor) r.result().jvp()).to(Device.cpu()).toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-4 * Math.max(1, Math.abs(a[i])), "element " + i);
            }
            r.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Records fn's jvp as JvpPlan does (own buffers, outputs named), chunked or not. */
    private static Recording<JvpResult<Value>> record(Fn fn, long n, DType dt, boolean chunks) {
        String prev = System.getProperty("tangent.chunks");
        System.setProperty("tangent.chunks", Boolean.toString(chunks));
        try {
            return Recording.record(() -> List.of(Tensor.full(0.5, dt, Device.cpu(), n), Tensor.full(0, dt, Device.cpu(), n)),
                    vars -> Functional.jvp(t -> fn.f().apply(t), vars.get(0), vars.get(1)),
                    r -> {
                        List<Tensor> outs = new ArrayList<>(flatten(r.output()));
                        outs.addAll(flatten(r.jvp()));
                        return outs;
                    }, true, false);
        } finally {
            if (prev == null) {
                System.clearProperty("tangent.chunks");
            } else {
                System.setProperty("tangent.chunks", prev);
            }
        }
    }

    private void compare(Fn fn, long n, DType dt, boolean nonFinite, String what) {
        try (Scope s = Scope.open()) {
            long len = n + fn.extra();
            Tensor x = input(len, dt, 11, nonFinite);
            Tensor v = input(len, dt, 12, nonFinite);
            Recording<JvpResult<Value>> plain = record(fn, len, dt, false);
            Recording<JvpResult<Value>> chunked = record(fn, len, dt, true);
            try {
                assertFalse(plain.describe().contains("chunked"), what);
                assertTrue(chunked.describe().contains("chunked"), what + ": not chunked\n" + chunked.describe());
                plain.replay(List.of(x, v), "test");
                chunked.replay(List.of(x, v), "test");
                List<Tensor> a = new ArrayList<>(flatten(plain.result().output()));
                a.addAll(flatten(plain.result().jvp()));
                List<Tensor> b = new ArrayList<>(flatten(chunked.result().output()));
                b.addAll(flatten(chunked.result().jvp()));
                for (int i = 0; i < a.size(); i++) {
                    Tensor p = a.get(i);
                    Tensor c = b.get(i);
                    if (p.numel() == 1 && p.dim() == 0) {
                        sumClose(p, c, n, dt, what + " result " + i);
                    } else {
                        assertBitsEqual(bits(p), bits(c), what + " result " + i);
                    }
                }
            } finally {
                plain.close();
                chunked.close();
            }
        }
    }

    /** A full sum of n terms of magnitude ~1 (or a non-finite one): both non-finite alike, else close. */
    private static void sumClose(Tensor p, Tensor c, long n, DType dt, String what) {
        double a = p.item();
        double b = c.item();
        if (!Double.isFinite(a) || !Double.isFinite(b)) {
            assertEquals(Double.isNaN(a), Double.isNaN(b), what + ": " + a + " vs " + b);
            if (!Double.isNaN(a)) {
                assertEquals(a, b, what);
            }
            return;
        }
        double tol = (dt == DType.FLOAT32 ? 1e-5 : 1e-12) * Math.max(1, n) * 10;
        assertEquals(a, b, tol, what);
    }

    /** Random values; non-finite ones planted at and around block boundaries. */
    private static Tensor input(long n, DType dt, long seed, boolean nonFinite) {
        Tensor r = Tensor.random(seed, true, dt, n);
        if (!nonFinite || n == 0) {
            return r;
        }
        double[] d = r.toDoubleArray();
        double sub = dt == DType.FLOAT32 ? Float.MIN_VALUE : Double.MIN_VALUE;
        double max = dt == DType.FLOAT32 ? Float.MAX_VALUE : Double.MAX_VALUE;
        double[] specials = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, sub, -sub, max,
            -max, 88.8, -104, 1e30};
        long[] at = {0, 1, B - 1, B, B + 1, 2 * B - 1, 2 * B, n / 2, n - 2, n - 1};
        int k = (int) (seed % specials.length);
        for (long i : at) {
            if (i >= 0 && i < n) {
                d[(int) i] = specials[k++ % specials.length];
            }
        }
        return Tensor.of(d, dt, n);
    }

    private static Tensor pad(Tensor x, long extra) {
        return extra == 0 ? x : Tensor.cat(0, Tensor.zeros(x.dtype(), extra), x);
    }

    private static List<Tensor> flatten(Value v) {
        List<Tensor> r = new ArrayList<>();
        if (v instanceof Tensor t) {
            r.add(t);
        } else if (v instanceof Tuple tu) {
            for (int i = 0; i < tu.size(); i++) {
                r.addAll(flatten(tu.value(i)));
            }
        }
        return r;
    }

    private static long[] bits(JvpResult<Value> r) {
        List<Tensor> all = new ArrayList<>(flatten(r.output()));
        all.addAll(flatten(r.jvp()));
        List<long[]> parts = new ArrayList<>();
        int len = 0;
        for (Tensor t : all) {
            long[] b = bits(t);
            parts.add(b);
            len += b.length;
        }
        long[] out = new long[len];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /**
     * Every NaN compares as this one: which operand's NaN (payload, sign) a Java kernel propagates
     * depends on how HotSpot compiled the loop and on where in it an element falls (the unchunked
     * kernels give different payloads within one call too), and PyTorch promises only NaN-ness.
     */
    private static final long NAN = 0x7ff8dead0000beefL;

    /** Raw bits of every element, NaNs canonical ({@link #NAN}). */
    private static long[] bits(Tensor t) {
        if (t.dtype() == DType.FLOAT32) {
            float[] f = t.toFloatArray();
            long[] b = new long[f.length];
            for (int i = 0; i < f.length; i++) {
                b[i] = Float.isNaN(f[i]) ? NAN : Float.floatToRawIntBits(f[i]);
            }
            return b;
        }
        double[] d = t.toDoubleArray();
        long[] b = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = Double.isNaN(d[i]) ? NAN : Double.doubleToRawLongBits(d[i]);
        }
        return b;
    }

    private static void assertBitsEqual(long[] a, long[] b, String what) {
        assertEquals(a.length, b.length, what + ": lengths");
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                fail(what + ": element " + i + " of " + a.length + " differs: bits " + Long.toHexString(a[i]) + " vs "
                        + Long.toHexString(b[i]));
            }
        }
    }

    /** Runs body with the CPU backend's kernels set to ks, then restores them. */
    private static void withKernels(KernelSet ks, Runnable body) {
        CpuBackend cpu = Backends.cpu();
        CpuAccelerator prevAcc = cpu.accelerator();
        boolean prevNative = cpu.nativeKernels();
        try {
            switch (ks) {
                case DEFAULT -> { }
                case JAVA -> {
                    cpu.accelerator(null);
                    cpu.nativeKernels(false);
                }
                case ONEDNN_CUTOVERS_0 -> {
                    DnnlAccelerator acc = new DnnlAccelerator(256);
                    acc.cutovers(0, 0);
                    cpu.accelerator(acc);
                }
                case NATIVE_OFF -> cpu.nativeKernels(false);
            }
            body.run();
        } finally {
            cpu.accelerator(prevAcc);
            cpu.nativeKernels(prevNative);
        }
    }
}
