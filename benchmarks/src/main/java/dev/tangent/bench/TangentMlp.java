package dev.tangent.bench;

import dev.tangent.Tensor;
import dev.tangent.nn.F;
import java.util.Random;

/**
 * The MLP workload in Tangent, with the same weights as {@link DjlMlp} (same seeds, same
 * java.util.Random draws): f(x) = tanh(tanh(x·W1 + b1)·W2 + b2)·W3 + b3, 784→1024→1024→10, float32.
 */
final class TangentMlp {
    private final Tensor w1, b1, w2, b2, w3, b3;

    TangentMlp(long seed) {
        w1 = gaussian(seed + 1, (float) (1 / Math.sqrt(DjlMlp.IN)), DjlMlp.IN, DjlMlp.HIDDEN);
        b1 = gaussian(seed + 2, 0.1f, DjlMlp.HIDDEN);
        w2 = gaussian(seed + 3, (float) (1 / Math.sqrt(DjlMlp.HIDDEN)), DjlMlp.HIDDEN, DjlMlp.HIDDEN);
        b2 = gaussian(seed + 4, 0.1f, DjlMlp.HIDDEN);
        w3 = gaussian(seed + 5, (float) (1 / Math.sqrt(DjlMlp.HIDDEN)), DjlMlp.HIDDEN, DjlMlp.OUT);
        b3 = gaussian(seed + 6, 0.1f, DjlMlp.OUT);
    }

    /** The weights in layer order: w1, b1, w2, b2, w3, b3 (JaxExport writes them for JAX). */
    Tensor[] parameters() {
        return new Tensor[] {w1, b1, w2, b2, w3, b3};
    }

    /**
     * The layers as {@code F.linear} with the activation fused (weights passed as PyTorch's [out, in]
     * views): one kernel per layer, and per layer and side in a jvp.
     */
    Tensor forward(Tensor x) {
        Tensor h1 = F.linear(x, w1.mT(), b1, "tanh");
        Tensor h2 = F.linear(h1, w2.mT(), b2, "tanh");
        return F.linear(h2, w3.mT(), b3);
    }

    /** The same function written op by op (a compiled plan still merges each layer into one kernel). */
    Tensor forwardOps(Tensor x) {
        Tensor h1 = x.matmul(w1).add(b1).tanh();
        Tensor h2 = h1.matmul(w2).add(b2).tanh();
        return h2.matmul(w3).add(b3);
    }

    /** Same draws as DjlRuntime.gaussian: N(0,1)·scale from java.util.Random(seed). Unscoped (GC-freed). */
    static Tensor gaussian(long seed, float scale, long... shape) {
        Random random = new Random(seed);
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] data = new float[Math.toIntExact(n)];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian() * scale;
        }
        return Tensor.of(data, shape);
    }
}
