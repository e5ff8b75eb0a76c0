package dev.tangent.demo;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.Tuple;

import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpResult;

/** {@code ./tangent demo}: the seed examples of torch.autograd.functional.jvp's documentation, in Java. */
public final class Demo {
    private Demo() {}

    public static void main(String[] args) {
        try (Scope scope = Scope.open()) {
            // exp_reducer: x.exp().sum(1) of a 4x4 input
            Tensor x = Tensor.rand(0, 4, 4);
            Tensor v = Tensor.ones(4, 4);
            System.out.println("x = " + x);
            System.out.println("exp_reducer(x) = x.exp().sum(1)");
            System.out.println(x.exp().sum(1));

            JvpResult<Tensor> r = Functional.jvp(Demo::expReducer, x, v);
            System.out.println("jvp(exp_reducer, x, v):");
            System.out.println("  output = " + r.output());
            System.out.println("  jvp    = " + r.jvp());

            JvpResult<Tensor> g = Functional.jvp(Demo::expReducer, x, v, true, false);
            System.out.println("jvp(exp_reducer, x, v, create_graph=True):");
            System.out.println("  output = " + g.output());
            System.out.println("  jvp    = " + g.jvp());

            // adder: 2 * x + 3 * y
            Tuple inputs = Tuple.of(Tensor.rand(1, 2), Tensor.rand(2, 2));
            Tuple vs = Tuple.of(Tensor.ones(2), Tensor.ones(2));
            JvpResult<Tensor> a = Functional.jvp((Tuple in) -> in.get(0).mul(2).add(in.get(1).mul(3)), inputs, vs);
            System.out.println("jvp(adder, (x, y), (ones, ones)):");
            System.out.println("  output = " + a.output());
            System.out.println("  jvp    = " + a.jvp());

            // A small tanh MLP: its float32 matmuls run on oneDNN (ONEDNN_VERBOSE=1 shows them).
            System.out.println("CPU kernels: " + Tangent.cpuKernels());
            Tensor w1 = Tensor.randn(10, 64, 128).mul(0.125);
            Tensor w2 = Tensor.randn(11, 128, 10).mul(0.09);
            java.util.function.Function<Tensor, Tensor> mlp = in -> in.matmul(w1).tanh().matmul(w2);
            Tensor xb = Tensor.randn(12, 8, 64);
            Tensor vb = Tensor.randn(13, 8, 64);
            JvpResult<Tensor> m = Functional.jvp(mlp, xb, vb);
            System.out.println("jvp(mlp 64-128-10 tanh, x[8, 64], v): jvp[0] = " + m.jvp().get(0));
            try (var plan = dev.tangent.functional.JvpPlan.compile(mlp, xb)) {
                System.out.println("the same through a compiled JvpPlan (" + plan.kernelCount() + " kernels): jvp[0] = "
                        + plan.apply(xb, vb).jvp().get(0));
            }
        }
    }

    static Tensor expReducer(Tensor x) {
        return x.exp().sum(1);
    }
}
