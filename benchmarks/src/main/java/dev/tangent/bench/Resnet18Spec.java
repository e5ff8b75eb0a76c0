package dev.tangent.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * ResNet-18 as torchvision lays it out, for 3×224×224 images: conv 7×7/2 (64) + BN + ReLU,
 * max pool 3/2 (padding 1), four stages of two BasicBlocks (64, 128, 256, 512 channels; the first
 * block of stages 2–4 has stride 2 and a 1×1/2 conv + BN on the shortcut), global average pool,
 * fc 512→1000. Convs have no bias; BatchNorm runs in inference mode (eps 1e-5) on random but fixed
 * running statistics. Both engines build from {@link #params}.
 */
final class Resnet18Spec {
    static final int IMAGE = 224;
    static final int CHANNELS = 3;
    static final int CLASSES = 1000;
    static final int FEATURES = 512;
    static final double BN_EPS = 1e-5;
    /** Input seeds: x, v (jvp tangent), u (vjp cotangent). */
    static final long SEED_X = 41, SEED_V = 42, SEED_U = 43;
    static final long SEED_WEIGHTS = 40;

    /** A conv (no bias) followed by its BatchNorm; parameters {@code name.weight}, {@code name.bn.*}. */
    record Conv(String name, int out, int in, int k, int stride, int pad) {
        String kind() {
            return k == 7 ? "conv7x7 (stem)" : k == 1 ? "conv1x1 (shortcut)" : stride == 1 ? "conv3x3" : "conv3x3/2";
        }
    }

    /** BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); {@code down} null: identity. */
    record Block(Conv conv1, Conv conv2, Conv down) {}

    static final Conv STEM = new Conv("conv1", 64, CHANNELS, 7, 2, 3);
    static final List<Block> BLOCKS = blocks();

    private Resnet18Spec() {}

    private static List<Block> blocks() {
        List<Block> b = new ArrayList<>();
        int in = 64;
        int[] widths = {64, 128, 256, 512};
        for (int s = 0; s < 4; s++) {
            int out = widths[s];
            for (int i = 0; i < 2; i++) {
                int stride = s > 0 && i == 0 ? 2 : 1;
                String p = "layer" + (s + 1) + "." + i;
                Conv down = stride != 1 || in != out ? new Conv(p + ".downsample", out, in, 1, stride, 0) : null;
                b.add(new Block(new Conv(p + ".conv1", out, in, 3, stride, 1), new Conv(p + ".conv2", out, out, 3, 1, 1), down));
                in = out;
            }
        }
        return b;
    }

    static List<Conv> convs() {
        List<Conv> all = new ArrayList<>();
        all.add(STEM);
        for (Block b : BLOCKS) {
            all.add(b.conv1());
            all.add(b.conv2());
            if (b.down() != null) {
                all.add(b.down());
            }
        }
        return all;
    }

    /**
     * Every parameter: conv weights N(0, 2 / fan_in) (Kaiming); BN gamma U(0.8, 1.2) — U(0.3, 0.6)
     * on the last BN of each residual branch, so the residual sums do not grow the activations
     * stage after stage —, beta N(0, 0.1²), running mean N(0, 0.1²), running var U(0.5, 1.5);
     * fc weight N(0, 1 / 512), bias N(0, 0.01²).
     */
    static NnParams params(long seed) {
        NnParams p = new NnParams(seed);
        for (Conv c : convs()) {
            p.gaussian(c.name() + ".weight", 0, (float) Math.sqrt(2.0 / (c.in() * c.k() * c.k())), c.out(), c.in(), c.k(), c.k());
            boolean branchEnd = c.name().endsWith(".conv2");
            p.uniform(c.name() + ".bn.weight", branchEnd ? 0.3f : 0.8f, branchEnd ? 0.6f : 1.2f, c.out());
            p.gaussian(c.name() + ".bn.bias", 0, 0.1f, c.out());
            p.gaussian(c.name() + ".bn.running_mean", 0, 0.1f, c.out());
            p.uniform(c.name() + ".bn.running_var", 0.5f, 1.5f, c.out());
        }
        p.gaussian("fc.weight", 0, (float) Math.sqrt(1.0 / FEATURES), CLASSES, FEATURES);
        p.gaussian("fc.bias", 0, 0.01f, CLASSES);
        return p;
    }

    static long[] inputShape(int batch) {
        return new long[] {batch, CHANNELS, IMAGE, IMAGE};
    }
}
