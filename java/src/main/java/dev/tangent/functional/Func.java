package dev.tangent.functional;

import dev.tangent.Internal;
import dev.tangent.Tensor;
import dev.tangent.Value;
import dev.tangent.autograd.GradMode;
import dev.tangent.autograd.Node;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code torch.func} style: {@link #jvp(Function, Value, Value)} returns {@code (output, jvp_out)} for
 * primals and tangents given positionally, and {@link #linearize} returns a linear function to apply
 * to many tangents without re-running the primal.
 */
public final class Func {
    private Func() {}

    /**
     * {@code torch.func.jvp(func, primals, tangents)}: forward mode; results stay connected to any
     * primal that requires grad (no detaching, as in torch.func).
     */
    public static <I extends Value, O extends Value> JvpResult<O> jvp(Function<I, O> func, I primals, I tangents) {
        if (tangents == null) {
            throw new FunctionalException(FunctionalException.Kind.INVALID_ARGUMENT,
                    "jvp: Expected tangents to be a Tensor or a tuple of Tensors, got null");
        }
        return Functional.jvp(func, primals, tangents, GradMode.isEnabled() && anyRequiresGrad(primals), false);
    }

    private static boolean anyRequiresGrad(Value v) {
        for (Tensor t : Functional.Args.of(v, "primals", "jvp").tensors) {
            if (t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code torch.func.linearize(func, *primals)}: evaluates {@code func} once and records its
     * tangent computation; the returned object applies J(primals) to any tangent.
     */
    @SuppressWarnings("unchecked")
    public static <I extends Value, O extends Value> Linearized<I, O> linearize(Function<I, O> func, I primals) {
        Functional.Args in = Functional.Args.of(primals, "primals", "linearize");
        int level = ForwardLevels.enter();
        try (GradMode.Guard g = GradMode.enable()) {
            List<Tensor> placeholders = new ArrayList<>();
            List<Tensor> duals = new ArrayList<>();
            for (Tensor x : in.tensors) {
                Tensor p = Tensor.full(0, x.dtype(), x.device(), x.shape()).setRequiresGrad(x.dtype().isFloatingPoint());
                placeholders.add(p);
                duals.add(Internal.dual(level, x.detach(), p));
            }
            Object raw = ((Function<Value, ?>) (Function<?, ?>) func).apply(in.rebuild(duals));
            Functional.Args out = Functional.Args.ofOutput(raw, "linearize");
            List<Tensor> outs = new ArrayList<>();
            List<Tensor> tangents = new ArrayList<>();
            for (Tensor o : out.tensors) {
                outs.add(Internal.primalAt(o, level).detach());
                Tensor t = Internal.tangentAt(o, level);
                tangents.add(t);
            }
            Functional.Args outArgs = Functional.Args.ofOutput(out.rebuild(outs), "linearize");
            return new Linearized<>((O) out.rebuild(outs), in, outArgs, placeholders, tangents, program(tangents));
        } finally {
            ForwardLevels.exit(level);
        }
    }

    /** The recorded nodes leading to the tangent outputs, in execution (topological) order. */
    private static List<Node> program(List<Tensor> roots) {
        List<Node> order = new ArrayList<>();
        Set<Node> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        for (Tensor r : roots) {
            if (r != null && r.gradFn() != null && visited.add(r.gradFn())) {
                stack.push(new Object[] {r.gradFn(), 0});
            }
        }
        while (!stack.isEmpty()) {
            Object[] f = stack.peek();
            Node n = (Node) f[0];
            int i = (Integer) f[1];
            if (i < n.inputs().length) {
                f[1] = i + 1;
                Node c = n.inputs()[i].gradFn();
                if (c != null && visited.add(c)) {
                    stack.push(new Object[] {c, 0});
                }
                continue;
            }
            stack.pop();
            order.add(n);
        }
        return order;
    }
}
