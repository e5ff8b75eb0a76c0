package dev.tangent.functional;

import dev.tangent.Tensor;
import dev.tangent.Value;
import dev.tangent.autograd.Recording;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The linear map {@code v -> J(x)·v} of a function at fixed primals, from {@link Func#linearize}:
 * the tangent computation was recorded once ({@link Recording}) and {@link #jvp} replays only it,
 * without running the primal again (JAX's and torch.func's {@code linearize}).
 *
 * <p>The recorded buffers belong to the scope that was open when {@code linearize} ran: the object
 * works while that scope is open. Thread-safe: replays on one object run one at a time, and each
 * returns fresh tensors (in the caller's current scope). Tangents are plain tensors: a linearized
 * function does not carry the tangents of an enclosing jvp.
 */
public final class Linearized<I extends Value, O extends Value> {
    private final O output;
    private final Args outArgs;
    private final Recording<Object[]> recording;
    private final List<Tensor> tangentOutputs; // null entries: the output does not depend on the inputs

    Linearized(O output, Args outArgs, Recording<Object[]> recording, List<Tensor> tangentOutputs) {
        this.output = output;
        this.outArgs = outArgs;
        this.recording = recording;
        this.tangentOutputs = tangentOutputs;
    }

    /** f(primals), computed once by {@code linearize}. */
    public O output() {
        return output;
    }

    /** Number of kernels one {@link #jvp} call replays. */
    public int programLength() {
        return recording.kernelCount();
    }

    /** J(primals)·tangents, shaped like the output; tangents are shaped like the primals. */
    @SuppressWarnings("unchecked")
    public O jvp(I tangents) {
        List<Tensor> ts = Args.of(tangents, "tangents", "linearize").tensors;
        List<Tensor> placeholders = recording.variables();
        if (ts.size() != placeholders.size()) {
            throw new FunctionalException(FunctionalException.Kind.V_LENGTH_MISMATCH, "linearize: expected "
                    + placeholders.size() + " tangents but got " + ts.size());
        }
        List<Tensor> values = new ArrayList<>();
        for (int i = 0; i < ts.size(); i++) {
            Tensor p = placeholders.get(i);
            Tensor t = ts.get(i);
            if (!Arrays.equals(t.shape(), p.shape())) {
                throw new FunctionalException(FunctionalException.Kind.V_SHAPE_MISMATCH, "linearize: tangent " + i
                        + " has shape " + Arrays.toString(t.shape()) + " but the primal has shape "
                        + Arrays.toString(p.shape()));
            }
            values.add(dev.tangent.autograd.ForwardAD.plain(t).detach().to(p.dtype()).to(p.device()));
        }
        List<Tensor> outs = new ArrayList<>();
        synchronized (recording) {
            recording.replay(values, "linearize");
            for (int i = 0; i < tangentOutputs.size(); i++) {
                Tensor t = tangentOutputs.get(i);
                outs.add(t == null ? Tensor.zerosLike(outArgs.tensors.get(i)) : t.clone());
            }
        }
        return (O) outArgs.rebuild(outs);
    }
}
