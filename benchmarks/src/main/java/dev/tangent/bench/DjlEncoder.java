package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link EncoderSpec} in DJL (PyTorch engine) from NDArray ops — linear, matMul, softmax,
 * layer_norm, gelu — and every jvp a DJL user can write for it; all return {@code [f(x), J(x)·v]}.
 * Weights are made once; each call allocates only temporaries, which the caller frees (NDScope).
 */
final class DjlEncoder implements DjlNet {
    private static final Shape NORMALIZED = new Shape(EncoderSpec.HIDDEN);
    private static final float SCALE = (float) (1 / Math.sqrt(EncoderSpec.HEAD_DIM));
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
    private static final float INV_SQRT2PI = (float) (1 / Math.sqrt(2 * Math.PI));

    private final Engine engine;
    private final Map<String, NDArray> w = new HashMap<>();
    private Probe probe = Probe.NONE;

    DjlEncoder(Engine engine, NDManager manager, NnParams params) {
        this(engine, manager, params, DataType.FLOAT32);
    }

    /** @param dtype FLOAT64 gives the self-check a float64 reference for its central differences */
    DjlEncoder(Engine engine, NDManager manager, NnParams params, DataType dtype) {
        this.engine = engine;
        for (var e : params.all().entrySet()) {
            w.put(e.getKey(), manager.create(e.getValue().data(), new Shape(e.getValue().shape())).toType(dtype, false));
        }
    }

    DjlEncoder probe(Probe p) {
        this.probe = p;
        return this;
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray h = x;
        for (int l = 0; l < EncoderSpec.LAYERS; l++) {
            h = layer(h, "layer" + l + ".");
        }
        return h;
    }

    private NDArray layer(NDArray x, String n) {
        long b = x.getShape().get(0), s = x.getShape().get(1);
        NDArray q = heads(linear("linear q/k/v", x, n + "query", true));
        NDArray k = heads(linear("linear q/k/v", x, n + "key", true));
        NDArray v = heads(linear("linear q/k/v", x, n + "value", true));
        NDArray a = probe.at("attention (sdpa)", () -> q.matMul(k.transpose(0, 2, 1)).mul(SCALE).softmax(-1).matMul(v));
        NDArray merged = probe.at("split/merge heads", () -> mergeHeads(a, b, s));
        NDArray o = linear("linear out", merged, n + "out", true);
        NDArray h1 = layerNorm(probe.at("add (residual)", () -> x.add(o)), n + "ln1");
        NDArray f1 = linear("linear ffn1", h1, n + "ffn1", true);
        NDArray g = probe.at("gelu", () -> Activation.gelu(f1));
        NDArray f2 = linear("linear ffn2", g, n + "ffn2", true);
        return layerNorm(probe.at("add (residual)", () -> h1.add(f2)), n + "ln2");
    }

    /**
     * Tangents propagated by hand beside the primal: linear maps take the tangent without bias;
     * attention: ds = (dq·kᵀ + q·dkᵀ)/√d, dp = p ⊙ (ds − Σ p ⊙ ds), da = dp·v + p·dv; LayerNorm
     * (x̂ = (x − μ)·r): dx̂ = r·(dc − x̂·mean(x̂ ⊙ dc)) with dc = dx − mean(dx), dy = γ ⊙ dx̂;
     * GELU: dy = (Φ(x) + x·φ(x)) ⊙ dx.
     */
    @Override
    public NDList jvpByHand(NDArray x, NDArray v) {
        NDArray[] h = {x, v};
        for (int l = 0; l < EncoderSpec.LAYERS; l++) {
            h = layerJvp(h, "layer" + l + ".");
        }
        return new NDList(h[0], h[1]);
    }

    private NDArray[] layerJvp(NDArray[] x, String n) {
        long b = x[0].getShape().get(0), s = x[0].getShape().get(1);
        NDArray[] q = headsJvp(linearJvp("linear q/k/v", x, n + "query"));
        NDArray[] k = headsJvp(linearJvp("linear q/k/v", x, n + "key"));
        NDArray[] v = headsJvp(linearJvp("linear q/k/v", x, n + "value"));
        NDArray[] a = probe.at("attention (sdpa)", () -> {
            NDArray kt = k[0].transpose(0, 2, 1);
            NDArray p = q[0].matMul(kt).mul(SCALE).softmax(-1);
            NDArray ds = q[1].matMul(kt).add(q[0].matMul(k[1].transpose(0, 2, 1))).mul(SCALE);
            NDArray dp = p.mul(ds.sub(p.mul(ds).sum(new int[] {-1}, true)));
            return new NDArray[] {p.matMul(v[0]), dp.matMul(v[0]).add(p.matMul(v[1]))};
        });
        NDArray[] merged = probe.at("split/merge heads", () -> new NDArray[] {mergeHeads(a[0], b, s), mergeHeads(a[1], b, s)});
        NDArray[] o = linearJvp("linear out", merged, n + "out");
        NDArray[] h1 = layerNormJvp(probe.at("add (residual)", () -> new NDArray[] {x[0].add(o[0]), x[1].add(o[1])}), n + "ln1");
        NDArray[] f1 = linearJvp("linear ffn1", h1, n + "ffn1");
        NDArray[] g = probe.at("gelu", () -> {
            NDArray z = f1[0];
            NDArray cdf = z.mul(INV_SQRT2).erf().add(1f).mul(0.5f);
            NDArray pdf = z.square().mul(-0.5f).exp().mul(INV_SQRT2PI);
            return new NDArray[] {Activation.gelu(z), cdf.add(z.mul(pdf)).mul(f1[1])};
        });
        NDArray[] f2 = linearJvp("linear ffn2", g, n + "ffn2");
        return layerNormJvp(probe.at("add (residual)", () -> new NDArray[] {h1[0].add(f2[0]), h1[1].add(f2[1])}), n + "ln2");
    }

