package dev.tangent;

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
        }
    }

    static Tensor expReducer(Tensor x) {
        return x.exp().sum(1);
    }
}
