package dev.tangent.backend.cpu;

import static dev.tangent.backend.cpu.Elements.I64;
import static dev.tangent.backend.cpu.Elements.get;
import static dev.tangent.backend.cpu.Elements.set;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Convolution and pooling as direct Java loops over NCHW operands of any strides. Convolutions
 * accumulate in double (PyTorch's float32 order is its GEMM blocking's, not a fixed one: on 2.13's
 * CPU, [max, max; -max, -max] * ones(2, 2) gives 0 but [max, -max; max, -max] gives -inf), so a
 * float32 result overflows only where the exact sum does. avg_pool2d sums a float32 window in
 * float, row by row, as PyTorch's kernel does: [max, max; -max, -max] averages to inf there and here.
 */
final class JavaNn {
    private JavaNn() {}

    /** An NCHW operand's memory and strides. */
    private record Nchw(MemorySegment seg, DType dt, long off, long sn, long sc, long sh, long sw,
            long n, long c, long h, long w) {
        static Nchw of(Operand o) {
            long[] s = o.shape();
            long[] st = o.strides();
            return new Nchw(o.storage().segment(), o.dtype(), o.offset(), st[0], st[1], st[2], st[3], s[0], s[1], s[2],
                    s[3]);
        }

        long at(long i, long j, long y, long x) {
            return off + i * sn + j * sc + y * sh + x * sw;
        }

        double read(long i, long j, long y, long x) {
            return get(seg, dt, at(i, j, y, x));
        }

        void write(long i, long j, long y, long x, double v) {
            set(seg, dt, at(i, j, y, x), v);
        }

        void add(long i, long j, long y, long x, double v) {
            long a = at(i, j, y, x);
            set(seg, dt, a, get(seg, dt, a) + v);
        }
    }

    /** acc + term, rounded to float32 when {@code f32} (PyTorch's float32 accumulator of avg_pool2d). */
    private static double sum(double acc, double term, boolean f32) {
        return f32 ? (float) (acc + term) : acc + term;
    }

    static void conv2d(Attrs.Conv a, Operand xo, Operand wo, Operand outo) {
        Nchw x = Nchw.of(xo);
        Nchw w = Nchw.of(wo);
        Nchw out = Nchw.of(outo);
        long og = out.c / a.groups();
        long cg = w.c;
        for (long n = 0; n < out.n; n++) {
            for (long o = 0; o < out.c; o++) {
                long c0 = (o / og) * cg;
                for (long oy = 0; oy < out.h; oy++) {
                    for (long ox = 0; ox < out.w; ox++) {
                        double acc = 0;
                        for (long cc = 0; cc < cg; cc++) {
                            for (long ky = 0; ky < w.h; ky++) {
                                long iy = oy * a.stride()[0] - a.padding()[0] + ky * a.dilation()[0];
                                boolean rowIn = iy >= 0 && iy < x.h;
                                for (long kx = 0; kx < w.w; kx++) {
                                    long ix = ox * a.stride()[1] - a.padding()[1] + kx * a.dilation()[1];
                                    if (rowIn && ix >= 0 && ix < x.w) {
                                        acc += x.read(n, c0 + cc, iy, ix) * w.read(o, cc, ky, kx);
                                    } else {
                                        // a padded zero times the weight, as PyTorch's im2col: NaN for a non-finite weight
                                        acc += 0.0 * w.read(o, cc, ky, kx);
                                    }
                                }
                            }
                        }
                        out.write(n, o, oy, ox, acc);
                    }
                }
            }
        }
    }

