package dev.tangent.autograd;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Backend;
import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import dev.tangent.backend.ThreadBudget;
import dev.tangent.engine.ChainPlanner;
import dev.tangent.engine.Elementwise;
import dev.tangent.engine.EpilogueFusion;
import dev.tangent.engine.KernelInfo;
import dev.tangent.engine.Launch;
import dev.tangent.engine.TensorAccess;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The kernels a computation launched, recorded once and replayable on the same buffers with new
 * values in its variables: what compiled plans ({@code JvpPlan}) and {@code linearize} are built
 * on. Only the kernels that depend on a variable are kept — a kernel reading a buffer some kept
 * kernel writes (or writing one) is kept too — so work on constants (weights' transposes, a
 * linearized function's primal) ran once at record time and is not repeated. The storages replays
 * rewrite (the variables' and those the kept kernels write) are {@linkplain Storage#markMutable()
 * marked mutable}, so nothing derived from their bytes at record time (a packed weight) is reused.
 *
 * <pre>{@code
 * try (Recording<Tensor> r = Recording.record(() -> List.of(Tensor.zeros(4)), v -> v.get(0).exp().sum(), true, false)) {
 *     r.replay(List.of(x), "exp-sum");        // r.result() now holds x.exp().sum()
 * }
 * }</pre>
 *
 * <p>A replay holds every storage it touches for the whole call (one acquire each, not one per
 * kernel): closing the scope of a captured weight while a replay runs fails that replay cleanly
 * and frees the memory only after it. Not thread-safe: one thread replays a recording at a time.
 */
public final class Recording<R> implements AutoCloseable {
    private final List<Tensor> variables;
    private final R result;
    private final Runnable[] kernels;
    /** Storages the kept kernels touch that the recording does not own: held one by one per replay. */
    private final Storage[] external;
    private final List<Storage> owned;
    /** The owned storages as one unit: bit 0 closed, bits 1.. twice the replays in flight. */
    private final AtomicLong holds = new AtomicLong();
    private Runnable replay;
    private volatile boolean closed;

    private Recording(List<Tensor> variables, R result, Runnable[] kernels, Storage[] external, List<Storage> owned) {
        this.variables = variables;
        this.result = result;
        this.kernels = kernels;
        this.external = external;
        this.owned = owned;
    }

    /** Collects launches on one thread while a recording runs. */
    private static final class Builder implements Launch.Listener, KernelInfo.Sink {
        final List<Runnable> kernels = new ArrayList<>();
        final List<Storage[]> reads = new ArrayList<>();
        final List<Storage[]> writes = new ArrayList<>();
        final List<Elementwise> whats = new ArrayList<>();
        final List<KernelInfo> infos = new ArrayList<>();

        @Override
        public void launched(Runnable kernel, Operand[] r, Operand[] w) {
            launched(kernel, r, w, null);
        }

        @Override
        public void launched(Runnable kernel, Operand[] r, Operand[] w, Elementwise what) {
            kernels.add(kernel);
            reads.add(storages(r));
            writes.add(storages(w));
            whats.add(what);
            infos.add(null);
        }

        @Override
        public void described(KernelInfo info) {
            int last = kernels.size() - 1;
            if (last >= 0 && EpilogueFusion.describes(info, writes.get(last))) {
                infos.set(last, info);
            }
        }

        private static Storage[] storages(Operand[] ops) {
            Storage[] s = new Storage[ops.length];
            for (int i = 0; i < ops.length; i++) {
                s[i] = ops[i].storage();
            }
            return s;
        }
    }

    /**
     * Makes the variables, then runs {@code body} on them once, recording the kernels it launches on
     * this thread, and keeps those that depend on the variables (tensors whose values
     * {@link #replay} replaces; the kernels that made them are not recorded). Element-wise chains
     * among them run in cache-sized blocks on the CPU ({@link ChainPlanner}); without
     * {@code outputs} their intermediates keep full buffers.
     *
     * @param own true: the recording owns every storage made here (freed by {@link #close});
     *            false: they stay with the scope that was open, which must outlive the recording
     * @param capture whether to ask the device to capture the kept kernels as one unit (a CUDA graph)
     */
    public static <R> Recording<R> record(Supplier<List<Tensor>> makeVariables, Function<List<Tensor>, R> body,
            boolean own, boolean capture) {
        return record(makeVariables, body, null, own, capture);
    }

    /**
     * As {@link #record(Supplier, Function, boolean, boolean)}; {@code outputs} lists the tensors of
     * the result a caller reads after a replay (null: any tensor made here may be read). With it, a
     * linear layer's kernels whose intermediates nothing else reads are merged into one
     * ({@link EpilogueFusion}), and, with {@code own}, the intermediates of an element-wise chain
     * that nothing else reads live in block-sized scratch instead of full buffers (which are freed
     * now): tensors of the computation that are neither variables nor outputs are then not
     * rewritten by a replay.
     */
    public static <R> Recording<R> record(Supplier<List<Tensor>> makeVariables, Function<List<Tensor>, R> body,
            Function<? super R, ? extends Collection<Tensor>> outputs, boolean own, boolean capture) {
        Builder b = new Builder();
        Scope scope = own ? Scope.open() : null;
        List<Tensor> variables;
        R result;
        List<Storage> owned = new ArrayList<>();
        ChainPlanner.Plan plan;
        try {
            variables = List.copyOf(makeVariables.get());
            Launch.Listener prev = Launch.listen(b);
            try {
                result = body.apply(variables);
            } finally {
                Launch.listen(prev);
            }
            Set<Storage> visible = Collections.newSetFromMap(new IdentityHashMap<>());
            if (outputs != null) {
                TensorAccess.addStorages(variables, visible);
                TensorAccess.addStorages(outputs.apply(result), visible);
            }
            // Scratch memory is allocated into the open scope: the recording's own, or the caller's.
            plan = ChainPlanner.plan(kept(b, variables, outputs != null ? outputs.apply(result) : null),
                    st -> scope != null && outputs != null && st.owner() == scope && !visible.contains(st));
            if (scope != null) {
                owned.addAll(TensorAccess.get().release(scope, b));
            }
        } finally {
            if (scope != null) {
                scope.close();
            }
        }
        // Intermediates now in block scratch: nothing replays into their full buffers any more.
        owned.removeIf(plan.unused()::contains);
        for (Storage st : plan.unused()) {
            st.free();
        }
        TensorAccess acc = TensorAccess.get();
        List<Runnable> kept = new ArrayList<>();
        Set<Storage> touched = new LinkedHashSet<>();
        for (ChainPlanner.Kernel k : plan.kernels()) {
            kept.add(k.run());
            Collections.addAll(touched, k.reads());
            Collections.addAll(touched, k.writes());
        }
        for (Tensor v : variables) {
            touched.add(acc.value(v).storage());
        }
        Set<Storage> mine = Collections.newSetFromMap(new IdentityHashMap<>());
        mine.addAll(owned);
        touched.removeIf(mine::contains);
        Recording<R> r = new Recording<>(variables, result, kept.toArray(new Runnable[0]),
                touched.toArray(new Storage[0]), owned);
        if (capture && !variables.isEmpty() && !kept.isEmpty()) {
            Backend be = acc.value(variables.get(0)).backend();
            r.replay = be.capture(r.kernels);
        }
        return r;
    }

    /** The recorded kernels that depend on the variables, in launch order. */
    private static List<ChainPlanner.Kernel> kept(Builder b, List<Tensor> variables, Collection<Tensor> outputs) {
        TensorAccess acc = TensorAccess.get();
        Set<Storage> dynamic = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor v : variables) {
            dynamic.add(acc.value(v).storage());
        }
        int n = b.kernels.size();
        boolean[] live = new boolean[n];
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int k = 0; k < n; k++) {
                if (!live[k] && (touches(b.reads.get(k), dynamic) || touches(b.writes.get(k), dynamic))) {
                    live[k] = true;
                    changed = true;
                    Collections.addAll(dynamic, b.writes.get(k));
                }
            }
        }
        // replays rewrite these: nothing derived from their bytes (a packed weight) may be cached
        for (Storage st : dynamic) {
            st.markMutable();
        }
        if (outputs != null) {
            List<Runnable> before = new ArrayList<>(b.kernels);
            EpilogueFusion.fuse(b.kernels, b.reads, b.writes, b.infos, live, variables, outputs);
            for (int k = 0; k < n; k++) {
                if (b.kernels.get(k) != before.get(k)) {
                    b.whats.set(k, null);   // a merged linear layer is not an element-wise kernel
                }
            }
        }
        List<ChainPlanner.Kernel> kept = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            if (live[k]) {
                kept.add(new ChainPlanner.Kernel(b.kernels.get(k), b.reads.get(k), b.writes.get(k), b.whats.get(k)));
            }
        }
        return kept;
    }

    private static boolean touches(Storage[] s, Set<Storage> set) {
        for (Storage x : s) {
            if (set.contains(x)) {
                return true;
            }
        }
        return false;
    }

    /** What the recorded computation returned (its tensors are rewritten by each replay). */
    public R result() {
        return result;
    }

    /** The tensors whose values {@link #replay} replaces. */
    public List<Tensor> variables() {
        return variables;
    }

    /** Number of kernels one replay runs (an element-wise chain run in blocks counts as one). */
    public int kernelCount() {
        return kernels.length;
    }

    /**
     * What one replay runs, one line per kernel: {@code kernel}, or for an element-wise chain run
     * in blocks {@code chunked <k> kernels over <n> elements in <b> blocks of <size> ...: <ops>
     * [ran <r> times]}.
     */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (Runnable k : kernels) {
            String d = ChainPlanner.describe(k);
            sb.append(d == null ? "kernel" : d).append('\n');
        }
        return sb.toString();
    }

    /**
     * Copies {@code values} into the variables (same shapes and dtypes, checked by the caller) and
     * runs the kept kernels; the result's tensors then hold the new values.
     */
    public void replay(List<Tensor> values, String op) {
        if (closed) {
            throw new IllegalStateException(op + ": the recording (plan) is closed");
        }
        TensorAccess acc = TensorAccess.get();
        if (values.size() != variables.size()) {
            throw new IllegalArgumentException(op + ": expected " + variables.size() + " values, got " + values.size());
        }
        for (int i = 0; i < values.size(); i++) {
            Tensor v = values.get(i);
            Tensor w = variables.get(i);
            if (!java.util.Arrays.equals(v.shape(), w.shape()) || v.dtype() != w.dtype() || !v.device().equals(w.device())) {
                throw new IllegalArgumentException(op + ": value " + i + " is " + v.dtype().torchName() + " "
                        + java.util.Arrays.toString(v.shape()) + " on " + v.device() + " but was recorded as "
                        + w.dtype().torchName() + " " + java.util.Arrays.toString(w.shape()) + " on " + w.device());
            }
        }
        if ((holds.getAndAdd(2) & 1) != 0) {
            releaseHold();
            throw new IllegalStateException(op + ": the recording (plan) is closed");
        }
        int held = 0;
        // One core slot for the whole replay on the CPU (ThreadBudget.enterCall), not one per kernel.
        boolean call = !variables.isEmpty() && variables.get(0).device().isCpu();
        if (call) {
            ThreadBudget.enterCall();
        }
        try {
            for (; held < external.length; held++) {
                external[held].acquire(op);
            }
            for (int i = 0; i < values.size(); i++) {
                Operand dst = acc.value(variables.get(i));
                Operand src = acc.value(values.get(i));
                if (src.storage() != dst.storage()) {
                    src.storage().acquire(op);
                    try {
                        dst.backend().copy(src, dst);
                    } finally {
                        src.storage().release();
                    }
                }
            }
            if (replay != null) {
                replay.run();
            } else {
                for (Runnable k : kernels) {
                    k.run();
                }
            }
        } finally {
            if (call) {
                ThreadBudget.exitCall();
            }
            for (int i = 0; i < held; i++) {
                external[i].release();
            }
            releaseHold();
        }
    }

    /** Ends a replay's hold on the owned storages; the last one after a close frees them. */
    private void releaseHold() {
        if (holds.addAndGet(-2) == 1) {
            freeOwned();
        }
    }

    private void freeOwned() {
        synchronized (owned) {
            for (Storage s : owned) {
                s.free();
            }
        }
    }

    /**
     * Frees what the recording owns — at once, or when the replays running on other threads end
     * (they hold it). Idempotent; replays after this throw {@link IllegalStateException}.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Runnable r = replay;
        replay = null;
        if (r instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing a captured replay: " + e.getMessage(), e);
            }
        }
        long h;
        do {
            h = holds.get();
        } while (!holds.compareAndSet(h, h | 1));
        if (h == 0) {
            freeOwned();
        }
    }
}
