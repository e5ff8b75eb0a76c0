package dev.tangent.functional;

import dev.tangent.Tensor;
import dev.tangent.Value;
import dev.tangent.autograd.Autograd;
import dev.tangent.autograd.ForwardAD;
import dev.tangent.autograd.GradMode;
import dev.tangent.functional.FunctionalException.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The reverse-mode side of the functional API, following PyTorch's sequence (as-tuple, preprocess,
 * call, check requires-grad, grad, fill zeros, postprocess): jvp by double backward, vjp, the
 * reverse-mode Jacobian, the Hessian, hvp and vhp.
 */
final class Reverse {
    private Reverse() {}

    @SuppressWarnings("unchecked")
    static <I extends Value, O extends Value> JvpResult<O> jvpDoubleBackward(Function<I, O> func, Args in,
            List<Tensor> vs, boolean createGraph, boolean strict) {
        try (GradMode.Guard g = GradMode.enable()) {
            List<Tensor> ins = preprocess(in.tensors, createGraph);
            Args out = Args.ofOutput(Args.callUser(func, in.rebuild(ins)), "jvp");
            checkRequiresGrad(out.tensors, strict);
            List<Tensor> dummies = new ArrayList<>();
            for (Tensor o : out.tensors) {
                dummies.add(Tensor.zerosLike(o).setRequiresGrad(true));
            }
            Tensor[] gradRes = grad(out.tensors, ins, dummies, true);
            fillInZeros(gradRes, ins, strict, "jvp");
            Tensor[] jvps = grad(Arrays.asList(gradRes), dummies, vs, createGraph);
            List<Tensor> jv = new ArrayList<>();
            List<Tensor> outs = new ArrayList<>();
            for (int i = 0; i < jvps.length; i++) {
                Tensor o = out.tensors.get(i);
                Tensor j = jvps[i] == null ? Tensor.zerosLike(o) : jvps[i];
                jv.add(createGraph ? j : ForwardAD.detachTape(j));
                outs.add(createGraph ? o : ForwardAD.detachTape(o));
            }
            return new JvpResult<>((O) out.rebuild(outs), (O) out.rebuild(jv));
        }
    }

    @SuppressWarnings("unchecked")
    static <I extends Value, O extends Value> VjpResult<I, O> vjp(Function<I, O> func, I inputs, O v,
            boolean createGraph, boolean strict) {
        Args in = Args.inputs(inputs, "inputs", "vjp");
        try (GradMode.Guard g = GradMode.enable()) {
            List<Tensor> ins = preprocess(in.tensors, createGraph);
            Args out = Args.ofOutput(Args.callUser(func, in.rebuild(ins)), "vjp");
            List<Tensor> vs;
            if (v == null) {
                if (out.tensors.size() != 1 || out.tensors.get(0).numel() != 1) {
                    throw new FunctionalException(Kind.V_NONE_MULTI_ELEMENT, "The vector v can only be None if the"
                            + " user-provided function returns a single Tensor with a single element.");
                }
                Tensor o = out.tensors.get(0);
                vs = List.of(Tensor.full(1, o.dtype(), o.device(), o.shape()));
            } else {
                vs = Args.of(v, "v", "vjp").tensors;
                Args.checkSameShapes(vs, out.tensors, out.tuple, "vjp");
            }
            checkRequiresGrad(out.tensors, strict);
            Tensor[] grads = grad(out.tensors, ins, vs, createGraph);
            fillInZeros(grads, ins, strict, "vjp");
            List<Tensor> outs = new ArrayList<>();
            for (Tensor o : out.tensors) {
                outs.add(createGraph ? o : ForwardAD.detachTape(o));
            }
            List<Tensor> gs = new ArrayList<>();
            for (Tensor t : grads) {
                gs.add(createGraph ? t : ForwardAD.detachTape(t));
            }
            return new VjpResult<>((O) out.rebuild(outs), (I) in.rebuild(gs));
        }
    }

