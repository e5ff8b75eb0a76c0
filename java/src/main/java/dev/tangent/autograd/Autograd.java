package dev.tangent.autograd;

import dev.tangent.Tensor;
import dev.tangent.ops.Shapes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Collections;

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
        Map<Tensor, Tensor> grads = run(outputs, gradOutputs, inputs, createGraph);
        Tensor[] r = new Tensor[inputs.size()];
        for (int i = 0; i < r.length; i++) {
            Tensor g = grads.get(inputs.get(i));
            if (g == null && !allowUnused) {
                throw new IllegalArgumentException("grad: One of the differentiated Tensors (input " + i
                        + ") appears to not have been used in the graph. Set allowUnused=true if this is the desired behavior.");
            }
            r[i] = g;
        }
        return r;
    }

    /** {@code t.backward(gradient)}: accumulates into every reachable leaf's {@code grad()}. */
    public static void backward(Tensor t, Tensor gradient) {
        if (!t.requiresGrad()) {
            throw new IllegalStateException("backward: element 0 of tensors does not require grad and does not have a grad_fn");
        }
        List<Tensor> leaves = new ArrayList<>();
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Tensor> stack = new ArrayDeque<>();
        stack.push(t);
        while (!stack.isEmpty()) {
            Tensor u = stack.pop();
            if (!seen.add(u)) {
                continue;
            }
            if (u.gradFn() == null) {
                if (u.requiresGrad()) {
                    leaves.add(u);
                }
            } else {
                for (Tensor in : u.gradFn().inputs()) {
                    if (in.requiresGrad()) {
                        stack.push(in);
                    }
                }
            }
        }
        Map<Tensor, Tensor> grads = run(List.of(t), Arrays.asList(gradient), leaves, false);
        for (Tensor leaf : leaves) {
            Tensor g = grads.get(leaf);
            if (g != null) {
                Tensor prev = leaf.grad();
                leaf.setGrad(prev == null ? g.detach() : prev.add(g).detach());
            }
        }
    }

    private static Map<Tensor, Tensor> run(List<Tensor> outputs, List<Tensor> gradOutputs, List<Tensor> inputs,
            boolean createGraph) {
        Set<Tensor> wanted = Collections.newSetFromMap(new IdentityHashMap<>());
        wanted.addAll(inputs);
        // 1. Topological order of the nodes reachable from the outputs (iterative post-order DFS).
        List<Node> order = new ArrayList<>();
        Map<Node, Boolean> needed = new IdentityHashMap<>();
        Set<Node> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        // One DFS per output, run to completion: an output's node may sit inside another output's
        // graph, and must be finished (ordered, `needed` known) before any node that reads it.
        for (Tensor o : outputs) {
            if (o.gradFn() == null || !visited.add(o.gradFn())) {
                continue;
            }
            stack.push(new Object[] {o.gradFn(), 0});
            while (!stack.isEmpty()) {
                Object[] frame = stack.peek();
                Node n = (Node) frame[0];
                int i = (Integer) frame[1];
                Tensor[] ins = n.inputs();
                if (i < ins.length) {
                    frame[1] = i + 1;
                    Node child = ins[i].gradFn();
                    if (child != null && ins[i].requiresGrad() && visited.add(child)) {
                        stack.push(new Object[] {child, 0});
                    }
                    continue;
                }
                stack.pop();
                boolean need = false;
                for (Tensor in : ins) {
                    if (wanted.contains(in) || (in.gradFn() != null && Boolean.TRUE.equals(needed.get(in.gradFn())))) {
                        need = true;
                        break;
                    }
                }
                needed.put(n, need);
                order.add(n);
            }
        }
        // 2. Seed the output gradients.
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        try (GradMode.Guard g = GradMode.set(createGraph)) {
            for (int i = 0; i < outputs.size(); i++) {
                Tensor o = outputs.get(i);
                Tensor go = gradOutputs == null ? null : gradOutputs.get(i);
                if (go == null) {
                    if (o.numel() != 1) {
                        throw new IllegalArgumentException("grad: grad can be implicitly created only for scalar outputs"
                                + " (output " + i + " has shape " + Shapes.str(o.shape()) + ")");
                    }
                    go = Tensor.full(1, o.dtype(), o.device(), o.shape());
                } else if (!Arrays.equals(go.shape(), o.shape())) {
                    throw new IllegalArgumentException("grad: Mismatch in shape: grad_output[" + i + "] has a shape of "
                            + Shapes.str(go.shape()) + " and output[" + i + "] has a shape of " + Shapes.str(o.shape()));
                }
                if (!createGraph) {
                    go = go.detach();
                }
                accumulate(grads, o, go);
            }
            // 3. Reverse topological order: outputs first.
            for (int k = order.size() - 1; k >= 0; k--) {
                Node n = order.get(k);
                if (!needed.get(n)) {
                    continue;
                }
                Tensor go = grads.get(n.output());
                if (go == null) {
                    continue;
                }
                if (!wanted.contains(n.output())) {
                    grads.remove(n.output()); // free intermediate gradients early
                }
                Tensor[] ins = n.inputs();
                boolean[] needIn = new boolean[ins.length];
                for (int i = 0; i < ins.length; i++) {
                    Tensor in = ins[i];
                    needIn[i] = in.requiresGrad() && (wanted.contains(in)
                            || (in.gradFn() != null && Boolean.TRUE.equals(needed.get(in.gradFn()))));
                }
                Tensor[] gin = BackwardRules.vjp(n.prim(), n.attrs(), ins, n.output(), go, needIn);
                for (int i = 0; i < ins.length; i++) {
                    if (needIn[i] && gin[i] != null) {
                        accumulate(grads, ins[i], BackwardRules.sumToShape(gin[i], ins[i].shape(), ins[i].dtype()));
                    }
                }
            }
        }
        return grads;
    }

    private static void accumulate(Map<Tensor, Tensor> grads, Tensor t, Tensor g) {
        Tensor prev = grads.get(t);
        grads.put(t, prev == null ? g : prev.add(g));
    }
}
