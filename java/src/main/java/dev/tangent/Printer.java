package dev.tangent;

import java.util.Locale;

/** PyTorch's tensor printing: {@code tensor([[0.1120, 0.3803], [...]], dtype=torch.float64)}. */
final class Printer {
    private static final int THRESHOLD = 1000;
    private static final int EDGE = 3;

    private Printer() {}

    static String format(Tensor t) {
        Tensor plain = t.detach();
        double[] v = plain.toDoubleArray();
        long[] shape = t.shape;
        Fmt fmt = new Fmt(t.dtype, v, v.length > THRESHOLD);
        StringBuilder sb = new StringBuilder("tensor(");
        if (v.length == 0) {
            sb.append("[]");
        } else {
            body(sb, v, shape, 0, 0, Shapesz.strides(shape), fmt, 7, v.length > THRESHOLD);
        }
        if (v.length == 0 && shape.length != 1) {
            sb.append(", size=(");
            for (int i = 0; i < shape.length; i++) {
                sb.append(i > 0 ? ", " : "").append(shape[i]);
            }
            sb.append(shape.length == 1 ? ",)" : ")");
        }
        if (!t.device().isCpu()) {
            sb.append(", device='").append(t.device()).append('\'');
        }
        if (t.dtype == DType.FLOAT64) {
            sb.append(", dtype=torch.float64");
        }
        if (t.gradFn != null) {
            sb.append(", grad_fn=<").append(t.gradFn.name()).append('>');
        } else if (t.requiresGrad) {
            sb.append(", requires_grad=True");
        }
        return sb.append(')').toString();
    }

    private static void body(StringBuilder sb, double[] v, long[] shape, int dim, long base, long[] strides,
            Fmt fmt, int indent, boolean summarize) {
        if (shape.length == 0) {
            sb.append(fmt.one(v[0]));
            return;
        }
        long n = shape[dim];
        sb.append('[');
        boolean last = dim == shape.length - 1;
        for (long i = 0; i < n; i++) {
            if (summarize && n > 2 * EDGE && i == EDGE) {
                sb.append(last ? "..., " : "...,\n" + " ".repeat(indent + 1));
                i = n - EDGE - 1;
                continue;
            }
            if (last) {
                sb.append(fmt.pad(v[(int) (base + i * strides[dim])]));
            } else {
                body(sb, v, shape, dim + 1, base + i * strides[dim], strides, fmt, indent + 1, summarize);
            }
            if (i < n - 1) {
                if (last) {
                    sb.append(", ");
                } else {
                    sb.append(',').append("\n".repeat(shape.length - dim - 1)).append(" ".repeat(indent + 1));
                }
            }
        }
        sb.append(']');
    }

    /** Row-major strides without the Shapes dependency's clamping. */
    private static final class Shapesz {
        static long[] strides(long[] shape) {
            long[] st = new long[shape.length];
            long acc = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                st[i] = acc;
                acc *= shape[i];
            }
            return st;
        }
    }

    /** Chooses integer, fixed or scientific notation for all elements at once, as PyTorch does. */
    private static final class Fmt {
        final DType dtype;
        final boolean intMode;
        final boolean sci;
        final int width;

        Fmt(DType dtype, double[] v, boolean summarize) {
            this.dtype = dtype;
            boolean ints = true;
            double maxAbs = 0;
            double minAbs = Double.POSITIVE_INFINITY;
            boolean anyFinite = false;
            for (double d : v) {
                if (!Double.isFinite(d)) {
                    continue;
                }
                anyFinite = true;
                if (d != Math.rint(d)) {
                    ints = false;
                }
                double a = Math.abs(d);
                maxAbs = Math.max(maxAbs, a);
                if (a != 0) {
                    minAbs = Math.min(minAbs, a);
                }
            }
            this.intMode = ints;
            boolean s = false;
            if (anyFinite && dtype.isFloatingPoint()) {
                if (ints) {
                    s = maxAbs > 1e8;
                } else if (minAbs != Double.POSITIVE_INFINITY) {
                    s = maxAbs / minAbs > 1000 || maxAbs > 1e8 || minAbs < 1e-4;
                }
            }
            this.sci = s;
            int w = 0;
            for (double d : v) {
                w = Math.max(w, one(d).length());
            }
            this.width = w;
        }

        String one(double d) {
            if (dtype == DType.BOOL) {
                return d != 0 ? "True" : "False";
            }
            if (dtype == DType.INT64) {
                return Long.toString((long) d);
            }
            if (Double.isNaN(d)) {
                return "nan";
            }
            if (Double.isInfinite(d)) {
                return d > 0 ? "inf" : "-inf";
            }
            if (sci) {
                String r = String.format(Locale.ROOT, "%.4e", d);
                // Java prints e+05 as e+05 already; PyTorch uses two exponent digits.
                return r;
            }
            if (intMode) {
                return String.format(Locale.ROOT, "%.0f", d) + ".";
            }
            return String.format(Locale.ROOT, "%.4f", d);
        }

        String pad(double d) {
            String s = one(d);
            return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
        }
    }
}
