package dev.tangent.bench;

import dev.tangent.Tensor;
import dev.tangent.nn.F;
import java.util.HashMap;
import java.util.Map;

/** {@link EncoderSpec} in Tangent, through {@code dev.tangent.nn.F}; weights made once (unscoped). */
final class TangentEncoder implements TangentNet {
    private final Map<String, Tensor> w = new HashMap<>();
    private Probe probe = Probe.NONE;

    TangentEncoder(NnParams params) {
        for (var e : params.all().entrySet()) {
            w.put(e.getKey(), Tensor.of(e.getValue().data(), e.getValue().shape()));
        }
    }

    TangentEncoder probe(Probe p) {
        this.probe = p;
        return this;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = x;
        for (int l = 0; l < EncoderSpec.LAYERS; l++) {
            h = layer(h, "layer" + l + ".");
        }
        return h;
    }

    private Tensor layer(Tensor x, String n) {
        long b = x.size(0);
        long s = x.size(1);
        Tensor q = heads(linear("linear q/k/v", x, n + "query"));
        Tensor k = heads(linear("linear q/k/v", x, n + "key"));
        Tensor v = heads(linear("linear q/k/v", x, n + "value"));
        Tensor a = probe.at("attention (sdpa)", () -> F.scaledDotProductAttention(q, k, v));
        Tensor merged = probe.at("split/merge heads", () -> a.reshape(b, EncoderSpec.HEADS, s, EncoderSpec.HEAD_DIM)
                .transpose(1, 2).reshape(b, s, EncoderSpec.HIDDEN));
        Tensor o = linear("linear out", merged, n + "out");
        Tensor h1 = layerNorm(probe.at("add (residual)", () -> x.add(o)), n + "ln1");
        Tensor f1 = linear("linear ffn1", h1, n + "ffn1");
        Tensor g = probe.at("gelu", () -> F.gelu(f1));
        Tensor f2 = linear("linear ffn2", g, n + "ffn2");
        return layerNorm(probe.at("add (residual)", () -> h1.add(f2)), n + "ln2");
    }

    private Tensor linear(String kind, Tensor x, String name) {
        return probe.at(kind, () -> F.linear(x, w.get(name + ".weight"), w.get(name + ".bias")));
    }

    /**
     * [B, S, H] → [B·heads, S, head_dim], as torch.nn.MultiheadAttention lays heads out (a copy, or
     * a view at B = 1). Attention on 4-D [B, heads, S, head_dim] views would hit a Tangent bug at
     * B = 1 (see NnSelfCheck's probe); this layout has no size-1 dim and costs DJL the same.
     */
    private Tensor heads(Tensor x) {
        long b = x.size(0);
        long s = x.size(1);
        return probe.at("split/merge heads", () -> x.reshape(b, s, EncoderSpec.HEADS, EncoderSpec.HEAD_DIM).transpose(1, 2)
                .reshape(b * EncoderSpec.HEADS, s, EncoderSpec.HEAD_DIM));
    }

    private Tensor layerNorm(Tensor x, String name) {
        return probe.at("layernorm", () -> F.layerNorm(x, new long[] {EncoderSpec.HIDDEN}, w.get(name + ".weight"),
                w.get(name + ".bias"), EncoderSpec.LN_EPS));
    }
}
