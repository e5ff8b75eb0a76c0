package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.autograd.ForwardAD;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-primitive profile of one forward and one jvp, Tangent beside DJL: every layer call of the
 * networks goes through a {@link Probe.Timing}, which adds its time to the call's kind (conv3x3,
 * batchnorm, linear ffn1, attention, ...). Tangent's jvp is profiled as eager forward mode — the
 * input made dual ({@code ForwardAD.makeDual}), each layer computing primal and tangent, which is
 * what {@code Functional.jvp} runs —, DJL's as its hand-written jvp. Both engines run CPU ops
 * synchronously, so a call's time is its kernels plus the engine's overhead for it; the
 * un-probed end-to-end times are printed below the table to show that the probe costs nothing
 * measurable. At 1 thread the clock is the thread's CPU time, which other processes on a shared
 * machine do not inflate ({@code -Dwall=true}: wall time); at more threads, wall time.
 *
 * <p>Usage: {@code NnProfile resnet18|encoder [batch [reps]]} with {@code -Dthreads=1}; prints a
 * Markdown table of the least time over {@code reps} calls (on a shared machine the least-disturbed
 * call; a median moves with whoever else runs), after a warm-up of at least {@code -Dwarmup} calls
 * and 2 s.
 */
public final class NnProfile {
    /** -Dwarmup: fewest warm-up calls (default 3; 1 is enough for ResNet-18's multi-second Tangent calls). */
    private static final int WARMUP_CALLS = Integer.getInteger("warmup", 3);

    public static void main(String[] args) {
        String model = args.length > 0 ? args[0] : "encoder";
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int threads = Integer.getInteger("threads", 1);
        Engine engine = DjlRuntime.start(threads);
        Tangent.setNumThreads(threads);

        boolean resnet = model.equals("resnet18");
        if (!resnet && !model.equals("encoder")) {
            throw new IllegalArgumentException("model: resnet18 or encoder, got " + model);
        }
        NnParams params = resnet ? Resnet18Spec.params(Resnet18Spec.SEED_WEIGHTS) : EncoderSpec.params(EncoderSpec.SEED_WEIGHTS);
        long[] shape = resnet ? Resnet18Spec.inputShape(batch) : EncoderSpec.inputShape(batch);
        float[] xd = NnParams.input(resnet ? Resnet18Spec.SEED_X : EncoderSpec.SEED_X, 1f, shape);
        float[] vd = NnParams.input(resnet ? Resnet18Spec.SEED_V : EncoderSpec.SEED_V, 1f, shape);

        // 1 thread: the calling thread's CPU time (immune to other processes on a shared machine); else wall time
        boolean cpu = threads == 1 && !Boolean.getBoolean("wall");
        Probe.Timing tp = new Probe.Timing(cpu);
        Probe.Timing dp = new Probe.Timing(cpu);
        TangentNet tan = resnet ? new TangentResnet18(params).probe(tp) : new TangentEncoder(params).probe(tp);
        TangentNet plain = resnet ? new TangentResnet18(params) : new TangentEncoder(params);
        Tensor x = Tensor.of(xd, shape);
        Tensor v = Tensor.of(vd, shape);

        try (NDManager manager = engine.newBaseManager(); JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(plain::forward, x)) {
            DjlNet djl = resnet ? new DjlResnet18(engine, manager, params).probe(dp) : new DjlEncoder(engine, manager, params).probe(dp);
            DjlNet djlPlain = resnet ? new DjlResnet18(engine, manager, params) : new DjlEncoder(engine, manager, params);
            NDArray dx = manager.create(xd, new Shape(shape));
            NDArray dv = manager.create(vd, new Shape(shape));

            Runnable tanFwd = () -> {
                try (Scope s = Scope.open()) {
                    tan.forward(x).toFloatArray();
                }
            };
            Runnable tanJvp = () -> {
                try (Scope s = Scope.open(); ForwardAD.DualLevel level = ForwardAD.dualLevel()) {
                    Tensor out = tan.forward(ForwardAD.makeDual(x, v, level));
                    ForwardAD.unpackDual(out, level).tangent().toFloatArray();
                }
            };
            Runnable djlFwd = () -> {
                try (NDScope s = new NDScope()) {
                    djl.forward(dx).toFloatArray();
                }
            };
            Runnable djlJvp = () -> {
                try (NDScope s = new NDScope()) {
                    djl.jvpByHand(dx, dv).get(1).toFloatArray();
                }
            };
            Map<String, long[]> tf = profile(tp, tanFwd, reps);
            Map<String, long[]> tj = profile(tp, tanJvp, reps);
            Map<String, long[]> df = profile(dp, djlFwd, reps);
            Map<String, long[]> dj = profile(dp, djlJvp, reps);

            System.out.printf("%s, batch %d, %d thread(s); %s ms per call, least of %d calls after >= %d warm-up calls and 2 s"
                    + " (per kind: the least over the calls of that kind's time in a call)%n%n", model, batch, threads,
                    cpu ? "thread CPU" : "wall", reps, WARMUP_CALLS);
            System.out.println("| kind | calls | Tangent fwd | Tangent jvp | jvp / fwd | DJL fwd | DJL jvp by hand | jvp / fwd | Tangent / DJL fwd | Tangent / DJL jvp |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            Set<String> kinds = new LinkedHashSet<>(tf.keySet());
            kinds.addAll(df.keySet());
            double[] sum = new double[4];
            for (String k : kinds) {
                double a = ms(tf.get(k)), b = ms(tj.get(k)), c = ms(df.get(k)), d = ms(dj.get(k));
                sum[0] += a;
                sum[1] += b;
                sum[2] += c;
                sum[3] += d;
                long calls = tf.containsKey(k) ? tf.get(k)[1] : df.get(k)[1];
                System.out.printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |%n", k, calls, f(a), f(b), r(b, a), f(c), f(d),
                        r(d, c), r(a, c), r(b, d));
            }
            System.out.printf("| **sum of kinds** | | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** |%n",
                    f(sum[0]), f(sum[1]), r(sum[1], sum[0]), f(sum[2]), f(sum[3]), r(sum[3], sum[2]), r(sum[0], sum[2]), r(sum[1], sum[3]));

            // End to end, no probe: what the benchmarks call.
            double eFwd = endToEnd(tp, () -> {
                try (Scope s = Scope.open()) {
                    plain.forward(x).toFloatArray();
                }
            }, reps);
            double eJvp = endToEnd(tp, () -> {
                try (Scope s = Scope.open()) {
                    Functional.jvp(plain::forward, x, v).jvp().toFloatArray();
                }
            }, reps);
            double ePlan = endToEnd(tp, () -> plan.apply(x, v).jvp().toFloatArray(), reps);
            double eDfwd = endToEnd(dp, () -> {
                try (NDScope s = new NDScope()) {
                    djlPlain.forward(dx).toFloatArray();
                }
            }, reps);
            double eDjvp = endToEnd(dp, () -> {
                try (NDScope s = new NDScope()) {
                    djlPlain.jvpByHand(dx, dv).get(1).toFloatArray();
                }
            }, reps);
            System.out.printf("%nEnd to end without the probe (ms, least of the calls): Tangent forward %s, Functional.jvp %s (%s fwd), JvpPlan.apply %s"
                    + " (%s fwd, %d kernels); DJL forward %s, DJL jvp by hand %s (%s fwd).%n", f(eFwd), f(eJvp), r(eJvp, eFwd),
                    f(ePlan), r(ePlan, eFwd), plan.kernelCount(), f(eDfwd), f(eDjvp), r(eDjvp, eDfwd));
        }
    }

