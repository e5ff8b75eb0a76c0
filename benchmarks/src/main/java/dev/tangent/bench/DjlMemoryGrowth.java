package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import java.util.ArrayList;
import java.util.List;

/**
 * RSS growth per jvp call of DJL's MLP jvp variants (batch from -Dbatch, default 1), each call
 * inside an NDScope so every DJL handle is closed: what remains is libtorch's own. Usage:
 * {@code java -cp ... dev.tangent.bench.DjlMemoryGrowth [calls]}. A Tangent variant goes beside
 * these as one more {@link JvpWorkload} passed to {@link MemoryGrowth#measure}.
 */
public final class DjlMemoryGrowth {
    public static void main(String[] args) {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int batch = Integer.getInteger("batch", 1);
        Engine engine = DjlRuntime.start(Integer.getInteger("threads", 1));
        try (NDManager manager = engine.newBaseManager()) {
            DjlMlp mlp = new DjlMlp(engine, manager, 7);
            NDArray x = DjlRuntime.gaussian(manager, 21, 1f, batch, DjlMlp.IN);
            NDArray v = DjlRuntime.gaussian(manager, 22, 1f, batch, DjlMlp.IN);
            List<MemoryGrowth.Result> results = new ArrayList<>();
            // leak-free variants first: a leak would not hide their numbers, but order keeps RSS lower
            results.add(MemoryGrowth.measure("mlp_djlJvpFiniteDiff B=" + batch,
                    scoped(() -> mlp.jvpFiniteDiff(x, v)), 20, calls));
            results.add(MemoryGrowth.measure("mlp_djlJvpByHand B=" + batch,
                    scoped(() -> mlp.jvpByHand(x, v)), 20, calls));
            results.add(MemoryGrowth.measure("mlp_djlJvpDoubleBackward B=" + batch,
                    scoped(() -> mlp.jvpDoubleBackward(x, v)), 20, calls));
            // the same call when the weights require grad, as a DJL Block's parameters do in training
            DjlMlp trainable = new DjlMlp(engine, manager, 7, true);
            results.add(MemoryGrowth.measure("mlp_djlJvpDoubleBackward B=" + batch + " (weights require grad)",
                    scoped(() -> trainable.jvpDoubleBackward(x, v)), 5, Math.max(10, calls / 10)));
            results.forEach(System.out::println);
        }
    }

    private static JvpWorkload scoped(Runnable body) {
        return () -> {
            try (NDScope ignored = new NDScope()) {
                body.run();
            }
        };
    }
}
