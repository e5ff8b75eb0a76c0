package dev.tangent.backend.cpu;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Normalisation (layer, batch in inference, group) and the layer norm's Jacobian as Java loops over
 * contiguous float32/float64 operands, accumulating in double: the reference the oneDNN kernels are
 * tested against, and the float64 kernels. Statistics are two-pass (mean, then the mean squared
 * deviation), and each output is PyTorch's CPU expression: layer_norm
 * {@code (x * rstd + (-rstd * mean)) * w + b} (an absent weight is 1, an absent bias 0, added as
 * PyTorch does, so a -0 comes out +0), group_norm {@code x * scale + bias} with
 * {@code scale = rstd * w}, {@code bias = -scale * mean (+ b)}, batch_norm {@code x * alpha + beta}
 * with {@code alpha = w / sqrt(var + eps)}, {@code beta = b - mean * alpha}; the layer norm's
 * Jacobian as PyTorch's layer_norm backward computes it.
 */
final class JavaNorm {
    private JavaNorm() {}

    static void norm(Prim op, Attrs a, Operand[] in, Operand out) {
        if (out.numel() == 0) {
            return;
        }
        switch (op) {
            case LAYER_NORM -> layerNorm((Attrs.LayerNorm) a, in, out);
            case LAYER_NORM_GRAD -> layerNormGrad((Attrs.LayerNorm) a, in[0], in[1], out);
            case BATCH_NORM -> batchNorm((Attrs.BatchNorm) a, in, out);
            case GROUP_NORM -> groupNorm((Attrs.GroupNorm) a, in, out);
            default -> throw new IllegalArgumentException("not a normalisation: " + op.opName());
        }
    }

    /** The product of the last {@code k} sizes. */
    static long inner(long[] shape, int k) {
        long n = 1;
        for (int i = shape.length - k; i < shape.length; i++) {
            n *= shape[i];
        }
        return n;
    }

    private static void layerNorm(Attrs.LayerNorm a, Operand[] in, Operand out) {
        Operand x = in[0];
        int n = Math.toIntExact(inner(x.shape(), a.dims()));
        double[] w = a.weight() ? all(in[1]) : null;
        double[] b = a.bias() ? all(in[a.weight() ? 2 : 1]) : null;
        long rows = x.numel() / n;
        double[] row = new double[n];
        for (long r = 0; r < rows; r++) {
            read(x, r * n, row);
            double[] st = stats(row, 0, n, a.eps());
            double scale = st[1];
            double shift = -st[1] * st[0];
            for (int j = 0; j < n; j++) {
                row[j] = (row[j] * scale + shift) * (w == null ? 1.0 : w[j]) + (b == null ? 0.0 : b[j]);
            }
            write(out, r * n, row);
        }
    }

    /**
     * z = rstd (g - mean(g) - x̂ mean(g x̂)) row by row, x̂ = (x - mean) rstd, in PyTorch's form
     * (layer_norm_backward's CPU kernel): {@code z = rstd g + b x + c} with
     * {@code b = (mean(g) mean - mean(g x)) rstd³}, {@code c = -b mean - mean(g) rstd}, so that NaN,
     * infinities and zero signs come out as there.
     */
    private static void layerNormGrad(Attrs.LayerNorm a, Operand x, Operand g, Operand out) {
        int n = Math.toIntExact(inner(x.shape(), a.dims()));
        long rows = x.numel() / n;
        double[] xr = new double[n];
        double[] gr = new double[n];
        for (long r = 0; r < rows; r++) {
            read(x, r * n, xr);
            read(g, r * n, gr);
            double[] st = stats(xr, 0, n, a.eps());
            double mean = st[0];
            double rstd = st[1];
            double ds = 0;
            double db = 0;
            for (int j = 0; j < n; j++) {
                ds += gr[j] * xr[j];
                db += gr[j];
            }
            double bc = (db * mean - ds) * rstd * rstd * rstd / n;
            double cc = -bc * mean - db * rstd / n;
            for (int j = 0; j < n; j++) {
                gr[j] = rstd * gr[j] + bc * xr[j] + cc;
            }
            write(out, r * n, gr);
        }
    }

