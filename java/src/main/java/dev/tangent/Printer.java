package dev.tangent;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * PyTorch's tensor printing ({@code torch/_tensor_str.py} with default print options), e.g.
 * {@code tensor([[0.1120, 0.3803], [...]], dtype=torch.float64)}: one number format for all
 * elements (integer, fixed or scientific, chosen on the printed elements), equal widths, 1-D rows
 * wrapped at 80 columns, summaries with {@code ...} above 1000 elements, suffixes wrapped too.
 */
final class Printer {
    private static final int THRESHOLD = 1000;
    private static final int EDGE = 3;
    private static final int LINE_WIDTH = 80;
    private static final String PREFIX = "tensor(";

    private Printer() {}

    static String format(Tensor t) {
        Tensor plain = t.detach();
        double[] v = plain.toDoubleArray();
        long[] shape = t.value.shape();
        int indent = PREFIX.length();
        List<String> suffixes = new ArrayList<>();
        if (!t.device().isCpu()) {
            suffixes.add("device='" + t.device() + "'");
        }
        String body;
        if (v.length == 0) {
            if (shape.length != 1) {
                StringBuilder size = new StringBuilder("size=(");
                for (int i = 0; i < shape.length; i++) {
                    size.append(i > 0 ? ", " : "").append(shape[i]);
                }
                suffixes.add(size.append(shape.length == 1 ? ",)" : ")").toString());
            }
            // No elements to tell an integer tensor from a float one: every non-default dtype is named.
            if (t.dtype() != DType.FLOAT32) {
                suffixes.add("dtype=torch." + t.dtype().torchName());
            }
            body = "[]";
        } else {
            if (t.dtype() == DType.FLOAT64) {
                suffixes.add("dtype=torch.float64");
            }
            boolean summarize = v.length > THRESHOLD;
            long[] strides = rowMajorStrides(shape);
            List<Double> shown = new ArrayList<>();
            summarized(v, shape, 0, 0, strides, summarize, shown);
            Fmt fmt = new Fmt(t.dtype(), shown);
            StringBuilder sb = new StringBuilder();
            body(sb, v, shape, 0, 0, strides, fmt, indent, summarize);
            body = sb.toString();
        }
        if (t.gradFn != null) {
            suffixes.add("grad_fn=<" + t.gradFn.name() + ">");
        } else if (t.requiresGrad) {
            suffixes.add("requires_grad=True");
        }
        if (t.level > 0 && t.tangent != null) {
            suffixes.add("tangent=" + format(t.tangent));
        }
        return addSuffixes(PREFIX + body, suffixes, indent);
    }

    /** Appends ", suffix", moving a suffix to its own line where it would pass the line width. */
    private static String addSuffixes(String s, List<String> suffixes, int indent) {
        StringBuilder sb = new StringBuilder(s);
        int lastLineLen = s.length() - s.lastIndexOf('\n') + 1;
        for (String suffix : suffixes) {
            if (lastLineLen + suffix.length() + 2 > LINE_WIDTH) {
                sb.append(",\n").append(" ".repeat(indent)).append(suffix);
                lastLineLen = indent + suffix.length();
            } else {
                sb.append(", ").append(suffix);
                lastLineLen += suffix.length() + 2;
            }
        }
        return sb.append(')').toString();
    }

    /** The elements that will be printed (the edges when summarizing), which choose the format. */
    private static void summarized(double[] v, long[] shape, int dim, long base, long[] strides, boolean summarize,
            List<Double> out) {
        if (shape.length == 0) {
            out.add(v[0]);
            return;
        }
        long n = shape[dim];
        for (long i = 0; i < n; i++) {
            if (summarize && n > 2 * EDGE && i == EDGE) {
                i = n - EDGE - 1;
                continue;
            }
            long at = base + i * strides[dim];
            if (dim == shape.length - 1) {
                out.add(v[(int) at]);
            } else {
                summarized(v, shape, dim + 1, at, strides, summarize, out);
            }
        }
    }

