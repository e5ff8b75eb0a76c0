package dev.tangent.ops;

import java.util.Arrays;

/**
 * The non-tensor arguments of a primitive: integers (dims, sizes, indices), doubles (scalars such
 * as an exponent or a slope) and a flag. Immutable.
 */
public record Attrs(long[] ints, double[] reals, boolean flag) {
    public static final Attrs NONE = new Attrs(new long[0], new double[0], false);

    public static Attrs reals(double... r) {
        return new Attrs(new long[0], r, false);
    }

    public static Attrs ints(long... i) {
        return new Attrs(i, new double[0], false);
    }

    public static Attrs ints(boolean flag, long... i) {
        return new Attrs(i, new double[0], flag);
    }

    public double real(int i) {
        return reals[i];
    }

    public long integer(int i) {
        return ints[i];
    }

    public int[] intsAsInt() {
        int[] r = new int[ints.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = (int) ints[i];
        }
        return r;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Attrs a && a.flag == flag && Arrays.equals(a.ints, ints) && Arrays.equals(a.reals, reals);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(ints) + Arrays.hashCode(reals)) + (flag ? 1 : 0);
    }

    @Override
    public String toString() {
        return "Attrs" + Arrays.toString(ints) + Arrays.toString(reals) + (flag ? "+" : "");
    }
}
