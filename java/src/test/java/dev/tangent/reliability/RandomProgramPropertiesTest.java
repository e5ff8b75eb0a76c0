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
import dev.tangent.reliability.ProgramGenerator.Case;
import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Random programs (see {@link Program}, drawn by {@link ProgramGenerator}) on random shapes,
 * including size-0 and size-1 dims, broadcasting and non-contiguous views: their jvp against central
 * finite differences (float64), forward mode against PyTorch's double-backward strategy, and oneDNN
 * against the Java kernels (float32). One seed per run, printed ({@code -Dtangent.seed=<n>} sets it);
 * a failing try is shrunk to a smallest failing program ({@link PropertyRunner}). Tries are bounded
 * so the class runs in well under a minute on two cores ({@code -Dtangent.tries=<n>} for more).
 */
class RandomProgramPropertiesTest {
    static final String NAME = RandomProgramPropertiesTest.class.getSimpleName();

    @BeforeAll
    static void printTheSeed() {
        System.out.println(NAME + ": tangent.seed=" + PropertyRunner.SEED + " (rerun these programs with -Dtangent.seed="
                + PropertyRunner.SEED + ")");
    }

    static PropertyRunner.Domain<Case> domain(ProgramGenerator g, boolean smoothOnly, Function<Case, String> describe) {
        return new PropertyRunner.Domain<>(g::next, c -> g.shrinks(c, smoothOnly),
                c -> ProgramGenerator.size(c, smoothOnly), describe);
    }

    static PropertyRunner.Domain<Case> programs(ProgramGenerator g, boolean smoothOnly) {
        return domain(g, smoothOnly, c -> c.program().describe(smoothOnly) + ", values seed " + c.seed()
                + ", layout " + c.layout());
    }

    // ------------------------------------------------------------------------ properties

    @TestFactory
    Stream<DynamicTest> jvpMatchesCentralDifferences() {
        return PropertyRunner.property(NAME, "jvpMatchesCentralDifferences", PropertyRunner.tries(150),
                programs(ProgramGenerator.SMALL, true), RandomProgramPropertiesTest::jvpMatchesCentralDifferences);
    }

    static void jvpMatchesCentralDifferences(Case c) {
        Program p = c.program();
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.random(c.seed(), true, DType.FLOAT64, p.shape());
            GradCheck.check((Tensor t) -> p.apply(t, true), x, GradCheck.Options.defaults().forwardOnly());
        }
    }

    @TestFactory
    Stream<DynamicTest> forwardModeMatchesDoubleBackward() {
        return PropertyRunner.property(NAME, "forwardModeMatchesDoubleBackward", PropertyRunner.tries(150),
                programs(ProgramGenerator.SMALL, false), RandomProgramPropertiesTest::forwardModeMatchesDoubleBackward);
    }

    static void forwardModeMatchesDoubleBackward(Case c) {
        Program p = c.program();
        try (Scope s = Scope.open()) {
            Tensor x = c.layout().make(c.seed(), DType.FLOAT64, p.shape());
            Tensor v = c.layout().make(c.seed() + 1, DType.FLOAT64, p.shape());
            JvpResult<Tensor> fwd = Functional.jvp((Tensor t) -> p.apply(t, false), x, v);
            JvpResult<Tensor> db = Functional.jvp((Tensor t) -> p.apply(t, false), x, v, false, false,
                    JvpStrategy.DOUBLE_BACKWARD);
            Compare.identical(db.output(), fwd.output(), "output");
            Compare.close(db.jvp(), fwd.jvp(), 1e-10 * Compare.scale(db.jvp()), 1e-8, "jvp");
        }
    }

    /** Two inputs broadcast against each other, both differentiated (v is a Tuple); only the program's shape counts. */
    @TestFactory
    Stream<DynamicTest> broadcastBinaryOfTwoInputs() {
        return PropertyRunner.property(NAME, "broadcastBinaryOfTwoInputs", PropertyRunner.tries(100),
                domain(ProgramGenerator.SMALL, false, c -> "a " + Arrays.toString(c.program().shape()) + " b "
                        + Arrays.toString(Program.broadcastable(c.program().shape(), c.mask())) + " op " + c.binaryOp()
                        + ", values seed " + c.seed()),
                RandomProgramPropertiesTest::broadcastBinaryOfTwoInputs);
    }

    static void broadcastBinaryOfTwoInputs(Case c) {
        long[] a = c.program().shape();
        long[] b = Program.broadcastable(a, c.mask());
        int op = c.binaryOp();
        long seed = c.seed();
        Function<Tuple, Tensor> f = in -> {
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

    @AfterAll
    static void oneDnnReallyRan() {
        if (eager != null) {
            assertTrue(eager.cacheMisses() > 0, "oneDNN never ran: the comparison compared Java with Java");
        }
    }

    /** The same jvp on the Java kernels and on oneDNN (float32): outputs and jvps agree. */
    @TestFactory
    Stream<DynamicTest> oneDnnMatchesJavaKernels() {
        Assumptions.assumeTrue(DnnlLibrary.isAvailable(), "oneDNN not loadable here");
        return PropertyRunner.property(NAME, "oneDnnMatchesJavaKernels", PropertyRunner.tries(120),
                programs(ProgramGenerator.LARGER, false), RandomProgramPropertiesTest::oneDnnMatchesJavaKernels);
    }

    static void oneDnnMatchesJavaKernels(Case c) {
        Program p = c.program();
        CpuAccelerator saved = Backends.cpu().accelerator();
        try (Scope s = Scope.open()) {
            Tensor x = c.layout().make(c.seed(), DType.FLOAT32, p.shape());
            Tensor v = c.layout().make(c.seed() + 1, DType.FLOAT32, p.shape());
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
        } finally {
            Backends.cpu().accelerator(saved);
        }
    }
}