    static <I extends Value> Value jacobian(Function<I, ? extends Value> func, I inputs, boolean createGraph,
            boolean strict, boolean vectorize, JacobianStrategy strategy) {
        Args in = Args.inputs(inputs, "inputs", "jacobian");
        if (strategy == JacobianStrategy.FORWARD_MODE) {
            if (!vectorize) {
                throw new FunctionalException(Kind.INVALID_ARGUMENT, "torch.autograd.functional.jacobian: `strategy=\"forward-mode\"`"
                        + " is only supported with `vectorize=True`.");
            }
            if (strict) {
                throw new FunctionalException(Kind.INVALID_ARGUMENT, "torch.autograd.functional.jacobian: `strict=True`"
                        + " and `strategy=\"forward-mode\"` are not supported together (yet). Please either set"
                        + " `strict=False` or `strategy=\"reverse-mode\"`.");
            }
            return Forward.jacobianForward(func, in, createGraph);
        }
        try (GradMode.Guard g = GradMode.enable()) {
            List<Tensor> ins = preprocess(in.tensors, createGraph);
            Args out = Args.ofOutput(Args.callUser(func, in.rebuild(ins)), "jacobian");
            checkRequiresGrad(out.tensors, strict);
            List<List<Tensor>> table = new ArrayList<>(); // [output][input]
            for (int i = 0; i < out.tensors.size(); i++) {
                Tensor o = out.tensors.get(i);
                Tensor flat = o.reshape(-1);
                long n = flat.numel();
                List<List<Tensor>> rows = new ArrayList<>(); // [input][element of output]
                for (int j = 0; j < ins.size(); j++) {
                    rows.add(new ArrayList<>());
                }
                for (long e = 0; e < n; e++) {
                    Tensor[] gr = o.requiresGrad() ? grad(List.of(flat.get(e)), ins, null, createGraph)
                            : new Tensor[ins.size()];
                    for (int j = 0; j < ins.size(); j++) {
                        Tensor gj = gr[j];
                        if (gj == null) {
                            if (strict) {
                                throw new FunctionalException(Kind.STRICT_INDEPENDENT_INPUT, "Output " + i
                                        + " of the user-provided function is independent of input " + j
                                        + ". This is not allowed in strict mode.");
                            }
                            Tensor x = ins.get(j);
                            gj = Tensor.zerosLike(x);
                        }
                        rows.get(j).add(gj);
                    }
                }
                List<Tensor> perInput = new ArrayList<>();
                for (int j = 0; j < ins.size(); j++) {
                    perInput.add(Args.stackRows(rows.get(j), o.shape(), ins.get(j), createGraph));
                }
                table.add(perInput);
            }
            return Args.nest(table, out.tuple, in.tuple);
        }
    }

    static <I extends Value> Value hessian(Function<I, Tensor> func, I inputs, boolean createGraph,
            boolean strict, boolean vectorize, JacobianStrategy outer) {
        Args.inputs(inputs, "inputs", "hessian");
        Function<I, Tensor> single = x -> {
            Object o = Args.callUser(func, x);
            if (!(o instanceof Tensor t)) {
                throw new FunctionalException(Kind.OUTPUT_NOT_TENSOR, "The function given to hessian should return a single Tensor");
            }
            if (t.numel() != 1) {
                throw new FunctionalException(Kind.INVALID_ARGUMENT, "The Tensor returned by the function given to hessian"
                        + " should contain a single element");
            }
            return t.squeeze();
        };
        Function<I, Value> jacFunc = x -> {
            Value jac = jacobian(single, x, true, strict, false, JacobianStrategy.REVERSE_MODE);
            if (strict) {
                for (Tensor t : Args.ofOutput(jac, "hessian").tensors) {
                    if (!t.requiresGrad()) {
                        throw new FunctionalException(Kind.STRICT_OUTPUT_INDEPENDENT, "The jacobian of the user-provided"
                                + " function is independent of input. This is not allowed in strict mode.");
                    }
                }
            }
            return jac;
        };
        return jacobian(jacFunc, inputs, createGraph, strict, vectorize, outer);
    }


    @SuppressWarnings("unchecked")
    static <I extends Value> HvpResult<I> secondOrder(Function<I, Tensor> func, I inputs, I v,
            boolean createGraph, boolean strict, String api) {
        Args in = Args.inputs(inputs, "inputs", api);
        List<Tensor> vs = Args.validateV(v, in, api);
        try (GradMode.Guard g = GradMode.enable()) {
            List<Tensor> ins = preprocess(in.tensors, true);
            Object o = Args.callUser(func, in.rebuild(ins));
            if (!(o instanceof Tensor out)) {
                throw new FunctionalException(Kind.OUTPUT_NOT_TENSOR, "The function given to " + api
                        + " should return a single Tensor");
            }
            if (out.numel() != 1) {
                throw new FunctionalException(Kind.INVALID_ARGUMENT, "The Tensor returned by the function given to "
                        + api + " should contain a single element");
            }
            checkRequiresGrad(List.of(out), strict);
            Tensor[] jac = grad(List.of(out), ins, null, true);
            if (strict) {
                for (int i = 0; i < jac.length; i++) {
                    if (jac[i] == null || !jac[i].requiresGrad()) {
                        throw new FunctionalException(Kind.STRICT_INDEPENDENT_INPUT, "The jacobian of the user-provided"
                                + " function is independent of input " + i + ". This is not allowed in strict mode.");
                    }
                }
            }
            Tensor[] res = grad(Arrays.asList(jac), ins, vs, createGraph);
            fillInZeros(res, ins, strict, api);
            List<Tensor> rs = new ArrayList<>();
            for (Tensor t : res) {
                rs.add(createGraph ? t : ForwardAD.detachTape(t));
            }
            return new HvpResult<>(createGraph ? out : ForwardAD.detachTape(out), (I) in.rebuild(rs));
        }
    }

