package dev.tangent.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.autograd.GradMode;
import java.util.List;
import java.util.function.Supplier;

/**
 * Runs one engine operation and gives its result the memory rules of DJL.
 *
 * <p>Outside functional mode the operation runs in a temporary Tangent scope (its intermediates are
 * freed when it returns) with Tangent's grad mode on only while a gradient collector is open on this
 * thread; each result gets its own {@link Lane}, or shares the lane of the input it is a view of.
 * While a collector is open the temporary scope is handed to it instead of closed, because the tape
 * refers to the intermediates until the collector closes.
 *
 * <p>In functional mode (inside {@code DjlFunctional} or a plan) results are plain wrappers: the
 * tensors belong to whatever Tangent scope is open, and Tangent's grad mode and dual levels are
 * left as they are, so tangents and the tape flow through.
 */
final class Exec {
    private Exec() {}

    static TgNDArray run(TgNDManager m, DataType logical, Supplier<Tensor> op, NDArray... inputs) {
        Home h = Home.current();
        h.drain();
        checkOpen(m);
        if (h.isFunctional()) {
            return new TgNDArray(m, op.get(), null, logical);
        }
        TgGradientCollector c = h.collector();
        Scope tmp = Scope.open();
        try (GradMode.Guard g = GradMode.set(c != null)) {
            Tensor t = op.get();
            return wrap(m, t, laneFor(t, inputs), logical);
        } finally {
            if (c != null) {
                c.hold(tmp);
            } else {
                tmp.close();
            }
        }
    }

    static NDList runList(TgNDManager m, Supplier<List<Tensor>> op, NDArray... inputs) {
        Home h = Home.current();
        h.drain();
        NDList out = new NDList();
        if (h.isFunctional()) {
            for (Tensor t : op.get()) {
                out.add(new TgNDArray(m, t, null, null));
            }
            return out;
        }
        checkOpen(m);
        TgGradientCollector c = h.collector();
        Scope tmp = Scope.open();
        try (GradMode.Guard g = GradMode.set(c != null)) {
            for (Tensor t : op.get()) {
                out.add(wrap(m, t, laneFor(t, inputs), null));
            }
            return out;
        } finally {
            if (c != null) {
                c.hold(tmp);
            } else {
                tmp.close();
            }
        }
    }

    /** Runs work that makes no array (argument checks, reading values) with the engine's grad mode. */
    static <T> T quiet(Supplier<T> work) {
        Home h = Home.current();
        h.drain();
        if (h.isFunctional()) {
            return work.get();
        }
        try (Scope tmp = Scope.open(); GradMode.Guard g = GradMode.set(false)) {
            return work.get();
        }
    }

    private static void checkOpen(TgNDManager m) {
        if (!m.isOpen()) {
            throw new IllegalStateException("NDManager has been closed already.");
        }
    }

    /** The array, or — if attaching it fails — the lane given back, so that nothing leaks. */
    private static TgNDArray wrap(TgNDManager m, Tensor t, Lane lane, DataType logical) {
        try {
            return new TgNDArray(m, t, lane, logical);
        } catch (RuntimeException e) {
            if (lane != null) {
                lane.release();
            }
            throw e;
        }
    }

    private static Lane laneFor(Tensor t, NDArray[] inputs) {
        for (NDArray in : inputs) {
            if (in instanceof TgNDArray) {
                TgNDArray a = (TgNDArray) in;
                Tensor it = a.tensorOrNull();
                if (it != null && t.sharesStorage(it)) {
                    Lane l = a.lane();
                    return l == null ? null : l.retain();
                }
            }
        }
        return Lane.adopt(t);
    }
}