    private static void body(StringBuilder sb, double[] v, long[] shape, int dim, long base, long[] strides,
            Fmt fmt, int indent, boolean summarize) {
        if (shape.length == 0) {
            sb.append(fmt.pad(v[0]));
            return;
        }
        long n = shape[dim];
        boolean ellipsis = summarize && n > 2 * EDGE;
        if (dim == shape.length - 1) {
            List<String> items = new ArrayList<>();
            for (long i = 0; i < n; i++) {
                if (ellipsis && i == EDGE) {
                    items.add(" ...");
                    i = n - EDGE - 1;
                    continue;
                }
                items.add(fmt.pad(v[(int) (base + i * strides[dim])]));
            }
            int perLine = Math.max(1, (LINE_WIDTH - indent) / (fmt.width + 2));
            sb.append('[');
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) {
                    sb.append(i % perLine == 0 ? ",\n" + " ".repeat(indent + 1) : ", ");
                }
                sb.append(items.get(i));
            }
            sb.append(']');
            return;
        }
        String sep = "," + "\n".repeat(shape.length - dim - 1) + " ".repeat(indent + 1);
        sb.append('[');
        for (long i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(sep);
            }
            if (ellipsis && i == EDGE) {
                sb.append("...");
                i = n - EDGE - 1;
                continue;
            }
            body(sb, v, shape, dim + 1, base + i * strides[dim], strides, fmt, indent + 1, summarize);
        }
        sb.append(']');
    }

    private static long[] rowMajorStrides(long[] shape) {
        long[] st = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = acc;
            acc *= shape[i];
        }
        return st;
    }

    /**
     * PyTorch's {@code _Formatter}: for floats, integer mode when every nonzero finite element is
     * whole, scientific when the nonzero finite magnitudes span more than 1000x, exceed 1e8 or (not
     * integer mode) go below 1e-4; the width comes from the nonzero finite elements only.
     */
    private static final class Fmt {
        final DType dtype;
        boolean intMode = true;
        boolean sci;
        int width = 1;

        Fmt(DType dtype, List<Double> v) {
            this.dtype = dtype;
            if (!dtype.isFloatingPoint()) {
                for (double d : v) {
                    width = Math.max(width, one(d).length());
                }
                return;
            }
            double maxAbs = 0;
            double minAbs = Double.POSITIVE_INFINITY;
            boolean any = false;
            for (double d : v) {
                if (!Double.isFinite(d) || d == 0) {
                    continue;
                }
                any = true;
                intMode &= d == Math.ceil(d);
                maxAbs = Math.max(maxAbs, Math.abs(d));
                minAbs = Math.min(minAbs, Math.abs(d));
            }
            if (!any) {
                return;
            }
            sci = maxAbs / minAbs > 1000 || maxAbs > 1e8 || (!intMode && minAbs < 1e-4);
            for (double d : v) {
                if (Double.isFinite(d) && d != 0) {
                    width = Math.max(width, one(d).length());
                }
            }
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
                return scientific(d);
            }
            if (intMode) {
                return fixed(d, 0) + ".";
            }
            return fixed(d, 4);
        }

        String pad(double d) {
            String s = one(d);
            return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
        }
    }

    /** Python's {@code f"{d:.{digits}f}"}: the exact binary value rounded half-even; keeps the sign of -0. */
    static String fixed(double d, int digits) {
        String r = new BigDecimal(Math.abs(d)).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
        return (d < 0 || 1 / d < 0 ? "-" : "") + r;
    }

    /** Python's {@code f"{d:.4e}"}: five significant digits, half-even, two-digit exponent at least. */
    static String scientific(double d) {
        String sign = d < 0 || 1 / d < 0 ? "-" : "";
        if (d == 0) {
            return sign + "0.0000e+00";
        }
        BigDecimal r = new BigDecimal(Math.abs(d)).round(new MathContext(5, RoundingMode.HALF_EVEN));
        int exp = r.precision() - r.scale() - 1;
        String mantissa = r.movePointLeft(exp).setScale(4, RoundingMode.HALF_EVEN).toPlainString();
        String e = Integer.toString(Math.abs(exp));
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
    }
}
