package dev.tangent.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.backend.Backends;
import dev.tangent.backend.cpu.CpuAccelerator;
import dev.tangent.backend.cpu.dnnl.DnnlAccelerator;
import dev.tangent.backend.cpu.dnnl.DnnlLibrary;
import dev.tangent.functional.Functional;
import dev.tangent.functional.GradCheck;
import dev.tangent.functional.JvpResult;
import dev.tangent.functional.JvpStrategy;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Random programs (see {@link Program}) on random shapes, including size-0 and size-1 dims,
 * broadcasting and non-contiguous views: their jvp against central finite differences (float64),
 * forward mode against PyTorch's double-backward strategy, and oneDNN against the Java kernels
 * (float32). Tries are bounded so the class runs in well under a minute on two cores.
 */
class RandomProgramPropertiesTest {

    // ------------------------------------------------------------------------ generators

    /** Dims of 0..4, mostly 1..3; size 0 is rare but present. */
    static Arbitrary<long[]> shapes(int maxRank, long... dims) {
        Arbitrary<Long> dim = Arbitraries.of(java.util.Arrays.stream(dims).boxed().toList());
        return dim.list().ofMinSize(0).ofMaxSize(maxRank)
                .map(l -> l.stream().mapToLong(Long::longValue).toArray());
    }

    static Arbitrary<List<Integer>> codes() {
        return Arbitraries.integers().between(0, 4999).list().ofMinSize(1).ofMaxSize(5);
    }

