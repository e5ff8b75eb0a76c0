package dev.tangent.functional;

import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Internal;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Value;
import dev.tangent.backend.Storage;
import dev.tangent.ops.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A jvp compiled for one function and fixed input shapes: what a service calls millions of times.
 *
 * <p>{@link #compile} runs the forward-mode jvp once on buffers it owns and records every kernel
 * launched (primal and tangent, with primal+tangent fusion where the jvp rules fuse them). Each
 * {@link #apply} copies the inputs into those buffers and replays the kernels: no tracing, no
 * shape inference, no native allocation, and oneDNN primitives already created and cached.
 *
 * <p><b>Restrictions</b> (as for CUDA graphs): the function must be shape-static and must not
 * branch on tensor values; inputs must have the compiled shapes and dtypes (else
 * {@link IllegalArgumentException}).
 *
 * <p><b>Results</b> are tensors owned by the plan, overwritten by the next {@code apply} on the
 * same thread: copy what you keep ({@code t.contiguous()} inside a scope, or {@code toFloatArray()}).
 *
 * <p><b>Threads</b>: safe to call from many threads at once. Each thread gets its own instance
 * (recorded on first use in that thread), so threads never share buffers. {@link #close()} frees
 * every instance; using the plan after that throws.
 */
public final class JvpPlan<I extends Value, O extends Value> implements AutoCloseable {
    private final Function<I, O> func;
    private final long[][] shapes;
    private final DType[] dtypes;
    private final Device device;
    private final boolean tupleIn;
    private final ThreadLocal<Instance> local = new ThreadLocal<>();
    private final List<Instance> instances = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private JvpPlan(Function<I, O> func, Functional.Args example) {
        this.func = func;
        this.tupleIn = example.tuple;
        int n = example.tensors.size();
        this.shapes = new long[n][];
        this.dtypes = new DType[n];
        for (int i = 0; i < n; i++) {
            Tensor t = example.tensors.get(i);
            shapes[i] = t.shape();
            dtypes[i] = t.dtype();
        }
        this.device = example.tensors.get(0).device();
    }

    /**
     * Compiles {@code func}'s jvp for inputs shaped like {@code example} (only shapes, dtypes and
     * the device of the example are used). The calling thread's instance is recorded now.
     */
    public static <I extends Value, O extends Value> JvpPlan<I, O> compile(Function<I, O> func, I example) {
        JvpPlan<I, O> plan = new JvpPlan<>(func, Functional.Args.of(example, "example", "JvpPlan.compile"));
        plan.instance();
        return plan;
    }

    /**
     * J(inputs)·v and f(inputs), by replaying the recorded kernels. Results are owned by the plan
     * and valid until the next call on this thread.
     */
    public JvpResult<O> apply(I inputs, I v) {
        Instance inst = instance();
        Functional.Args in = Functional.Args.of(inputs, "inputs", "JvpPlan.apply");
        Functional.Args vs = Functional.Args.of(v, "v", "JvpPlan.apply");
        check(in, "inputs");
        check(vs, "v");
        for (int i = 0; i < shapes.length; i++) {
            inst.copyIn(in.tensors.get(i), inst.inputs.get(i));
            inst.copyIn(vs.tensors.get(i), inst.tangents.get(i));
        }
        if (inst.replay != null) {
            inst.replay.run();
        } else {
            for (Runnable k : inst.kernels) {
                k.run();
            }
        }
        @SuppressWarnings("unchecked")
        JvpResult<O> r = (JvpResult<O>) inst.result;
        return r;
    }

    /** Number of kernels one {@link #apply} replays (after the input copies). */
    public int kernelCount() {
        return instance().kernels.length;
    }

    private void check(Functional.Args a, String what) {
        if (a.tuple != tupleIn || a.tensors.size() != shapes.length) {
            throw new IllegalArgumentException("JvpPlan.apply: " + what + " must be " + (tupleIn ? "a Tuple of "
                    + shapes.length + " tensors" : "a single Tensor") + " as compiled, got "
                    + (a.tuple ? "a Tuple of " + a.tensors.size() : "a single Tensor"));
        }
        for (int i = 0; i < shapes.length; i++) {
            Tensor t = a.tensors.get(i);
            if (!Arrays.equals(t.shape(), shapes[i]) || t.dtype() != dtypes[i] || !t.device().equals(device)) {
                throw new IllegalArgumentException("JvpPlan.apply: " + what + " " + i + " has shape "
                        + Shapes.str(t.shape()) + " " + t.dtype().torchName() + " on " + t.device()
                        + " but the plan was compiled for " + Shapes.str(shapes[i]) + " " + dtypes[i].torchName()
                        + " on " + device + "; compile another plan for these shapes");
            }
        }
    }

    private Instance instance() {
        if (closed) {
            throw new IllegalStateException("JvpPlan: the plan is closed");
        }
        Instance inst = local.get();
        if (inst == null) {
            inst = record();
            local.set(inst);
            instances.add(inst);
        }
        return inst;
    }

    @SuppressWarnings("unchecked")
    private Instance record() {
        Instance inst = new Instance();
        try (Scope s = Scope.open()) {
            List<Tensor> ins = new ArrayList<>();
            List<Tensor> ts = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                ins.add(Tensor.full(0.5, dtypes[i], device, shapes[i]));
                ts.add(Tensor.full(0, dtypes[i], device, shapes[i]));
            }
            List<Runnable> trace = new ArrayList<>();
            List<Runnable> prev = Internal.trace(trace);
            JvpResult<O> r;
            try {
                Functional.Args a = new Functional.Args(ins, tupleIn);
                Functional.Args b = new Functional.Args(ts, tupleIn);
                r = Functional.jvp(func, (I) a.rebuild(ins), (I) b.rebuild(ts));
            } finally {
                Internal.trace(prev);
            }
            inst.inputs = ins;
            inst.tangents = ts;
            inst.kernels = trace.toArray(new Runnable[0]);
            // On a GPU: one CUDA graph replays all kernels (null where the device cannot).
            inst.replay = dev.tangent.backend.Backends.of(device).capture(inst.kernels);
            inst.result = r;
            inst.storages = Internal.release(s, inst);
        }
        return inst;
    }

    /** Frees every instance's buffers. Idempotent; calls in flight on other threads must have finished. */
    @Override
    public void close() {
        closed = true;
        for (Instance inst : instances) {
            if (inst.replay instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("JvpPlan.close: " + e.getMessage(), e);
                }
            }
            for (Storage st : inst.storages) {
                st.free();
            }
            // Other threads' ThreadLocal maps keep their Instance until they expunge it: let it hold
            // nothing, so a closed plan does not keep what its function captured (weights) alive.
            inst.kernels = null;
            inst.replay = null;
            inst.result = null;
            inst.inputs = null;
            inst.tangents = null;
            inst.storages = List.of();
        }
        instances.clear();
        local.remove();
    }

    /** One thread's buffers and recorded kernels. */
    private static final class Instance {
        List<Tensor> inputs;
        List<Tensor> tangents;
        Runnable[] kernels;
        /** The kernels as one captured unit (a CUDA graph), or null: replay them one by one. */
        Runnable replay;
        JvpResult<?> result;
        List<Storage> storages;

        void copyIn(Tensor src, Tensor dst) {
            if (src.storage() == dst.storage()) {
                return;
            }
            src.storage().checkAlive("JvpPlan.apply");
            dst.storage().backend().copy(src, dst);
        }
    }
}
