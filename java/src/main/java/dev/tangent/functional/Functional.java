package dev.tangent.functional;

import dev.tangent.Internal;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.autograd.Autograd;
import dev.tangent.autograd.GradMode;
import dev.tangent.functional.FunctionalException.Kind;
import dev.tangent.ops.Shapes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code torch.autograd.functional} in Java: {@link #jvp}, {@link #vjp}, {@link #jacobian},
 * {@link #hessian}, {@link #hvp} and {@link #vhp}, with PyTorch's contract — the same argument
 * checks and errors, {@code createGraph} and {@code strict} semantics, and results that keep the
 * structure of the function's inputs and outputs (a {@link Tensor} stays a Tensor, a {@link Tuple}
 * stays a Tuple).
 *
 * <p>{@code jvp} runs in true forward mode by default ({@link JvpStrategy#FORWARD_MODE}); PyTorch's
 * double-backward trick is available as {@link JvpStrategy#DOUBLE_BACKWARD} and gives the same
 * result.
 *
 * <p>Thread safety: every method may be called from many threads at once; each call uses only
 * its own tensors and per-thread state.
 */
public final class Functional {
    private Functional() {}

    // ================================================================ jvp

    /** {@code jvp(func, inputs, v)}: forward mode, no graph, not strict. */
    public static <I extends Value, O extends Value> JvpResult<O> jvp(Function<I, O> func, I inputs, I v) {
        return jvp(func, inputs, v, false, false, JvpStrategy.FORWARD_MODE);
    }

    /** {@code jvp(func, inputs, v, create_graph, strict)} in forward mode. */
    public static <I extends Value, O extends Value> JvpResult<O> jvp(Function<I, O> func, I inputs, I v,
            boolean createGraph, boolean strict) {
        return jvp(func, inputs, v, createGraph, strict, JvpStrategy.FORWARD_MODE);
    }

    /**
     * The Jacobian of {@code func} at {@code inputs} times {@code v}.
     *
     * @param func        a function of a Tensor or a Tuple of Tensors, returning a Tensor or a Tuple of Tensors
     * @param inputs      where to evaluate
     * @param v           the tangent, shaped like inputs; may be null only for a single one-element input (ones)
     * @param createGraph make the results differentiable with respect to the inputs (second order)
     * @param strict      throw when an output does not depend on the inputs, or an input on no output
     * @param strategy    forward mode (default) or PyTorch's double-backward trick
     * @return the output and the jvp, each shaped like the output
     * @throws FunctionalException for the errors PyTorch raises (see {@link FunctionalException.Kind})
     */
    public static <I extends Value, O extends Value> JvpResult<O> jvp(Function<I, O> func, I inputs, I v,
            boolean createGraph, boolean strict, JvpStrategy strategy) {
        Args in = Args.of(inputs, "inputs", "jvp");
        List<Tensor> vs = validateV(v, in, "jvp");
        return strategy == JvpStrategy.DOUBLE_BACKWARD
                ? jvpDoubleBackward(func, in, vs, createGraph, strict)
                : jvpForward(func, in, vs, createGraph, strict);
    }

    @SuppressWarnings("unchecked")
    private static <I extends Value, O extends Value> JvpResult<O> jvpForward(Function<I, O> func, Args in,
            List<Tensor> vs, boolean createGraph, boolean strict) {
        int level = ForwardLevels.enter();
        try (GradMode.Guard g = GradMode.set(strict || createGraph || GradMode.isEnabled())) {
            List<Tensor> prepared = prepare(in.tensors, createGraph, strict);
            List<Tensor> duals = new ArrayList<>(prepared.size());
            for (int i = 0; i < prepared.size(); i++) {
                Tensor t = vs.get(i);
                duals.add(Internal.dual(level, prepared.get(i), createGraph ? t : detachReverse(t)));
            }
            Args out = Args.ofOutput(callUser(func, in.rebuild(duals)), "jvp");
            List<Tensor> primals = new ArrayList<>();
            List<Tensor> tangents = new ArrayList<>();
            for (Tensor o : out.tensors) {
                primals.add(Internal.primalAt(o, level));
                tangents.add(Internal.tangentAt(o, level));
            }
            if (strict) {
                checkStrict(primals, prepared, tangents, "jvp");
            }
            for (int i = 0; i < tangents.size(); i++) {
                Tensor p = primals.get(i);
                Tensor t = tangents.get(i);
                if (t == null) {
                    t = Tensor.full(0, p.dtype(), p.device(), p.shape());
                }
                // detachReverse, not detach: an enclosing jvp's tangents (nested jvp) must survive.
                tangents.set(i, createGraph ? t : detachReverse(t));
                primals.set(i, createGraph ? p : detachReverse(p));
            }
            return new JvpResult<>((O) out.rebuild(primals), (O) out.rebuild(tangents));
        } finally {
            ForwardLevels.exit(level);
        }
    }

    @SuppressWarnings("unchecked")
    private static <I extends Value, O extends Value> JvpResult<O> jvpDoubleBackward(Function<I, O> func, Args in,
            List<Tensor> vs, boolean createGraph, boolean strict) {
        rejectForwardTangents(in.tensors, vs, "jvp (double-backward strategy)");
        try (GradMode.Guard g = GradMode.enable()) {
            List<Tensor> ins = preprocess(in.tensors, createGraph);
            Args out = Args.ofOutput(callUser(func, in.rebuild(ins)), "jvp");
            checkRequiresGrad(out.tensors, strict);
            List<Tensor> dummies = new ArrayList<>();
            for (Tensor o : out.tensors) {
                dummies.add(Tensor.full(0, o.dtype(), o.device(), o.shape()).setRequiresGrad(true));
            }
            Tensor[] gradRes = grad(out.tensors, ins, dummies, true);
            fillInZeros(gradRes, ins, strict, "jvp");
            Tensor[] jvps = grad(Arrays.asList(gradRes), dummies, vs, createGraph);
            List<Tensor> jv = new ArrayList<>();
            List<Tensor> outs = new ArrayList<>();
            for (int i = 0; i < jvps.length; i++) {
                Tensor o = out.tensors.get(i);
                Tensor j = jvps[i] == null ? Tensor.full(0, o.dtype(), o.device(), o.shape()) : jvps[i];
                jv.add(createGraph ? j : j.detach());
                outs.add(createGraph ? o : o.detach());
            }
            return new JvpResult<>((O) out.rebuild(outs), (O) out.rebuild(jv));
        }
    }

    // ================================================================ vjp

    /** {@code vjp(func, inputs, v)}: no graph, not strict. */
    public static <I extends Value, O extends Value> VjpResult<I, O> vjp(Function<I, O> func, I inputs, O v) {
        return vjp(func, inputs, v, false, false);
    }

    /**
     * The vector-Jacobian product vᵀ·J of {@code func} at {@code inputs}.
     *
     * @param v shaped like the output; null only when the output is a single one-element tensor
     */
    @SuppressWarnings("unchecked")
    public static <I extends Value, O extends Value> VjpResult<I, O> vjp(Function<I, O> func, I inputs, O v,
            boolean createGraph, boolean strict) {
        Args in = Args.of(inputs, "inputs", "vjp");
        rejectForwardTangents(in.tensors, v == null ? List.of() : Args.of(v, "v", "vjp").tensors, "vjp");
        try (GradMode.Guard g = GradMode.enable()) {
            List<Tensor> ins = preprocess(in.tensors, createGraph);
            Args out = Args.ofOutput(callUser(func, in.rebuild(ins)), "vjp");
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
                checkSameShapes(vs, out.tensors, out.tuple, "vjp");
            }
            checkRequiresGrad(out.tensors, strict);
            Tensor[] grads = grad(out.tensors, ins, vs, createGraph);
            fillInZeros(grads, ins, strict, "vjp");
            List<Tensor> outs = new ArrayList<>();
            for (Tensor o : out.tensors) {
                outs.add(createGraph ? o : o.detach());
            }
            List<Tensor> gs = new ArrayList<>();
            for (Tensor t : grads) {
                gs.add(createGraph ? t : t.detach());
            }
            return new VjpResult<>((O) out.rebuild(outs), (I) in.rebuild(gs));
        }
    }

    // ================================================================ jacobian

    /** {@code jacobian(func, inputs)}: reverse mode, no graph, not strict. */
    public static <I extends Value> Value jacobian(Function<I, ? extends Value> func, I inputs) {
        return jacobian(func, inputs, false, false, false, JacobianStrategy.REVERSE_MODE);
    }

    /**
     * The Jacobian of {@code func} at {@code inputs}. For output i of shape Sᵢ and input j of shape
     * Tⱼ, entry (i, j) has shape Sᵢ + Tⱼ. The result is a Tensor for a single output and single
     * input, a Tuple over inputs (single output), a Tuple over outputs (single input), else a Tuple
     * over outputs of Tuples over inputs — exactly as PyTorch nests it.
     *
     * @param vectorize accepted for PyTorch compatibility (results are identical either way); the
     *                  forward-mode strategy requires it, as in PyTorch
     */
    public static <I extends Value> Value jacobian(Function<I, ? extends Value> func, I inputs, boolean createGraph,
            boolean strict, boolean vectorize, JacobianStrategy strategy) {
        Args in = Args.of(inputs, "inputs", "jacobian");
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
            return jacobianForward(func, in, createGraph);
        }
        rejectForwardTangents(in.tensors, List.of(), "jacobian (reverse mode)");
        try (GradMode.Guard g = GradMode.enable()) {
            List<Tensor> ins = preprocess(in.tensors, createGraph);
            Args out = Args.ofOutput(callUser(func, in.rebuild(ins)), "jacobian");
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
                            gj = Tensor.full(0, x.dtype(), x.device(), x.shape());
                        }
                        rows.get(j).add(gj);
                    }
                }
                List<Tensor> perInput = new ArrayList<>();
                for (int j = 0; j < ins.size(); j++) {
                    perInput.add(stackRows(rows.get(j), o.shape(), ins.get(j), createGraph));
                }
                table.add(perInput);
            }
            return nest(table, out.tuple, in.tuple);
        }
    }

    private static <I extends Value> Value jacobianForward(Function<I, ? extends Value> func, Args in,
            boolean createGraph) {
        List<List<List<Tensor>>> cols = null; // [output][input][element of input]
        boolean outTuple = false;
        List<long[]> outShapes = new ArrayList<>();
        for (int j = 0; j < in.tensors.size(); j++) {
            Tensor x = in.tensors.get(j);
            long n = x.numel();
            for (long e = 0; e < n; e++) {
                List<Tensor> vs = new ArrayList<>();
                for (int k = 0; k < in.tensors.size(); k++) {
                    Tensor xk = in.tensors.get(k);
                    Tensor z = Tensor.full(0, xk.dtype(), xk.device(), xk.shape());
                    if (k == j) {
                        double[] basis = new double[Math.toIntExact(n)];
                        basis[(int) e] = 1;
                        z = Tensor.of(basis, xk.shape()).to(xk.dtype()).to(xk.device());
                    }
                    vs.add(z);
                }
                JvpResult<Value> r = jvpForward(castFunc(func), in, vs, createGraph, false);
                Args o = Args.ofOutput(r.jvp(), "jacobian");
                outTuple = o.tuple;
                if (cols == null) {
                    cols = emptyColumns(o.tensors, in.tensors.size(), outShapes);
                }
                for (int i = 0; i < o.tensors.size(); i++) {
                    cols.get(i).get(j).add(o.tensors.get(i));
                }
            }
        }
        if (cols == null) {
            // every input is empty: evaluate once for the output structure
            JvpResult<Value> r = jvpForward(castFunc(func), in, zerosLike(in.tensors), createGraph, false);
            Args o = Args.ofOutput(r.output(), "jacobian");
            outTuple = o.tuple;
            cols = emptyColumns(o.tensors, in.tensors.size(), outShapes);
        }
        List<List<Tensor>> table = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            List<Tensor> perInput = new ArrayList<>();
            for (int j = 0; j < in.tensors.size(); j++) {
                Tensor x = in.tensors.get(j);
                List<Tensor> c = cols.get(i).get(j);
                long[] os = outShapes.get(i);
                long[] full = concat(os, x.shape());
                Tensor m;
                if (c.isEmpty()) {
                    m = Tensor.full(0, x.dtype(), x.device(), full);
                } else {
                    // columns: [n_in] of shape os -> [os..., n_in] -> reshape to os + x.shape
                    List<Tensor> flat = new ArrayList<>();
                    for (Tensor t : c) {
                        flat.add(t.reshape(-1));
                    }
                    m = Tensor.stack(flat, 1).reshape(full);
                }
                perInput.add(m);
            }
            table.add(perInput);
        }
        return nest(table, outTuple, in.tuple);
    }

    /** [output][input] lists of Jacobian columns, empty, and each output's shape. */
    private static List<List<List<Tensor>>> emptyColumns(List<Tensor> outs, int inputs, List<long[]> outShapes) {
        List<List<List<Tensor>>> cols = new ArrayList<>();
        for (Tensor t : outs) {
            List<List<Tensor>> perIn = new ArrayList<>();
            for (int k = 0; k < inputs; k++) {
                perIn.add(new ArrayList<>());
            }
            cols.add(perIn);
            outShapes.add(t.shape());
        }
        return cols;
    }

    @SuppressWarnings("unchecked")
    private static <I extends Value> Function<Value, Value> castFunc(Function<I, ? extends Value> f) {
        return (Function<Value, Value>) (Function<?, ?>) f;
    }

    // ================================================================ hessian, hvp, vhp

    /** {@code hessian(func, inputs)}: no graph, not strict. */
    public static <I extends Value> Value hessian(Function<I, Tensor> func, I inputs) {
        return hessian(func, inputs, false, false);
    }

    /**
     * The Hessian of a function returning a single one-element tensor: a Tensor of shape
     * {@code x.shape + x.shape} for a single input, else a Tuple of Tuples (entry (i, j) of shape
     * {@code xi.shape + xj.shape}), as PyTorch returns it.
     */
    public static <I extends Value> Value hessian(Function<I, Tensor> func, I inputs, boolean createGraph,
            boolean strict) {
        Args.of(inputs, "inputs", "hessian");
        Function<I, Tensor> single = x -> {
            Object o = callUser(func, x);
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
        return jacobian(jacFunc, inputs, createGraph, strict, false, JacobianStrategy.REVERSE_MODE);
    }

    /** {@code vhp(func, inputs, v)}: vᵀ·H, no graph, not strict. */
    public static <I extends Value> HvpResult<I> vhp(Function<I, Tensor> func, I inputs, I v) {
        return vhp(func, inputs, v, false, false);
    }

    /** vᵀ·H of a function returning a single one-element tensor. */
    public static <I extends Value> HvpResult<I> vhp(Function<I, Tensor> func, I inputs, I v, boolean createGraph,
            boolean strict) {
        return secondOrder(func, inputs, v, createGraph, strict, "vhp");
    }

    /** {@code hvp(func, inputs, v)}: H·v, no graph, not strict. */
    public static <I extends Value> HvpResult<I> hvp(Function<I, Tensor> func, I inputs, I v) {
        return hvp(func, inputs, v, false, false);
    }

    /**
     * H·v of a function returning a single one-element tensor. The Hessian of a twice
     * differentiable function is symmetric, so this equals {@link #vhp}; it is computed the same way.
     */
    public static <I extends Value> HvpResult<I> hvp(Function<I, Tensor> func, I inputs, I v, boolean createGraph,
            boolean strict) {
        return secondOrder(func, inputs, v, createGraph, strict, "hvp");
    }

    @SuppressWarnings("unchecked")
    private static <I extends Value> HvpResult<I> secondOrder(Function<I, Tensor> func, I inputs, I v,
            boolean createGraph, boolean strict, String api) {
        Args in = Args.of(inputs, "inputs", api);
        rejectForwardTangents(in.tensors, v == null ? List.of() : Args.of(v, "v", api).tensors, api);
        List<Tensor> vs = validateV(v, in, api);
        try (GradMode.Guard g = GradMode.enable()) {
            List<Tensor> ins = preprocess(in.tensors, true);
            Object o = callUser(func, in.rebuild(ins));
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
                rs.add(createGraph ? t : t.detach());
            }
            return new HvpResult<>(createGraph ? out : out.detach(), (I) in.rebuild(rs));
        }
    }

    // ================================================================ helpers

    /** Inputs/outputs flattened to tensors, remembering whether they came as a Tuple. */
    static final class Args {
        final List<Tensor> tensors;
        final boolean tuple;

        Args(List<Tensor> tensors, boolean tuple) {
            this.tensors = tensors;
            this.tuple = tuple;
        }

        static Args of(Value v, String what, String api) {
            if (v == null) {
                throw new FunctionalException(Kind.INVALID_ARGUMENT, "The " + what + " given to " + api
                        + " must be either a Tensor or a tuple of Tensors but the given " + what + " is null.");
            }
            if (v instanceof Tensor t) {
                return new Args(List.of(t), false);
            }
            Tuple tu = (Tuple) v;
            List<Tensor> r = new ArrayList<>();
            for (int i = 0; i < tu.size(); i++) {
                if (!(tu.value(i) instanceof Tensor t)) {
                    throw new FunctionalException(Kind.INVALID_ARGUMENT, "The " + what + " given to " + api
                            + " must be either a Tensor or a tuple of Tensors but the value at index " + i
                            + " has type Tuple.");
                }
                r.add(t);
            }
            return new Args(r, true);
        }

        static Args ofOutput(Object o, String api) {
            if (o instanceof Tensor t) {
                return new Args(List.of(t), false);
            }
            if (o instanceof Tuple tu) {
                List<Tensor> r = new ArrayList<>();
                for (int i = 0; i < tu.size(); i++) {
                    if (!(tu.value(i) instanceof Tensor t)) {
                        throw notTensor(api, "the value at index " + i + " has type Tuple");
                    }
                    r.add(t);
                }
                return new Args(r, true);
            }
            throw notTensor(api, "the given outputs of the user-provided function has type "
                    + (o == null ? "null" : o.getClass().getName()));
        }

        private static FunctionalException notTensor(String api, String detail) {
            return new FunctionalException(Kind.OUTPUT_NOT_TENSOR, "The outputs of the user-provided function given to "
                    + api + " must be either a Tensor or a tuple of Tensors but " + detail + ".");
        }

        Value rebuild(List<Tensor> ts) {
            return tuple ? Tuple.ofList(ts) : ts.get(0);
        }
    }

    @SuppressWarnings("unchecked")
    private static <I extends Value> Object callUser(Function<I, ?> func, Value arg) {
        if (func == null) {
            throw new FunctionalException(Kind.INVALID_ARGUMENT, "the function given is null");
        }
        return ((Function<Value, ?>) (Function<?, ?>) func).apply(arg);
    }

    private static List<Tensor> validateV(Value v, Args in, String api) {
        if (v == null) {
            if (in.tensors.size() != 1 || in.tensors.get(0).numel() != 1) {
                throw new FunctionalException(Kind.V_NONE_MULTI_ELEMENT, "The vector v can only be None if the input to"
                        + " the user-provided function is a single Tensor with a single element.");
            }
            Tensor x = in.tensors.get(0);
            return List.of(Tensor.full(1, x.dtype(), x.device(), x.shape()));
        }
        List<Tensor> vs = Args.of(v, "v", api).tensors;
        if (vs.size() != in.tensors.size()) {
            throw new FunctionalException(Kind.V_LENGTH_MISMATCH, "v is a tuple of invalid length: should be "
                    + in.tensors.size() + " but got " + vs.size() + ".");
        }
        for (int i = 0; i < vs.size(); i++) {
            Tensor a = vs.get(i);
            Tensor x = in.tensors.get(i);
            if (!Arrays.equals(a.shape(), x.shape())) {
                String pre = in.tuple ? "Entry " + i + " in v has invalid size" : "v has invalid size";
                throw new FunctionalException(Kind.V_SHAPE_MISMATCH, pre + ": should be torch.Size("
                        + Shapes.str(x.shape()) + ") but got torch.Size(" + Shapes.str(a.shape()) + ").");
            }
            if (a.dtype() != x.dtype() && x.dtype().isFloatingPoint()) {
                vs = new ArrayList<>(vs);
                vs.set(i, a.to(x.dtype()));
            }
        }
        return vs;
    }

    private static void checkSameShapes(List<Tensor> vs, List<Tensor> outs, boolean tuple, String api) {
        if (vs.size() != outs.size()) {
            throw new FunctionalException(Kind.V_LENGTH_MISMATCH, "v is a tuple of invalid length: should be "
                    + outs.size() + " but got " + vs.size() + ".");
        }
        for (int i = 0; i < vs.size(); i++) {
            if (!Arrays.equals(vs.get(i).shape(), outs.get(i).shape())) {
                String pre = tuple ? "Entry " + i + " in v has invalid size" : "v has invalid size";
                throw new FunctionalException(Kind.V_SHAPE_MISMATCH, pre + ": should be torch.Size("
                        + Shapes.str(outs.get(i).shape()) + ") but got torch.Size(" + Shapes.str(vs.get(i).shape()) + ").");
            }
        }
    }

    /** PyTorch's _grad_preprocess: fresh leaves requiring grad, or views keeping the caller's graph. */
    private static List<Tensor> preprocess(List<Tensor> xs, boolean createGraph) {
        List<Tensor> r = new ArrayList<>();
        for (Tensor x : xs) {
            if (createGraph && x.requiresGrad()) {
                r.add(x.reshape(x.shape()));
            } else {
                r.add(x.detach().setRequiresGrad(x.dtype().isFloatingPoint()));
            }
        }
        return r;
    }

    /**
     * Inputs for forward mode: tracked on the tape only when strictness or a graph needs it
     * (preprocess's rules, applied to the plain tensor under the duals), keeping the tangents of
     * enclosing jvps so that a jvp inside a jvp differentiates through the inner one.
     */
    private static List<Tensor> prepare(List<Tensor> xs, boolean createGraph, boolean strict) {
        List<Tensor> r = new ArrayList<>();
        for (Tensor x : xs) {
            Tensor plain = plainOf(x);
            if (!strict && !createGraph) {
                r.add(detachReverse(x));
            } else if (createGraph && plain.requiresGrad()) {
                r.add(x.reshape(x.shape()));
            } else {
                r.add(rebase(x, plain.detach().setRequiresGrad(plain.dtype().isFloatingPoint())));
            }
        }
        return r;
    }

    /**
     * Reverse mode inside a forward-mode jvp (forward-over-reverse) is not supported: the tape
     * records plain tensors, so the enclosing jvp's tangents would be dropped and its result would
     * silently be zero. Fail loudly instead.
     */
    private static void rejectForwardTangents(List<Tensor> inputs, List<Tensor> vs, String api) {
        for (List<Tensor> ts : List.of(inputs, vs)) {
            for (Tensor t : ts) {
                if (Internal.level(t) > 0) {
                    throw new UnsupportedOperationException(api + " was called inside a forward-mode jvp on tensors"
                            + " that carry its tangents (forward-over-reverse), which Tangent does not support: the"
                            + " enclosing jvp would see a zero derivative. Run the enclosing jvp with"
                            + " JvpStrategy.DOUBLE_BACKWARD, or use forward mode for the inner derivative too.");
                }
            }
        }
    }

    /** The plain tensor under every forward-mode level of t (where the reverse-mode tape lives). */
    private static Tensor plainOf(Tensor t) {
        for (int l = Internal.level(t); l > 0; l = Internal.level(t)) {
            t = Internal.primalAt(t, l);
        }
        return t;
    }

    /** t with its innermost plain tensor replaced by {@code base}, keeping every level's tangent. */
    private static Tensor rebase(Tensor t, Tensor base) {
        int l = Internal.level(t);
        return l == 0 ? base : Internal.dual(l, rebase(Internal.primalAt(t, l), base), Internal.tangentAt(t, l));
    }

    /** {@code detach()} for reverse mode only: drops tape history at every level, keeps all tangents. */
    private static Tensor detachReverse(Tensor t) {
        int l = Internal.level(t);
        if (l == 0) {
            return t.detach();
        }
        Tensor tan = Internal.tangentAt(t, l);
        return Internal.dual(l, detachReverse(Internal.primalAt(t, l)), tan == null ? null : detachReverse(tan));
    }

    private static void checkRequiresGrad(List<Tensor> outs, boolean strict) {
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

    /** Strict mode in forward mode: dependencies read off the tape recorded alongside. */
    private static void checkStrict(List<Tensor> duals, List<Tensor> ins, List<Tensor> tangents, String api) {
        List<Tensor> primals = new ArrayList<>();
        for (Tensor p : duals) {
            primals.add(plainOf(p));
        }
        checkRequiresGrad(primals, true);
        Set<Tensor> reached = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Tensor> stack = new ArrayDeque<>(primals);
        while (!stack.isEmpty()) {
            Tensor t = stack.pop();
            if (!reached.add(t)) {
                continue;
            }
            if (t.gradFn() != null) {
                for (Tensor u : t.gradFn().inputs()) {
                    if (u.requiresGrad()) {
                        stack.push(u);
                    }
                }
            }
        }
        for (int i = 0; i < ins.size(); i++) {
            if (!reached.contains(plainOf(ins.get(i)))) {
                throw new FunctionalException(Kind.STRICT_INDEPENDENT_INPUT, "The output of the user-provided function"
                        + " is independent of input " + i + ". This is not allowed in strict mode.");
            }
        }
    }

    private static void fillInZeros(Tensor[] grads, List<Tensor> refs, boolean strict, String api) {
        for (int i = 0; i < grads.length; i++) {
            if (grads[i] == null) {
                if (strict) {
                    throw new FunctionalException(Kind.STRICT_INDEPENDENT_INPUT, "The output of the user-provided"
                            + " function is independent of input " + i + ". This is not allowed in strict mode.");
                }
                Tensor r = refs.get(i);
                grads[i] = Tensor.full(0, r.dtype(), r.device(), r.shape());
            }
        }
    }

    /** torch.autograd.grad that skips outputs not requiring grad and returns null for unused inputs. */
    private static Tensor[] grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs,
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

    private static Tensor stackRows(List<Tensor> rows, long[] outShape, Tensor x, boolean createGraph) {
        long[] full = concat(outShape, x.shape());
        if (rows.isEmpty()) {
            return Tensor.full(0, x.dtype(), x.device(), full);
        }
        Tensor m = Tensor.stack(rows, 0).reshape(full);
        return createGraph ? m : m.detach();
    }

    private static long[] concat(long[] a, long[] b) {
        long[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static List<Tensor> zerosLike(List<Tensor> xs) {
        List<Tensor> r = new ArrayList<>();
        for (Tensor x : xs) {
            r.add(Tensor.full(0, x.dtype(), x.device(), x.shape()));
        }
        return r;
    }

    /** PyTorch's nesting of a Jacobian table [output][input] by the tuple-ness of each side. */
    private static Value nest(List<List<Tensor>> table, boolean outTuple, boolean inTuple) {
        if (!outTuple && !inTuple) {
            return table.get(0).get(0);
        }
        if (!outTuple) {
            return Tuple.ofList(table.get(0));
        }
        List<Value> rows = new ArrayList<>();
        for (List<Tensor> row : table) {
            rows.add(inTuple ? Tuple.ofList(row) : row.get(0));
        }
        return Tuple.ofList(rows);
    }
}
