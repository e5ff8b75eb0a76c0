package dev.tangent.bench;

/**
 * A BERT-style encoder stack: 4 layers of hidden 256, 4 heads of 64, FFN 1024 with exact (erf)
 * GELU, post-LayerNorm (eps 1e-5), no masking, no dropout, sequence 128; input [B, 128, 256]
 * (what an embedding layer would hand over), output the same shape. Per layer:
 * <pre>
 *   q, k, v = x Wqᵀ + bq, x Wkᵀ + bk, x Wvᵀ + bv          each split into heads [B·4, 128, 64]
 *   a = softmax(q kᵀ / 8) v, heads merged, then a Woᵀ + bo
 *   x = LayerNorm(x + a)
 *   x = LayerNorm(x + gelu(x W1ᵀ + b1) W2ᵀ + b2)
 * </pre>
 * Both engines build from {@link #params}.
 */
final class EncoderSpec {
    static final int HIDDEN = 256;
    static final int HEADS = 4;
    static final int HEAD_DIM = HIDDEN / HEADS;
    static final int LAYERS = 4;
    static final int SEQ = 128;
    static final int FFN = 1024;
    static final double LN_EPS = 1e-5;
    static final long SEED_X = 51, SEED_V = 52, SEED_U = 53;
    static final long SEED_WEIGHTS = 50;

    private EncoderSpec() {}

    /** Linear weights N(0, 1 / fan_in), biases N(0, 0.02²), LayerNorm gamma U(0.8, 1.2), beta N(0, 0.05²). */
    static NnParams params(long seed) {
        NnParams p = new NnParams(seed);
        for (int l = 0; l < LAYERS; l++) {
            String n = "layer" + l + ".";
            for (String m : new String[] {"query", "key", "value", "out"}) {
                linear(p, n + m, HIDDEN, HIDDEN);
            }
            p.uniform(n + "ln1.weight", 0.8f, 1.2f, HIDDEN);
            p.gaussian(n + "ln1.bias", 0, 0.05f, HIDDEN);
            linear(p, n + "ffn1", FFN, HIDDEN);
            linear(p, n + "ffn2", HIDDEN, FFN);
            p.uniform(n + "ln2.weight", 0.8f, 1.2f, HIDDEN);
            p.gaussian(n + "ln2.bias", 0, 0.05f, HIDDEN);
        }
        return p;
    }

    private static void linear(NnParams p, String name, int out, int in) {
        p.gaussian(name + ".weight", 0, (float) Math.sqrt(1.0 / in), out, in);
        p.gaussian(name + ".bias", 0, 0.02f, out);
    }

    static long[] inputShape(int batch) {
        return new long[] {batch, SEQ, HIDDEN};
    }
}
