package dev.tangent.reliability;

import dev.tangent.DType;
import dev.tangent.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * A small random program of tensor ops: an input shape and a list of op codes. Each code is read
 * against the ops that fit the current shape (so every program is valid) and the op's parameters
 * (dims, sizes, constants) come from the code too; shapes never depend on values, so a program is
 * deterministic. {@link ProgramGenerator} draws programs from a seed and shrinks failing ones:
 * {@link #steps} decodes the codes into named ops and {@link #of} encodes them again for another
 * input shape, so an op can be dropped or the shape made smaller while the other ops stay the same.
 *
 * <p>Families: unary, binary (broadcast constants, self products, reduced-and-broadcast), reduction,
 * matmul (2-D, batched, vector), and views (transpose, permute, slice with step, select, expand,
 * squeeze/unsqueeze, reshape, index_select, cat, stack). {@code smoothOnly} leaves out the ops that
 * are not differentiable everywhere (abs, relu, max/min, where, amax, clamp) for the
 * finite-difference check.
 */
record Program(long[] shape, List<Integer> codes, long maxNumel) {

    /** One op: where it applies, whether it is smooth, and what it does with a parameter. */
    record Op(String name, boolean smooth, Predicate<long[]> fits, Body body) {}

    interface Body {
        Tensor apply(Tensor x, int p, long seed);
    }

    static final int MAX_RANK = 4;

    /** Runs the program on {@code x} (whose shape must be {@link #shape()}). */
    Tensor apply(Tensor x, boolean smoothOnly) {
        return run(x, smoothOnly, null);
    }

    /** The ops the program runs, e.g. {@code [sin, sum(d=1,keep), x@W(k=2)]}, for failure reports. */
    String describe(boolean smoothOnly) {
        List<String> names = new ArrayList<>();
        try (var s = dev.tangent.Scope.open()) {
            run(Tensor.zeros(DType.FLOAT64, shape), smoothOnly, names);
        } catch (RuntimeException e) {
            names.add("threw " + e);
        }
        return "input " + Arrays.toString(shape) + " -> " + names;
    }

    /** One decoded op of a program: its name in {@link #OPS} and its parameter. */
    record Step(String op, int p) {
        @Override
        public String toString() {
            return op + "#" + p;
        }
    }

    /** The ops this program runs (as {@link #describe} names them), decoded on zeros of its shape. */
    List<Step> steps(boolean smoothOnly) {
        List<Step> out = new ArrayList<>();
        decode(smoothOnly, out, new ArrayList<>());
        return out;
    }

    /** The shape each op gets, then the result's: {@code codes().size() + 1} shapes. */
    List<long[]> shapes(boolean smoothOnly) {
        List<long[]> out = new ArrayList<>();
        decode(smoothOnly, new ArrayList<>(), out);
        return out;
    }

    private void decode(boolean smoothOnly, List<Step> steps, List<long[]> shapes) {
        try (var s = dev.tangent.Scope.open()) {
            Tensor cur = Tensor.zeros(DType.FLOAT64, shape);
            for (int i = 0; i < codes.size(); i++) {
                shapes.add(cur.shape());
                List<Op> fit = fitting(cur.shape(), smoothOnly, maxNumel);
                int code = codes.get(i);
                Op op = fit.get(code % fit.size());
                steps.add(new Step(op.name, code / fit.size()));
                cur = op.body.apply(cur, code / fit.size(), 1000L * i + code);
            }
            shapes.add(cur.shape());
        }
    }

    /**
     * The program that runs {@code steps} on an input of {@code shape}: each step is encoded
     * against the ops that fit where it runs; a step whose op no longer fits there is left out.
     */
    static Program of(long[] shape, List<Step> steps, long maxNumel, boolean smoothOnly) {
        List<Integer> codes = new ArrayList<>();
        try (var s = dev.tangent.Scope.open()) {
            Tensor cur = Tensor.zeros(DType.FLOAT64, shape);
            for (Step step : steps) {
                List<Op> fit = fitting(cur.shape(), smoothOnly, maxNumel);
                int at = -1;
                for (int k = 0; k < fit.size(); k++) {
                    if (fit.get(k).name.equals(step.op)) {
                        at = k;
                    }
                }
                long code = at + (long) fit.size() * step.p;
                if (at < 0 || code > Integer.MAX_VALUE) {
                    continue;
                }
                cur = fit.get(at).body.apply(cur, step.p, 1000L * codes.size() + code);
                codes.add((int) code);
            }
        }
        return new Program(shape, List.copyOf(codes), maxNumel);
    }

    private static List<Op> fitting(long[] sh, boolean smoothOnly, long maxNumel) {
        List<Op> fit = new ArrayList<>();
        for (Op op : OPS) {
            if ((op.smooth || !smoothOnly) && op.fits.test(sh) && grownSize(op, sh) <= Math.max(maxNumel, numel(sh))) {
                fit.add(op);
            }
        }
        return fit;
    }

    private Tensor run(Tensor x, boolean smoothOnly, List<String> names) {
        Tensor cur = x;
        for (int i = 0; i < codes.size(); i++) {
            int code = codes.get(i);
            List<Op> fit = fitting(cur.shape(), smoothOnly, maxNumel);
            Op op = fit.get(code % fit.size());
            int p = code / fit.size();
            if (names != null) {
                names.add(op.name + "#" + p);
            }
            cur = op.body.apply(cur, p, 1000L * i + code);
        }
        return cur;
    }

    /** Upper bound of the result's element count for the ops that grow a tensor. */
    private static long grownSize(Op op, long[] sh) {
        long n = numel(sh);
        return switch (op.name) {
            case "expand-new-dim", "expand-size1", "cat", "stack", "B@x batched", "index_select", "x@W", "W@x",
                 "x.T@W.T", "binary-const-bcast", "pow(x^2+1,c)", "maximum-const" -> 3 * Math.max(n, 1);
            case "x@x.mT" -> Math.max(n, 1) * maxDim(sh);
            default -> n;
        };
    }

    static long numel(long[] s) {
        long n = 1;
        for (long d : s) {
            n *= d;
        }
        return n;
    }

    private static long maxDim(long[] s) {
        long m = 1;
        for (long d : s) {
            m = Math.max(m, d);
        }
        return m;
    }

    private static int rank(long[] s) {
        return s.length;
    }

    /** A constant (not differentiated) of the given shape and the input's dtype. */
    static Tensor constant(Tensor like, long seed, long... shape) {
        return Tensor.random(seed, true, like.dtype(), shape);
    }

    /** A shape that broadcasts against {@code s}: some dims set to 1, leading dims dropped or one added. */
    static long[] broadcastable(long[] s, int p) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < s.length; i++) {
            out.add(((p >> i) & 1) == 1 ? 1L : s[i]);
        }
        int drop = (p >> 5) % (s.length + 1);
        if (((p >> 4) & 1) == 1 && s.length < MAX_RANK) {
            out.add(0, 2L);     // the result gains a leading dim
        } else {
            for (int i = 0; i < drop && !out.isEmpty(); i++) {
                out.remove(0);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    static int dim(long[] s, int p) {
        return p % s.length;
    }

    static boolean hasDim(long[] s, long size) {
        for (long d : s) {
            if (d == size) {
                return true;
            }
        }
        return false;
    }

    static Op smooth(String name, Predicate<long[]> fits, Body b) {
        return new Op(name, true, fits, b);
    }

    static Op kinked(String name, Predicate<long[]> fits, Body b) {
        return new Op(name, false, fits, b);
    }

    static final Predicate<long[]> ANY = s -> true;
    static final Predicate<long[]> RANK1 = s -> s.length >= 1;
    static final Predicate<long[]> RANK2 = s -> s.length >= 2;
    static final Predicate<long[]> NONEMPTY_RANK1 = s -> s.length >= 1 && numel(s) > 0;

    static final List<Op> OPS = List.of(
        // ---------------------------------------------------------------- unary
        smooth("sin", ANY, (x, p, r) -> x.sin()),
        smooth("cos", ANY, (x, p, r) -> x.cos()),
        smooth("tanh", ANY, (x, p, r) -> x.tanh()),
        smooth("sigmoid", ANY, (x, p, r) -> x.sigmoid()),
        smooth("exp(tanh)", ANY, (x, p, r) -> x.tanh().exp()),
        smooth("log(x^2+1)", ANY, (x, p, r) -> x.square().add(1).log()),
        smooth("sqrt(x^2+0.5)", ANY, (x, p, r) -> x.square().add(0.5).sqrt()),
        smooth("1/(x^2+1)", ANY, (x, p, r) -> x.square().add(1).reciprocal()),
        smooth("rsqrt(x^2+1)", ANY, (x, p, r) -> x.square().add(1).rsqrt()),
        smooth("atan", ANY, (x, p, r) -> x.atan()),
        smooth("erf", ANY, (x, p, r) -> x.erf()),
        smooth("softplus", ANY, (x, p, r) -> x.softplus()),
        smooth("silu", ANY, (x, p, r) -> x.silu()),
        smooth("gelu", ANY, (x, p, r) -> x.gelu()),
        smooth("gelu(tanh)", ANY, (x, p, r) -> x.gelu(true)),
        smooth("elu", ANY, (x, p, r) -> x.elu()),
        smooth("asinh", ANY, (x, p, r) -> x.asinh()),
        smooth("expm1(tanh)", ANY, (x, p, r) -> x.tanh().expm1()),
        smooth("log1p(x^2)", ANY, (x, p, r) -> x.square().log1p()),
        smooth("pow(x^2+1,1.5)", ANY, (x, p, r) -> x.square().add(1).pow(1.5)),
        smooth("cube", ANY, (x, p, r) -> x.mul(0.7).pow(3)),
        smooth("2-x/2", ANY, (x, p, r) -> x.mul(0.5).rsub(2)),
        smooth("2^tanh", ANY, (x, p, r) -> x.tanh().rpow(2)),
        kinked("abs", ANY, (x, p, r) -> x.abs()),
        kinked("relu", ANY, (x, p, r) -> x.relu()),
        kinked("leaky_relu", ANY, (x, p, r) -> x.leakyRelu(0.1)),
        kinked("clamp", ANY, (x, p, r) -> x.clamp(-0.5, 0.7)),
        // ---------------------------------------------------------------- binary
        smooth("binary-const-bcast", ANY, (x, p, r) -> {
            Tensor c = constant(x, r, broadcastable(x.shape(), p / 4));
            return switch (p % 4) {
                case 0 -> x.add(c);
                case 1 -> c.sub(x);
                case 2 -> x.mul(c);
                default -> x.div(c.square().add(1));
            };
        }),
        smooth("x*sin(x)", ANY, (x, p, r) -> x.mul(x.sin())),
        smooth("x/(x^2+1)", ANY, (x, p, r) -> x.div(x.square().add(1))),
        smooth("x+sum(x,d,keep)", RANK1, (x, p, r) -> x.add(x.sum(dim(x.shape(), p), true))),
        smooth("x*mean(x,d,keep)", RANK1, (x, p, r) -> x.mul(x.mean(dim(x.shape(), p), true))),
        smooth("pow(x^2+1,c)", ANY, (x, p, r) -> x.square().add(1)
                .pow(constant(x, r, broadcastable(x.shape(), p)).mul(0.5))),
        kinked("maximum-const", ANY, (x, p, r) -> x.maximum(constant(x, r, broadcastable(x.shape(), p)))),
        kinked("minimum-self", ANY, (x, p, r) -> x.minimum(x.sin())),
        kinked("where(x>0)", ANY, (x, p, r) -> Tensor.where(x.gt(0), x, x.mul(0.1))),
        // ---------------------------------------------------------------- reductions
        smooth("sum(d)", RANK1, (x, p, r) -> x.sum(dim(x.shape(), p), (p / 4) % 2 == 1)),
        smooth("sum()", ANY, (x, p, r) -> x.sum()),
        smooth("mean(d)", NONEMPTY_RANK1, (x, p, r) -> x.mean(dim(x.shape(), p), (p / 4) % 2 == 1)),
        smooth("prod(d)", s -> s.length >= 1 && s[0] <= 4, (x, p, r) -> x.prod(0, p % 2 == 1)),
        smooth("logsumexp(d)", NONEMPTY_RANK1, (x, p, r) -> x.logsumexp(dim(x.shape(), p), (p / 4) % 2 == 1)),
        smooth("var(d)", NONEMPTY_RANK1, (x, p, r) -> x.var(new int[] {dim(x.shape(), p)}, false, p / 4 % 2 == 1)),
        smooth("norm(d)+1", NONEMPTY_RANK1, (x, p, r) -> x.add(1.5).norm(new int[] {dim(x.shape(), p)}, false)),
        smooth("softmax(d)", RANK1, (x, p, r) -> x.softmax(dim(x.shape(), p))),
        smooth("log_softmax(d)", RANK1, (x, p, r) -> x.logSoftmax(dim(x.shape(), p))),
        kinked("amax(d)", NONEMPTY_RANK1, (x, p, r) -> x.amax(dim(x.shape(), p), (p / 4) % 2 == 1)),
        kinked("amin(d)", NONEMPTY_RANK1, (x, p, r) -> x.amin(dim(x.shape(), p), (p / 4) % 2 == 1)),
        // ---------------------------------------------------------------- matmul
        smooth("x@W", RANK1, (x, p, r) -> x.matmul(constant(x, r, x.size(-1), 1 + p % 3))),
        smooth("x@w (vector)", RANK1, (x, p, r) -> x.matmul(constant(x, r, x.size(-1)))),
        smooth("W@x", RANK2, (x, p, r) -> constant(x, r, 1 + p % 3, x.size(-2)).matmul(x)),
        smooth("x@x.mT", RANK2, (x, p, r) -> x.matmul(x.mT())),
        smooth("B@x batched", s -> s.length == 2, (x, p, r) -> constant(x, r, 2, 1 + p % 2, x.size(0)).matmul(x)),
        smooth("x.T@W.T", RANK2, (x, p, r) -> x.mT().matmul(constant(x, r, 1 + p % 2, x.size(-2)).mT())),
        // ---------------------------------------------------------------- views
        smooth("transpose", RANK2, (x, p, r) -> x.transpose(p % x.dim(), (p / 4 + 1 + p % x.dim()) % x.dim())),
        smooth("mT", RANK2, (x, p, r) -> x.mT()),
        smooth("permute", s -> s.length >= 3, (x, p, r) -> x.permute(p % 2 == 0 ? rotate(x.dim()) : reverse(x.dim()))),
        smooth("slice-step2", RANK1, (x, p, r) -> x.slice(dim(x.shape(), p), (p / 4) % 2, Long.MAX_VALUE, 2)),
        smooth("slice", RANK1, (x, p, r) -> x.slice(dim(x.shape(), p), 1, -1 + 0L * p)),
        smooth("select", s -> s.length >= 1 && numel(s) > 0,
                (x, p, r) -> { int d = dim(x.shape(), p); return x.select(d, -1 - (p / 4) % x.size(d)); }),
        smooth("unsqueeze", s -> s.length < MAX_RANK, (x, p, r) -> x.unsqueeze(p % (x.dim() + 1))),
        smooth("squeeze", s -> hasDim(s, 1), (x, p, r) -> x.squeeze()),
        smooth("expand-new-dim", s -> s.length < MAX_RANK, (x, p, r) -> x.unsqueeze(0).expand(withFirst(3, x.shape()))),
        smooth("expand-size1", s -> hasDim(s, 1), (x, p, r) -> x.expand(expandOnes(x.shape(), 3))),
        smooth("reshape(-1)", ANY, (x, p, r) -> x.reshape(-1)),
        smooth("reshape(2,-1)", s -> numel(s) % 2 == 0 && numel(s) > 0, (x, p, r) -> x.reshape(2, -1)),
        smooth("contiguous", ANY, (x, p, r) -> x.contiguous()),
        smooth("index_select", s -> s.length >= 1 && numel(s) > 0, (x, p, r) -> {
            int d = dim(x.shape(), p);
            long n = x.size(d);
            return x.indexSelect(d, Tensor.of(new long[] {(p / 4) % n, n - 1, 0}, 3));
        }),
        smooth("cat", RANK1, (x, p, r) -> Tensor.cat(dim(x.shape(), p), x, x.sin())),
        smooth("stack", s -> s.length < MAX_RANK, (x, p, r) -> Tensor.stack(p % (x.dim() + 1), x, x.cos()))
    );

    static int[] rotate(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = (i + 1) % n;
        }
        return r;
    }

    static int[] reverse(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = n - 1 - i;
        }
        return r;
    }

    static long[] withFirst(long first, long[] s) {
        long[] r = new long[s.length + 1];
        r[0] = first;
        System.arraycopy(s, 0, r, 1, s.length);
        return r;
    }

    static long[] expandOnes(long[] s, long to) {
        long[] r = s.clone();
        for (int i = 0; i < r.length; i++) {
            if (r[i] == 1) {
                r[i] = to;
            }
        }
        return r;
    }

    @Override
    public String toString() {
        return "Program" + Arrays.toString(shape) + codes;
    }
}
