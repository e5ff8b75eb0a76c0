package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.HvpStrategy;
import dev.tangent.engine.KernelProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where one eager call of a NN workload spends its time, per kernel op: Tangent's forward, jvp,
 * vjp or hvp (reverse over reverse, the default; {@code hvpFoR}: forward over reverse) of ResNet-18 or the encoder (the benchmarks' weights and inputs), timed by {@link
 * KernelProfile}. Prints the call's mean wall time and, per op, the kernels' summed time and
 * launches per call, largest first.
 *
 * <p>Usage: {@code java -Dtangent.profile.kernels=true [-Dthreads=1] [-Dwarmup_s=15] [-Dcalls=5] -cp
 * <benchmarks classpath> dev.tangent.bench.KernelProfileProbe resnet18|encoder fwd|jvp|vjp|hvp|hvpFoR [batch]};
 * pin it ({@code taskset -c 1}) for 1-thread figures. The warm-up is in seconds, not calls, as a
 * 1-core run shares its core with the JIT compiler.
 */
public final class KernelProfileProbe {
    private KernelProfileProbe() {}

    public static void main(String[] args) {
        if (!KernelProfile.ENABLED) {
            throw new IllegalStateException("run with -Dtangent.profile.kernels=true");
        }
        String model = args.length > 0 ? args[0] : "resnet18";
        String what = args.length > 1 ? args[1] : "vjp";
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        Tangent.setNumThreads(Integer.getInteger("threads", 1));
        boolean resnet = model.equals("resnet18");
        if (!resnet && !model.equals("encoder")) {
            throw new IllegalArgumentException("model: resnet18 or encoder, got " + model);
        }
        NnParams params = resnet ? Resnet18Spec.params(Resnet18Spec.SEED_WEIGHTS) : EncoderSpec.params(EncoderSpec.SEED_WEIGHTS);
        TangentNet net = resnet ? new TangentResnet18(params) : new TangentEncoder(params);
        long[] shape = resnet ? Resnet18Spec.inputShape(batch) : EncoderSpec.inputShape(batch);
        Tensor x = Tensor.of(NnParams.input(resnet ? Resnet18Spec.SEED_X : EncoderSpec.SEED_X, 1f, shape), shape);
        Tensor v = Tensor.of(NnParams.input(resnet ? Resnet18Spec.SEED_V : EncoderSpec.SEED_V, 1f, shape), shape);
        Tensor u;
        try (Scope s = Scope.open()) {
            Tensor y = net.forward(x);
            u = Tensor.of(NnParams.input(resnet ? Resnet18Spec.SEED_U : EncoderSpec.SEED_U, 1f, y.shape()), y.shape());
        }
        Runnable call = switch (what) {
            case "fwd" -> () -> {
                try (Scope s = Scope.open()) {
                    net.forward(x).toFloatArray();
                }
            };
            case "jvp" -> () -> {
                try (Scope s = Scope.open()) {
                    Functional.jvp(net::forward, x, v).jvp().toFloatArray();
                }
            };
            case "vjp" -> () -> {
                try (Scope s = Scope.open()) {
                    Functional.vjp(net::forward, x, u).vjp().toFloatArray();
                }
            };
            case "hvp" -> () -> {
                try (Scope s = Scope.open()) {
                    Functional.hvp(net::halfSquaredNorm, x, v).product().toFloatArray();
                }
            };
            case "hvpFoR" -> () -> {
                try (Scope s = Scope.open()) {
                    Functional.hvp(net::halfSquaredNorm, x, v, false, false, HvpStrategy.FORWARD_OVER_REVERSE).product()
                            .toFloatArray();
                }
            };
            default -> throw new IllegalArgumentException("what: fwd, jvp, vjp, hvp or hvpFoR, got " + what);
        };
        long warm = Long.getLong("warmup_s", 15) * 1_000_000_000L;
        long w0 = System.nanoTime();
        while (System.nanoTime() - w0 < warm) {
            call.run();
        }
        int calls = Integer.getInteger("calls", 5);
        KernelProfile.reset();
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            call.run();
        }
        double perCall = (System.nanoTime() - t0) / 1e6 / calls;
        List<Map.Entry<String, long[]>> ops = new ArrayList<>(KernelProfile.snapshot().entrySet());
        ops.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        double sum = 0;
        for (Map.Entry<String, long[]> e : ops) {
            sum += e.getValue()[0] / 1e6 / calls;
        }
        System.out.printf("%s %s, batch %d, %d thread(s): %.1f ms per call (mean of %d), kernels %.1f ms%n%n", model, what,
                batch, Tangent.numThreads(), perCall, calls, sum);
        System.out.println("| op | ms per call | launches per call |");
        System.out.println("|---|---:|---:|");
        for (Map.Entry<String, long[]> e : ops) {
            System.out.printf("| %s | %.2f | %.0f |%n", e.getKey(), e.getValue()[0] / 1e6 / calls,
                    e.getValue()[1] / (double) calls);
        }
    }
}
