package dev.tangent.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.djl.engine.Home;
import dev.tangent.djl.engine.TgNDArray;
import dev.tangent.djl.engine.TgNDManager;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The jvp of a fixed DJL block (or function) at fixed input shapes, compiled once for serving: a
 * Tangent {@link JvpPlan} recorded through the block's forward on the Tangent engine. Each
 * {@link #apply} copies the inputs into the plan's buffers and replays the recorded kernels — no
 * DJL code runs, no native memory is allocated, the weights are read where they are.
 *
 * <p>Inputs may be arrays of any engine: Tangent arrays are read directly, PyTorch CPU arrays
 * without copying ({@link Interop#toTensor}); their shapes and types must be those compiled for
 * (else {@link IllegalArgumentException}). The results are Tangent-engine arrays over the plan's
 * own buffers: valid until the next {@code apply} on the same thread, not attached to any manager
 * (closing them is optional and frees nothing); copy what you keep ({@code toFloatArray()},
 * {@code duplicate()}).
 *
 * <p>The weights are captured at compile time (the block's parameter arrays are read in place, so
 * they must stay open, and unchanged, while the plan is used). Thread-safe: each thread gets its own
 * buffers, recorded on its first call. {@link #close()} frees them all.
 */
public final class DjlJvpPlan implements AutoCloseable {
    private final JvpPlan<Value, Value> plan;
    private final TgNDManager results = TgNDManager.system();

    private DjlJvpPlan(JvpPlan<Value, Value> plan) {
        this.plan = plan;
    }

    /** Compiles the jvp of {@code block}'s forward (inference mode) for inputs shaped like {@code example}. */
    public static DjlJvpPlan compile(Block block, NDList example) {
        return compile(BlockFunction.of(block), example);
    }

    /** Compiles the jvp of {@code func} for inputs shaped like {@code example} (only shapes and types are used). */
    @SuppressWarnings("try") // the scope frees the example's wrappers
    public static DjlJvpPlan compile(Function<NDList, NDList> func, NDList example) {
        Function<Value, Value> f = x -> {
            TgNDManager fm = TgNDManager.system().newSubManager();
            try {
                NDList in = new NDList();
                for (Tensor t : tensors(x)) {
                    in.add(TgNDArray.wrap(fm, t));
                }
                NDList out = func.apply(in);
                List<Tensor> ts = new ArrayList<>();
                for (int i = 0; i < out.size(); i++) {
                    NDArray a = out.get(i);
                    if (!(a instanceof TgNDArray)) {
                        throw new IllegalArgumentException("DjlJvpPlan: output " + i + " is not a Tangent-engine array");
                    }
                    ts.add(((TgNDArray) a).getTensor());
                }
                return ts.size() == 1 ? ts.get(0) : Tuple.ofList(ts);
            } finally {
                fm.close();
            }
        };
        Home home = Home.current();
        home.enterFunctional();
        try (dev.tangent.Scope s = dev.tangent.Scope.open()) {
            return new DjlJvpPlan(JvpPlan.compile(wrapped(f), value(example)));
        } finally {
            home.exitFunctional();
        }
    }

    /** Every recording (on any thread's first call) runs the block in functional mode. */
    private static Function<Value, Value> wrapped(Function<Value, Value> f) {
        return x -> {
            Home home = Home.current();
            home.enterFunctional();
            try {
                return f.apply(x);
            } finally {
                home.exitFunctional();
            }
        };
    }

    /**
     * J·v and f at {@code inputs}: arrays over the plan's buffers, valid until this thread's next call.
     */
    @SuppressWarnings("try") // the scope frees the inputs' wrappers (no native memory)
    public NDJvpResult apply(NDList inputs, NDList v) {
        try (dev.tangent.Scope s = dev.tangent.Scope.open()) {
            JvpResult<Value> r = plan.apply(value(inputs), value(v));
            return new NDJvpResult(borrow(r.output()), borrow(r.jvp()));
        }
    }

    /** Number of kernels one call replays. */
    public int kernelCount() {
        return plan.kernelCount();
    }

    private NDList borrow(Value v) {
        NDList r = new NDList();
        for (Tensor t : tensors(v)) {
            r.add(TgNDArray.borrow(results, t));
        }
        return r;
    }

    private static List<Tensor> tensors(Value v) {
        List<Tensor> r = new ArrayList<>();
        if (v instanceof Tensor) {
            r.add((Tensor) v);
        } else {
            for (Value e : (Tuple) v) {
                r.add((Tensor) e);
            }
        }
        return r;
    }

    private static Value value(NDList list) {
        if (list == null || list.isEmpty()) {
            throw new IllegalArgumentException("DjlJvpPlan: expected at least one array");
        }
        List<Tensor> ts = new ArrayList<>();
        for (NDArray a : list) {
            ts.add(Interop.toTensor(a));
        }
        return ts.size() == 1 ? ts.get(0) : Tuple.ofList(ts);
    }

    /** Frees the plan's buffers on every thread. */
    @Override
    public void close() {
        plan.close();
    }
}
