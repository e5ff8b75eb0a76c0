package dev.tangent.golden;

import dev.tangent.Tensor;
import dev.tangent.nn.F;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Java port of every case of {@code golden/jvp_nn_public.json}, keyed by case name: the
 * case's PyTorch lambda ({@code src}, with {@code F} = {@code torch.nn.functional}) written with
 * {@link F} and Tensor operations. {@code a[i]} is the lambda's i-th parameter, {@code c} the
 * case's constants; index constants (stored as floating point) are converted with {@code toLong()}
 * as the lambda's {@code .long()} does.
 */
final class GoldenNnPorts {
    static final Map<String, GoldenPorts.Port> PORTS = new LinkedHashMap<>();

    private static void port(String name, GoldenPorts.Port p) {
        if (PORTS.put(name, p) != null) {
            throw new IllegalStateException("two ports for " + name);
        }
    }

    private GoldenNnPorts() {}

    /**
     * The transformer encoder layer of {@code nn_transformer_encoder_layer} (post-norm, one head,
     * no attention bias, exact gelu), with the attention supplied: the case writes it by hand;
     * {@link GoldenNnCasesTest} also runs it with {@link F#scaledDotProductAttention}.
     */
    interface AttentionFn {
        Tensor apply(Tensor q, Tensor k, Tensor v);
    }

    static Tensor encoderLayer(Tensor x, Map<String, Tensor> c, AttentionFn attention) {
        Tensor q = F.linear(x, c.get("wq"));
        Tensor k = F.linear(x, c.get("wk"));
        Tensor v = F.linear(x, c.get("wv"));
        Tensor h = F.layerNorm(x.add(F.linear(attention.apply(q, k, v), c.get("wo"))), 8);
        return F.layerNorm(h.add(F.linear(F.gelu(F.linear(h, c.get("f1"), c.get("c1"))), c.get("f2"), c.get("c2"))), 8);
    }

    /** softmax(q kᵀ / 8 ** 0.5, dim=-1) @ v, as the case's source writes it. */
    static Tensor handWrittenAttention(Tensor q, Tensor k, Tensor v) {
        return q.matmul(k.transpose(-1, -2)).div(Math.pow(8, 0.5)).softmax(-1).matmul(v);
    }

