package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.f32;
import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.md;
import static dev.tangent.backend.cpu.dnnl.PrimitiveChain.md;
import static dev.tangent.bindings.dnnl.dnnl_h.*;

import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * float32 convolution (forward, backward data = conv_transpose2d, backward weights) and average
 * pooling (forward, backward) on oneDNN, for {@link DnnlAccelerator}. Operands are NCHW with any
 * strides; each op is one cached {@link PrimitiveChain}: reorders of the operands whose layout is
 * not the one the primitive was created with, the primitive, and, where they differ, a reorder of
 * the result into the caller's layout.
 *
 * <p><b>Layouts.</b> {@link Layout#BLOCKED} (the default): the primitive is created with
 * {@code format_tag any}, so oneDNN picks the layouts its fastest kernels want (on this AVX-512
 * machine mostly nhwc activations and blocked weights such as Acdb16a), and the operands are
 * reordered into and out of them at the edges, weights included, on every call.
 * {@link Layout#PLAIN}: the primitive is created on dense NCHW/OIHW, which oneDNN 3.13 serves with
 * a slow generic implementation (it reports {@code jit_uni_ncsp:conv+ref:any}): 38-850x slower
 * than blocked on every ResNet-18 shape measured (benchmarks/NN-KERNELS.md); kept so that the
 * measurement can be repeated and both paths stay tested.
 *
 * <p><b>Filters are packed once.</b> From its second use on, a convolution's filters (forward, and
 * backward data: reverse mode's input gradient, in a layout of its own) are read from
 * a copy in the blocked layout the primitive wants, made once and kept with the filters' storage
 * ({@link PackedWeights}), instead of being reordered on every call (0.02-0.7 ms each at batch 1;
 * the most, 512x512x3x3, beside a 1.4 ms convolution). Only storages whose bytes cannot change
 * are packed ({@code Storage.isMutable()}: not a compiled plan's rewritten buffers, not wrapped
 * memory). ResNet-18 at batch 1 ({@code KernelProbe packconv}): forward 0.90x (1 thread) and
 * 0.86x (2 threads) the per-call reorder's time, eager jvp 0.96x and 0.91x. (Before storages
 * knew they were immutable, a cache that kept an exact copy and compared it on every call was
 * built and measured, commit f2f8808: no faster, as comparing reads the weights twice.)
 *
 * <p><b>Not on oneDNN.</b> Max pooling (values and indices): oneDNN's max pooling lets no NaN
 * win and gives -FLT_MAX for a window of -inf, where PyTorch gives NaN and -inf (tested in
 * {@code DnnlNnTest}). Average pooling with a divisor override, with dilation, or counting
 * padding where ceil mode extends a window past the right padding (PyTorch then divides by the
 * clipped window, oneDNN by the whole kernel).
 */
final class DnnlNn {
    /** Where a convolution computes: on dense NCHW, or in the layouts oneDNN prefers. */
    enum Layout { PLAIN, BLOCKED }

    private static final int CONV = 7;
    private static final int CONV_BWD_DATA = 8;
    private static final int CONV_BWD_WEIGHTS = 9;
    private static final int POOL = 10;
    private static final int POOL_BWD = 11;

    private final PrimitiveCache cache;
    private final DnnlAccelerator acc;
    /** null: {@link #DEFAULT_LAYOUT}; else every convolution in this layout (measurements, tests). */
    private volatile Layout forced;

    DnnlNn(PrimitiveCache cache, DnnlAccelerator acc) {
        this.cache = cache;
        this.acc = acc;
    }

    void forceLayout(Layout layout) {
        this.forced = layout;
    }

    /** The layout every convolution uses unless one is forced (measured: blocked wins everywhere). */
    static final Layout DEFAULT_LAYOUT = Layout.BLOCKED;

    private Layout layout() {
        Layout f = forced;
        return f != null ? f : DEFAULT_LAYOUT;
    }

    /** Multiply-adds of a convolution whose output-shaped operand is {@code y} and weight shape {@code ws}. */
    private static long macs(Operand y, long[] ws) {
        return y.numel() * ws[1] * ws[2] * ws[3];
    }

    private boolean takesConv(Operand y, long[] ws, Operand... all) {
        if (!f32(all)) {
            return false;
        }
        for (Operand o : all) {
            if (o.numel() == 0) {
                return false;
            }
        }
        return macs(y, ws) >= acc.convCutover();
    }

    private static long[] key(Attrs.Conv a, Layout layout) {
        return new long[] {a.stride()[0], a.stride()[1], a.padding()[0], a.padding()[1], a.dilation()[0],
            a.dilation()[1], a.groups(), layout.ordinal()};
    }

    /**
     * A convolution's filters: the primitive key's attributes (the packed flag last) and, once the
     * filters are packed, where the steps read them ({@code relaid}; null: reordered per call).
     */
    private record Filters(long[] attrs, PrimitiveCache.Relaid relaid) {
        boolean packed() {
            return relaid != null;
        }
    }

    /** Blocked filters are read packed from their second use on (PackedWeights), not reordered per call. */
    private static Filters filters(Attrs.Conv a, Layout lay, Operand w) {
        PackedWeights.Uses pw = lay == Layout.BLOCKED ? PackedWeights.wanted(w) : null;
        long[] base = key(a, lay);
        long[] attrs = Arrays.copyOf(base, base.length + 1);
        attrs[base.length] = pw != null ? 1 : 0;
        PrimitiveCache.Relaid relaid = pw == null ? null : (want, repack) -> pw.packed(w,
                ar -> weightsMd(ar, w.shape(), w.strides(), a.groups()), want, repack);
        return new Filters(attrs, relaid);
    }

    boolean conv2d(Attrs.Conv a, Operand x, Operand w, Operand out) {
        if (!takesConv(out, w.shape(), x, w, out)) {
            return false;
        }
        Layout lay = layout();
        Filters f = filters(a, lay, w);
        boolean packed = f.packed();
        PrimitiveKey key = new PrimitiveKey(CONV, f.attrs(), x, w, out);
        return cache.run(key, arena -> PrimitiveChain.build(arena, cache.engine(), c -> {
            Geometry g = new Geometry(arena, a);
            MemorySegment xm = c.own(md(arena, x.shape(), x.strides()));
            MemorySegment wm = c.own(weightsMd(arena, w.shape(), w.strides(), a.groups()));
            MemorySegment om = c.own(md(arena, out.shape(), out.strides()));
            MemorySegment xc = c.own(compute(arena, x.shape(), 1, lay));
            MemorySegment wc = c.own(compute(arena, w.shape(), a.groups(), lay));
            MemorySegment oc = c.own(compute(arena, out.shape(), 1, lay));
            MemorySegment pd = c.pd("dnnl_convolution_forward_primitive_desc_create", (p, attr) ->
                    dnnl_convolution_forward_primitive_desc_create(p, cache.engine(), dnnl_forward_inference(),
                            dnnl_convolution_direct(), xc, wc, MemorySegment.NULL, oc, g.strides, g.dilates, g.pad, g.pad,
                            attr));
            int sx = c.input(0, xm, md(pd, DNNL_ARG_SRC()));
            int sw = packed ? 1 : c.input(1, wm, md(pd, DNNL_ARG_WEIGHTS()));
            int so = c.output(2, om, md(pd, DNNL_ARG_DST()));
            c.step(pd, new int[] {DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS(), DNNL_ARG_DST()}, new int[] {sx, sw, so});
        }), 1, f.relaid(), x, w, out);
    }

    /** gx from g and w: convolution backward data (conv_transpose2d). */
    boolean conv2dInputGrad(Attrs.Conv a, Operand g, Operand w, Operand gx) {
        if (!takesConv(g, w.shape(), g, w, gx)) {
            return false;
        }
        Layout lay = layout();
        // packed for backward data as for the forward (a layout of their own, cached beside it)
        Filters f = filters(a, lay, w);
        boolean packed = f.packed();
        PrimitiveKey key = new PrimitiveKey(CONV_BWD_DATA, f.attrs(), g, w, gx);
        return cache.run(key, arena -> PrimitiveChain.build(arena, cache.engine(), c -> {
            Geometry geo = new Geometry(arena, a);
            MemorySegment gm = c.own(md(arena, g.shape(), g.strides()));
            MemorySegment wm = c.own(weightsMd(arena, w.shape(), w.strides(), a.groups()));
            MemorySegment xm = c.own(md(arena, gx.shape(), gx.strides()));
            MemorySegment gc = c.own(compute(arena, g.shape(), 1, lay));
            MemorySegment wc = c.own(compute(arena, w.shape(), a.groups(), lay));
            MemorySegment xc = c.own(compute(arena, gx.shape(), 1, lay));
            MemorySegment hint = c.pd("dnnl_convolution_forward_primitive_desc_create", (p, attr) ->
                    dnnl_convolution_forward_primitive_desc_create(p, cache.engine(), dnnl_forward_training(),
                            dnnl_convolution_direct(), xc, wc, MemorySegment.NULL, gc, geo.strides, geo.dilates, geo.pad,
                            geo.pad, attr));
            MemorySegment pd = c.pd("dnnl_convolution_backward_data_primitive_desc_create", (p, attr) ->
                    dnnl_convolution_backward_data_primitive_desc_create(p, cache.engine(), dnnl_convolution_direct(),
                            xc, wc, gc, geo.strides, geo.dilates, geo.pad, geo.pad, hint, attr));
            int sg = c.input(0, gm, md(pd, DNNL_ARG_DIFF_DST()));
            int sw = packed ? 1 : c.input(1, wm, md(pd, DNNL_ARG_WEIGHTS()));
            int sx = c.output(2, xm, md(pd, DNNL_ARG_DIFF_SRC()));
            c.step(pd, new int[] {DNNL_ARG_DIFF_DST(), DNNL_ARG_WEIGHTS(), DNNL_ARG_DIFF_SRC()}, new int[] {sg, sw, sx});
        }), 1, f.relaid(), g, w, gx);
    }

    /** gw from x and g: convolution backward weights. */
    boolean conv2dWeightGrad(Attrs.Conv a, Operand x, Operand g, Operand gw) {
        if (!takesConv(g, gw.shape(), x, g, gw)) {
            return false;
        }
        Layout lay = layout();
        PrimitiveKey key = new PrimitiveKey(CONV_BWD_WEIGHTS, key(a, lay), x, g, gw);
        return cache.run(key, arena -> PrimitiveChain.build(arena, cache.engine(), c -> {
            Geometry geo = new Geometry(arena, a);
            MemorySegment xm = c.own(md(arena, x.shape(), x.strides()));
            MemorySegment gm = c.own(md(arena, g.shape(), g.strides()));
            MemorySegment wm = c.own(weightsMd(arena, gw.shape(), gw.strides(), a.groups()));
            MemorySegment xc = c.own(compute(arena, x.shape(), 1, lay));
            MemorySegment gc = c.own(compute(arena, g.shape(), 1, lay));
            MemorySegment wc = c.own(compute(arena, gw.shape(), a.groups(), lay));
            MemorySegment hint = c.pd("dnnl_convolution_forward_primitive_desc_create", (p, attr) ->
                    dnnl_convolution_forward_primitive_desc_create(p, cache.engine(), dnnl_forward_training(),
                            dnnl_convolution_direct(), xc, wc, MemorySegment.NULL, gc, geo.strides, geo.dilates, geo.pad,
                            geo.pad, attr));
            MemorySegment pd = c.pd("dnnl_convolution_backward_weights_primitive_desc_create", (p, attr) ->
                    dnnl_convolution_backward_weights_primitive_desc_create(p, cache.engine(),
                            dnnl_convolution_direct(), xc, wc, MemorySegment.NULL, gc, geo.strides, geo.dilates, geo.pad,
                            geo.pad, hint, attr));
            int sx = c.input(0, xm, md(pd, DNNL_ARG_SRC()));
            int sg = c.input(1, gm, md(pd, DNNL_ARG_DIFF_DST()));
            int sw = c.output(2, wm, md(pd, DNNL_ARG_DIFF_WEIGHTS()));
            c.step(pd, new int[] {DNNL_ARG_SRC(), DNNL_ARG_DIFF_DST(), DNNL_ARG_DIFF_WEIGHTS()}, new int[] {sx, sg, sw});
        }), x, g, gw);
    }

    // ------------------------------------------------------------------ pooling

    /**
     * oneDNN's right padding for a pooling window: what makes its output size {@code out}, or -1
     * when PyTorch's average (counting padding) would divide differently — a window reaching past
     * the input's right padding, which PyTorch clips and oneDNN does not.
     */
    static long poolPadR(long in, long out, long k, long s, long p, long d, boolean avgIncludePad) {
        long span = d * (k - 1) + 1;
        long need = (out - 1) * s + span - in - p; // padding the last window reaches on the right
        if (need > p && avgIncludePad) {
            return -1;
        }
        long pr = need <= p ? p : need;
        return (in - span + p + pr) / s + 1 == out ? pr : -1;
    }

    boolean avgPool2d(Attrs.Pool a, Operand x, Operand out) {
        if (!f32(x, out) || !avgOnOneDnn(a) || x.numel() == 0 || out.numel() == 0 || x.numel() < acc.eltwiseCutover()) {
            return false;
        }
        int alg = a.countIncludePad() ? dnnl_pooling_avg_include_padding() : dnnl_pooling_avg_exclude_padding();
        return poolForward(alg, a, x, out);
    }

    /**
     * max_pool2d's values on oneDNN (max pooling, forward inference) for a contiguous input with
     * no NaN, no infinity and no -0 (one pass over it first): oneDNN lets no NaN win, gives
     * -FLT_MAX for a window of -inf, and need not keep the first of a -0/+0 tie as PyTorch does;
     * without them the two agree bit for bit. Dilated windows with padding stay on Java (a window
     * could hold only padding). The indices always stay on Java.
     */
    boolean maxPool2d(Attrs.Pool a, Operand x, Operand out) {
        boolean dilated = a.dilation()[0] != 1 || a.dilation()[1] != 1;
        boolean padded = a.padding()[0] != 0 || a.padding()[1] != 0;
        if (!f32(x, out) || x.numel() == 0 || out.numel() == 0 || x.numel() < acc.eltwiseCutover() || dilated && padded
                || !DnnlDescriptors.finiteWithoutNegativeZero(x)) {
            return false;
        }
        return maxPoolProbe(a, x, out);
    }

    /** oneDNN max pooling, forward inference, whatever the input (tests show where it differs from PyTorch). */
    boolean maxPoolProbe(Attrs.Pool a, Operand x, Operand out) {
        return poolForward(dnnl_pooling_max(), a, x, out);
    }

    private boolean poolForward(int alg, Attrs.Pool a, Operand x, Operand out) {
        long[] pr = poolPadR(a, x.shape(), out.shape(), alg == dnnl_pooling_avg_include_padding());
        if (pr == null) {
            return false;
        }
        PrimitiveKey key = new PrimitiveKey(POOL, poolKey(alg, a, pr), x, out);
        return cache.run(key, arena -> PrimitiveChain.build(arena, cache.engine(), c -> {
            PoolGeometry geo = new PoolGeometry(arena, a, pr);
            MemorySegment xm = c.own(md(arena, x.shape(), x.strides()));
            MemorySegment om = c.own(md(arena, out.shape(), out.strides()));
            MemorySegment xc = c.own(compute(arena, x.shape(), 1, Layout.PLAIN));
            MemorySegment oc = c.own(compute(arena, out.shape(), 1, Layout.PLAIN));
            MemorySegment pd = c.pd("dnnl_pooling_forward_primitive_desc_create", (p, attr) ->
                    dnnl_pooling_forward_primitive_desc_create(p, cache.engine(), dnnl_forward_inference(), alg, xc, oc,
                            geo.strides, geo.kernel, geo.dilation, geo.padL, geo.padR, attr));
            int sx = c.input(0, xm, md(pd, DNNL_ARG_SRC()));
            int so = c.output(1, om, md(pd, DNNL_ARG_DST()));
            c.step(pd, new int[] {DNNL_ARG_SRC(), DNNL_ARG_DST()}, new int[] {sx, so});
        }), x, out);
    }

    boolean avgPool2dGrad(Attrs.Pool a, Operand g, Operand gx) {
        if (!f32(g, gx) || !avgOnOneDnn(a) || g.numel() == 0 || gx.numel() == 0 || gx.numel() < acc.eltwiseCutover()) {
            return false;
        }
        int alg = a.countIncludePad() ? dnnl_pooling_avg_include_padding() : dnnl_pooling_avg_exclude_padding();
        long[] pr = poolPadR(a, gx.shape(), g.shape(), a.countIncludePad());
        if (pr == null) {
            return false;
        }
        PrimitiveKey key = new PrimitiveKey(POOL_BWD, poolKey(alg, a, pr), g, gx);
        return cache.run(key, arena -> PrimitiveChain.build(arena, cache.engine(), c -> {
            PoolGeometry geo = new PoolGeometry(arena, a, pr);
            MemorySegment gm = c.own(md(arena, g.shape(), g.strides()));
            MemorySegment xm = c.own(md(arena, gx.shape(), gx.strides()));
            MemorySegment gc = c.own(compute(arena, g.shape(), 1, Layout.PLAIN));
            MemorySegment xc = c.own(compute(arena, gx.shape(), 1, Layout.PLAIN));
            MemorySegment hint = c.pd("dnnl_pooling_forward_primitive_desc_create", (p, attr) ->
                    dnnl_pooling_forward_primitive_desc_create(p, cache.engine(), dnnl_forward_training(), alg, xc, gc,
                            geo.strides, geo.kernel, geo.dilation, geo.padL, geo.padR, attr));
            MemorySegment pd = c.pd("dnnl_pooling_backward_primitive_desc_create", (p, attr) ->
                    dnnl_pooling_backward_primitive_desc_create(p, cache.engine(), alg, xc, gc, geo.strides, geo.kernel,
                            geo.dilation, geo.padL, geo.padR, hint, attr));
            int sg = c.input(0, gm, md(pd, DNNL_ARG_DIFF_DST()));
            int sx = c.output(1, xm, md(pd, DNNL_ARG_DIFF_SRC()));
            c.step(pd, new int[] {DNNL_ARG_DIFF_DST(), DNNL_ARG_DIFF_SRC()}, new int[] {sg, sx});
        }), g, gx);
    }

    /** PyTorch's avg_pool2d as oneDNN computes it: no divisor override, no dilation (avg_pool2d has none). */
    private static boolean avgOnOneDnn(Attrs.Pool a) {
        return a.divisor() == 0 && a.dilation()[0] == 1 && a.dilation()[1] == 1;
    }

    private static long[] poolPadR(Attrs.Pool a, long[] xs, long[] os, boolean avgIncludePad) {
        long[] pr = new long[2];
        for (int i = 0; i < 2; i++) {
            pr[i] = poolPadR(xs[2 + i], os[2 + i], a.kernel()[i], a.stride()[i], a.padding()[i], a.dilation()[i],
                    avgIncludePad);
            if (pr[i] < 0) {
                return null;
            }
        }
        return pr;
    }

    private static long[] poolKey(int alg, Attrs.Pool a, long[] pr) {
        return new long[] {alg, a.kernel()[0], a.kernel()[1], a.stride()[0], a.stride()[1], a.padding()[0],
            a.padding()[1], a.dilation()[0], a.dilation()[1], pr[0], pr[1]};
    }

    // ------------------------------------------------------------------ descriptors

    /** Weights [O, C/g, kh, kw] as oneDNN sees them: 4-d, or 5-d [g, O/g, C/g, kh, kw] with groups. */
    static MemorySegment weightsMd(Arena arena, long[] ws, long[] st, long groups) {
        if (groups == 1) {
            return md(arena, ws, st);
        }
        long[] dims = {groups, ws[0] / groups, ws[1], ws[2], ws[3]};
        long[] strides = {ws[0] / groups * st[0], st[0], st[1], st[2], st[3]};
        return md(arena, dims, strides);
    }

    /** The layout a primitive is created with: dense (abcd / abcde) or {@code any} (oneDNN chooses). */
    static MemorySegment compute(Arena arena, long[] shape, long groups, Layout layout) {
        long[] dims = groups == 1 ? shape : new long[] {groups, shape[0] / groups, shape[1], shape[2], shape[3]};
        return DnnlDescriptors.tagMd(arena, dims,
                layout == Layout.BLOCKED ? dnnl_format_tag_any() : dims.length == 4 ? dnnl_abcd() : dnnl_abcde());
    }

    /** A convolution's stride, dilation (oneDNN counts the gaps: PyTorch's minus 1) and symmetric padding. */
    private static final class Geometry {
        final MemorySegment strides;
        final MemorySegment dilates;
        final MemorySegment pad;

        Geometry(Arena arena, Attrs.Conv a) {
            strides = arena.allocateFrom(ValueLayout.JAVA_LONG, a.stride()[0], a.stride()[1]);
            dilates = arena.allocateFrom(ValueLayout.JAVA_LONG, a.dilation()[0] - 1, a.dilation()[1] - 1);
            pad = arena.allocateFrom(ValueLayout.JAVA_LONG, a.padding()[0], a.padding()[1]);
        }
    }

    /** A pooling window: stride, kernel, dilation (minus 1), left padding and the right padding ceil mode needs. */
    private static final class PoolGeometry {
        final MemorySegment strides;
        final MemorySegment kernel;
        final MemorySegment dilation;
        final MemorySegment padL;
        final MemorySegment padR;

        PoolGeometry(Arena arena, Attrs.Pool a, long[] pr) {
            strides = arena.allocateFrom(ValueLayout.JAVA_LONG, a.stride()[0], a.stride()[1]);
            kernel = arena.allocateFrom(ValueLayout.JAVA_LONG, a.kernel()[0], a.kernel()[1]);
            dilation = arena.allocateFrom(ValueLayout.JAVA_LONG, a.dilation()[0] - 1, a.dilation()[1] - 1);
            padL = arena.allocateFrom(ValueLayout.JAVA_LONG, a.padding()[0], a.padding()[1]);
            padR = arena.allocateFrom(ValueLayout.JAVA_LONG, pr[0], pr[1]);
        }
    }
}
