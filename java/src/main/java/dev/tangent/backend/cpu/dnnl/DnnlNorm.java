package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.f32;
import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.md;
import static dev.tangent.backend.cpu.dnnl.PrimitiveChain.md;
import static dev.tangent.bindings.dnnl.dnnl_h.*;

import dev.tangent.DType;
import dev.tangent.backend.Backends;
import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentHashMap;

/**
 * float32 normalisation on oneDNN, for {@link DnnlAccelerator}: layer_norm
 * ({@code layer_normalization_forward}, inference, scale and shift as flags), the layer norm's
 * Jacobian ({@code layer_normalization} forward training for the statistics, then backward data,
 * which computes {@code rstd (g - mean(g) - x̂ mean(g x̂))}: one chain, the forward's output
 * written into the result it then overwrites), inference batch_norm
 * ({@code batch_normalization_forward} with {@code use_global_stats}) and group_norm
 * ({@code group_normalization_forward}). Operands arrive contiguous (the engine copies strided
 * ones); each op is one cached {@link PrimitiveChain} with the per-thread scratchpad.
 *
 * <p>A layer norm over the last k dims is oneDNN's over the last one of the [rows, n] view; batch
 * and group norm see x as [N, C, S] (the spatial dims merged). float64 and work below the
 * element-wise cut-over stay on the Java kernels.
 */
final class DnnlNorm {
    private static final int LAYER_NORM = 20;
    private static final int LAYER_NORM_BWD = 21;
    private static final int BATCH_NORM = 22;
    private static final int GROUP_NORM = 23;

    private final PrimitiveCache cache;
    private final DnnlAccelerator acc;
    private final ConcurrentHashMap<Long, Operand> zeroVectors = new ConcurrentHashMap<>();

    DnnlNorm(PrimitiveCache cache, DnnlAccelerator acc) {
        this.cache = cache;
        this.acc = acc;
    }

    boolean norm(Prim op, Attrs a, Operand[] in, Operand out) {
        if (!f32(in) || !f32(out) || out.numel() == 0 || out.numel() < acc.eltwiseCutover()) {
            return false;
        }
        for (Operand o : in) {
            if (!o.isContiguous()) {
                return false;
            }
        }
        return switch (op) {
            case LAYER_NORM -> layerNorm((Attrs.LayerNorm) a, in, out);
            case LAYER_NORM_GRAD -> layerNormGrad((Attrs.LayerNorm) a, in[0], in[1], out);
            case BATCH_NORM -> batchNorm((Attrs.BatchNorm) a, in, out);
            case GROUP_NORM -> ((Attrs.GroupNorm) a).bias() && groupNorm((Attrs.GroupNorm) a, in, out);
            default -> false;
        };
    }

    private static int flags(boolean scale, boolean shift) {
        return (scale ? dnnl_use_scale() : 0) | (shift ? dnnl_use_shift() : 0);
    }

    /** The product of the last k sizes. */
    private static long inner(long[] s, int k) {
        long n = 1;
        for (int i = s.length - k; i < s.length; i++) {
            n *= s[i];
        }
        return n;
    }