    /** True when the floating operand x (4-d when strided) holds a NaN or ±inf. */
    static boolean anyNonFinite(Operand xo) {
        if (xo.isContiguous()) {
            MemorySegment s = xo.storage().segment();
            return xo.dtype() == DType.FLOAT32 ? anyNonFinite32(s, xo.offset(), xo.numel())
                    : anyNonFinite64(s, xo.offset(), xo.numel());
        }
        Nchw x = Nchw.of(xo);
        for (long n = 0; n < x.n; n++) {
            for (long c = 0; c < x.c; c++) {
                for (long y = 0; y < x.h; y++) {
                    for (long i = 0; i < x.w; i++) {
                        if (!Double.isFinite(x.read(n, c, y, i))) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    // The largest exponent field of a block: all ones only for NaN and ±inf. A max reduction
    // without an early exit inside the block, which C2 vectorises (200,000 floats in 5 us on one
    // core, a scratch driver); the blocks let a non-finite value stop the scan.
    private static final long SCAN_BLOCK = 4096;

    private static boolean anyNonFinite32(MemorySegment s, long off, long n) {
        for (long b = off, end = off + n; b < end; b += SCAN_BLOCK) {
            long e = Math.min(end, b + SCAN_BLOCK);
            int m = 0;
            for (long i = b; i < e; i++) {
                m = Math.max(m, s.getAtIndex(ValueLayout.JAVA_INT, i) & 0x7f800000);
            }
            if (m == 0x7f800000) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyNonFinite64(MemorySegment s, long off, long n) {
        for (long b = off, end = off + n; b < end; b += SCAN_BLOCK) {
            long e = Math.min(end, b + SCAN_BLOCK);
            long m = 0;
            for (long i = b; i < e; i++) {
                m = Math.max(m, s.getAtIndex(I64, i) & 0x7ff0000000000000L);
            }
            if (m == 0x7ff0000000000000L) {
                return true;
            }
        }
        return false;
    }

    /**
     * Adds {@code conv2d(x, 0)} to out's last x.size(0) images (out [N', O, oh, ow], N' >= x's N):
     * NaN at each output position whose receptive field, over the group's input channels, holds a
     * non-finite x (0 times NaN or ±inf; padded zeros stay finite), zero elsewhere (so -0 becomes
     * +0, as the addition of the term does). For the weight of shape {@code ws}.
     */
    static void addAbsentWeightTerm(Attrs.Conv a, Operand xo, long[] ws, Operand outo) {
        Nchw x = Nchw.of(xo);
        Nchw out = Nchw.of(outo);
        long g = a.groups();
        long cg = x.c / g;
        long og = out.c / g;
        long first = out.n - x.n;
        long plane = x.h * x.w;
        boolean[] bad = new boolean[Math.toIntExact(g * plane)];
        for (long n = 0; n < x.n; n++) {
            Arrays.fill(bad, false);
            for (long c = 0; c < x.c; c++) {
                for (long y = 0; y < x.h; y++) {
                    for (long i = 0; i < x.w; i++) {
                        if (!Double.isFinite(x.read(n, c, y, i))) {
                            bad[(int) ((c / cg) * plane + y * x.w + i)] = true;
                        }
                    }
                }
            }
            for (long gi = 0; gi < g; gi++) {
                for (long oy = 0; oy < out.h; oy++) {
                    for (long ox = 0; ox < out.w; ox++) {
                        boolean nan = false;
                        for (long ky = 0; ky < ws[2] && !nan; ky++) {
                            long iy = oy * a.stride()[0] - a.padding()[0] + ky * a.dilation()[0];
                            for (long kx = 0; kx < ws[3] && iy >= 0 && iy < x.h; kx++) {
                                long ix = ox * a.stride()[1] - a.padding()[1] + kx * a.dilation()[1];
                                if (ix >= 0 && ix < x.w && bad[(int) (gi * plane + iy * x.w + ix)]) {
                                    nan = true;
                                    break;
                                }
                            }
                        }
                        double term = nan ? Double.NaN : 0.0;
                        for (long o = gi * og; o < (gi + 1) * og; o++) {
                            out.add(first + n, o, oy, ox, term);
                        }
                    }
                }
            }
        }
    }

    static void conv2dInputGrad(Attrs.Conv a, Operand go, Operand wo, Operand gxo) {
        Nchw g = Nchw.of(go);
        Nchw w = Nchw.of(wo);
        JavaElementwise.fill(gxo, 0);
        Nchw gx = Nchw.of(gxo);
        double[] acc = new double[Math.toIntExact(gx.h * gx.w)];
        long og = g.c / a.groups();
        long cg = w.c;
        for (long n = 0; n < gx.n; n++) {
            for (long c = 0; c < gx.c; c++) {
                java.util.Arrays.fill(acc, 0);
                long group = c / cg;
                long cc = c - group * cg;
                for (long o = group * og; o < (group + 1) * og; o++) {
                    for (long oy = 0; oy < g.h; oy++) {
                        for (long ox = 0; ox < g.w; ox++) {
                            double gv = g.read(n, o, oy, ox);
                            for (long ky = 0; ky < w.h; ky++) {
                                long iy = oy * a.stride()[0] - a.padding()[0] + ky * a.dilation()[0];
                                if (iy < 0 || iy >= gx.h) {
                                    continue;
                                }
                                for (long kx = 0; kx < w.w; kx++) {
                                    long ix = ox * a.stride()[1] - a.padding()[1] + kx * a.dilation()[1];
                                    if (ix >= 0 && ix < gx.w) {
                                        acc[(int) (iy * gx.w + ix)] += gv * w.read(o, cc, ky, kx);
                                    }
                                }
                            }
                        }
                    }
                }
                for (long y = 0; y < gx.h; y++) {
                    for (long x = 0; x < gx.w; x++) {
                        gx.write(n, c, y, x, acc[(int) (y * gx.w + x)]);
                    }
                }
            }
        }
    }

    static void conv2dWeightGrad(Attrs.Conv a, Operand xo, Operand go, Operand gwo) {
        Nchw x = Nchw.of(xo);
        Nchw g = Nchw.of(go);
        Nchw gw = Nchw.of(gwo);
        long og = g.c / a.groups();
        long cg = gw.c;
        for (long o = 0; o < gw.n; o++) {
            long c0 = (o / og) * cg;
            for (long cc = 0; cc < cg; cc++) {
                for (long ky = 0; ky < gw.h; ky++) {
                    for (long kx = 0; kx < gw.w; kx++) {
                        double acc = 0;
                        for (long n = 0; n < x.n; n++) {
                            for (long oy = 0; oy < g.h; oy++) {
                                long iy = oy * a.stride()[0] - a.padding()[0] + ky * a.dilation()[0];
                                boolean rowIn = iy >= 0 && iy < x.h;
                                for (long ox = 0; ox < g.w; ox++) {
                                    long ix = ox * a.stride()[1] - a.padding()[1] + kx * a.dilation()[1];
                                    if (rowIn && ix >= 0 && ix < x.w) {
                                        acc += x.read(n, c0 + cc, iy, ix) * g.read(n, o, oy, ox);
                                    } else {
                                        acc += 0.0 * g.read(n, o, oy, ox); // a padded zero (im2col), NaN for non-finite g
                                    }
                                }
                            }
                        }
                        gw.write(o, cc, ky, kx, acc);
                    }
                }
            }
        }
    }

    /**
     * Each window's maximum (PyTorch: a NaN wins, the last one seen; among equals the first
     * position does) and its flat index. The window's in-bounds taps are worked out once per row and
     * column (no test per tap) and the input read with its dtype's layout directly; same scan order.
     */
    static void maxPool2d(Attrs.Pool a, Operand xo, Operand outo, Operand idxo) {
        Operand shapeOf = outo != null ? outo : idxo;
        Nchw x = Nchw.of(xo);
        Nchw out = outo == null ? null : Nchw.of(outo);
        Nchw idx = idxo == null ? null : Nchw.of(idxo);
        long[] os = shapeOf.shape();
        boolean f32 = x.dt == DType.FLOAT32;
        long[] ky0 = new long[(int) os[2]];
        long[] ky1 = new long[(int) os[2]];
        long[] kx0 = new long[(int) os[3]];
        long[] kx1 = new long[(int) os[3]];
        taps(os[2], a.kernel()[0], a.stride()[0], a.padding()[0], a.dilation()[0], x.h, ky0, ky1);
        taps(os[3], a.kernel()[1], a.stride()[1], a.padding()[1], a.dilation()[1], x.w, kx0, kx1);
        long dy = a.dilation()[0];
        long dx = a.dilation()[1];
        for (long n = 0; n < os[0]; n++) {
            for (long c = 0; c < os[1]; c++) {
                long base = x.at(n, c, 0, 0);
                for (int oy = 0; oy < os[2]; oy++) {
                    long iy0 = oy * a.stride()[0] - a.padding()[0];
                    for (int ox = 0; ox < os[3]; ox++) {
                        long ix0 = ox * a.stride()[1] - a.padding()[1];
                        double best = Double.NEGATIVE_INFINITY;
                        long bestAt = -1;
                        for (long ky = ky0[oy]; ky < ky1[oy]; ky++) {
                            long iy = iy0 + ky * dy;
                            long row = base + iy * x.sh;
                            for (long kx = kx0[ox]; kx < kx1[ox]; kx++) {
                                long ix = ix0 + kx * dx;
                                long at = row + ix * x.sw;
                                double v = f32 ? x.seg.getAtIndex(Elements.F32, at) : get(x.seg, x.dt, at);
                                if (bestAt < 0 || v > best || Double.isNaN(v)) {
                                    best = v;
                                    bestAt = iy * x.w + ix;
                                }
                            }
                        }
                        if (out != null) {
                            out.write(n, c, oy, ox, best);
                        }
                        if (idx != null) {
                            idx.seg.setAtIndex(I64, idx.at(n, c, oy, ox), bestAt);
                        }
                    }
                }
            }
        }
    }

    /** For each output position o along one axis, the kernel taps k in [lo[o], hi[o]) whose input o*s - p + k*d is in [0, size). */
    private static void taps(long outSize, long k, long s, long p, long d, long size, long[] lo, long[] hi) {
        for (int o = 0; o < outSize; o++) {
            long i0 = o * s - p;
            long first = 0;
            while (first < k && i0 + first * d < 0) {
                first++;
            }
            long last = first;
            while (last < k && i0 + last * d < size) {
                last++;
            }
            lo[o] = first;
            hi[o] = last;
        }
    }

    /** The divisor of one average-pooling window and its clipped extent: {y0, y1, x0, x1, divisor}. */
    private static long[] avgWindow(Attrs.Pool a, long oy, long ox, long h, long w) {
        long y0 = oy * a.stride()[0] - a.padding()[0];
        long x0 = ox * a.stride()[1] - a.padding()[1];
        long y1 = Math.min(y0 + a.kernel()[0], h + a.padding()[0]);
        long x1 = Math.min(x0 + a.kernel()[1], w + a.padding()[1]);
        long poolSize = (y1 - y0) * (x1 - x0);
        y0 = Math.max(y0, 0);
        x0 = Math.max(x0, 0);
        y1 = Math.min(y1, h);
        x1 = Math.min(x1, w);
        long div = a.divisor() != 0 ? a.divisor() : a.countIncludePad() ? poolSize : (y1 - y0) * (x1 - x0);
        return new long[] {y0, y1, x0, x1, div};
    }

    static void avgPool2d(Attrs.Pool a, Operand xo, Operand outo) {
        Nchw x = Nchw.of(xo);
        Nchw out = Nchw.of(outo);
        boolean f32 = out.dt == DType.FLOAT32;
        for (long n = 0; n < out.n; n++) {
            for (long c = 0; c < out.c; c++) {
                for (long oy = 0; oy < out.h; oy++) {
                    for (long ox = 0; ox < out.w; ox++) {
                        long[] win = avgWindow(a, oy, ox, x.h, x.w);
                        double total = 0;
                        for (long iy = win[0]; iy < win[1]; iy++) {
                            for (long ix = win[2]; ix < win[3]; ix++) {
                                total = sum(total, x.read(n, c, iy, ix), f32);
                            }
                        }
                        out.write(n, c, oy, ox, total / win[4]);
                    }
                }
            }
        }
    }

    static void avgPool2dGrad(Attrs.Pool a, Operand go, Operand gxo) {
        Nchw g = Nchw.of(go);
        JavaElementwise.fill(gxo, 0);
        Nchw gx = Nchw.of(gxo);
        for (long n = 0; n < g.n; n++) {
            for (long c = 0; c < g.c; c++) {
                for (long oy = 0; oy < g.h; oy++) {
                    for (long ox = 0; ox < g.w; ox++) {
                        long[] win = avgWindow(a, oy, ox, gx.h, gx.w);
                        double share = g.read(n, c, oy, ox) / win[4];
                        for (long iy = win[0]; iy < win[1]; iy++) {
                            for (long ix = win[2]; ix < win[3]; ix++) {
                                gx.add(n, c, iy, ix, share);
                            }
                        }
                    }
                }
            }
        }
    }
}
