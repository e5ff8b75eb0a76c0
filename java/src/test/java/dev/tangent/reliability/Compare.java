package dev.tangent.reliability;

import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import java.util.Arrays;
import java.util.List;

/** Element-wise comparison helpers shared by the reliability tests. */
final class Compare {
    private Compare() {}

    static List<Tensor> tensors(Value v) {
        return v instanceof Tuple t ? t.tensors() : List.of((Tensor) v);
    }

    /**
     * Asserts {@code actual} equals {@code expected} within {@code atol + rtol * |expected|} per
     * element (NaN equals NaN, infinities must match), with the same shapes.
     */
    static void close(Value expected, Value actual, double atol, double rtol, String what) {
        List<Tensor> es = tensors(expected);
        List<Tensor> as = tensors(actual);
        if (es.size() != as.size()) {
            throw new AssertionError(what + ": " + es.size() + " tensors expected, got " + as.size());
        }
        for (int k = 0; k < es.size(); k++) {
            Tensor et = es.get(k);
            Tensor at = as.get(k);
            if (!Arrays.equals(et.shape(), at.shape()) || et.dtype() != at.dtype()) {
                throw new AssertionError(what + ": tensor " + k + " is " + Arrays.toString(at.shape()) + " "
                        + at.dtype() + ", expected " + Arrays.toString(et.shape()) + " " + et.dtype());
            }
            double[] e = et.toDoubleArray();
            double[] a = at.toDoubleArray();
            for (int i = 0; i < e.length; i++) {
                if (Double.isNaN(e[i]) && Double.isNaN(a[i]) || e[i] == a[i]) {
                    continue;
                }
                double d = Math.abs(e[i] - a[i]);
                if (!(d <= atol + rtol * Math.abs(e[i]))) {
                    throw new AssertionError(what + ": tensor " + k + " element " + i + " expected " + e[i]
                            + " got " + a[i] + " (|diff| " + d + ")");
                }
            }
        }
    }

    /** Asserts the two values hold exactly the same bits. */
    static void identical(Value expected, Value actual, String what) {
        List<Tensor> es = tensors(expected);
        List<Tensor> as = tensors(actual);
        for (int k = 0; k < es.size(); k++) {
            double[] e = es.get(k).toDoubleArray();
            double[] a = as.get(k).toDoubleArray();
            for (int i = 0; i < e.length; i++) {
                if (Double.doubleToRawLongBits(e[i]) != Double.doubleToRawLongBits(a[i])) {
                    throw new AssertionError(what + ": tensor " + k + " element " + i + " expected " + e[i]
                            + " got " + a[i]);
                }
            }
        }
    }

    /** Largest |x| of the finite elements (1 when none). */
    static double scale(Value v) {
        double m = 1;
        for (Tensor t : tensors(v)) {
            for (double d : t.toDoubleArray()) {
                if (Double.isFinite(d)) {
                    m = Math.max(m, Math.abs(d));
                }
            }
        }
        return m;
    }
}