    private static void batchNorm(Attrs.BatchNorm a, Operand[] in, Operand out) {
        Operand x = in[0];
        long[] s = x.shape();
        long c = s[1];
        int inner = Math.toIntExact(inner(s, s.length - 2));
        double[] mean = all(in[1]);
        double[] var = all(in[2]);
        double[] w = a.weight() ? all(in[3]) : null;
        double[] b = a.bias() ? all(in[a.weight() ? 4 : 3]) : null;
        double[] alpha = new double[(int) c];
        double[] beta = new double[(int) c];
        for (int k = 0; k < c; k++) {
            double invstd = 1 / Math.sqrt(var[k] + a.eps());
            alpha[k] = w == null ? invstd : invstd * w[k];
            beta[k] = (b == null ? 0.0 : b[k]) - mean[k] * alpha[k];
        }
        double[] row = new double[inner];
        for (long i = 0; i < s[0]; i++) {
            for (int k = 0; k < c; k++) {
                long at = (i * c + k) * inner;
                read(x, at, row);
                for (int j = 0; j < inner; j++) {
                    row[j] = row[j] * alpha[k] + beta[k];
                }
                write(out, at, row);
            }
        }
    }

    private static void groupNorm(Attrs.GroupNorm a, Operand[] in, Operand out) {
        Operand x = in[0];
        long[] s = x.shape();
        long c = s[1];
        int per = Math.toIntExact(c / a.groups());
        int inner = Math.toIntExact(inner(s, s.length - 2));
        double[] w = a.weight() ? all(in[1]) : null;
        double[] b = a.bias() ? all(in[a.weight() ? 2 : 1]) : null;
        double[] block = new double[Math.multiplyExact(per, inner)];
        for (long i = 0; i < s[0]; i++) {
            for (long grp = 0; grp < a.groups(); grp++) {
                long at = (i * c + grp * per) * inner;
                read(x, at, block);
                double[] st = stats(block, 0, block.length, a.eps());
                for (int k = 0; k < per; k++) {
                    int ch = (int) (grp * per + k);
                    double scale = st[1] * (w == null ? 1.0 : w[ch]);
                    double bias = b == null ? -scale * st[0] : -scale * st[0] + b[ch]; // no +0 without bias, as PyTorch
                    for (int j = k * inner; j < (k + 1) * inner; j++) {
                        block[j] = block[j] * scale + bias;
                    }
                }
                write(out, at, block);
            }
        }
    }

    /** {mean, 1 / sqrt(var + eps)} of v[from, from + n), var the biased (two-pass) variance. */
    private static double[] stats(double[] v, int from, int n, double eps) {
        double sum = 0;
        for (int j = from; j < from + n; j++) {
            sum += v[j];
        }
        double mean = sum / n;
        double sq = 0;
        for (int j = from; j < from + n; j++) {
            double d = v[j] - mean;
            sq += d * d;
        }
        double var = sq / n;
        return new double[] {mean, 1 / Math.sqrt(Math.max(var, 0) + eps)};
    }

    /** All elements of a contiguous operand. */
    private static double[] all(Operand o) {
        double[] r = new double[Math.toIntExact(o.numel())];
        read(o, 0, r);
        return r;
    }

    /** dst.length elements of contiguous o from element {@code at}. */
    private static void read(Operand o, long at, double[] dst) {
        MemorySegment seg = o.storage().segment();
        long off = o.offset() + at;
        if (o.dtype() == DType.FLOAT64) {
            MemorySegment.copy(seg, ValueLayout.JAVA_DOUBLE, off * 8, dst, 0, dst.length);
        } else {
            for (int j = 0; j < dst.length; j++) {
                dst[j] = seg.getAtIndex(ValueLayout.JAVA_FLOAT, off + j);
            }
        }
    }

    private static void write(Operand o, long at, double[] src) {
        MemorySegment seg = o.storage().segment();
        long off = o.offset() + at;
        if (o.dtype() == DType.FLOAT64) {
            MemorySegment.copy(src, 0, seg, ValueLayout.JAVA_DOUBLE, off * 8, src.length);
        } else {
            for (int j = 0; j < src.length; j++) {
                seg.setAtIndex(ValueLayout.JAVA_FLOAT, off + j, (float) src[j]);
            }
        }
    }
}
