package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.backend.cpu.dnnl.DnnlAccelerator;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.nn.F;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Single kernels the NN workloads lean on, timed alone through the public API: ResNet-18's stem max
 * pooling (values, and values with the tangent), float32 sums over each dim pattern of an NCHW
 * tensor, and the pieces of a 3x3 convolution's jvp (layer 1 of ResNet-18: 64 channels, 56x56): the
 * convolution, two of them or one over the stacked [x; dx], the stacking copy, and the two ways of
 * computing the NaN term of the weight's absent tangent; and ({@code pack}) the MLP workload's
 * forward, plan jvp and eager jvp with weights packed for oneDNN's matmul and plain, alternating
 * in rounds, then its GEMM floor: each layer's matmul with its epilogue alone on packed weights
 * (the jvp's floor is twice the forward's: two GEMMs per layer). Prints the least and the median time of {@code -Dreps} calls (default 40) after as many
 * warm-up calls, one line each. {@code -Dtangent.dnnl=false} shows the Java kernels where oneDNN
 * would otherwise take a call.
 *
 * <p>Usage: {@code taskset -c 1 java --enable-native-access=ALL-UNNAMED -cp <benchmarks classpath>
 * dev.tangent.bench.KernelProbe maxpool|sum|conv|pack [threads] [batch]} (threads default 1, batch default 32).
 */
public final class KernelProbe {
    private static final int REPS = Integer.getInteger("reps", 40);