    /**
     * H·v as the jvp of the gradient in direction v (forward over reverse): the inputs carry v as
     * their tangent at a new forward level and require grad; one reverse pass over the dual tape
     * gives the gradient, whose tangent is H·v. Checks and results as {@link #secondOrder}.
     */
    @SuppressWarnings("unchecked")
    static <I extends Value> HvpResult<I> forwardOverReverse(Function<I, Tensor> func, I inputs, I v,
            boolean createGraph, boolean strict, String api) {
        Args in = Args.inputs(inputs, "inputs", api);
        List<Tensor> vs = Args.validateV(v, in, api);
        try (ForwardAD.DualLevel level = ForwardAD.dualLevel();
                GradMode.Guard g = GradMode.enable()) {
            List<Tensor> prepared = Forward.prepare(in.tensors, createGraph, false);
            List<Tensor> leaves = new ArrayList<>();
            for (int i = 0; i < prepared.size(); i++) {
                leaves.add(ForwardAD.makeDual(prepared.get(i), vs.get(i).detach(), level)
                        .setRequiresGrad(prepared.get(i).dtype().isFloatingPoint()));
            }
            Object o = Args.callUser(func, in.rebuild(leaves));
            if (!(o instanceof Tensor out)) {
                throw new FunctionalException(Kind.OUTPUT_NOT_TENSOR, "The function given to " + api
                        + " should return a single Tensor");
            }
            if (out.numel() != 1) {
                throw new FunctionalException(Kind.INVALID_ARGUMENT, "The Tensor returned by the function given to "
                        + api + " should contain a single element");
            }
            checkRequiresGrad(List.of(out), strict);
            Tensor[] jac = grad(List.of(out), leaves, null, createGraph);
            List<Tensor> rs = new ArrayList<>();
            for (int i = 0; i < jac.length; i++) {
                Tensor hv = jac[i] == null ? null : ForwardAD.unpackDual(jac[i], level).tangent();
                if (hv == null) {
                    if (strict) {
                        throw new FunctionalException(Kind.STRICT_INDEPENDENT_INPUT, "The jacobian of the user-provided"
                                + " function is independent of input " + i + ". This is not allowed in strict mode.");
                    }
                    hv = Tensor.zerosLike(in.tensors.get(i));
                }
                rs.add(createGraph ? hv : ForwardAD.detachTape(hv));
            }
            Tensor output = ForwardAD.unpackDual(out, level).primal();
            return new HvpResult<>(createGraph ? output : ForwardAD.detachTape(output), (I) in.rebuild(rs));
        }
    }

    /**
     * PyTorch's _grad_preprocess: fresh leaves requiring grad, or views keeping the caller's graph.
     * A leaf keeps the tangents of enclosing jvps (its tape is dropped, not its duals), so reverse
     * mode inside a forward-mode jvp differentiates through (forward-over-reverse).
     */
    static List<Tensor> preprocess(List<Tensor> xs, boolean createGraph) {
        List<Tensor> r = new ArrayList<>();
        for (Tensor x : xs) {
            if (createGraph && x.requiresGrad()) {
                r.add(x.reshape(x.shape()));
            } else {
                r.add(ForwardAD.detachTape(x).setRequiresGrad(x.dtype().isFloatingPoint()));
            }
        }
        return r;
    }


    static void checkRequiresGrad(List<Tensor> outs, boolean strict) {
        if (!strict) {
            return;
        }
        for (int i = 0; i < outs.size(); i++) {
            if (!outs.get(i).requiresGrad()) {
                throw new FunctionalException(Kind.STRICT_OUTPUT_INDEPENDENT, "Output " + i + " of the user-provided"
                        + " function does not require gradients. The outputs must be computed in a differentiable"
                        + " manner from the input when running in strict mode.");
            }
        }
    }

    static void fillInZeros(Tensor[] grads, List<Tensor> refs, boolean strict, String api) {
        for (int i = 0; i < grads.length; i++) {
            if (grads[i] == null) {
                if (strict) {
                    throw new FunctionalException(Kind.STRICT_INDEPENDENT_INPUT, "The output of the user-provided"
                            + " function is independent of input " + i + ". This is not allowed in strict mode.");
                }
                Tensor r = refs.get(i);
                grads[i] = Tensor.zerosLike(r);
            }
        }
    }

    /** torch.autograd.grad that skips outputs not requiring grad and returns null for unused inputs. */
    static Tensor[] grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs,
            boolean createGraph) {
        List<Tensor> outs = new ArrayList<>();
        List<Tensor> gos = gradOutputs == null ? null : new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            Tensor o = outputs.get(i);
            if (o != null && o.requiresGrad()) {
                outs.add(o);
                if (gos != null) {
                    gos.add(gradOutputs.get(i));
                }
            }
        }
        List<Tensor> ins = new ArrayList<>();
        List<Integer> pos = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).requiresGrad()) {
                ins.add(inputs.get(i));
                pos.add(i);
            }
        }
        Tensor[] r = new Tensor[inputs.size()];
        if (outs.isEmpty() || ins.isEmpty()) {
            return r;
        }
        Tensor[] g = Autograd.grad(outs, ins, gos, createGraph, true);
        for (int k = 0; k < g.length; k++) {
            r[pos.get(k)] = g[k];
        }
        return r;
    }
}