    /**
     * Warm-up (at least {@link #WARMUP_CALLS} calls and 2 s, so that the JIT has compiled Tangent's Java loops), then
     * {@code reps} calls; returns per kind [least over the calls of that kind's total ns in a call, its calls per call].
     */
    private static Map<String, long[]> profile(Probe.Timing p, Runnable call, int reps) {
        warmUp(call);
        Map<String, List<Long>> per = new LinkedHashMap<>();
        Map<String, Long> calls = new LinkedHashMap<>();
        for (int i = 0; i < reps; i++) {
            p.clear();
            call.run();
            p.byKind.forEach((k, v) -> {
                per.computeIfAbsent(k, key -> new ArrayList<>()).add(v[0]);
                calls.put(k, v[1]);
            });
        }
        p.clear();
        Map<String, long[]> out = new LinkedHashMap<>();
        per.forEach((k, v) -> out.put(k, new long[] {min(v), calls.get(k)}));
        return out;
    }

    /** Least ms of {@code reps} calls after the warm-up. */
    private static double endToEnd(Probe.Timing clock, Runnable call, int reps) {
        warmUp(call);
        List<Long> t = new ArrayList<>();
        for (int i = 0; i < reps; i++) {
            long t0 = clock.now();
            call.run();
            t.add(clock.now() - t0);
        }
        return min(t) / 1e6;
    }

    private static void warmUp(Runnable call) {
        long t0 = System.nanoTime();
        for (int i = 0; i < WARMUP_CALLS || System.nanoTime() - t0 < 2_000_000_000L; i++) {
            call.run();
        }
    }

    private static long min(List<Long> v) {
        return v.stream().mapToLong(Long::longValue).min().orElseThrow();
    }

    private static double ms(long[] acc) {
        return acc == null ? Double.NaN : acc[0] / 1e6;
    }

    private static String f(double ms) {
        return Double.isNaN(ms) ? "–" : ms >= 100 ? String.format("%,.0f", ms) : ms >= 10 ? String.format("%.1f", ms) : String.format("%.2f", ms);
    }

    private static String r(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "–" : String.format("%.2f×", a / b);
    }
}
