package dev.tangent.bench;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpStrategy;
import java.util.ArrayList;
import java.util.List;

/**
 * RSS growth per call of Tangent's jvps (the same MLP and seed as {@link DjlMemoryGrowth}), each
 * eager call in its own Scope, plus Tangent's own off-heap accounting before and after. Usage:
 * {@code java -cp ... dev.tangent.bench.TangentMemoryGrowth [calls]}.
 */
public final class TangentMemoryGrowth {
    public static void main(String[] args) {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int batch = Integer.getInteger("batch", 1);
        Tangent.setNumThreads(Integer.getInteger("threads", 1));
        TangentMlp mlp = new TangentMlp(7);
        Tensor x = TangentMlp.gaussian(21, 1f, batch, DjlMlp.IN);
        Tensor v = TangentMlp.gaussian(22, 1f, batch, DjlMlp.IN);
        Tensor sx = TangentMlp.gaussian(11, 1f, 4, 4);
        Tensor sv = TangentMlp.gaussian(12, 1f, 4, 4);
        List<String> out = new ArrayList<>();
        try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(mlp::forward, x)) {
            long live = dev.tangent.Tangent.liveBytes();
            out.add(MemoryGrowth.measure("mlp_tangentJvp B=" + batch, scoped(() -> Functional.jvp(mlp::forward, x, v)),
                    50, calls) + liveDelta(live));
            live = dev.tangent.Tangent.liveBytes();
            out.add(MemoryGrowth.measure("mlp_tangentJvpDoubleBackward B=" + batch, scoped(() ->
                    Functional.jvp(mlp::forward, x, v, false, false, JvpStrategy.DOUBLE_BACKWARD)), 50, calls)
                    + liveDelta(live));
            live = dev.tangent.Tangent.liveBytes();
            out.add(MemoryGrowth.measure("mlp_tangentJvpPlan B=" + batch, () -> plan.apply(x, v), 50, calls * 10)
                    + liveDelta(live));
            live = dev.tangent.Tangent.liveBytes();
            out.add(MemoryGrowth.measure("seed_tangentJvp", scoped(() -> Functional.jvp((Tensor t) -> t.exp().sum(1), sx, sv)),
                    1000, calls * 500) + liveDelta(live));
        }
        out.forEach(System.out::println);
    }

    private static String liveDelta(long before) {
        return String.format("  Tangent live bytes %+d", dev.tangent.Tangent.liveBytes() - before);
    }

    private static JvpWorkload scoped(Runnable body) {
        return () -> {
            try (Scope s = Scope.open()) {
                body.run();
            }
        };
    }
}
