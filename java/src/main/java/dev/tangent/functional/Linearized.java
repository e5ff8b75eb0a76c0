package dev.tangent.functional;

import dev.tangent.Internal;
import dev.tangent.Tensor;
import dev.tangent.Value;
import dev.tangent.autograd.Node;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The linear map {@code v -> J(x)·v} of a function at fixed primals, from {@link Func#linearize}:
 * the tangent computation was recorded once and {@link #jvp} replays only it, without running the
 * primal again (JAX's and torch.func's {@code linearize}).
 *
 * <p>The recorded program refers to tensors (primal intermediates) owned by the scope that was open
 * when {@code linearize} ran: it works while that scope is open. Thread-safe: replays share only
 * read-only tensors.
 */
public final class Linearized<I extends Value, O extends Value> {
    private final O output;
    private final Functional.Args inArgs;
    private final Functional.Args outArgs;
    private final List<Tensor> placeholders;
    private final List<Tensor> tangentOutputs; // null entries: the output does not depend on the inputs
    private final List<Node> program;

    Linearized(O output, Functional.Args inArgs, Functional.Args outArgs, List<Tensor> placeholders,
            List<Tensor> tangentOutputs, List<Node> program) {
        this.output = output;
        this.inArgs = inArgs;
        this.outArgs = outArgs;
        this.placeholders = placeholders;
        this.tangentOutputs = tangentOutputs;
        this.program = program;
    }

    /** f(primals), computed once by {@code linearize}. */
    public O output() {
        return output;
    }

    /** Number of recorded primitive applications one {@link #jvp} call replays. */
    public int programLength() {
        return program.size();
    }

    /** J(primals)·tangents, shaped like the output; tangents are shaped like the primals. */
    @SuppressWarnings("unchecked")
    public O jvp(I tangents) {
        List<Tensor> ts = Functional.Args.of(tangents, "tangents", "linearize").tensors;
        if (ts.size() != placeholders.size()) {
            throw new FunctionalException(FunctionalException.Kind.V_LENGTH_MISMATCH, "linearize: expected "
                    + placeholders.size() + " tangents but got " + ts.size());
        }
        Map<Tensor, Tensor> env = new IdentityHashMap<>();
        for (int i = 0; i < ts.size(); i++) {
            Tensor p = placeholders.get(i);
            Tensor t = ts.get(i);
            if (!Arrays.equals(t.shape(), p.shape())) {
                throw new FunctionalException(FunctionalException.Kind.V_SHAPE_MISMATCH, "linearize: tangent " + i
                        + " has shape " + Shapes.str(t.shape()) + " but the primal has shape " + Shapes.str(p.shape()));
            }
            env.put(p, t.to(p.dtype()).contiguous());
        }
        for (Node n : program) {
            Tensor[] ins = n.inputs();
            Tensor[] args = new Tensor[ins.length];
            for (int i = 0; i < ins.length; i++) {
                Tensor v = env.get(ins[i]);
                args[i] = v != null ? v : ins[i].detach();
            }
            Tensor y = n.prim() == Prim.RESHAPE ? args[0].reshape(n.attrs().ints())
                    : Internal.apply(n.prim(), n.attrs(), args);
            env.put(n.output(), y);
        }
        List<Tensor> outs = new ArrayList<>();
        List<Tensor> primalOuts = outArgs.tensors;
        for (int i = 0; i < tangentOutputs.size(); i++) {
            Tensor t = tangentOutputs.get(i);
            Tensor r = t == null ? null : env.get(t);
            if (r == null) {
                Tensor p = primalOuts.get(i);
                r = Tensor.full(0, p.dtype(), p.device(), p.shape());
            }
            outs.add(r);
        }
        return (O) outArgs.rebuild(outs);
    }
}