    @Provide
    Arbitrary<Program> small() {
        Arbitrary<long[]> shape = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(12, shapes(3, 1, 2, 3, 4)),
                net.jqwik.api.Tuple.of(1, shapes(3, 0, 1, 2, 3)));
        return Combinators.combine(shape, codes()).as((s, c) -> new Program(s, c, 48))
                .filter(p -> Program.numel(p.shape()) <= 48);
    }

    @Provide
    Arbitrary<Program> larger() {
        Arbitrary<long[]> shape = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(12, shapes(3, 1, 3, 8, 17, 33)),
                net.jqwik.api.Tuple.of(1, shapes(3, 0, 1, 5)));
        return Combinators.combine(shape, codes()).as((s, c) -> new Program(s, c, 4096))
                .filter(p -> Program.numel(p.shape()) <= 4096);
    }

    // ------------------------------------------------------------------------ properties

    @Property(tries = 150)
    void jvpMatchesCentralDifferences(@ForAll("small") Program p, @ForAll long seed) {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.random(seed, true, DType.FLOAT64, p.shape());
            GradCheck.check((Tensor t) -> p.apply(t, true), x, GradCheck.Options.defaults().forwardOnly());
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(p.describe(true) + ": " + e.getMessage(), e);
        }
    }

    @Property(tries = 150)
    void forwardModeMatchesDoubleBackward(@ForAll("small") Program p, @ForAll long seed, @ForAll Layouts layout) {
        try (Scope s = Scope.open()) {
            Tensor x = layout.make(seed, DType.FLOAT64, p.shape());
            Tensor v = layout.make(seed + 1, DType.FLOAT64, p.shape());
            JvpResult<Tensor> fwd = Functional.jvp((Tensor t) -> p.apply(t, false), x, v);
            JvpResult<Tensor> db = Functional.jvp((Tensor t) -> p.apply(t, false), x, v, false, false,
                    JvpStrategy.DOUBLE_BACKWARD);
            Compare.identical(db.output(), fwd.output(), "output");
            Compare.close(db.jvp(), fwd.jvp(), 1e-10 * Compare.scale(db.jvp()), 1e-8, "jvp");
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(p.describe(false) + " layout " + layout + ": " + e.getMessage(), e);
        }
    }

    /** Two inputs broadcast against each other, both differentiated (v is a Tuple). */
    @Property(tries = 100)
    void broadcastBinaryOfTwoInputs(@ForAll("small") Program p, @ForAll int bcast, @ForAll long seed) {
        long[] a = p.shape();
        long[] b = Program.broadcastable(a, Math.abs(bcast % 64));
        int op = Math.floorMod(bcast, 5);
        java.util.function.Function<Tuple, Tensor> f = in -> {
            Tensor x = in.get(0);
            Tensor y = in.get(1);
            return switch (op) {
                case 0 -> x.add(y).sin();
                case 1 -> y.sub(x).mul(x);
                case 2 -> x.mul(y).tanh();
                case 3 -> x.div(y.square().add(1));
                default -> x.square().add(1).pow(y.mul(0.5));
            };
        };
        try (Scope s = Scope.open()) {
            Tuple in = Tuple.of(Tensor.random(seed, true, DType.FLOAT64, a), Tensor.random(seed + 1, true, DType.FLOAT64, b));
            GradCheck.check(f, in, GradCheck.Options.defaults().forwardOnly());
            Tuple v = Tuple.of(Layouts.STEP2.make(seed + 2, DType.FLOAT64, a), Layouts.TRANSPOSED.make(seed + 3, DType.FLOAT64, b));
            JvpResult<Tensor> fwd = Functional.jvp(f, in, v);
            JvpResult<Tensor> db = Functional.jvp(f, in, v, false, false, JvpStrategy.DOUBLE_BACKWARD);
            Compare.close(db.jvp(), fwd.jvp(), 1e-10 * Compare.scale(db.jvp()), 1e-8, "jvp");
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("a " + java.util.Arrays.toString(a) + " b " + java.util.Arrays.toString(b)
                    + " op " + op + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------ oneDNN vs Java

    private static DnnlAccelerator eager;

    /** An accelerator that takes every float32 op it supports (no size cut-over). */
    static synchronized DnnlAccelerator eager() {
        if (eager == null) {
            eager = new DnnlAccelerator(512);
            eager.cutovers(0, 0);
        }
        return eager;
    }

    @AfterContainer
    static void oneDnnReallyRan() {
        if (eager != null) {
            assertTrue(eager.cacheMisses() > 0, "oneDNN never ran: the comparison compared Java with Java");
        }
    }

    /** The same jvp on the Java kernels and on oneDNN (float32): outputs and jvps agree. */
    @Property(tries = 120)
    void oneDnnMatchesJavaKernels(@ForAll("larger") Program p, @ForAll long seed, @ForAll Layouts layout) {
        org.junit.jupiter.api.Assumptions.assumeTrue(DnnlLibrary.isAvailable(), "oneDNN not loadable here");
        CpuAccelerator saved = Backends.cpu().accelerator();
        try (Scope s = Scope.open()) {
            Tensor x = layout.make(seed, DType.FLOAT32, p.shape());
            Tensor v = layout.make(seed + 1, DType.FLOAT32, p.shape());
            Backends.cpu().accelerator(null);
            Tensor javaPlain = p.apply(x, false);   // outside a jvp: the plain kernels
            JvpResult<Tensor> java = Functional.jvp((Tensor t) -> p.apply(t, false), x, v);
            Backends.cpu().accelerator(eager());
            Tensor dnnlPlain = p.apply(x, false);
            JvpResult<Tensor> dnnl = Functional.jvp((Tensor t) -> p.apply(t, false), x, v);
            Backends.cpu().accelerator(saved);
            double so = Compare.scale(java.output());
            double sj = Compare.scale(java.jvp());
            // float32 sums of up to ~1000 terms in another order, then maybe a steep op: 1e-3 of the scale
            Compare.close(javaPlain, dnnlPlain, 1e-3 * so, 1e-3, "plain output");
            Compare.close(java.output(), dnnl.output(), 1e-3 * so, 1e-3, "output");
            Compare.close(java.jvp(), dnnl.jvp(), 1e-3 * sj, 1e-3, "jvp");
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(p.describe(false) + " layout " + layout + ": " + e.getMessage(), e);
        } finally {
            Backends.cpu().accelerator(saved);
        }
    }
}