    static {
        // lambda x, w, b: F.conv2d(x, w, b)
        port("nn_conv2d_basic", (a, c) -> F.conv2d(a[0], a[1], a[2]));
        // lambda x: F.conv2d(x, C['w'], C['b'], stride=2, padding=1)
        port("nn_conv2d_stride_pad", (a, c) -> F.conv2d(a[0], c.get("w"), c.get("b"), 2, 1, 1, 1));
        // lambda x: F.conv2d(x, C['w'], None, padding=2, dilation=2)
        port("nn_conv2d_dilation", (a, c) -> F.conv2d(a[0], c.get("w"), null, 1, 2, 2, 1));
        // lambda x, w: F.conv2d(x, w, None, padding=1, groups=4)
        port("nn_conv2d_groups_depthwise", (a, c) -> F.conv2d(a[0], a[1], null, 1, 1, 1, 4));
        // lambda x: F.conv2d(x, C['w'], C['b'], stride=(1, 2))
        port("nn_conv2d_1x1_rect", (a, c) -> F.conv2d(a[0], c.get("w"), c.get("b"), new long[] {1, 2},
                new long[] {0, 0}, new long[] {1, 1}, 1));
        // lambda x, w: F.conv1d(x, w, None, stride=1, padding=1)
        port("nn_conv1d", (a, c) -> F.conv1d(a[0], a[1], null, 1, 1, 1, 1));
        // lambda x: F.conv_transpose2d(x, C['w'], C['b'], stride=2, padding=1)
        port("nn_conv_transpose2d", (a, c) -> F.convTranspose2d(a[0], c.get("w"), c.get("b"), 2, 1));
        // lambda x: F.max_pool2d(x, 2)
        port("nn_max_pool2d", (a, c) -> F.maxPool2d(a[0], 2));
        // lambda x: F.max_pool2d(x, 3, stride=2, padding=1)
        port("nn_max_pool2d_stride_pad", (a, c) -> F.maxPool2d(a[0], 3, 2, 1));
        // lambda x: F.avg_pool2d(x, 2)
        port("nn_avg_pool2d", (a, c) -> F.avgPool2d(a[0], 2));
        // lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
        port("nn_avg_pool2d_pad_exclude", (a, c) -> F.avgPool2d(a[0], 3, 2, 1, false, false));
        // lambda x: F.adaptive_avg_pool2d(x, 1).flatten(1)
        port("nn_adaptive_avg_pool2d_1", (a, c) -> F.adaptiveAvgPool2d(a[0], 1).flatten(1, -1));
        // lambda x: F.max_pool1d(x, 2)
        port("nn_max_pool1d", (a, c) -> F.maxPool1d(a[0], 2));
        // lambda x: F.batch_norm(x, C['mean'], C['var'], C['w'], C['b'], training=False, eps=1e-5)
        port("nn_batch_norm_eval", (a, c) -> F.batchNorm(a[0], c.get("mean"), c.get("var"), c.get("w"), c.get("b"),
                false, 0.1, 1e-5));
        // lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=1e-5)
        port("nn_batch_norm_train", (a, c) -> F.batchNorm(a[0], null, null, a[1], a[2], true, 0.1, 1e-5));
        // lambda x: F.batch_norm(x, C['mean'], C['var'], C['w'], C['b'], training=False)
        port("nn_batch_norm_1d_eval", (a, c) -> F.batchNorm(a[0], c.get("mean"), c.get("var"), c.get("w"), c.get("b")));
        // lambda x, w, b: F.layer_norm(x, (6,), w, b, eps=1e-5)
        port("nn_layer_norm", (a, c) -> F.layerNorm(a[0], new long[] {6}, a[1], a[2], 1e-5));
        // lambda x: F.layer_norm(x, (3, 4))
        port("nn_layer_norm_2d_shape", (a, c) -> F.layerNorm(a[0], 3, 4));
        // lambda x, w, b: F.group_norm(x, 2, w, b)
        port("nn_group_norm", (a, c) -> F.groupNorm(a[0], 2, a[1], a[2]));
        // lambda w: F.embedding(C['idx'].long(), w).sum(1)
        port("nn_embedding", (a, c) -> F.embedding(c.get("idx").toLong(), a[0]).sum(1));
        // lambda x, w, b: F.linear(x, w, b)
        port("nn_linear", (a, c) -> F.linear(a[0], a[1], a[2]));
        // lambda x: F.dropout(x, 0.5, training=False).exp()
        port("nn_dropout_eval", (a, c) -> F.dropout(a[0], 0.5, false).exp());
        port("nn_act_softsign", (a, c) -> F.softsign(a[0]));
        port("nn_act_selu", (a, c) -> F.selu(a[0]));
        port("nn_act_mish", (a, c) -> F.mish(a[0]));
        port("nn_act_hardswish", (a, c) -> F.hardswish(a[0]));
        // lambda x: F.relu6(x * 4)
        port("nn_act_relu6", (a, c) -> F.relu6(a[0].mul(4.0)));
        port("nn_act_logsigmoid", (a, c) -> F.logsigmoid(a[0]));
        // lambda x: x * torch.sigmoid(1.5 * x)   (swish with beta 1.5)
        port("nn_act_swish_beta", (a, c) -> F.swish(a[0], 1.5));
        // lambda x: F.mse_loss(x, C['t'])
        port("nn_mse_loss", (a, c) -> F.mseLoss(a[0], c.get("t")));
        // lambda z: F.cross_entropy(z, C['t'].long())
        port("nn_cross_entropy", (a, c) -> F.crossEntropy(a[0], c.get("t").toLong()));
        // lambda x: F.relu(x + F.batch_norm(F.conv2d(F.relu(F.batch_norm(F.conv2d(x, C['w1'], None, padding=1),
        //     C['m1'], C['v1'], C['g1'], C['b1'])), C['w2'], None, padding=1), C['m2'], C['v2'], C['g2'], C['b2']))
        port("nn_resnet_basic_block", (a, c) -> {
            Tensor h = F.relu(F.batchNorm(F.conv2d(a[0], c.get("w1"), null, 1, 1, 1, 1), c.get("m1"), c.get("v1"),
                    c.get("g1"), c.get("b1")));
            Tensor r = F.batchNorm(F.conv2d(h, c.get("w2"), null, 1, 1, 1, 1), c.get("m2"), c.get("v2"), c.get("g2"),
                    c.get("b2"));
            return F.relu(a[0].add(r));
        });
        // lambda x: F.linear(F.max_pool2d(F.relu(F.conv2d(x, C['w'], C['b'])), 2).flatten(1), C['fw'], C['fb'])
        port("nn_lenet_like", (a, c) -> F.linear(F.maxPool2d(F.relu(F.conv2d(a[0], c.get("w"), c.get("b"))), 2)
                .flatten(1, -1), c.get("fw"), c.get("fb")));
        // lambda x: (lambda h: F.layer_norm(h + F.linear(F.gelu(F.linear(h, C['f1'], C['c1'])), C['f2'], C['c2']), (8,)))(
        //     F.layer_norm(x + F.linear(torch.softmax(F.linear(x, C['wq']) @ F.linear(x, C['wk']).transpose(-1, -2)
        //     / 8 ** 0.5, dim=-1) @ F.linear(x, C['wv']), C['wo']), (8,)))
        port("nn_transformer_encoder_layer", (a, c) -> encoderLayer(a[0], c, GoldenNnPorts::handWrittenAttention));
        // lambda x, w: F.conv2d(x, w, None, padding=1)
        port("nn_vjp_conv2d", (a, c) -> F.conv2d(a[0], a[1], null, 1, 1, 1, 1));
        // lambda x: F.conv2d(x, C['w']).tanh().sum()
        port("nn_hessian_conv_scalar", (a, c) -> F.conv2d(a[0], c.get("w")).tanh().sum());
        // lambda x: F.layer_norm(x, (4,)).pow(3).sum()
        port("nn_hvp_layer_norm", (a, c) -> F.layerNorm(a[0], 4).pow(3.0).sum());
        // lambda x: F.avg_pool2d(x, 2).sin()
        port("nn_jacobian_pool", (a, c) -> F.avgPool2d(a[0], 2).sin());
        // lambda x: F.conv2d(x, C['w']).tanh().sum((2, 3))
        port("nn_create_graph_conv", (a, c) -> F.conv2d(a[0], c.get("w")).tanh().sum(new int[] {2, 3}, false));
    }
}
