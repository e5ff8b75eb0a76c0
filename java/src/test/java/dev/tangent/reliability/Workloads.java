package dev.tangent.reliability;

import dev.tangent.Tensor;
import java.util.function.Function;

/** The workloads the load, memory and fault tests share. */
final class Workloads {
    private Workloads() {}

    /** The seed example: {@code x.exp().sum(1)} on 4×4. */
    static final Function<Tensor, Tensor> SEED = x -> x.exp().sum(1);

    /** A tanh MLP with fixed float32 weights; built unscoped (lives for the JVM). */
    static final class Mlp implements Function<Tensor, Tensor> {
        final int in;
        final int hidden;
        final int out;
        final Tensor w1;
        final Tensor b1;
        final Tensor w2;
        final Tensor b2;
        final Tensor w3;
        final Tensor b3;

        /** {@code in -> hidden -> [hidden ->] out}; {@code layers} is 2 or 3 weight layers. */
        Mlp(int in, int hidden, int out, int layers, long seed) {
            this.in = in;
            this.hidden = hidden;
            this.out = out;
            w1 = Tensor.randn(seed, in, hidden).mul(1.0 / Math.sqrt(in));
            b1 = Tensor.randn(seed + 1, hidden).mul(0.1);
            if (layers == 3) {
                w2 = Tensor.randn(seed + 2, hidden, hidden).mul(1.0 / Math.sqrt(hidden));
                b2 = Tensor.randn(seed + 3, hidden).mul(0.1);
            } else {
                w2 = null;
                b2 = null;
            }
            w3 = Tensor.randn(seed + 4, hidden, out).mul(1.0 / Math.sqrt(hidden));
            b3 = Tensor.randn(seed + 5, out).mul(0.1);
        }

        @Override
        public Tensor apply(Tensor x) {
            Tensor h = x.matmul(w1).add(b1).tanh();
            if (w2 != null) {
                h = h.matmul(w2).add(b2).tanh();
            }
            return h.matmul(w3).add(b3);
        }
    }
}
