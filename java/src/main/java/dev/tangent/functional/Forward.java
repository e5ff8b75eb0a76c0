package dev.tangent.functional;

import dev.tangent.Tensor;
import dev.tangent.Value;
import dev.tangent.autograd.Autograd;
import dev.tangent.autograd.ForwardAD;
import dev.tangent.autograd.GradMode;
import dev.tangent.functional.FunctionalException.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** The forward-mode side of the functional API: jvp by dual numbers and the forward-mode Jacobian. */
final class Forward {
    private Forward() {}

    @SuppressWarnings("unchecked")
    static <I extends Value, O extends Value> JvpResult<O> jvpForward(Function<I, O> func, Args in,
            List<Tensor> vs, boolean createGraph, boolean strict) {
        ForwardAD.DualLevel dl = ForwardAD.dualLevel();
        int level = dl.level();
        try (GradMode.Guard g = GradMode.set(strict || createGraph || GradMode.isEnabled())) {
            List<Tensor> prepared = prepare(in.tensors, createGraph, strict);
            List<Tensor> duals = new ArrayList<>(prepared.size());
            for (int i = 0; i < prepared.size(); i++) {
                Tensor t = vs.get(i);
                duals.add(ForwardAD.makeDual(prepared.get(i), createGraph ? t : ForwardAD.detachTape(t), level));
            }
            Args out = Args.ofOutput(Args.callUser(func, in.rebuild(duals)), "jvp");
            List<Tensor> primals = new ArrayList<>();
            List<Tensor> tangents = new ArrayList<>();
            for (Tensor o : out.tensors) {
                primals.add(ForwardAD.unpackDual(o, level).primal());
                tangents.add(ForwardAD.unpackDual(o, level).tangent());
            }
            if (strict) {
                checkStrict(primals, prepared);
            }
            for (int i = 0; i < tangents.size(); i++) {
                Tensor p = primals.get(i);
                Tensor t = tangents.get(i);
                if (t == null) {
                    t = Tensor.zerosLike(p);
                }
                // detachReverse, not detach: an enclosing jvp's tangents (nested jvp) must survive.
                tangents.set(i, createGraph ? t : ForwardAD.detachTape(t));
                primals.set(i, createGraph ? p : ForwardAD.detachTape(p));
            }
            return new JvpResult<>((O) out.rebuild(primals), (O) out.rebuild(tangents));
        } finally {
            dl.close();
        }
    }


    static <I extends Value> Value jacobianForward(Function<I, ? extends Value> func, Args in,
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
                    Tensor z = Tensor.zerosLike(xk);
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
            JvpResult<Value> r = jvpForward(castFunc(func), in, Args.zerosLike(in.tensors), createGraph, false);
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
                long[] full = Args.concat(os, x.shape());
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
        return Args.nest(table, outTuple, in.tuple);
    }

    /** [output][input] lists of Jacobian columns, empty, and each output's shape. */
    static List<List<List<Tensor>>> emptyColumns(List<Tensor> outs, int inputs, List<long[]> outShapes) {
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
    static <I extends Value> Function<Value, Value> castFunc(Function<I, ? extends Value> f) {
        return (Function<Value, Value>) (Function<?, ?>) f;
    }

    /**
     * Inputs for forward mode: tracked on the tape only when strictness or a graph needs it
     * (preprocess's rules, applied to the plain tensor under the duals), keeping the tangents of
     * enclosing jvps so that a jvp inside a jvp differentiates through the inner one.
     */
    static List<Tensor> prepare(List<Tensor> xs, boolean createGraph, boolean strict) {
        List<Tensor> r = new ArrayList<>();
        for (Tensor x : xs) {
            Tensor plain = ForwardAD.plain(x);
            if (!strict && !createGraph) {
                r.add(ForwardAD.detachTape(x));
            } else if (createGraph && plain.requiresGrad()) {
                r.add(x.reshape(x.shape()));
            } else {
                r.add(ForwardAD.rebase(x, plain.detach().setRequiresGrad(plain.dtype().isFloatingPoint())));
            }
        }
        return r;
    }

    /** Strict mode in forward mode: dependencies read off the tape recorded alongside. */
    static void checkStrict(List<Tensor> duals, List<Tensor> ins) {
        List<Tensor> primals = new ArrayList<>();
        for (Tensor p : duals) {
            primals.add(ForwardAD.plain(p));
        }
        Reverse.checkRequiresGrad(primals, true);
        List<Tensor> plainIns = new ArrayList<>();
        for (Tensor x : ins) {
            plainIns.add(ForwardAD.plain(x));
        }
        boolean[] reached = Autograd.reaches(primals, plainIns);
        for (int i = 0; i < reached.length; i++) {
            if (!reached[i]) {
                throw new FunctionalException(Kind.STRICT_INDEPENDENT_INPUT, "The output of the user-provided function"
                        + " is independent of input " + i + ". This is not allowed in strict mode.");
            }
        }
    }
}
