package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.anyMd;
import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.expandedMatrix;
import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.f32;
import static dev.tangent.backend.cpu.dnnl.DnnlDescriptors.md;
import static dev.tangent.bindings.dnnl.dnnl_h.*;

import dev.tangent.backend.Operand;
import dev.tangent.backend.cpu.CpuLinear;
import dev.tangent.ops.Prim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A linear layer's matmul with its epilogue as one oneDNN primitive — the bias as the matmul's bias
 * argument, the activation as an eltwise post-op, a factor as a binary multiply post-op — and the
 * activation's slope ({@code 1 - y²}, {@code y (1 - y)}) in one element-wise pass, which the
 * tangent's matmul then multiplies in as its post-op: {@code tanh(xW + b)}'s jvp is two matmuls
 * and one pass over the output, not five passes. From its second use on, a weight matrix is read
 * packed in the layout the matmul prefers ({@link PackedWeights}).
 *
 * <p>Activations go to oneDNN only where its post-op gives PyTorch's values at NaN and ±inf
 * (checked by {@code LinearEpilogueTest} against the separate kernels;
 * {@code NonFiniteTest} checks those against PyTorch): tanh, sigmoid and gelu's tanh form. Not gelu (erf):
 * its post-op gives {@code gelu(+inf) = inf} where PyTorch's float32 gelu is NaN.
 */
final class DnnlLinear {
    private static final int FAMILY_LINEAR = 40;
    private static final int FAMILY_SLOPE = 41;

    private final PrimitiveCache cache;

    DnnlLinear(PrimitiveCache cache) {
        this.cache = cache;
    }

    /** oneDNN's eltwise algorithm for {@code act}, or -1 where it has none that matches PyTorch. */
    static int eltwise(Prim act) {
        if (act == null) {
            return -1;
        }
        return switch (act) {
            case TANH -> dnnl_eltwise_tanh();
            case SIGMOID -> dnnl_eltwise_logistic();
            case GELU_TANH -> dnnl_eltwise_gelu_tanh();
            // not GELU: the post-op gives gelu(+inf) = inf, PyTorch's float32 gelu (oneDNN's eltwise primitive) NaN
            default -> -1;
        };
    }

    /** {@code out = act(x W + bias) ⊙ scale}; see {@code CpuAccelerator.linear}. */
    boolean linear(Operand x, Operand w, Operand bias, Prim act, Operand scale, Operand out, long cutover) {
        if (!f32(x, w, out) || x.dim() != 2 || w.dim() != 2 || out.dim() != 2 || !out.isContiguous()
                || expandedMatrix(x) || expandedMatrix(w)) {
            return false;
        }
        long m = x.shape()[0];
        long k = x.shape()[1];
        long n = w.shape()[1];
        if (w.shape()[0] != k || out.shape()[0] != m || out.shape()[1] != n || k == 0 || m == 0 || n == 0
                || m * n * k < cutover) {
            return false;
        }
        if (bias != null && (!f32(bias) || !CpuLinear.isRow(bias, n))) {
            return false;
        }
        if (scale != null && (!f32(scale) || !scale.isContiguous() || !Arrays.equals(scale.shape(), out.shape()))) {
            return false;
        }
        int alg = eltwise(act);
        if (act != null && alg < 0) {
            return false;
        }
        int nargs = 3 + (bias != null ? 1 : 0) + (scale != null ? 1 : 0);
        Operand[] ops = new Operand[nargs];
        int[] ids = new int[nargs];
        int a = 0;
        ops[a] = x;
        ids[a++] = DNNL_ARG_SRC();
        ops[a] = w;
        ids[a++] = DNNL_ARG_WEIGHTS();
        if (bias != null) {
            ops[a] = bias;
            ids[a++] = DNNL_ARG_BIAS();
        }
        ops[a] = out;
        ids[a++] = DNNL_ARG_DST();
        if (scale != null) {
            ops[a] = scale;
            ids[a] = postOpArg(alg >= 0 ? 1 : 0);
        }
        PackedWeights.Uses pw = PackedWeights.wanted(w);
        boolean packed = pw != null;
        PrimitiveKey key = new PrimitiveKey(FAMILY_LINEAR,
                new long[] {alg, bias != null ? 1 : 0, scale != null ? 1 : 0, packed ? 1 : 0}, ops);
        return cache.run(key, arena -> {
            MemorySegment[] mds = new MemorySegment[nargs];
            int i = 0;
            mds[i++] = md(arena, x.shape(), x.strides());
            mds[i++] = packed ? anyMd(arena, w.shape()) : md(arena, w.shape(), w.strides());
            MemorySegment mb = MemorySegment.NULL;
            if (bias != null) {
                mb = md(arena, new long[] {1, n}, new long[] {n, 1});
                mds[i++] = mb;
            }
            MemorySegment mo = md(arena, out.shape(), out.strides());
            mds[i++] = mo;
            MemorySegment ms = scale == null ? null : md(arena, scale.shape(), scale.strides());
            if (ms != null) {
                mds[i] = ms;
            }
            MemorySegment mx = mds[0];
            MemorySegment mw = mds[1];
            MemorySegment biasMd = mb;
            return cache.create(arena, "dnnl_matmul_primitive_desc_create", (pd, attr) -> {
                postOps(arena, attr, alg, 0f, 0f, ms);
                return dnnl_matmul_primitive_desc_create(pd, cache.engine(), mx, mw, biasMd, mo, attr);
            }, ids, mds);
        }, packed ? 1 : -1, packed ? (want, repack) -> pw.packed(w, want, repack) : null, ops);
    }

