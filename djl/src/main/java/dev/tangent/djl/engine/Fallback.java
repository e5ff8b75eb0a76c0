package dev.tangent.djl.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.function.Function;

/**
 * What happens when DJL calls something the Tangent engine does not implement.
 *
 * <p>By default (strict) it throws {@link UnsupportedOperationException} naming the method: a
 * silent hand-off to another engine would drop tangents and the tape. With a fallback engine
 * configured ({@code -Dtangent.djl.fallback=PyTorch}, or {@link #setEngine(String)}) an
 * unimplemented operation that runs outside any differentiation (no {@code DjlFunctional} call, no
 * plan, no gradient collector on the thread) is computed on that engine instead: the array is handed
 * to it as a direct buffer over Tangent's memory (DJL's PyTorch engine wraps it without copying;
 * other array arguments go through that engine's {@code from}, one copy each), the operation runs
 * there in a temporary manager, and every result is copied back (one copy each) into the calling
 * array's manager. Measured for {@code erfinv} on float32 (2-core machine, loaded, one libtorch
 * thread): 1,000 elements 35 µs on the PyTorch engine directly, 0.6 ms through the fallback (the
 * temporary manager and the copy back dominate); 1,000,000 elements 2.4 ms directly, 5.6 ms through
 * the fallback. Inside differentiation the strict error is thrown whatever the setting.
 */
public final class Fallback {
    private static volatile String engineName = System.getProperty("tangent.djl.fallback");

    private Fallback() {}

    /** The engine unimplemented operations fall back to outside differentiation; null (the default) for none. */
    public static void setEngine(String name) {
        engineName = name == null || name.isEmpty() ? null : name;
    }

    /** The configured fallback engine's name, or null when strict. */
    public static String engine() {
        String n = engineName;
        return n == null || n.isEmpty() ? null : n;
    }

    /** The error for an operation Tangent does not implement. */
    static UnsupportedOperationException unsupported(String what, String why) {
        return new UnsupportedOperationException("Tangent engine: " + what + " is not implemented" + why
                + ". The engine is strict: it never hands an operation to another engine silently (that would"
                + " lose tangents and gradients). Outside differentiation, -Dtangent.djl.fallback=PyTorch (or"
                + " Fallback.setEngine) runs such operations on that engine, copying the arrays both ways.");
    }

    /**
     * Runs {@code op} on the fallback engine on a copy of {@code self}, or throws the strict error.
     * {@code op} receives the copy; NDArray arguments must be moved with {@link #to(NDArray, NDArray)}.
     */
    @SuppressWarnings("unchecked")
    static <R> R call(String what, TgNDArray self, Function<NDArray, R> op) {
        String name = engine();
        Home h = Home.current();
        if (name == null) {
            throw unsupported(what, "");
        }
        if (h.isFunctional() || h.collector() != null) {
            throw unsupported(what, " (and no fallback runs inside differentiation, where it would drop"
                    + " tangents)");
        }
        TgNDManager home = self.resultManager();
        try (NDManager alt = Engine.getEngine(name).newBaseManager()) {
            // in: the other engine reads Tangent's memory through a direct buffer (no copy for DJL's
            // PyTorch engine); out: one copy of each result into Tangent's memory
            NDArray copy = alt.create(self.toByteBuffer(true), self.getShape(), self.getDataType());
            copy.setName(self.getName());
            R r = op.apply(copy);
            return (R) back(r, home);
        }
    }

    /** Runs a manager-level {@code op} on the fallback engine, or throws the strict error. */
    @SuppressWarnings("unchecked")
    static <R> R callManager(String what, TgNDManager home, Function<NDManager, R> op) {
        String name = engine();
        Home h = Home.current();
        if (name == null) {
            throw unsupported(what, "");
        }
        if (h.isFunctional() || h.collector() != null) {
            throw unsupported(what, " (and no fallback runs inside differentiation)");
        }
        try (NDManager alt = Engine.getEngine(name).newBaseManager()) {
            return (R) back(op.apply(alt), home);
        }
    }

    /** {@code arg} copied into the fallback manager of {@code altSelf}. */
    static NDArray to(NDArray altSelf, NDArray arg) {
        return arg == null ? null : altSelf.getManager().from(arg);
    }

    private static Object back(Object r, TgNDManager home) {
        if (r instanceof NDArray) {
            NDArray a = (NDArray) r;
            NDArray mine = home.create(a.toByteBuffer(true), a.getShape(), a.getDataType());
            mine.setName(a.getName());
            return mine;
        }
        if (r instanceof NDList) {
            NDList out = new NDList();
            for (NDArray a : (NDList) r) {
                out.add((NDArray) back(a, home));
            }
            return out;
        }
        return r;
    }
}
