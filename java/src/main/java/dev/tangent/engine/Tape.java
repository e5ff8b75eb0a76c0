package dev.tangent.engine;

import dev.tangent.Tensor;
import dev.tangent.autograd.GradMode;
import dev.tangent.engine.rules.Rules;
import dev.tangent.ops.Shapes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reverse-mode tape: {@link #order} is the one walk of the graph (iterative, so a chain of any
 * length works), and {@link #grads} runs the vjp rules over it in reverse, visiting only the part of
 * the graph that leads to the requested inputs.
 */
public final class Tape {
    private Tape() {}

    /** The nodes that produced {@code roots}, each after the nodes of its inputs (a topological order). */
    public static List<Node> order(Iterable<Tensor> roots) {
        TensorAccess acc = TensorAccess.get();
        List<Node> order = new ArrayList<>();
        Set<Node> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Node> nodes = new ArrayDeque<>();
        ArrayDeque<int[]> next = new ArrayDeque<>();
        for (Tensor r : roots) {
            Node root = r == null ? null : acc.gradFn(r);
            if (root == null || !visited.add(root)) {
                continue;
            }
            nodes.push(root);
            next.push(new int[1]);
            while (!nodes.isEmpty()) {
                Node n = nodes.peek();
                int[] i = next.peek();
                Tensor[] ins = n.inputs();
                if (i[0] < ins.length) {
                    Tensor in = ins[i[0]++];
                    Node child = acc.gradFn(in);
                    if (child != null && in.requiresGrad() && visited.add(child)) {
                        nodes.push(child);
                        next.push(new int[1]);
                    }
                    continue;
                }
                nodes.pop();
                next.pop();
                order.add(n);
            }
        }
        return order;
    }

    /** The tensors that require grad but were not produced by a recorded op, reachable from {@code root}. */
    public static List<Tensor> leaves(Tensor root) {
        TensorAccess acc = TensorAccess.get();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Tensor> leaves = new ArrayList<>();
        if (acc.gradFn(root) == null) {
            if (root.requiresGrad()) {
                leaves.add(root);
            }
            return leaves;
        }
        for (Node n : order(List.of(root))) {
            for (Tensor in : n.inputs()) {
                if (in.requiresGrad() && acc.gradFn(in) == null && seen.add(in)) {
                    leaves.add(in);
                }
            }
        }
        return leaves;
    }

    /**
     * The gradients of {@code outputs} weighted by {@code gradOutputs} (null entries: ones, for
     * one-element outputs) with respect to every tensor in {@code inputs} the outputs reach; the
     * map has no entry for an input they do not reach.
     */
    public static Map<Tensor, Tensor> grads(List<Tensor> outputs, List<Tensor> gradOutputs, List<Tensor> inputs,
            boolean createGraph) {
        TensorAccess acc = TensorAccess.get();
        Set<Tensor> wanted = Collections.newSetFromMap(new IdentityHashMap<>());
        wanted.addAll(inputs);
        List<Node> order = order(outputs);
        Map<Node, Boolean> needed = new IdentityHashMap<>();
        for (Node n : order) {
            boolean need = false;
            for (Tensor in : n.inputs()) {
                Node c = acc.gradFn(in);
                if (wanted.contains(in) || (c != null && Boolean.TRUE.equals(needed.get(c)))) {
                    need = true;
                    break;
                }
            }
            needed.put(n, need);
        }
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
                    Node c = acc.gradFn(ins[i]);
                    needIn[i] = ins[i].requiresGrad()
                            && (wanted.contains(ins[i]) || (c != null && Boolean.TRUE.equals(needed.get(c))));
                }
                Tensor[] gin = Rules.vjp(n.prim(), n.attrs(), ins, n.output(), go, needIn);
                for (int i = 0; i < ins.length; i++) {
                    if (needIn[i] && gin[i] != null) {
                        accumulate(grads, ins[i], Rules.sumToShape(gin[i], ins[i].shape(), ins[i].dtype()));
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
