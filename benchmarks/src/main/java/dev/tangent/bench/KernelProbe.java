package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.nn.F;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Single kernels the NN workloads lean on, timed alone through the public API: ResNet-18's stem max
 * pooling (values, and values with the tangent), float32 sums over each dim pattern of an NCHW
 * tensor, and the pieces of a 3x3 convolution's jvp (layer 1 of ResNet-18: 64 channels, 56x56): the
 * convolution, two of them or one over the stacked [x; dx], the stacking copy, and the two ways of
 * computing the NaN term of the weight's absent tangent. Prints the least and the median time of {@code -Dreps} calls (default 40) after as many
 * warm-up calls, one line each. {@code -Dtangent.dnnl=false} shows the Java kernels where oneDNN
 * would otherwise take a call.
 *
 * <p>Usage: {@code taskset -c 1 java --enable-native-access=ALL-UNNAMED -cp <benchmarks classpath>
 * dev.tangent.bench.KernelProbe maxpool|sum|conv [threads] [batch]} (threads default 1, batch default 32).
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
            default -> throw new IllegalArgumentException("KernelProbe: maxpool, sum or conv, got " + what);
        }
    }

    private static void time(String name, Supplier<Tensor> call) {
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
    }
}