    private KernelProbe() {}

    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "sum";
        Tangent.setNumThreads(args.length > 1 ? Integer.parseInt(args[1]) : 1);
        long batch = args.length > 2 ? Long.parseLong(args[2]) : 32;
        switch (what) {
            case "maxpool" -> {
                Tensor x = Tensor.randn(1, batch, 64, 112, 112);
                Tensor v = Tensor.randn(2, batch, 64, 112, 112);
                time("max_pool2d 3x3/2 pad 1, values of [" + batch + ",64,112,112]", () -> F.maxPool2d(x, 3, 2, 1));
                time("max_pool2d 3x3/2 pad 1, values and tangent", () ->
                        Functional.jvp((Tensor t) -> F.maxPool2d(t, 3, 2, 1), x, v).jvp());
            }
            case "sum" -> {
                Tensor x = Tensor.randn(1, batch, 64, 56, 56);
                for (int[] dims : new int[][] {{1}, {0}, {0, 2, 3}, {2, 3}, {3}}) {
                    time("sum " + Arrays.toString(dims) + " of [" + batch + ",64,56,56]", () -> x.sum(dims, true));
                }
            }
            case "conv" -> {
                Tensor x = Tensor.randn(1, batch, 64, 56, 56);
                Tensor dx = Tensor.randn(2, batch, 64, 56, 56);
                Tensor w = Tensor.randn(3, 64, 64, 3, 3).mul(0.05);
                Tensor stacked = Tensor.cat(0, x, dx);
                String shape = " [" + batch + ",64,56,56] 3x3";
                time("conv2d" + shape, () -> F.conv2d(x, w, null, 1, 1, 1, 1));
                time("two conv2d (x and dx)", () -> {
                    F.conv2d(x, w, null, 1, 1, 1, 1);
                    return F.conv2d(dx, w, null, 1, 1, 1, 1);
                });
                time("conv2d of the stacked [x; dx]", () -> F.conv2d(stacked, w, null, 1, 1, 1, 1));
                time("the stacking copy cat(x, dx)", () -> Tensor.cat(0, x, dx));
                Tensor zeros = Tensor.randn(4, 1, 64, 3, 3).mul(0.0);
                time("NaN term before: one-output-channel 3x3 conv", () -> F.conv2d(x, zeros, null, 1, 1, 1, 1));
                Tensor rowZeros = Tensor.randn(5, 1, 1, 64).mul(0.0);
                Tensor tapZeros = Tensor.randn(6, 1, 1, 3, 3).mul(0.0);
                time("NaN term now: channel product, 1-channel 3x3 conv", () -> F.conv2d(
                        rowZeros.matmul(x.reshape(batch, 1, 64, 56 * 56)).reshape(batch, 1, 56, 56), tapZeros, null, 1, 1, 1, 1));
            }
            case "pack" -> {
                TangentMlp mlp = new TangentMlp(7);
                Tensor x = TangentMlp.gaussian(21, 1f, batch, DjlMlp.IN);
                Tensor v = TangentMlp.gaussian(22, 1f, batch, DjlMlp.IN);
                double[][] best;
                try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(mlp::forward, x)) {
                    best = packedAgainstPlain("MLP batch " + batch, new String[] {"forward", "plan jvp", "eager jvp"},
                            List.of(() -> mlp.forward(x), () -> plan.apply(x, v).jvp(),
                                    () -> Functional.jvp(mlp::forward, x, v).jvp()));
                }
                // The floor: each layer's matmul with its epilogue alone (one oneDNN primitive on packed weights)
                Tensor[] p = mlp.parameters();
                Tensor h1 = F.linear(x, p[0].mT(), p[1], "tanh");
                Tensor h2 = F.linear(h1, p[2].mT(), p[3], "tanh");
                double[] l1 = time("floor: layer 1 alone, [" + batch + ",784] x [784,1024]", () -> F.linear(x, p[0].mT(), p[1], "tanh"));
                double[] l2 = time("floor: layer 2 alone, [" + batch + ",1024] x [1024,1024]", () -> F.linear(h1, p[2].mT(), p[3], "tanh"));
                double[] l3 = time("floor: layer 3 alone, [" + batch + ",1024] x [1024,10]", () -> F.linear(h2, p[4].mT(), p[5]));
                double floor = l1[0] + l2[0] + l3[0];
                double flops = 2.0 * batch * (784 * 1024 + 1024 * 1024 + 1024 * 10);
                System.out.printf("floor (least times of the layers): forward %.3f ms (%.1f GFLOP/s), jvp twice that %.3f ms%n",
                        floor, flops / floor / 1e6, 2 * floor);
                System.out.printf("packed: forward %.2fx its floor, plan jvp %.2fx, eager jvp %.2fx (best medians)%n",
                        best[1][0] / floor, best[1][1] / (2 * floor), best[1][2] / (2 * floor));
                System.out.printf("packed weight copies alive: %d bytes, %d packings%n",
                        DnnlAccelerator.packedWeightBytes(), DnnlAccelerator.packedWeightPacks());
            }
            case "packconv" -> {
                TangentResnet18 net = new TangentResnet18(Resnet18Spec.params(Resnet18Spec.SEED_WEIGHTS));
                long[] shape = Resnet18Spec.inputShape((int) batch);
                Tensor x = Tensor.of(NnParams.input(Resnet18Spec.SEED_X, 1f, shape), shape);
                Tensor v = Tensor.of(NnParams.input(Resnet18Spec.SEED_V, 1f, shape), shape);
                packedAgainstPlain("ResNet-18 batch " + batch, new String[] {"forward", "eager jvp"},
                        List.of(() -> net.forward(x), () -> Functional.jvp(net::forward, x, v).jvp()));
            }
            default -> throw new IllegalArgumentException("KernelProbe: maxpool, sum, conv, pack or packconv, got " + what);
        }
    }

    /**
     * Each call with weights packed for oneDNN and plain (the packing budget 0), alternating in 3
     * rounds; prints and returns each variant's best median in ms: {plain[], packed[]}.
     */
    private static double[][] packedAgainstPlain(String what, String[] names, List<Supplier<Tensor>> calls) {
        long budget = DnnlAccelerator.packedWeightBudget();
        double[][] best = new double[2][calls.size()];
        for (double[] b : best) {
            Arrays.fill(b, Double.MAX_VALUE);
        }
        try {
            for (int round = 0; round < 3; round++) {
                for (int packed = 0; packed < 2; packed++) {
                    DnnlAccelerator.packedWeightBudget(packed == 1 ? budget : 0);
                    String tag = (packed == 1 ? "packed" : "plain ") + " round " + round + ": " + what + " ";
                    for (int i = 0; i < calls.size(); i++) {
                        best[packed][i] = Math.min(best[packed][i], time(tag + names[i], calls.get(i))[1]);
                    }
                }
            }
        } finally {
            DnnlAccelerator.packedWeightBudget(budget);
        }
        for (int i = 0; i < names.length; i++) {
            System.out.printf("best median of the rounds, %-9s: plain %8.3f ms, packed %8.3f ms (%.2fx)%n",
                    names[i], best[0][i], best[1][i], best[1][i] / best[0][i]);
        }
        return best;
    }

    /** {least, median} in ms, printed. */
    private static double[] time(String name, Supplier<Tensor> call) {
        double[] ms = new double[REPS];
        for (int i = 0; i < 2 * REPS; i++) {
            try (Scope s = Scope.open()) {
                long t0 = System.nanoTime();
                call.get();
                if (i >= REPS) {
                    ms[i - REPS] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        Arrays.sort(ms);
        System.out.printf("%-60s least %8.3f ms, median %8.3f ms%n", name, ms[0], ms[REPS / 2]);
        return new double[] {ms[0], ms[REPS / 2]};
    }
}
