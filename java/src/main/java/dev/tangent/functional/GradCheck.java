package dev.tangent.functional;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.autograd.GradMode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code torch.autograd.gradcheck} for Tangent: checks a function's derivatives against central
 * finite differences, in both modes.
 *
 * <p>For a function of a {@link Tensor} or a {@link Tuple} of tensors returning a Tensor or a
 * Tuple of tensors, and float64 inputs, it builds three Jacobians per (output, input) pair:
 * <ul>
 *   <li><b>numerical</b>: column e is {@code (f(x + eps·eₑ) - f(x - eps·eₑ)) / (2 eps)};</li>
 *   <li><b>forward mode</b>: column e is {@link Functional#jvp} with the basis vector eₑ as v;</li>
 *   <li><b>reverse mode</b>: row k is {@link Functional#vjp} with the basis vector eₖ as v.</li>
 * </ul>
 * An analytic entry a matches the numerical entry n when {@code |a - n| <= atol + rtol·|n|}
 * (PyTorch's rule). On the first pair that does not match, {@link #check} throws a
 * {@link GradCheckException} naming the mode, input and output indices and the worst element.
 *
 * <p>Outputs that are not floating point are ignored (as PyTorch ignores non-differentiable
 * outputs). Inputs must be float64: finite differences in float32 are too coarse to check
 * anything. Each evaluation runs in its own {@link Scope}; the inputs are not modified.
 *
 * <pre>{@code
 * GradCheck.check(x -> x.sin().mul(x), Tensor.of(new double[] {0.3, 1.2}, 2));
 * GradCheck.check(t -> t.get(0).matmul(t.get(1)), Tuple.of(a, b), GradCheck.Options.defaults().withAtol(1e-6));
 * }</pre>
 */
public final class GradCheck {
    private GradCheck() {}

    /**
     * Tolerances and modes of a check.
     *
     * @param eps           finite-difference step
     * @param atol          absolute tolerance
     * @param rtol          relative tolerance (times |numerical|)
     * @param checkForward  check the forward-mode (jvp) Jacobian
     * @param checkReverse  check the reverse-mode (vjp) Jacobian
     */
    public record Options(double eps, double atol, double rtol, boolean checkForward, boolean checkReverse) {
        public Options {
            if (!(eps > 0) || !(atol >= 0) || !(rtol >= 0)) {
                throw new IllegalArgumentException("gradcheck: eps must be > 0 and atol, rtol >= 0 (eps=" + eps
                        + ", atol=" + atol + ", rtol=" + rtol + ")");
            }
            if (!checkForward && !checkReverse) {
                throw new IllegalArgumentException("gradcheck: at least one of forward and reverse mode must be checked");
            }
        }

        /** PyTorch's defaults: eps 1e-6, atol 1e-5, rtol 1e-3; both modes. */
        public static Options defaults() {
            return new Options(1e-6, 1e-5, 1e-3, true, true);
        }

        public Options withEps(double e) {
            return new Options(e, atol, rtol, checkForward, checkReverse);
        }

        public Options withAtol(double a) {
            return new Options(eps, a, rtol, checkForward, checkReverse);
        }

        public Options withRtol(double r) {
            return new Options(eps, atol, r, checkForward, checkReverse);
        }

        /** Only forward mode (jvp). */
        public Options forwardOnly() {
            return new Options(eps, atol, rtol, true, false);
        }

        /** Only reverse mode (vjp). */
        public Options reverseOnly() {
            return new Options(eps, atol, rtol, false, true);
        }
    }

    /** Checks with {@link Options#defaults()}; throws {@link GradCheckException} on a mismatch. */
    public static <I extends Value> void check(Function<I, ? extends Value> func, I inputs) {
        check(func, inputs, Options.defaults());
    }

    /**
     * Checks {@code func}'s forward-mode and/or reverse-mode Jacobians at {@code inputs} against
     * central finite differences.
     *
     * @throws GradCheckException       when an analytic Jacobian entry is out of tolerance
     * @throws IllegalArgumentException when an input is not float64
     */
    public static <I extends Value> void check(Function<I, ? extends Value> func, I inputs, Options options) {
        List<Tensor> xs = flatten(inputs, "inputs");
        boolean inTuple = inputs instanceof Tuple;
        List<double[]> data = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        for (int j = 0; j < xs.size(); j++) {
            Tensor x = xs.get(j);
            if (x.dtype() != DType.FLOAT64) {
                throw new IllegalArgumentException("gradcheck: input " + j + " is " + x.dtype().torchName()
                        + "; finite differences need float64 inputs");
            }
            data.add(x.toDoubleArray());
            shapes.add(x.shape());
        }
        // Output structure and which outputs are differentiable.
        Evaluated base = evaluate(func, data, shapes, inTuple);
        double[][][][] numerical = numerical(func, data, shapes, inTuple, base, options.eps());
        if (options.checkForward()) {
            compare("forward-mode", forward(func, data, shapes, inTuple, base), numerical, options);
        }
        if (options.checkReverse()) {
            compare("reverse-mode", reverse(func, data, shapes, inTuple, base), numerical, options);
        }
    }

    /** The function's outputs as flat doubles, with their shapes and whether they came as a Tuple. */
    private record Evaluated(List<double[]> values, List<long[]> shapes, List<DType> dtypes, boolean tuple) {
        boolean differentiable(int i) {
            return dtypes.get(i).isFloatingPoint();
        }
    }

    private static <I extends Value> Evaluated evaluate(Function<I, ? extends Value> func, List<double[]> data,
            List<long[]> shapes, boolean inTuple) {
        try (Scope s = Scope.open(); GradMode.Guard g = GradMode.disable()) {
            Value out = call(func, build(data, shapes, inTuple));
            List<Tensor> outs = flatten(out, "outputs");
            List<double[]> vals = new ArrayList<>();
            List<long[]> os = new ArrayList<>();
            List<DType> dts = new ArrayList<>();
            for (Tensor o : outs) {
                vals.add(o.toDoubleArray());
                os.add(o.shape());
                dts.add(o.dtype());
            }
            return new Evaluated(vals, os, dts, out instanceof Tuple);
        }
    }

    /** [output][input][output element][input element]. */
    private static <I extends Value> double[][][][] numerical(Function<I, ? extends Value> func,
            List<double[]> data, List<long[]> shapes, boolean inTuple, Evaluated base, double eps) {
        int nOut = base.values().size();
        double[][][][] jac = allocate(base, data);
        for (int j = 0; j < data.size(); j++) {
            double[] x = data.get(j);
            for (int e = 0; e < x.length; e++) {
                double orig = x[e];
                List<double[]> plus = new ArrayList<>(data);
                List<double[]> minus = new ArrayList<>(data);
                double[] xp = x.clone();
                double[] xm = x.clone();
                xp[e] = orig + eps;
                xm[e] = orig - eps;
                plus.set(j, xp);
                minus.set(j, xm);
                Evaluated fp = evaluate(func, plus, shapes, inTuple);
                Evaluated fm = evaluate(func, minus, shapes, inTuple);
                for (int i = 0; i < nOut; i++) {
                    if (!base.differentiable(i)) {
                        continue;
                    }
                    double[] a = fp.values().get(i);
                    double[] b = fm.values().get(i);
                    for (int k = 0; k < a.length; k++) {
                        jac[i][j][k][e] = (a[k] - b[k]) / (2 * eps);
                    }
                }
            }
        }
        return jac;
    }

    private static <I extends Value> double[][][][] forward(Function<I, ? extends Value> func, List<double[]> data,
            List<long[]> shapes, boolean inTuple, Evaluated base) {
        double[][][][] jac = allocate(base, data);
        for (int j = 0; j < data.size(); j++) {
            for (int e = 0; e < data.get(j).length; e++) {
                try (Scope s = Scope.open()) {
                    List<double[]> v = new ArrayList<>();
                    for (int m = 0; m < data.size(); m++) {
                        double[] z = new double[data.get(m).length];
                        if (m == j) {
                            z[e] = 1;
                        }
                        v.add(z);
                    }
                    @SuppressWarnings("unchecked")
                    I in = (I) build(data, shapes, inTuple);
                    @SuppressWarnings("unchecked")
                    I vv = (I) build(v, shapes, inTuple);
                    JvpResult<? extends Value> r = Functional.jvp(func, in, vv);
                    List<Tensor> jv = flatten(r.jvp(), "jvp");
                    for (int i = 0; i < jv.size(); i++) {
                        if (!base.differentiable(i)) {
                            continue;
                        }
                        double[] col = jv.get(i).toDoubleArray();
                        for (int k = 0; k < col.length; k++) {
                            jac[i][j][k][e] = col[k];
                        }
                    }
                }
            }
        }
        return jac;
    }

    private static <I extends Value> double[][][][] reverse(Function<I, ? extends Value> func, List<double[]> data,
            List<long[]> shapes, boolean inTuple, Evaluated base) {
        double[][][][] jac = allocate(base, data);
        int nOut = base.values().size();
        for (int i = 0; i < nOut; i++) {
            if (!base.differentiable(i)) {
                continue;
            }
            for (int k = 0; k < base.values().get(i).length; k++) {
                try (Scope s = Scope.open()) {
                    List<Tensor> vs = new ArrayList<>();
                    for (int m = 0; m < nOut; m++) {
                        double[] z = new double[base.values().get(m).length];
                        if (m == i) {
                            z[k] = 1;
                        }
                        vs.add(Tensor.of(z, base.shapes().get(m)).to(base.dtypes().get(m)));
                    }
                    Value v = base.tuple() ? Tuple.ofList(vs) : vs.get(0);
                    @SuppressWarnings("unchecked")
                    I in = (I) build(data, shapes, inTuple);
                    @SuppressWarnings("unchecked")
                    Function<I, Value> f = (Function<I, Value>) func;
                    VjpResult<I, Value> r = Functional.vjp(f, in, v);
                    List<Tensor> g = flatten(r.vjp(), "vjp");
                    for (int j = 0; j < g.size(); j++) {
                        double[] row = g.get(j).toDoubleArray();
                        System.arraycopy(row, 0, jac[i][j][k], 0, row.length);
                    }
                }
            }
        }
        return jac;
    }

    private static void compare(String mode, double[][][][] analytic, double[][][][] numerical, Options o) {
        for (int i = 0; i < analytic.length; i++) {
            for (int j = 0; j < analytic[i].length; j++) {
                double worst = 0;
                int wk = -1;
                int we = -1;
                double[][] a = analytic[i][j];
                double[][] n = numerical[i][j];
                for (int k = 0; k < a.length; k++) {
                    for (int e = 0; e < a[k].length; e++) {
                        double excess = Math.abs(a[k][e] - n[k][e]) - (o.atol() + o.rtol() * Math.abs(n[k][e]));
                        if (Double.isNaN(excess)) {
                            excess = Double.POSITIVE_INFINITY; // a NaN on either side is always a mismatch
                        }
                        if (excess > worst) {
                            worst = excess;
                            wk = k;
                            we = e;
                        }
                    }
                }
                if (wk >= 0) {
                    throw new GradCheckException(mode, j, i, we, wk, a[wk][we], n[wk][we], o.atol(), o.rtol());
                }
            }
        }
    }

    private static double[][][][] allocate(Evaluated base, List<double[]> data) {
        double[][][][] jac = new double[base.values().size()][data.size()][][];
        for (int i = 0; i < jac.length; i++) {
            for (int j = 0; j < data.size(); j++) {
                jac[i][j] = new double[base.values().get(i).length][data.get(j).length];
            }
        }
        return jac;
    }

    private static Value build(List<double[]> data, List<long[]> shapes, boolean tuple) {
        List<Tensor> ts = new ArrayList<>();
        for (int j = 0; j < data.size(); j++) {
            ts.add(Tensor.of(data.get(j), shapes.get(j)));
        }
        return tuple ? Tuple.ofList(ts) : ts.get(0);
    }

    @SuppressWarnings("unchecked")
    private static <I extends Value> Value call(Function<I, ? extends Value> func, Value in) {
        Object o = ((Function<Value, ?>) (Function<?, ?>) func).apply(in);
        if (!(o instanceof Value v)) {
            throw new IllegalArgumentException("gradcheck: the function must return a Tensor or a Tuple of Tensors,"
                    + " got " + (o == null ? "null" : o.getClass().getName()));
        }
        return v;
    }

    private static List<Tensor> flatten(Value v, String what) {
        if (v == null) {
            throw new IllegalArgumentException("gradcheck: " + what + " are null");
        }
        if (v instanceof Tensor t) {
            return List.of(t);
        }
        List<Tensor> r = new ArrayList<>();
        for (Value e : (Tuple) v) {
            if (!(e instanceof Tensor t)) {
                throw new IllegalArgumentException("gradcheck: nested tuples in " + what + " are not supported");
            }
            r.add(t);
        }
        return r;
    }
}
