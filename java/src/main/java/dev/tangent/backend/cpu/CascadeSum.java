package dev.tangent.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A float32 sum accumulated in float32, as PyTorch's CPU sum accumulates float32 (its "cascade
 * sum"): a partial sum overflows to ±inf where PyTorch's does ({@code [-max, -max, inf, inf]} sums
 * to -inf + inf = NaN there, where a float64 accumulator would give inf), and the result is rounded
 * like PyTorch's, not better.
 *
 * <p>Accuracy comes from the order, not from a wider type: elements go round-robin to 4 lanes
 * (PyTorch's 4 independent accumulators); each lane adds 16 of its elements into level 0, then
 * carries level 0 into level 1, level 1 into level 2 after 16 such carries, and so on (8 levels).
 * A lane's rounding error thus grows with the base-16 logarithm of its length, not with the
 * length. At the end each lane adds its levels from 0 up and the lanes are added in order,
 * {@code ((l0 + l1) + l2) + l3}: a row of at most 4 elements is summed left to right, as PyTorch's
 * scalar loop does. Lanes start at +0, so a sum of -0s is +0, as in PyTorch.
 *
 * <p>Not thread-safe: one instance per kernel call, {@link #reset()} per output element.
 */
final class CascadeSum {
    private static final int LANES = 4;
    private static final int LEVELS = 8;
    private static final int STEP_BITS = 4; // 16 additions per level

    private final float[] acc = new float[LANES * LEVELS];
    private long count;

    /** Forgets every element added. */
    void reset() {
        Arrays.fill(acc, 0f);
        count = 0;
    }

    /** Adds one element. */
    void add(float e) {
        int lane = (int) (count & (LANES - 1));
        acc[lane] += e;
        count++;
        if (lane == LANES - 1) {
            carry(count >>> 2); // complete rounds of the 4 lanes
        }
    }

    /**
     * Adds the contiguous float32 elements {@code [base, base + len)} of {@code in} in order: the
     * same state, bit for bit (a NaN's sign aside, which Java leaves to the JIT), as {@link #add}ing
     * them one by one. Whole rounds of the 4 lanes
     * between two carries are added in 4 local accumulators (each lane's additions in the same
     * order), and the carries happen where {@link #add} would make them.
     */
    void addRun(MemorySegment in, long base, long len) {
        long q = 0;
        while (q < len && (count & (LANES - 1)) != 0) {
            add(in.getAtIndex(Elements.F32, base + q++));
        }
        long step = 1L << STEP_BITS;
        while (len - q >= LANES) {
            long done = count >>> 2;
            long rounds = Math.min(step - (done & (step - 1)), (len - q) >>> 2);
            float l0 = acc[0];
            float l1 = acc[1];
            float l2 = acc[2];
            float l3 = acc[3];
            long end = q + rounds * LANES;
            for (; q < end; q += LANES) {
                l0 += in.getAtIndex(Elements.F32, base + q);
                l1 += in.getAtIndex(Elements.F32, base + q + 1);
                l2 += in.getAtIndex(Elements.F32, base + q + 2);
                l3 += in.getAtIndex(Elements.F32, base + q + 3);
            }
            acc[0] = l0;
            acc[1] = l1;
            acc[2] = l2;
            acc[3] = l3;
            count += rounds * LANES;
            carry(count >>> 2);
        }
        while (q < len) {
            add(in.getAtIndex(Elements.F32, base + q++));
        }
    }

    /** After a round of the 4 lanes completes as round number {@code rows}: the carries up the levels. */
    private void carry(long rows) {
        carry(acc, 1, LEVELS, rows);
    }

    /**
     * The carries after round number {@code rows} completes, for {@code n} sums stored level-major
     * ({@code acc[(level * LANES + lane) * n + i]}) that use their first {@code levels} levels.
     */
    private static void carry(float[] acc, int n, int levels, long rows) {
        for (int level = 1; level < levels && (rows & ((1L << (STEP_BITS * level)) - 1)) == 0; level++) {
            for (int k = 0; k < LANES; k++) {
                int lo = ((level - 1) * LANES + k) * n;
                int hi = (level * LANES + k) * n;
                for (int i = 0; i < n; i++) {
                    acc[hi + i] += acc[lo + i];
                    acc[lo + i] = 0f;
                }
            }
        }
    }

    /** Sum i of {@code n} stored as in {@link #carry(float[], int, int, long)}: each lane's levels from 0 up, then the lanes in order. */
    private static float total(float[] acc, int n, int levels, int i) {
        float total = 0f;
        for (int k = 0; k < LANES; k++) {
            float lane = acc[k * n + i];
            for (int level = 1; level < levels; level++) {
                lane += acc[(level * LANES + k) * n + i];
            }
            total = k == 0 ? lane : total + lane;
        }
        return total;
    }

    /**
     * Rows shorter than this never carry into level 1 (the first carry comes after 16 rounds of
     * the 4 lanes), so {@link #sumRow} adds them in 4 local lanes without an instance.
     */
    static final int SHORT_ROW = LANES << STEP_BITS;

    /**
     * The cascade sum of the contiguous float32 elements {@code [base, base + count)} of {@code in}:
     * the same value, bit for bit, as {@link #add}ing them to a reset instance and taking {@link
     * #sum()}. {@code scratch} is used (reset first) for rows of {@link #SHORT_ROW} or more.
     */
    static float sumRow(MemorySegment in, long base, long count, CascadeSum scratch) {
        if (count < SHORT_ROW) {
            // Levels above 0 stay +0, and adding +0 to a lane leaves it unchanged (a lane that
            // starts at +0 is never -0 under round-to-nearest), so the sum is the 4 lanes in order.
            float l0 = 0f, l1 = 0f, l2 = 0f, l3 = 0f;
            long q = 0;
            for (; q + LANES <= count; q += LANES) {
                l0 += in.getAtIndex(Elements.F32, base + q);
                l1 += in.getAtIndex(Elements.F32, base + q + 1);
                l2 += in.getAtIndex(Elements.F32, base + q + 2);
                l3 += in.getAtIndex(Elements.F32, base + q + 3);
            }
            if (q < count) {
                l0 += in.getAtIndex(Elements.F32, base + q);
            }
            if (q + 1 < count) {
                l1 += in.getAtIndex(Elements.F32, base + q + 1);
            }
            if (q + 2 < count) {
                l2 += in.getAtIndex(Elements.F32, base + q + 2);
            }
            return ((l0 + l1) + l2) + l3;
        }
        scratch.reset();
        scratch.addRun(in, base, count);
        return scratch.sum();
    }

    /** Floats of scratch {@link #sumColumns} needs for {@code n} columns. */
    static int columnScratch(int n) {
        return LANES * LEVELS * n;
    }

    /**
     * The cascade sums of {@code n} columns at once: column i sums {@code in[base + r * stride + i]}
     * over rows {@code r < rows}, each bit for bit what {@link #add}ing its elements in row order to
     * a reset instance and taking {@link #sum()} give. Every column has the same count, so their
     * lanes and carries move together and each row is one add over n contiguous floats (which the
     * JIT vectorises), where a strided walk per column added one element at a time.
     *
     * @param scratch {@link #columnScratch}(n) floats or more, overwritten
     * @param row n floats or more, overwritten
     * @param out receives the n sums
     */
    static void sumColumns(MemorySegment in, long base, long rows, long stride, int n, float[] scratch, float[] row,
            float[] out) {
        // Levels a carry can reach in `rows` rows; the others stay +0, and adding +0 to a lane changes
        // nothing (a lane that starts at +0 is never -0), so they are neither cleared nor summed.
        int levels = 1;
        while (levels < LEVELS && ((rows >>> 2) >>> (STEP_BITS * levels)) != 0) {
            levels++;
        }
        Arrays.fill(scratch, 0, LANES * levels * n, 0f);
        for (long r = 0; r < rows; r++) {
            MemorySegment.copy(in, Elements.F32, (base + r * stride) * Float.BYTES, row, 0, n);
            int lane = (int) (r & (LANES - 1));
            int a = lane * n;
            for (int i = 0; i < n; i++) {
                scratch[a + i] += row[i];
            }
            if (lane == LANES - 1) {
                carry(scratch, n, levels, (r + 1) >>> 2);
            }
        }
        for (int i = 0; i < n; i++) {
            out[i] = total(scratch, n, levels, i);
        }
    }

    /** The sum of the elements added since the last {@link #reset()} (+0 for none). */
    float sum() {
        return total(acc, 1, LEVELS, 0);
    }
}
