package dev.tangent.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.reliability.ProgramGenerator.Case;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;

/**
 * The generator and shrinker behind {@link RandomProgramPropertiesTest}: deliberately failing
 * properties on generated programs must shrink to smaller programs that still fail, and a seed must
 * draw the same programs again.
 */
class ShrinkerTest {
    static final long SEED = 20_240_516L;
    static final ProgramGenerator GEN = ProgramGenerator.SMALL;

    static PropertyRunner.Domain<Case> domain() {
        return new PropertyRunner.Domain<>(GEN::next, c -> GEN.shrinks(c, false), c -> ProgramGenerator.size(c, false),
                c -> c.program().describe(false));
    }

    /** Fails when the program runs a matmul (every matmul op's name has an '@'). */
    static void noMatmul(Case c) {
        List<Program.Step> steps = c.program().steps(false);
        if (steps.stream().anyMatch(s -> s.op().contains("@"))) {
            throw new AssertionError("a matmul in " + steps);
        }
    }

    /** Fails when the jvp (forward mode, float64) has more than 4 elements. */
    static void smallJvp(Case c) {
        try (Scope s = Scope.open()) {
            Tensor x = c.layout().make(c.seed(), DType.FLOAT64, c.program().shape());
            Tensor v = c.layout().make(c.seed() + 1, DType.FLOAT64, c.program().shape());
            Tensor jvp = Functional.jvp((Tensor t) -> c.program().apply(t, false), x, v).jvp();
            long n = Program.numel(jvp.shape());
            if (n > 4) {
                throw new AssertionError("jvp of " + n + " elements " + Arrays.toString(jvp.shape()));
            }
        }
    }