    /** {@code s = act'(z)} from {@code y = act(z)}: {@code 1 - y·y} (tanh) or {@code (1 - y)·y} (sigmoid). */
    boolean slope(Prim act, Operand y, Operand s) {
        if (!f32(y, s) || !y.isContiguous() || !s.isContiguous() || !Arrays.equals(y.shape(), s.shape())
                || y.numel() == 0 || act != Prim.TANH && act != Prim.SIGMOID) {
            return false;
        }
        long[] flat = {y.numel()};
        long[] unit = {1};
        Operand yf = y.view(flat, unit, y.offset());
        Operand sf = s.view(flat, unit, s.offset());
        if (act == Prim.TANH) {
            // 1 - y*y: y*y rounded, then -1 * (y*y) + 1 (exact scaling by -1: one rounding, as PyTorch's)
            PrimitiveKey key = new PrimitiveKey(FAMILY_SLOPE, new long[] {1}, yf, sf);
            return cache.run(key, arena -> {
                MemorySegment m0 = md(arena, flat, unit);
                MemorySegment m1 = md(arena, flat, unit);
                MemorySegment mo = md(arena, flat, unit);
                return cache.create(arena, "dnnl_binary_primitive_desc_create", (pd, attr) -> {
                    postOps(arena, attr, dnnl_eltwise_linear(), -1f, 1f, null);
                    return dnnl_binary_primitive_desc_create(pd, cache.engine(), dnnl_binary_mul(), m0, m1, mo, attr);
                }, new int[] {DNNL_ARG_SRC_0(), DNNL_ARG_SRC_1(), DNNL_ARG_DST()}, m0, m1, mo);
            }, yf, yf, sf);
        }
        // (1 - y) * y: the eltwise linear -y + 1, then a binary multiply post-op by y
        PrimitiveKey key = new PrimitiveKey(FAMILY_SLOPE, new long[] {2}, yf, sf);
        return cache.run(key, arena -> {
            MemorySegment mi = md(arena, flat, unit);
            MemorySegment mo = md(arena, flat, unit);
            MemorySegment m1 = md(arena, flat, unit);
            return cache.create(arena, "dnnl_eltwise_forward_primitive_desc_create", (pd, attr) -> {
                postOps(arena, attr, -1, 0f, 0f, m1);
                return dnnl_eltwise_forward_primitive_desc_create(pd, cache.engine(), dnnl_forward_inference(),
                        dnnl_eltwise_linear(), mi, mo, -1f, 1f, attr);
            }, new int[] {DNNL_ARG_SRC(), DNNL_ARG_DST(), postOpArg(0)}, mi, mo, m1);
        }, yf, sf, yf);
    }

    /** The execution argument of post-op {@code index}'s second source. */
    private static int postOpArg(int index) {
        return DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE() * (index + 1) | DNNL_ARG_SRC_1();
    }

    /** Sets on {@code attr}: an eltwise post-op {@code alg} (if >= 0), then a binary multiply by {@code mulMd} (if not null). */
    private static void postOps(Arena arena, MemorySegment attr, int alg, float alpha, float beta, MemorySegment mulMd) {
        if (alg < 0 && mulMd == null) {
            return;
        }
        MemorySegment out = arena.allocate(C_POINTER);
        Dnnl.check(dnnl_post_ops_create(out), "dnnl_post_ops_create");
        MemorySegment po = out.get(C_POINTER, 0);
        try {
            if (alg >= 0) {
                Dnnl.check(dnnl_post_ops_append_eltwise(po, alg, alpha, beta), "dnnl_post_ops_append_eltwise");
            }
            if (mulMd != null) {
                Dnnl.check(dnnl_post_ops_append_binary(po, dnnl_binary_mul(), mulMd), "dnnl_post_ops_append_binary");
            }
            Dnnl.check(dnnl_primitive_attr_set_post_ops(attr, po), "dnnl_primitive_attr_set_post_ops");
        } finally {
            dnnl_post_ops_destroy(po);
        }
    }
}
