package dev.tangent.reliability;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.opentest4j.TestAbortedException;

/**
 * Greedy shrinking of a failing case: take the first smaller variant on which the property still
 * fails, and start again from it, until no variant fails (a local minimum) or the budget is spent.
 * A variant counts only when its size is strictly smaller (lexicographically), so shrinking ends.
 */
final class Shrinker {
    private Shrinker() {}

    /** A property under test: throws (an {@link AssertionError}, any exception) when it fails on {@code c}. */
    interface Check<C> {
        void check(C c) throws Throwable;
    }

    /**
     * @param smallest the smallest failing case found
     * @param failure what the property threw on it
     * @param steps how many times a smaller failing case was taken
     * @param evaluations how many variants were run
     * @param minimal true when no variant of {@code smallest} fails (else the budget ran out)
     */
    record Result<C>(C smallest, Throwable failure, int steps, int evaluations, boolean minimal) {}

    /** The failure of {@code check} on {@code c}, or null when it passes (an aborted assumption passes). */
    static <C> Throwable failure(Check<C> check, C c) {
        try {
            check.check(c);
            return null;
        } catch (TestAbortedException e) {
            return null;
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return t;
        }
    }

    static <C> Result<C> shrink(C failing, Throwable failure, Check<C> check, Function<C, List<C>> variants,
                                Function<C, long[]> size, int maxEvaluations, long maxMillis) {
        long deadline = System.currentTimeMillis() + maxMillis;
        C cur = failing;
        Throwable why = failure;
        long[] curSize = size.apply(cur);
        int steps = 0;
        int evaluations = 0;
        next:
        while (true) {
            for (C v : variants.apply(cur)) {
                long[] vSize = size.apply(v);
                if (Arrays.compare(vSize, curSize) >= 0) {
                    continue;
                }
                if (evaluations >= maxEvaluations || System.currentTimeMillis() > deadline) {
                    return new Result<>(cur, why, steps, evaluations, false);
                }
                evaluations++;
                Throwable t = failure(check, v);
                if (t != null) {
                    cur = v;
                    curSize = vSize;
                    why = t;
                    steps++;
                    continue next;
                }
            }
            return new Result<>(cur, why, steps, evaluations, true);
        }
    }
}
