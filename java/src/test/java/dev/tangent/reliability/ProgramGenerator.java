package dev.tangent.reliability;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws random {@link Program}s and their inputs from a {@link SplittableRandom}, and proposes
 * smaller variants of a failing one for {@link Shrinker}.
 *
 * <p>A drawn input shape has rank 0..{@code maxRank}; its dims come from {@code dims}, or, one
 * time in 13, from {@code rareDims} (where size 0 lives); shapes over {@code maxNumel} elements are
 * drawn again. A program has 1..5 op codes in [0, 5000), each read by {@link Program} against the
 * ops that fit where it runs.
 *
 * <p>Smaller variants of a case, most aggressive first: the first ops dropped (the rest run on the
 * shape they got), one op dropped (the others kept, re-encoded for the new shapes), one dim dropped, a dim set to 1, halved or decremented, an op's parameter
 * set to 0 or halved, the codes re-encoded to their smallest values, the value seed set to 0, the
 * layout set to contiguous, the broadcast code made canonical or given fewer broadcast dims. Each
 * is smaller in {@link #size}, so shrinking ends.
 */
final class ProgramGenerator {

    /** One try of a property: a program, the seed of its input values, their layout, and a broadcast code. */
    record Case(Program program, long seed, Layouts layout, int bcast) {
        /** The broadcast mask {@link Program#broadcastable} gets. */
        int mask() {
            return Math.abs(bcast % 64);
        }

        /** Which of the binary functions the two-input property runs. */
        int binaryOp() {
            return Math.floorMod(bcast, 5);
        }

        @Override
        public String toString() {
            return "Case[shape " + Arrays.toString(program.shape()) + ", codes " + program.codes() + ", seed " + seed
                    + ", layout " + layout + ", bcast " + bcast + "]";
        }
    }

    /** Small shapes: dims 1..4 (0 rare), at most 48 elements; for the float64 properties. */
    static final ProgramGenerator SMALL = new ProgramGenerator(3, new long[] {1, 2, 3, 4}, new long[] {0, 1, 2, 3}, 48);
    /** Larger shapes: dims up to 33, at most 4096 elements; above oneDNN's cut-overs. */
    static final ProgramGenerator LARGER = new ProgramGenerator(3, new long[] {1, 3, 8, 17, 33}, new long[] {0, 1, 5}, 4096);

    static final int MAX_OPS = 5;
    static final int MAX_CODE = 5000;

    private final int maxRank;
    private final long[] dims;
    private final long[] rareDims;
    private final long maxNumel;

    ProgramGenerator(int maxRank, long[] dims, long[] rareDims, long maxNumel) {
        this.maxRank = maxRank;
        this.dims = dims.clone();
        this.rareDims = rareDims.clone();
        this.maxNumel = maxNumel;
    }

    long maxNumel() {
        return maxNumel;
    }

    // ------------------------------------------------------------------------ drawing

    Program program(SplittableRandom r) {
        while (true) {
            long[] pool = r.nextInt(13) == 0 ? rareDims : dims;
            long[] shape = new long[r.nextInt(maxRank + 1)];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = pool[r.nextInt(pool.length)];
            }
            List<Integer> codes = new ArrayList<>();
            for (int i = 1 + r.nextInt(MAX_OPS); i > 0; i--) {
                codes.add(r.nextInt(MAX_CODE));
            }
            if (Program.numel(shape) <= maxNumel) {
                return new Program(shape, List.copyOf(codes), maxNumel);
            }
        }
    }

    Case next(SplittableRandom r) {
        Program p = program(r);
        Layouts[] layouts = Layouts.values();
        return new Case(p, r.nextLong(), layouts[r.nextInt(layouts.length)], r.nextInt());
    }

    // ------------------------------------------------------------------------ shrinking

    /**
     * Smaller variants of {@code c}, most aggressive first. {@code smoothOnly} must be what the
     * property runs the program with: the codes are decoded against the same op list.
     */
    List<Case> shrinks(Case c, boolean smoothOnly) {
        List<Case> out = new ArrayList<>();
        for (Program p : shrinks(c.program(), smoothOnly)) {
            out.add(new Case(p, c.seed(), c.layout(), c.bcast()));
        }
        if (c.seed() != 0) {
            out.add(new Case(c.program(), 0, c.layout(), c.bcast()));
        }
        if (c.layout() != Layouts.CONTIGUOUS) {
            out.add(new Case(c.program(), c.seed(), Layouts.CONTIGUOUS, c.bcast()));
        }
        int canonical = bcast(c.mask(), c.binaryOp());
        if (canonical != c.bcast()) {
            out.add(new Case(c.program(), c.seed(), c.layout(), canonical));
        }
        for (int bit = 5; bit >= 0; bit--) {
            if ((c.mask() >> bit & 1) == 1) {
                out.add(new Case(c.program(), c.seed(), c.layout(), bcast(c.mask() & ~(1 << bit), c.binaryOp())));
            }
        }
        return out;
    }

    /** The smallest non-negative broadcast code with this mask and binary op (unique below 320). */
    static int bcast(int mask, int op) {
        for (int v = 0; v < 320; v++) {
            if (v % 64 == mask && v % 5 == op) {
                return v;
            }
        }
        throw new AssertionError("mask " + mask + " op " + op);
    }

    List<Program> shrinks(Program p, boolean smoothOnly) {
        List<Program> out = new ArrayList<>();
        List<Program.Step> steps;
        List<long[]> shapes;
        try {
            steps = p.steps(smoothOnly);
            shapes = p.shapes(smoothOnly);
        } catch (RuntimeException e) {
            return out;
        }
        long[] shape = p.shape();
        for (int i = steps.size() - 1; i >= 1; i--) {   // the first i ops left out: the rest run on their input shape
            add(out, shapes.get(i), steps.subList(i, steps.size()), smoothOnly);
        }
        for (int i = steps.size() - 1; i >= 0 && steps.size() > 1; i--) {
            List<Program.Step> fewer = new ArrayList<>(steps);
            fewer.remove(i);
            add(out, shape, fewer, smoothOnly);
        }
        for (int i = 0; i < shape.length; i++) {
            long[] dropped = new long[shape.length - 1];
            System.arraycopy(shape, 0, dropped, 0, i);
            System.arraycopy(shape, i + 1, dropped, i, shape.length - 1 - i);
            add(out, dropped, steps, smoothOnly);
        }
        for (int i = 0; i < shape.length; i++) {
            long d = shape[i];
            for (long smaller : new long[] {1, d / 2, d - 1}) {
                if (smaller >= 1 && smaller < d) {
                    long[] s = shape.clone();
                    s[i] = smaller;
                    add(out, s, steps, smoothOnly);
                }
            }
        }
        for (int i = 0; i < steps.size(); i++) {
            int param = steps.get(i).p();
            for (int smaller : new int[] {0, param / 2, param - 1}) {
                if (smaller >= 0 && smaller < param) {
                    List<Program.Step> s = new ArrayList<>(steps);
                    s.set(i, new Program.Step(steps.get(i).op(), smaller));
                    add(out, shape, s, smoothOnly);
                }
            }
        }
        add(out, shape, steps, smoothOnly);   // the same ops, with the smallest codes
        return out;
    }

    private void add(List<Program> out, long[] shape, List<Program.Step> steps, boolean smoothOnly) {
        if (Program.numel(shape) > maxNumel) {
            return;
        }
        try {
            Program q = Program.of(shape, steps, maxNumel, smoothOnly);
            if (!q.codes().isEmpty()) {
                for (Program seen : out) {
                    if (Arrays.equals(seen.shape(), q.shape()) && seen.codes().equals(q.codes())) {
                        return;
                    }
                }
                out.add(q);
            }
        } catch (RuntimeException e) {
            // a variant that cannot be built is no candidate
        }
    }

    /**
     * The order shrinking descends, compared lexicographically: ops, rank, sum of dims, sum of op
     * parameters, sum of codes, then the value seed, layout and broadcast code.
     */
    static long[] size(Case c, boolean smoothOnly) {
        Program p = c.program();
        long dimSum = 0;
        for (long d : p.shape()) {
            dimSum += d;
        }
        long paramSum = 0;
        try {
            for (Program.Step s : p.steps(smoothOnly)) {
                paramSum += s.p();
            }
        } catch (RuntimeException e) {
            paramSum = Long.MAX_VALUE / 2;
        }
        long codeSum = 0;
        for (int code : p.codes()) {
            codeSum += code;
        }
        return new long[] {p.codes().size(), p.shape().length, dimSum, paramSum, codeSum,
            c.seed() == 0 ? 0 : 1, c.layout().ordinal(), c.bcast() == bcast(c.mask(), c.binaryOp()) ? 0 : 1,
            Integer.bitCount(c.mask())};
    }
}