    /** The double-backward trick (as {@link DjlMlp#jvpDoubleBackward}); leaks x.grad's graph in libtorch. */
    @Override
    public NDList jvpDoubleBackward(NDArray x, NDArray v) {
        try (GradientCollector ignored = engine.newGradientCollector()) {
            NDArray xi = x.duplicate();
            xi.setRequiresGradient(true);
            NDArray out = forward(xi);
            NDArray u = out.zerosLike();
            u.setRequiresGradient(true);
            JniUtils.backward((PtNDArray) out, (PtNDArray) u, true, true);
            NDArray g = xi.getGradient();
            JniUtils.backward((PtNDArray) g, (PtNDArray) v, false, false);
            return new NDList(out, u.getGradient());
        }
    }

    /** vjp, one backward: [f(x), Jᵀ·u]. */
    @Override
    public NDList vjp(NDArray x, NDArray u) {
        try (GradientCollector ignored = engine.newGradientCollector()) {
            NDArray xi = x.duplicate();
            xi.setRequiresGradient(true);
            NDArray out = forward(xi);
            JniUtils.backward((PtNDArray) out, (PtNDArray) u, false, false);
            return new NDList(out, xi.getGradient());
        }
    }

    /** hvp of s(x) = 0.5·‖f(x)‖² by double backward: [s(x), H·v]. */
    @Override
    public NDList hvp(NDArray x, NDArray v) {
        try (GradientCollector ignored = engine.newGradientCollector()) {
            NDArray xi = x.duplicate();
            xi.setRequiresGradient(true);
            NDArray s = forward(xi).square().sum().mul(0.5f);
            JniUtils.backward((PtNDArray) s, (PtNDArray) s.onesLike(), true, true);
            NDArray g = xi.getGradient();
            NDArray gValue = g.stopGradient().duplicate();
            JniUtils.backward((PtNDArray) g, (PtNDArray) v, false, false);
            return new NDList(s.stopGradient(), xi.getGradient().stopGradient().sub(gValue));
        }
    }

    private NDArray linear(String kind, NDArray x, String name, boolean bias) {
        return probe.at(kind, () -> x.getNDArrayInternal().linear(x, w.get(name + ".weight"), bias ? w.get(name + ".bias") : null)
                .singletonOrThrow());
    }

    private NDArray[] linearJvp(String kind, NDArray[] x, String name) {
        return probe.at(kind, () -> new NDArray[] {
                x[0].getNDArrayInternal().linear(x[0], w.get(name + ".weight"), w.get(name + ".bias")).singletonOrThrow(),
                x[1].getNDArrayInternal().linear(x[1], w.get(name + ".weight"), null).singletonOrThrow()});
    }

    private NDArray heads(NDArray x) {
        return probe.at("split/merge heads", () -> splitHeads(x));
    }

    private NDArray[] headsJvp(NDArray[] x) {
        return probe.at("split/merge heads", () -> new NDArray[] {splitHeads(x[0]), splitHeads(x[1])});
    }

    /** [B, S, H] → [B·heads, S, head_dim], torch.nn.MultiheadAttention's layout. */
    private static NDArray splitHeads(NDArray x) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), EncoderSpec.HEADS, EncoderSpec.HEAD_DIM).transpose(0, 2, 1, 3)
                .reshape(s.get(0) * EncoderSpec.HEADS, s.get(1), EncoderSpec.HEAD_DIM);
    }

    private static NDArray mergeHeads(NDArray a, long b, long s) {
        return a.reshape(b, EncoderSpec.HEADS, s, EncoderSpec.HEAD_DIM).transpose(0, 2, 1, 3).reshape(b, s, EncoderSpec.HIDDEN);
    }

    private NDArray layerNorm(NDArray x, String name) {
        return probe.at("layernorm", () -> x.getNDArrayInternal().layerNorm(x, NORMALIZED, w.get(name + ".weight"),
                w.get(name + ".bias"), (float) EncoderSpec.LN_EPS).singletonOrThrow());
    }

    private NDArray[] layerNormJvp(NDArray[] x, String name) {
        return probe.at("layernorm", () -> {
            int[] last = {-1};
            NDArray c = x[0].sub(x[0].mean(last, true));
            NDArray r = c.square().mean(last, true).add((float) EncoderSpec.LN_EPS).pow(-0.5f);
            NDArray xhat = c.mul(r);
            NDArray gamma = w.get(name + ".weight");
            NDArray dc = x[1].sub(x[1].mean(last, true));
            NDArray dxhat = dc.sub(xhat.mul(xhat.mul(dc).mean(last, true))).mul(r);
            return new NDArray[] {xhat.mul(gamma).add(w.get(name + ".bias")), dxhat.mul(gamma)};
        });
    }
}