    /** A dense row-major float32 descriptor of these dims. */
    private static MemorySegment dense(Arena arena, long... dims) {
        long[] st = new long[dims.length];
        long s = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= dims[i];
        }
        return md(arena, dims, st);
    }

    /** x as [N, C, S], the spatial dims merged (S = 1 for a 2-d input). */
    private static long[] ncs(Operand x) {
        long[] s = x.shape();
        return new long[] {s[0], s[1], inner(s, s.length - 2)};
    }

    /**
     * Adds the statistics a forward primitive wants as temporaries (oneDNN's inference forms may
     * or may not ask for them); returns their slots, or null when it asks for none.
     */
    private static int[] statTemps(PrimitiveChain c, MemorySegment pd) {
        MemorySegment mean = md(pd, DNNL_ARG_MEAN());
        if (mean.equals(MemorySegment.NULL) || dnnl_memory_desc_get_size(mean) == 0) {
            return null;
        }
        return new int[] {c.temp(mean), c.temp(md(pd, DNNL_ARG_VARIANCE()))};
    }

    /** Appends one step: src (slot 0), optional scale/shift slots, dst, and the statistics it wants. */
    private static void affineStep(PrimitiveChain c, MemorySegment pd, int[] lead, int[] leadSlots, int scale,
            int shift, int dst) {
        int[] stats = statTemps(c, pd);
        int n = lead.length + (scale >= 0 ? 1 : 0) + (shift >= 0 ? 1 : 0) + 1 + (stats == null ? 0 : 2);
        int[] ids = new int[n];
        int[] slots = new int[n];
        int k = 0;
        for (int i = 0; i < lead.length; i++, k++) {
            ids[k] = lead[i];
            slots[k] = leadSlots[i];
        }
        if (scale >= 0) {
            ids[k] = DNNL_ARG_SCALE();
            slots[k++] = scale;
        }
        if (shift >= 0) {
            ids[k] = DNNL_ARG_SHIFT();
            slots[k++] = shift;
        }
        ids[k] = DNNL_ARG_DST();
        slots[k++] = dst;
        if (stats != null) {
            ids[k] = DNNL_ARG_MEAN();
            slots[k++] = stats[0];
            ids[k] = DNNL_ARG_VARIANCE();
            slots[k] = stats[1];
        }
        c.step(pd, ids, slots);
    }

    private boolean layerNorm(Attrs.LayerNorm a, Operand[] in, Operand out) {
        Operand x = in[0];
        long n = inner(x.shape(), a.dims());
        long rows = x.numel() / n;
        int fl = flags(a.weight(), true);
        Operand[] ops = java.util.Arrays.copyOf(in, 3);
        if (!a.bias()) {
            Operand z = zeros(n);
            if (z == null) {
                return false;
            }
            ops[a.weight() ? 2 : 1] = z;
        }
        int scale = a.weight() ? 1 : -1;
        int shift = a.weight() ? 2 : 1;
        int dst = a.weight() ? 3 : 2;
        ops = java.util.Arrays.copyOf(ops, dst + 1);
        ops[dst] = out;
        PrimitiveKey key = new PrimitiveKey(LAYER_NORM, new long[] {fl, a.dims(), Double.doubleToLongBits(a.eps())}, x,
                out);
        return cache.run(key, arena -> PrimitiveChain.build(arena, cache.engine(), c -> {
            MemorySegment src = c.own(dense(arena, rows, n));
            MemorySegment stat = c.own(dense(arena, rows));
            MemorySegment pd = c.pd("dnnl_layer_normalization_forward_primitive_desc_create", (p, attr) ->
                    dnnl_layer_normalization_forward_primitive_desc_create(p, cache.engine(), dnnl_forward_inference(),
                            src, src, stat, (float) a.eps(), fl, attr));
            affineStep(c, pd, new int[] {DNNL_ARG_SRC()}, new int[] {0}, scale, shift, dst);
        }), ops);
    }

    /**
     * A float32 zero vector of n elements (kept for the accelerator's life; null above 1M
     * elements): the shift of a layer norm without bias, since PyTorch adds its absent bias as 0
     * (a -0 comes out +0) where oneDNN without a shift would not.
     */
    private Operand zeros(long n) {
        if (n > 1 << 20) {
            return null;
        }
        return zeroVectors.computeIfAbsent(n, k -> Operand.contiguous(Storage.wrap(Backends.cpu(),
                Arena.global().allocate(k * Float.BYTES, 64)), DType.FLOAT32, new long[] {k}));
    }

    /**
     * J g: forward training writes the statistics (and its output, into the result), backward data
     * reads them. Declines (after the fact) when the result is not all finite.
     */
    private boolean layerNormGrad(Attrs.LayerNorm a, Operand x, Operand g, Operand out) {
        long n = inner(x.shape(), a.dims());
        long rows = x.numel() / n;
        PrimitiveKey key = new PrimitiveKey(LAYER_NORM_BWD, new long[] {a.dims(), Double.doubleToLongBits(a.eps())}, x, g,
                out);
        boolean ran = cache.run(key, arena -> PrimitiveChain.build(arena, cache.engine(), c -> {
            MemorySegment src = c.own(dense(arena, rows, n));
            MemorySegment stat = c.own(dense(arena, rows));
            float eps = (float) a.eps();
            MemorySegment fwd = c.pd("dnnl_layer_normalization_forward_primitive_desc_create", (p, attr) ->
                    dnnl_layer_normalization_forward_primitive_desc_create(p, cache.engine(), dnnl_forward_training(),
                            src, src, stat, eps, dnnl_normalization_flags_none(), attr));
            int mean = c.temp(md(fwd, DNNL_ARG_MEAN()));
            int var = c.temp(md(fwd, DNNL_ARG_VARIANCE()));
            MemorySegment bwd = c.pd("dnnl_layer_normalization_backward_primitive_desc_create", (p, attr) ->
                    dnnl_layer_normalization_backward_primitive_desc_create(p, cache.engine(), dnnl_backward_data(),
                            src, src, src, stat, eps, dnnl_normalization_flags_none(), fwd, attr));
            c.step(fwd, new int[] {DNNL_ARG_SRC(), DNNL_ARG_DST(), DNNL_ARG_MEAN(), DNNL_ARG_VARIANCE()},
                    new int[] {0, 2, mean, var});
            c.step(bwd, new int[] {DNNL_ARG_SRC(), DNNL_ARG_DIFF_DST(), DNNL_ARG_MEAN(), DNNL_ARG_VARIANCE(),
                DNNL_ARG_DIFF_SRC()}, new int[] {0, 1, mean, var, 2});
        }), x, g, out);
        // A NaN or infinity in x or g gives NaN or ±inf in its rows, where oneDNN's formula and
        // PyTorch's backward (rstd g + b x + c) disagree on which: the Java kernel recomputes them.
        return ran && DnnlDescriptors.allFinite(out);
    }

    /**
     * PyTorch's inference form, not oneDNN's batch normalisation (which computes
     * {@code (x - mean) · rstd · w + b}: another sign of zero where x equals the mean, and inf
     * instead of NaN for an infinite weight): alpha = w / sqrt(var + eps) and beta = b - mean · alpha
     * in float32 as PyTorch computes them (C values, here), then one oneDNN pass
     * {@code x · alpha + beta} (binary multiply with a binary-add post-op, both broadcast over C).
     */
    private boolean batchNorm(Attrs.BatchNorm a, Operand[] in, Operand out) {
        Operand x = in[0];
        long[] d3 = ncs(x);
        int c = Math.toIntExact(d3[1]);
        // [N, C] when there are no spatial dims: oneDNN's binary broadcast of [1, C, 1] over
        // [N, C, 1] gave wrong values (measured in DnnlNormTest)
        long[] d = d3[2] == 1 ? new long[] {d3[0], c} : d3;
        long[] pc = d3[2] == 1 ? new long[] {1, c} : new long[] {1, c, 1};
        PrimitiveKey key = new PrimitiveKey(BATCH_NORM, new long[0], x, out);
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment ab = scratch.allocate(2L * c * Float.BYTES, 64);
            scaleShift((float) a.eps(), vector(in[1], c), vector(in[2], c), a.weight() ? vector(in[3], c) : null,
                    a.bias() ? vector(in[a.weight() ? 4 : 3], c) : null, ab, c);
            Storage st = Storage.wrap(Backends.cpu(), ab);
            Operand alpha = Operand.contiguous(st, DType.FLOAT32, pc);
            Operand beta = alpha.view(pc, alpha.strides(), c);
            return cache.run(key, arena -> PrimitiveChain.build(arena, cache.engine(), ch -> {
                MemorySegment src = ch.own(dense(arena, d));
                MemorySegment per = ch.own(dense(arena, pc));
                MemorySegment pd = ch.pd("dnnl_binary_primitive_desc_create", (p, attr) -> {
                    MemorySegment po = arena.allocate(C_POINTER);
                    Dnnl.check(dnnl_post_ops_create(po), "dnnl_post_ops_create");
                    MemorySegment add = po.get(C_POINTER, 0);
                    Dnnl.check(dnnl_post_ops_create(po), "dnnl_post_ops_create");
                    MemorySegment none = po.get(C_POINTER, 0);
                    try {
                        Dnnl.check(dnnl_post_ops_append_binary(add, dnnl_binary_add(), per), "dnnl_post_ops_append_binary");
                        Dnnl.check(dnnl_primitive_attr_set_post_ops(attr, add), "dnnl_primitive_attr_set_post_ops");
                        return dnnl_binary_primitive_desc_create(p, cache.engine(), dnnl_binary_mul(), src, per, src, attr);
                    } finally {
                        // the chain's attribute is shared by its other primitives: without post-ops again
                        Dnnl.check(dnnl_primitive_attr_set_post_ops(attr, none), "dnnl_primitive_attr_set_post_ops");
                        dnnl_post_ops_destroy(add);
                        dnnl_post_ops_destroy(none);
                    }
                });
                int postSrc = DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE() | DNNL_ARG_SRC_1();
                ch.step(pd, new int[] {DNNL_ARG_SRC_0(), DNNL_ARG_SRC_1(), postSrc, DNNL_ARG_DST()},
                        new int[] {0, 1, 2, 3});
            }), x, alpha, beta, out);
        }
    }

    /** The c floats of a contiguous float32 vector, as a segment of exactly that size. */
    private static MemorySegment vector(Operand v, int c) {
        return v.storage().segment().asSlice(v.offset() * Float.BYTES, (long) c * Float.BYTES);
    }

    /**
     * alpha = weight / sqrt(var + eps), beta = bias - mean * alpha into ab[0, c) and ab[c, 2c).
     * Each loop reads segments of exactly c floats from index 0: the JIT's hoisted bounds checks
     * then hold for every call (indexing the storages at their offsets inside the loop had C2
     * deoptimise and recompile this method dozens of times, once per new channel count or
     * storage, each recompilation taking the core from a 1-thread ResNet-18 forward).
     */
    private static void scaleShift(float eps, MemorySegment mean, MemorySegment var, MemorySegment weight,
            MemorySegment bias, MemorySegment ab, int c) {
        MemorySegment alpha = ab.asSlice(0, (long) c * Float.BYTES);
        MemorySegment beta = ab.asSlice((long) c * Float.BYTES, (long) c * Float.BYTES);
        for (int k = 0; k < c; k++) {
            float invstd = 1f / (float) Math.sqrt(var.getAtIndex(ValueLayout.JAVA_FLOAT, k) + eps);
            alpha.setAtIndex(ValueLayout.JAVA_FLOAT, k, invstd);
        }
        if (weight != null) {
            for (int k = 0; k < c; k++) {
                alpha.setAtIndex(ValueLayout.JAVA_FLOAT, k,
                        alpha.getAtIndex(ValueLayout.JAVA_FLOAT, k) * weight.getAtIndex(ValueLayout.JAVA_FLOAT, k));
            }
        }
        for (int k = 0; k < c; k++) {
            float b = bias == null ? 0f : bias.getAtIndex(ValueLayout.JAVA_FLOAT, k);
            beta.setAtIndex(ValueLayout.JAVA_FLOAT, k,
                    b - mean.getAtIndex(ValueLayout.JAVA_FLOAT, k) * alpha.getAtIndex(ValueLayout.JAVA_FLOAT, k));
        }
    }

    private boolean groupNorm(Attrs.GroupNorm a, Operand[] in, Operand out) {
        Operand x = in[0];
        long[] d = ncs(x);
        int fl = flags(a.weight(), a.bias());
        int scale = a.weight() ? 1 : -1;
        int shift = a.bias() ? (a.weight() ? 2 : 1) : -1;
        int dst = in.length;
        PrimitiveKey key = new PrimitiveKey(GROUP_NORM, new long[] {fl, a.groups(), Double.doubleToLongBits(a.eps())},
                x, out);
        return cache.run(key, arena -> PrimitiveChain.build(arena, cache.engine(), c -> {
            MemorySegment src = c.own(dense(arena, d));
            MemorySegment pd = c.pd("dnnl_group_normalization_forward_primitive_desc_create", (p, attr) ->
                    dnnl_group_normalization_forward_primitive_desc_create(p, cache.engine(),
                            dnnl_forward_inference(), src, src, a.groups(), (float) a.eps(), fl, attr));
            affineStep(c, pd, new int[] {DNNL_ARG_SRC()}, new int[] {0}, scale, shift, dst);
        }), with(in, out));
    }

    private static Operand[] with(Operand[] in, Operand out) {
        Operand[] all = java.util.Arrays.copyOf(in, in.length + 1);
        all[in.length] = out;
        return all;
    }
}
