package dev.tangent.autograd;

import dev.tangent.Tensor;
import dev.tangent.engine.Tape;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Reverse mode: {@code torch.autograd.grad} and {@code Tensor.backward()} over the tape that
 * tensors requiring grad record. The traversal is iterative (a chain of any length works) and
 * visits only the part of the graph that leads to the requested inputs.
 */
public final class Autograd {
    private Autograd() {}

    /**
     * Gradients of {@code outputs} (weighted by {@code gradOutputs}) with respect to {@code inputs},
     * PyTorch's {@code torch.autograd.grad}.
     *
     * @param gradOutputs one per output, null entries meaning ones (allowed only for one-element outputs)
     * @param createGraph record the gradient computation so the results can be differentiated again
     * @param allowUnused return null for inputs the outputs do not depend on (else throw)
     * @return one gradient per input (null where unused and allowed)
     */
    public static Tensor[] grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs,
            boolean createGraph, boolean allowUnused) {
        if (gradOutputs != null && gradOutputs.size() != outputs.size()) {
            throw new IllegalArgumentException("grad: grad_outputs has " + gradOutputs.size()
                    + " entries but outputs has " + outputs.size());
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (!inputs.get(i).requiresGrad()) {
                throw new IllegalArgumentException("grad: One of the differentiated Tensors (input " + i
                        + ") does not require grad");
            }
        }
        Map<Tensor, Tensor> grads = Tape.grads(outputs, gradOutputs, inputs, createGraph);
        Tensor[] r = new Tensor[inputs.size()];
        for (int i = 0; i < r.length; i++) {
            Tensor g = grads.get(inputs.get(i));
            if (g == null && !allowUnused) {
                throw new IllegalArgumentException("grad: One of the differentiated Tensors (input " + i
                        + ") appears to not have been used in the graph. Set allowUnused=true if this is the desired"
                        + " behavior.");
            }
            r[i] = g;
        }
        return r;
    }

    /**
     * Which of {@code inputs} the recorded graph of {@code outputs} reaches (true where an output
     * depends on that input through recorded operations; an output may itself be an input).
     */
    public static boolean[] reaches(List<Tensor> outputs, List<Tensor> inputs) {
        java.util.Set<Tensor> reached = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        reached.addAll(outputs);
        for (dev.tangent.engine.Node n : Tape.order(outputs)) {
            for (Tensor in : n.inputs()) {
                if (in.requiresGrad()) {
                    reached.add(in);
                }
            }
        }
        boolean[] r = new boolean[inputs.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = reached.contains(inputs.get(i));
        }
        return r;
    }

    /** {@code t.backward(gradient)}: accumulates into every reachable leaf's {@code grad()}. */
    public static void backward(Tensor t, Tensor gradient) {
        if (!t.requiresGrad()) {
            throw new IllegalStateException("backward: element 0 of tensors does not require grad and does not have a"
                    + " grad_fn");
        }
        List<Tensor> leaves = Tape.leaves(t);
        Map<Tensor, Tensor> grads = Tape.grads(List.of(t), Arrays.asList(gradient), leaves, false);
        for (Tensor leaf : leaves) {
            Tensor g = grads.get(leaf);
            if (g != null) {
                Tensor prev = leaf.grad();
                leaf.setGrad(prev == null ? g.detach() : prev.add(g).detach());
            }
        }
    }
}
