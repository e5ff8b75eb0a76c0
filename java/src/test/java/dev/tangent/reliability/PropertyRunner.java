package dev.tangent.reliability;

import java.security.SecureRandom;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.opentest4j.TestAbortedException;

/**
 * Runs a property over generated cases as JUnit dynamic tests, one per try, all drawn from one
 * seed per run. The seed is {@code -Dtangent.seed=<n>} when given (Maven passes it to the test
 * JVM as it does {@code -Dtangent.soak}), else a fresh random one; it is printed once per run and in
 * every failure. Try {@code i} of property {@code name} draws from its own generator seeded by
 * ({@code seed}, {@code name}, {@code i}), so {@code -Dtangent.try=<i>} reruns exactly that case.
 * A failing try is shrunk ({@link Shrinker}) and reported with the smallest failing case, the
 * original one and the command that reproduces it. Only the first failure of a property is shrunk;
 * later ones fail with their own case as drawn.
 */
final class PropertyRunner {
    private PropertyRunner() {}

    /** The seed of this run. */
    static final long SEED = seed();
    /** {@code -Dtangent.try=<i>}: run only try {@code i} of each property, or -1 for all. */
    static final int ONLY_TRY = Integer.getInteger("tangent.try", -1);

    static final int SHRINK_EVALUATIONS = 500;
    static final long SHRINK_MILLIS = 60_000;

    private static long seed() {
        String s = System.getProperty("tangent.seed", "").trim();
        if (!s.isEmpty()) {
            return Long.parseLong(s);
        }
        return new SecureRandom().nextLong() & ((1L << 48) - 1);   // short enough to type
    }

    /** Tries per property: {@code -Dtangent.tries=<n>} when given, else ten times {@code tries} under soak. */
    static int tries(int tries) {
        Integer forced = Integer.getInteger("tangent.tries");
        if (forced != null) {
            return forced;
        }
        return Memory.soak() ? 10 * tries : tries;
    }

    /** The generator seed of try {@code i} of property {@code name} in a run of seed {@code seed}. */
    static long trySeed(long seed, String name, int i) {
        return mix(mix(seed ^ mix(name.hashCode())) + i);
    }

    private static long mix(long z) {   // SplitMix64's finaliser
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** How cases are drawn, shrunk, ordered by size and shown. */
    record Domain<C>(Function<SplittableRandom, C> draw, Function<C, List<C>> variants, Function<C, long[]> size,
                     Function<C, String> describe) {}

    /** The case of try {@code i} of property {@code name} under {@code seed}. */
    static <C> C draw(Domain<C> domain, long seed, String name, int i) {
        return domain.draw().apply(new SplittableRandom(trySeed(seed, name, i)));
    }

    /**
     * {@code tries} dynamic tests of {@code check} (named {@code testClass.property}), on cases of
     * {@code domain}, under this run's seed.
     */
    static <C> Stream<DynamicTest> property(String testClass, String property, int tries, Domain<C> domain,
                                            Shrinker.Check<C> check) {
        return property(testClass, property, tries, SEED, domain, check);
    }

    static <C> Stream<DynamicTest> property(String testClass, String property, int tries, long seed, Domain<C> domain,
                                            Shrinker.Check<C> check) {
        AtomicBoolean shrunk = new AtomicBoolean();
        IntStream range = ONLY_TRY >= 0 ? IntStream.of(ONLY_TRY) : IntStream.range(0, tries);
        return range.mapToObj(i -> {
            C c = draw(domain, seed, property, i);
            return DynamicTest.dynamicTest("try " + i + ": " + c, () -> run(testClass, property, i, tries, seed, c,
                    domain, check, shrunk));
        });
    }

    private static <C> void run(String testClass, String property, int i, int tries, long seed, C c, Domain<C> domain,
                                Shrinker.Check<C> check, AtomicBoolean shrunk) {
        Throwable failure;
        try {
            check.check(c);
            return;
        } catch (TestAbortedException | VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            failure = t;
        }
        String reproduce = "mvn -B -ntp -pl java test -Dtest='" + testClass + "#" + property + "' -Dtangent.seed=" + seed
                + " -Dtangent.try=" + i;
        StringBuilder m = new StringBuilder();
        m.append(testClass).append('.').append(property).append(" failed at try ").append(i).append(" of ").append(tries)
                .append(" (tangent.seed=").append(seed).append(")\n");
        if (shrunk.compareAndSet(false, true)) {
            Shrinker.Result<C> r = Shrinker.shrink(c, failure, check, domain.variants(), domain.size(),
                    SHRINK_EVALUATIONS, SHRINK_MILLIS);
            m.append("  smallest failing case (").append(r.steps()).append(" shrinking steps, ").append(r.evaluations())
                    .append(" runs").append(r.minimal() ? ", no smaller variant fails" : ", budget spent").append("):\n")
                    .append("    ").append(domain.describe().apply(r.smallest())).append("\n")
                    .append("    ").append(r.smallest()).append("\n")
                    .append("    failure: ").append(r.failure()).append("\n")
                    .append("  as drawn:\n")
                    .append("    ").append(domain.describe().apply(c)).append("\n")
                    .append("    ").append(c).append("\n")
                    .append("    failure: ").append(failure).append("\n")
                    .append("  reproduce: ").append(reproduce);
            AssertionError e = new AssertionError(m.toString(), r.failure());
            if (r.failure() != failure) {
                e.addSuppressed(failure);
            }
            throw e;
        }
        m.append("  (not shrunk: an earlier try of this property was)\n")
                .append("    ").append(domain.describe().apply(c)).append("\n")
                .append("    ").append(c).append("\n")
                .append("  reproduce: ").append(reproduce);
        throw new AssertionError(m.toString(), failure);
    }
}
