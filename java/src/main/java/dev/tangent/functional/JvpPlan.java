package dev.tangent.functional;

import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Tensor;
import dev.tangent.Value;
import dev.tangent.autograd.Recording;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A jvp compiled for one function and fixed input shapes: what a service calls millions of times.
 *
 * <p>{@link #compile} runs the forward-mode jvp once on buffers it owns and records the kernels
 * launched ({@link Recording}: primal and tangent, with primal+tangent fusion where the jvp rules
 * fuse them; work on constants such as weight transposes runs once, at compile time). Each
 * {@link #apply} copies the inputs into those buffers and replays the kernels: no tracing, no
 * shape inference, no native allocation, and oneDNN primitives already created and cached. A call
 * holds every buffer and captured weight it reads for its duration: closing the scope of a
 * captured weight meanwhile makes that call (or the next) throw {@link IllegalStateException},
 * never free memory under it.
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

    private JvpPlan(Function<I, O> func, Args example) {
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
        JvpPlan<I, O> plan = new JvpPlan<>(func, Args.inputs(example, "example", "JvpPlan.compile"));
        plan.instance();
        return plan;
    }

    /**
     * J(inputs)·v and f(inputs), by replaying the recorded kernels. Results are owned by the plan
     * and valid until the next call on this thread.
     */
    public JvpResult<O> apply(I inputs, I v) {
        Instance inst = instance();
        Args in = Args.inputs(inputs, "inputs", "JvpPlan.apply");
        Args vs = Args.of(v, "v", "JvpPlan.apply");
        check(in, "inputs");
        check(vs, "v");
        List<Tensor> values = new ArrayList<>(in.tensors);
        values.addAll(vs.tensors);
        Recording<JvpResult<O>> rec = inst.recording;
        if (rec == null) {
            throw new IllegalStateException("JvpPlan: the plan is closed");
        }
        rec.replay(values, "JvpPlan.apply");
        return rec.result();
    }

    /** Number of kernels one {@link #apply} replays (after the input copies). */
    public int kernelCount() {
        return instance().recording.kernelCount();
    }

    private void check(Args a, String what) {
        if (a.tuple != tupleIn || a.tensors.size() != shapes.length) {
            throw new IllegalArgumentException("JvpPlan.apply: " + what + " must be " + (tupleIn ? "a Tuple of "
                    + shapes.length + " tensors" : "a single Tensor") + " as compiled, got "
                    + (a.tuple ? "a Tuple of " + a.tensors.size() : "a single Tensor"));
        }
        for (int i = 0; i < shapes.length; i++) {
            Tensor t = a.tensors.get(i);
            if (!Arrays.equals(t.shape(), shapes[i]) || t.dtype() != dtypes[i] || !t.device().equals(device)) {
                throw new IllegalArgumentException("JvpPlan.apply: " + what + " " + i + " has shape "
                        + Arrays.toString(t.shape()) + " " + t.dtype().torchName() + " on " + t.device()
                        + " but the plan was compiled for " + Arrays.toString(shapes[i]) + " " + dtypes[i].torchName()
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
        Recording<JvpResult<O>> rec = Recording.record(() -> {
            List<Tensor> vars = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                vars.add(Tensor.full(0.5, dtypes[i], device, shapes[i]));
            }
            for (int i = 0; i < shapes.length; i++) {
                vars.add(Tensor.full(0, dtypes[i], device, shapes[i]));
            }
            return vars;
        }, vars -> {
            int n = shapes.length;
            Args a = new Args(vars.subList(0, n), tupleIn);
            Args b = new Args(vars.subList(n, 2 * n), tupleIn);
            return Functional.jvp(func, (I) a.rebuild(a.tensors), (I) b.rebuild(b.tensors));
        }, r -> {
            List<Tensor> outs = new ArrayList<>(Args.ofOutput(r.output(), "JvpPlan").tensors);
            outs.addAll(Args.ofOutput(r.jvp(), "JvpPlan").tensors);
            return outs;
        }, true, true);
        Instance inst = new Instance();
        inst.recording = rec;
        return inst;
    }

    /** Frees every instance's buffers. Idempotent; calls in flight on other threads must have finished. */
    @Override
    public void close() {
        closed = true;
        for (Instance inst : instances) {
            Recording<JvpResult<O>> r = inst.recording;
            // Other threads' ThreadLocal maps keep their Instance until they expunge it: let it hold
            // nothing, so a closed plan does not keep what its function captured (weights) alive.
            inst.recording = null;
            if (r != null) {
                r.close();
            }
        }
        instances.clear();
        local.remove();
    }

    /** One thread's buffers and recorded kernels. */
    private final class Instance {
        Recording<JvpResult<O>> recording;
    }
}
