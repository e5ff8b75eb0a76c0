package dev.tangent.golden;

import dev.tangent.DType;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Java port of every golden case's PyTorch lambda ({@code src}), keyed by case name. Each
 * port receives the function's arguments in order ({@code a[0]} is the lambda's first parameter)
 * and the case's constants {@code C}; it returns what the lambda returns (a Tensor, a Tuple, or,
 * for {@code err_output_not_tensor}, a Double).
 */
final class GoldenPorts {
    /** One ported lambda. */
    @FunctionalInterface
    interface Port {
        Object apply(Tensor[] a, Map<String, Tensor> c);
    }

    static final Map<String, Port> PORTS = new LinkedHashMap<>();

    private static void port(String name, Port p) {
        if (PORTS.put(name, p) != null) {
            throw new IllegalStateException("two ports for " + name);
        }
    }

    private GoldenPorts() {}

    /**
     * PyTorch's default dtype in the run of a case: the references were computed with float64 as
     * the default (so {@code torch.ones(3)} in a {@code src} is float64); a case run in float32 runs
     * as if float32 were the default. Every case's first input has the run's dtype.
     */
    static DType defaultDtype(Tensor[] a) {
        return a[0].dtype();
    }

    static {
        // lambda x: x.exp().sum(dim=1)
        Port expReducer = (a, c) -> a[0].exp().sum(1);
        port("seed_exp_reducer", expReducer);
        port("seed_exp_reducer_create_graph", expReducer);
        port("seed_exp_reducer_float32", expReducer);
        port("jacobian_exp_reducer", expReducer);
        // lambda x, y: 2 * x + 3 * y
        port("seed_adder", (a, c) -> a[0].mul(2.0).add(a[1].mul(3.0)));
        // lambda x: x ** 3 + x.sin()
        port("v_none_scalar", (a, c) -> a[0].pow(3.0).add(a[0].sin()));
        // lambda x: (x * 2).exp()
        port("v_none_one_element", (a, c) -> a[0].mul(2.0).exp());

        port("unary_exp", (a, c) -> a[0].exp());
        port("unary_log", (a, c) -> a[0].log());
        port("unary_sin", (a, c) -> a[0].sin());
        port("unary_cos", (a, c) -> a[0].cos());
        port("unary_tanh", (a, c) -> a[0].tanh());
        port("unary_sigmoid", (a, c) -> a[0].sigmoid());
        port("unary_relu", (a, c) -> a[0].relu());
        port("unary_sqrt", (a, c) -> a[0].sqrt());
        port("unary_rsqrt", (a, c) -> a[0].rsqrt());
        port("unary_abs", (a, c) -> a[0].abs());
        port("unary_neg", (a, c) -> a[0].neg());
        port("unary_reciprocal", (a, c) -> a[0].reciprocal());
        port("unary_square", (a, c) -> a[0].mul(a[0]));
        port("unary_log1p", (a, c) -> a[0].log1p());
        port("unary_expm1", (a, c) -> a[0].expm1());
        port("unary_erf", (a, c) -> a[0].erf());
        port("unary_gelu", (a, c) -> a[0].gelu());
        port("unary_silu", (a, c) -> a[0].silu());
        port("unary_softplus", (a, c) -> a[0].softplus());
        port("unary_leaky_relu", (a, c) -> a[0].leakyRelu(0.01));
        port("unary_elu", (a, c) -> a[0].elu());
        port("unary_pow_scalar", (a, c) -> a[0].pow(2.5));
        port("unary_pow_int", (a, c) -> a[0].pow(3.0));
        port("unary_clamp", (a, c) -> a[0].clamp(-0.5, 0.5));
        port("unary_atan", (a, c) -> a[0].atan());

        port("add_broadcast", (a, c) -> a[0].add(a[1]));
        port("sub_broadcast_rank", (a, c) -> a[0].sub(a[1]));
        port("mul_broadcast", (a, c) -> a[0].mul(a[1]));
        port("div_broadcast", (a, c) -> a[0].div(a[1]));
        port("pow_tensor", (a, c) -> a[0].pow(a[1]));
        port("maximum", (a, c) -> a[0].maximum(a[1]));
        // lambda x, y: torch.where(x > 0, x * y, y.exp())
        port("where", (a, c) -> Tensor.where(a[0].gt(0.0), a[0].mul(a[1]), a[1].exp()));
        // lambda x: 0.5 * x - 2.0 + x / 4.0
        port("scalar_affine", (a, c) -> a[0].mul(0.5).sub(2.0).add(a[0].div(4.0)));

        port("sum_all", (a, c) -> a[0].sum());
        port("sum_dim0_keepdim", (a, c) -> a[0].sum(0, true));
        port("mean_dim1", (a, c) -> a[0].mean(1));
        port("mean_all", (a, c) -> a[0].mean());
        port("prod_dim1", (a, c) -> a[0].prod(1));
        port("amax_dim1", (a, c) -> a[0].amax(1));
        port("logsumexp_dim1", (a, c) -> a[0].logsumexp(1));
        port("norm", (a, c) -> a[0].norm());
        port("var_dim1", (a, c) -> a[0].var(1));
        port("softmax", (a, c) -> a[0].softmax(-1));
        port("log_softmax", (a, c) -> a[0].logSoftmax(-1));

        Port matmul = (a, c) -> a[0].matmul(a[1]);
        port("matmul_2d", matmul);
        port("matmul_batched", matmul);
        port("matmul_broadcast_batch", matmul);
        port("matmul_vec", matmul);
        // lambda x, w, b: x @ w.T + b
        port("linear_layer", (a, c) -> a[0].matmul(a[1].T()).add(a[2]));
        port("transpose_matmul", (a, c) -> a[0].T().matmul(a[0]));
        // lambda x: torch.tanh(x @ C['W1'] + C['b1']) @ C['W2'] + C['b2']
        port("mlp_tanh_wrt_x", (a, c) -> a[0].matmul(c.get("W1")).add(c.get("b1")).tanh()
                .matmul(c.get("W2")).add(c.get("b2")));

        port("reshape", (a, c) -> a[0].reshape(3, 4).exp());
        port("permute", (a, c) -> a[0].permute(2, 0, 1).sin());
        // lambda x: x[:, 1:3] * 2
        port("slice", (a, c) -> a[0].slice(1, 1, 3).mul(2.0));
        // lambda x: x[1] + x[:, 0].sum()
        port("select_index", (a, c) -> a[0].get(1).add(a[0].select(1, 0).sum()));
        // lambda x, y: torch.cat([x, y.sin()], dim=1)
        port("cat", (a, c) -> Tensor.cat(1, a[0], a[1].sin()));
        // lambda x, y: torch.stack([x, x * y], dim=0)
        port("stack", (a, c) -> Tensor.stack(0, a[0], a[0].mul(a[1])));
        // lambda x: x.expand(3, 4) * torch.arange(4.0)   (arange(4.0) has the default dtype: float64 in the
        // reference run, the case's dtype here)
        port("expand", (a, c) -> a[0].expand(3, 4).mul(Tensor.arange(0, 4, 1, defaultDtype(a))));
        // lambda x: x.unsqueeze(0).squeeze(0).unsqueeze(-1) * x.unsqueeze(-1)
        port("unsqueeze_squeeze", (a, c) -> a[0].unsqueeze(0).squeeze(0).unsqueeze(-1).mul(a[0].unsqueeze(-1)));
        port("flatten", (a, c) -> a[0].flatten().cos());
        // lambda x: (x - x.mean(-1, keepdim=True)) / (x.var(-1, unbiased=False, keepdim=True) + 1e-5).sqrt()
        port("layer_norm_manual", (a, c) -> a[0].sub(a[0].mean(-1, true))
                .div(a[0].var(new int[] {-1}, false, true).add(1e-5).sqrt()));
        // lambda q, k, v: torch.softmax(q @ k.transpose(-1, -2) / 2.0, dim=-1) @ v
        port("attention", (a, c) -> a[0].matmul(a[1].transpose(-1, -2)).div(2.0).softmax(-1).matmul(a[2]));
        // lambda z: -torch.log_softmax(z, dim=1)[torch.arange(3), C['t'].long()].mean()
        port("cross_entropy", (a, c) -> a[0].logSoftmax(1).index(Tensor.arange(3), c.get("t").toLong()).mean().neg());

        port("tuple_outputs", (a, c) -> Tuple.of(a[0].mul(a[1]), a[0].sin()));
        port("tuple_single_input", (a, c) -> a[0].exp());
        // lambda x, y: x.exp()
        port("unused_input_nonstrict", (a, c) -> a[0].exp());
        port("unused_input_strict", (a, c) -> a[0].exp());
        // lambda x: torch.ones(3)   (the default dtype: float64 in the reference run, the case's dtype here)
        port("constant_output_nonstrict", (a, c) -> Tensor.ones(defaultDtype(a), 3));
        port("constant_output_strict", (a, c) -> Tensor.ones(defaultDtype(a), 3));
        // lambda x: torch.tanh(x @ C['W']).sum(dim=1)
        Port mlpSum = (a, c) -> a[0].matmul(c.get("W")).tanh().sum(1);
        port("create_graph_mlp", mlpSum);
        // lambda x, y: (x * y.sin(), (x * x).sum())
        port("create_graph_tuple", (a, c) -> Tuple.of(a[0].mul(a[1].sin()), a[0].mul(a[0]).sum()));

        port("err_v_shape", (a, c) -> a[0].exp());
        port("err_v_none_many", (a, c) -> a[0].exp());
        port("err_v_tuple_len", (a, c) -> a[0].mul(a[1]));
        // lambda x: 3.0
        port("err_output_not_tensor", (a, c) -> Double.valueOf(3.0));

        port("vjp_mlp", mlpSum);
        port("vjp_tuple", (a, c) -> Tuple.of(a[0].mul(a[1]), a[0].exp()));
        // lambda x, y: (x * y, x.sin() + y)
        port("jacobian_tuple", (a, c) -> Tuple.of(a[0].mul(a[1]), a[0].sin().add(a[1])));
        // lambda x: torch.tanh(x @ C['W'])
        port("jacobian_forward_vectorized", (a, c) -> a[0].matmul(c.get("W")).tanh());
        // lambda x: (x ** 4).sum() + (x[0] * x[1])
        port("hessian_quartic", (a, c) -> a[0].pow(4.0).sum().add(a[0].get(0).mul(a[0].get(1))));
        // lambda x, y: (x.sin() * y).sum()
        port("hessian_tuple", (a, c) -> a[0].sin().mul(a[1]).sum());
        port("hvp_logsumexp", (a, c) -> a[0].logsumexp(0));
        // lambda x: (x ** 3).sum()
        port("vhp_cubic", (a, c) -> a[0].pow(3.0).sum());
        // lambda x, y: (x * y.exp()).sum()
        port("hvp_tuple", (a, c) -> a[0].mul(a[1].exp()).sum());
    }
}