    /** The first drawn case (from SEED) with at least {@code minOps} ops on which {@code check} fails. */
    static Case firstFailing(Shrinker.Check<Case> check, int minOps) {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int i = 0; i < 10_000; i++) {
            Case c = GEN.next(r);
            if (c.program().codes().size() >= minOps && Shrinker.failure(check, c) != null) {
                return c;
            }
        }
        throw new AssertionError("no drawn case fails");
    }

    static Shrinker.Result<Case> shrink(Case c, Shrinker.Check<Case> check) {
        return Shrinker.shrink(c, Shrinker.failure(check, c), check, x -> GEN.shrinks(x, false),
                x -> ProgramGenerator.size(x, false), 2_000, 120_000);
    }

    /** The result still fails, is strictly smaller than what was drawn, and no variant of it fails. */
    static void assertShrunk(Case drawn, Shrinker.Result<Case> r, Shrinker.Check<Case> check) {
        assertNotNull(Shrinker.failure(check, r.smallest()), "the smallest case still fails: " + r.smallest());
        assertTrue(r.minimal(), "budget spent before a local minimum: " + r);
        assertTrue(r.steps() > 0, "shrinking took no step from " + drawn);
        assertTrue(Arrays.compare(ProgramGenerator.size(r.smallest(), false), ProgramGenerator.size(drawn, false)) < 0,
                r.smallest() + " is smaller than " + drawn);
        for (Case v : GEN.shrinks(r.smallest(), false)) {
            if (Arrays.compare(ProgramGenerator.size(v, false), ProgramGenerator.size(r.smallest(), false)) < 0) {
                assertNull(Shrinker.failure(check, v), "a smaller variant still fails: " + v);
            }
        }
    }

    @Test
    void aFailingOpShrinksToThatOpAloneOnTheSmallestShape() {
        Case drawn = firstFailing(ShrinkerTest::noMatmul, 3);
        Shrinker.Result<Case> r = shrink(drawn, ShrinkerTest::noMatmul);
        assertShrunk(drawn, r, ShrinkerTest::noMatmul);
        Case c = r.smallest();
        List<Program.Step> steps = c.program().steps(false);
        assertEquals(1, steps.size(), "one op: " + steps + " (drawn: " + drawn.program().describe(false) + ")");
        assertTrue(steps.get(0).op().contains("@"), steps.toString());
        assertEquals(0, steps.get(0).p(), "parameter shrunk to 0: " + steps);
        assertTrue(c.program().shape().length <= 2 && Arrays.stream(c.program().shape()).allMatch(d -> d == 1),
                "a matmul needs at most two dims of 1: " + Arrays.toString(c.program().shape()));
        assertEquals(0, c.seed());
        assertEquals(Layouts.CONTIGUOUS, c.layout());
        assertEquals(0, c.mask());
    }

    @Test
    void aFailingComputationShrinksToALocalMinimum() {
        Case drawn = firstFailing(ShrinkerTest::smallJvp, 3);
        Shrinker.Result<Case> r = shrink(drawn, ShrinkerTest::smallJvp);
        assertShrunk(drawn, r, ShrinkerTest::smallJvp);
        assertEquals(1, r.smallest().program().codes().size(), "one op: " + r.smallest().program().describe(false));
        assertTrue(r.failure().getMessage().startsWith("jvp of "), r.failure().toString());
    }

    @Test
    void anAlwaysFailingPropertyShrinksToTheSmallestCase() {
        Shrinker.Check<Case> always = c -> {
            throw new IllegalStateException("always");
        };
        Case drawn = firstFailing(always, 4);
        Shrinker.Result<Case> r = shrink(drawn, always);
        assertTrue(r.minimal(), r.toString());
        Case c = r.smallest();
        assertEquals(0, c.program().shape().length, "rank 0: " + c);
        assertEquals(1, c.program().codes().size(), c.toString());
        assertEquals(0, c.program().steps(false).get(0).p(), c.toString());
        assertTrue(c.program().codes().get(0) < Program.OPS.size(), "the op's smallest code: " + c);
        assertEquals(0, c.seed());
        assertEquals(Layouts.CONTIGUOUS, c.layout());
        assertEquals(ProgramGenerator.bcast(0, drawn.binaryOp()), c.bcast());
    }

    @Test
    void eachVariantRunsOnceAndTheResultStillFails() {
        Case drawn = firstFailing(ShrinkerTest::noMatmul, 3);
        List<Case> ran = new ArrayList<>();
        Shrinker.Check<Case> recording = c -> {
            ran.add(c);
            noMatmul(c);
        };
        Shrinker.Result<Case> r = shrink(drawn, recording);
        assertEquals(ran.size(), r.evaluations() + 1, "each variant run once, plus the drawn case");
        assertNotNull(Shrinker.failure(ShrinkerTest::noMatmul, r.smallest()));
    }

    @Test
    void aSeedDrawsTheSameCasesAgain() {
        PropertyRunner.Domain<Case> d = domain();
        List<String> first = new ArrayList<>();
        List<String> again = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            first.add(PropertyRunner.draw(d, SEED, "p", i).toString());
            again.add(PropertyRunner.draw(d, SEED, "p", i).toString());
            other.add(PropertyRunner.draw(d, SEED + 1, "p", i).toString());
        }
        assertEquals(first, again);
        assertNotEquals(first, other);
        assertEquals(50, first.stream().distinct().count(), "50 different cases: " + first);
        // every drawn program is valid where it is drawn: within the element budget, and it runs
        for (int i = 0; i < 50; i++) {
            Case c = PropertyRunner.draw(d, SEED, "p", i);
            assertTrue(Program.numel(c.program().shape()) <= GEN.maxNumel());
            assertEquals(c.program().codes().size(), c.program().steps(false).size());
        }
    }

    @Test
    void theRunnerReportsTheSeedTheTryAndTheSmallestFailingProgram() throws Throwable {
        Assumptions.assumeTrue(PropertyRunner.ONLY_TRY < 0, "-Dtangent.try restricts the tries");
        List<DynamicTest> tests = PropertyRunner.property("ShrinkerTest", "noMatmul", 40, 42L, domain(),
                ShrinkerTest::noMatmul).toList();
        assertEquals(40, tests.size());
        List<Integer> failedTries = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        for (int i = 0; i < tests.size(); i++) {
            try {
                tests.get(i).getExecutable().execute();
            } catch (AssertionError e) {
                failedTries.add(i);
                messages.add(e.getMessage());
            }
        }
        assertTrue(failedTries.size() >= 2, "some of 40 programs run a matmul: " + failedTries);
        String first = messages.get(0);
        int i = failedTries.get(0);
        assertTrue(first.contains("noMatmul failed at try " + i + " of 40 (tangent.seed=42)"), first);
        assertTrue(first.contains("smallest failing case") && first.contains("no smaller variant fails"), first);
        assertTrue(first.contains("-Dtangent.seed=42 -Dtangent.try=" + i), first);
        String smallest = first.lines().filter(l -> l.startsWith("    input ")).findFirst().orElseThrow();
        assertTrue(smallest.matches("    input \\[(1(, 1)?)?] -> \\[[^,]*@[^,]*#0]"), "one matmul on ones: " + smallest);
        assertTrue(messages.get(1).contains("not shrunk"), messages.get(1));
        // the reported try draws the same failing case again
        Case again = PropertyRunner.draw(domain(), 42L, "noMatmul", i);
        assertNotNull(Shrinker.failure(ShrinkerTest::noMatmul, again));
        assertTrue(first.contains(again.toString()), first);
        List<Integer> failing = new ArrayList<>();
        for (int t = 0; t < 40; t++) {
            if (Shrinker.failure(ShrinkerTest::noMatmul, PropertyRunner.draw(domain(), 42L, "noMatmul", t)) != null) {
                failing.add(t);
            }
        }
        assertEquals(failing, failedTries, "exactly the tries whose drawn case fails, fail");
    }
}
