package dev.tangent.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.functional.Functional;
import dev.tangent.nn.F;
import dev.tangent.functional.GradCheck;
import dev.tangent.functional.GradCheckException;
import dev.tangent.engine.Dispatch;
import dev.tangent.engine.Node;
import dev.tangent.engine.Tape;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link GradCheck} (forward mode and reverse mode against central finite differences, PyTorch's
 * default tolerances) applied to every primitive of {@link Prim}, on seeded random float64 inputs
 * inside each primitive's domain and away from its kinks, with broadcasting shapes, several
 * reduction layouts and non-contiguous views. Also checks that GradCheck rejects a wrong gradient.
 */
class GradCheckTest {

    /** A gradcheck case: the primitives it exercises, the function and its inputs. */
    record Case(String name, Set<Prim> prims, Function<Value, Value> f, Supplier<Value> inputs) {}

    // ------------------------------------------------------------------ inputs

    /** Uniform values in [lo, hi] that stay at least 0.05 away from each point in {@code avoid}. */
    static Tensor u(long seed, double lo, double hi, double[] avoid, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1;
        for (long s : shape) {
            n *= (int) s;
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            double x;
            boolean ok;
            do {
                x = lo + (hi - lo) * r.nextDouble();
                ok = true;
                for (double a : avoid) {
                    ok &= Math.abs(x - a) >= 0.05;
                }
            } while (!ok);
            d[i] = x;
        }
        return Tensor.of(d, shape);
    }

    static Tensor u(long seed, double lo, double hi, long... shape) {
        return u(seed, lo, hi, new double[0], shape);
    }

    static Tensor randn(long seed, long... shape) {
        return u(seed, -2, 2, shape);
    }

    static double[] avoid(double... xs) {
        return xs;
    }

    static Tensor idx(long... v) {
        return Tensor.of(v, v.length);
    }

    private static Function<Value, Value> f1(Function<Tensor, Value> f) {
        return v -> f.apply((Tensor) v);
    }

    private static Function<Value, Value> f2(java.util.function.BiFunction<Tensor, Tensor, Value> f) {
        return v -> f.apply(((Tuple) v).get(0), ((Tuple) v).get(1));
    }

    private static Function<Value, Value> f3(TriFunction f) {
        return v -> f.apply(((Tuple) v).get(0), ((Tuple) v).get(1), ((Tuple) v).get(2));
    }

    interface TriFunction {
        Value apply(Tensor a, Tensor b, Tensor c);
    }

    private static Set<Prim> p(Prim... ps) {
        return ps.length == 0 ? EnumSet.noneOf(Prim.class) : EnumSet.of(ps[0], ps);
    }

    // ------------------------------------------------------------------ cases

    static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        long[] s34 = {3, 4};
        // Unary primitives, each on inputs in its domain, away from kinks.
        record U(Prim p, double lo, double hi, double[] avoid, Function<Tensor, Tensor> f) {}
        List<U> unary = List.of(
                new U(Prim.NEG, -2, 2, avoid(), Tensor::neg),
                new U(Prim.ABS, -2, 2, avoid(0), Tensor::abs),
                new U(Prim.SIGN, -2, 2, avoid(0), x -> x.sign().mul(x)),
                new U(Prim.EXP, -2, 2, avoid(), Tensor::exp),
                new U(Prim.EXPM1, -2, 2, avoid(), Tensor::expm1),
                new U(Prim.LOG, 0.2, 3, avoid(), Tensor::log),
                new U(Prim.LOG1P, -0.8, 2, avoid(), Tensor::log1p),
                new U(Prim.SQRT, 0.2, 3, avoid(), Tensor::sqrt),
                new U(Prim.RSQRT, 0.2, 3, avoid(), Tensor::rsqrt),
                new U(Prim.RECIPROCAL, -2, 2, avoid(-0.25, -0.15, 0, 0.15, 0.25), Tensor::reciprocal),
                new U(Prim.SQUARE, -2, 2, avoid(), Tensor::square),
                new U(Prim.SIN, -3, 3, avoid(), Tensor::sin),
                new U(Prim.COS, -3, 3, avoid(), Tensor::cos),
                new U(Prim.TAN, -1.2, 1.2, avoid(), Tensor::tan),
                new U(Prim.ASIN, -0.9, 0.9, avoid(), Tensor::asin),
                new U(Prim.ACOS, -0.9, 0.9, avoid(), Tensor::acos),
                new U(Prim.ATAN, -3, 3, avoid(), Tensor::atan),
                new U(Prim.SINH, -2, 2, avoid(), Tensor::sinh),
                new U(Prim.COSH, -2, 2, avoid(), Tensor::cosh),
                new U(Prim.TANH, -2, 2, avoid(), Tensor::tanh),
                new U(Prim.ASINH, -3, 3, avoid(), Tensor::asinh),
                new U(Prim.ACOSH, 1.1, 3, avoid(), Tensor::acosh),
                new U(Prim.ATANH, -0.9, 0.9, avoid(), Tensor::atanh),
                new U(Prim.ERF, -2, 2, avoid(), Tensor::erf),
                new U(Prim.SIGMOID, -3, 3, avoid(), Tensor::sigmoid),
                new U(Prim.RELU, -2, 2, avoid(0), Tensor::relu),
                new U(Prim.LEAKY_RELU, -2, 2, avoid(0), x -> x.leakyRelu(0.2)),
                new U(Prim.ELU, -2, 2, avoid(0), x -> x.elu(1.3)),
                new U(Prim.GELU, -3, 3, avoid(), Tensor::gelu),
                new U(Prim.GELU_TANH, -3, 3, avoid(), x -> x.gelu(true)),
                new U(Prim.SILU, -3, 3, avoid(), Tensor::silu),
                new U(Prim.SOFTPLUS, -3, 3, avoid(), Tensor::softplus),
                // beta 2, threshold 1.5: beta*x crosses the threshold at x = 0.75 (linear above)
                new U(Prim.SOFTPLUS, -2, 2, avoid(0.75), x -> x.softplus(2.0, 1.5)),
                new U(Prim.CLAMP, -1, 1, avoid(-0.5, 0.7), x -> x.clamp(-0.5, 0.7)),
                new U(Prim.CLAMP, -1, 1, avoid(-0.2), x -> x.clampMin(-0.2)),
                new U(Prim.POW_SCALAR, 0.2, 2, avoid(), x -> x.pow(2.5)),
                new U(Prim.POW_SCALAR, -2, 2, avoid(), x -> x.pow(3.0)),
                new U(Prim.POW_SCALAR, 0.3, 2, avoid(), x -> x.pow(-1.5)),
                new U(Prim.POW_SCALAR, -2, 2, avoid(), x -> x.pow(0.0).add(x)));
        int seed = 100;
        for (U un : unary) {
            long sd = seed++;
            cs.add(new Case("unary " + un.p().opName() + " #" + sd, p(un.p()), f1(x -> un.f().apply(x)),
                    () -> u(sd, un.lo(), un.hi(), un.avoid(), s34)));
        }
        // A unary primitive on a non-contiguous (transposed) view.
        cs.add(new Case("exp of a transposed view", p(Prim.EXP, Prim.PERMUTE), f1(x -> x.T().exp()),
                () -> randn(7, s34)));

        // Binary primitives with broadcasting.
        long[][][] shapes = {{{3, 1}, {1, 4}}, {{2, 3, 4}, {4}}, {{3, 4}, {3, 4}}, {{}, {3}}, {{2, 1, 4}, {3, 1}}};
        record B(Prim p, java.util.function.BiFunction<Tensor, Tensor, Tensor> f, double alo, double ahi,
                 double blo, double bhi, double[] bavoid) {}
        List<B> binary = List.of(
                new B(Prim.ADD, Tensor::add, -2, 2, -2, 2, avoid()),
                new B(Prim.SUB, Tensor::sub, -2, 2, -2, 2, avoid()),
                new B(Prim.MUL, Tensor::mul, -2, 2, -2, 2, avoid()),
                new B(Prim.DIV, Tensor::div, -2, 2, -2, 2, avoid(-0.3, -0.2, 0, 0.2, 0.3)),
                new B(Prim.POW, Tensor::pow, 0.3, 2, -2, 2, avoid()),
                new B(Prim.MAXIMUM, Tensor::maximum, -2, 2, -2, 2, avoid()),
                new B(Prim.MINIMUM, Tensor::minimum, -2, 2, -2, 2, avoid()));
        for (B b : binary) {
            for (long[][] sh : shapes) {
                long sd = seed++;
                cs.add(new Case("binary " + b.p().opName() + " " + java.util.Arrays.toString(sh[0]) + "x"
                        + java.util.Arrays.toString(sh[1]), p(b.p()), f2((x, y) -> b.f().apply(x, y)),
                        () -> Tuple.of(u(sd, b.alo(), b.ahi(), sh[0]), u(sd + 1000, b.blo(), b.bhi(), b.bavoid(), sh[1]))));
            }
        }
        cs.add(new Case("scalar operands and rsub/rdiv", p(Prim.MUL, Prim.ADD, Prim.SUB, Prim.DIV),
                f1(x -> x.mul(3.0).add(1.5).rsub(2.0).add(x.rdiv(2.0))), () -> u(11, 0.5, 2, s34)));
        cs.add(new Case("binary on transposed operands", p(Prim.MUL, Prim.PERMUTE),
                f2((x, y) -> x.T().mul(y)), () -> Tuple.of(randn(12, 4, 3), randn(13, 3, 4))));

        // where, with a broadcast mask from a comparison, and every comparison as a mask.
        cs.add(new Case("where broadcast", p(Prim.WHERE, Prim.GT, Prim.SIN, Prim.MUL),
                f3((m, a, b) -> Tensor.where(m.gt(0.0), a.sin(), b.mul(m))),
                () -> Tuple.of(u(14, -1, 1, avoid(0), 3, 1), randn(15, 3, 4), randn(16, 1, 4))));
        cs.add(new Case("where with scalar branch", p(Prim.WHERE, Prim.LT),
                f1(x -> Tensor.where(x.lt(0.3), x.mul(x), 0.5)), () -> u(17, -1, 1, avoid(0.3), s34)));
        record Cmp(Prim p, Function<Tensor, Tensor> mask) {}
        Tensor.class.getName();
        List<Cmp> cmps = List.of(
                new Cmp(Prim.GT, x -> x.gt(0.1)), new Cmp(Prim.GE, x -> x.ge(0.1)),
                new Cmp(Prim.LT, x -> x.lt(0.1)), new Cmp(Prim.LE, x -> x.le(0.1)),
                new Cmp(Prim.EQ, x -> idx(0, 1, 2, 1).eq(1.0)), new Cmp(Prim.NE, x -> idx(0, 1, 2, 1).ne(1.0)));
        for (Cmp c : cmps) {
            cs.add(new Case("mask from " + c.p().opName(), p(c.p(), Prim.WHERE, Prim.CAST),
                    f1(x -> Tensor.where(c.mask().apply(x), x.sin(), x.cos()).add(x.mul(c.mask().apply(x).toDouble()))),
                    () -> u(18, -1, 1, avoid(0.1), 3, 4)));
        }

        // Reductions: one dim, several dims, all, keepdim, negative dim.
        record R(Prim p, double lo, double hi, double[] avoid) {}
        List<R> reds = List.of(new R(Prim.SUM, -2, 2, avoid()), new R(Prim.PROD, -1.5, 1.5, avoid(0)),
                new R(Prim.AMAX, -2, 2, avoid()), new R(Prim.AMIN, -2, 2, avoid()));
        record L(String what, int[] dims, boolean keep) {}
        List<L> layouts = List.of(new L("dim 1", new int[] {1}, false), new L("dims 0,2", new int[] {0, 2}, false),
                new L("all", new int[] {0, 1, 2}, false), new L("dim -1 keepdim", new int[] {-1}, true),
                new L("dims 0,1 keepdim", new int[] {0, 1}, true));
        for (R r : reds) {
            for (L l : layouts) {
                long sd = seed++;
                Function<Tensor, Value> f = switch (r.p()) {
                    case SUM -> x -> x.sum(l.dims(), l.keep());
                    case PROD -> x -> x.prod(l.dims(), l.keep());
                    case AMAX -> x -> x.amax(l.dims(), l.keep());
                    default -> x -> x.amin(l.dims(), l.keep());
                };
                cs.add(new Case(r.p().opName() + " " + l.what(), p(r.p()), f1(f), () -> u(sd, r.lo(), r.hi(), r.avoid(), 2, 3, 4)));
            }
        }
        cs.add(new Case("sum() and prod() of all", p(Prim.SUM, Prim.PROD), f1(x -> Tuple.of(x.sum(), x.prod())),
                () -> u(19, 0.5, 1.5, 2, 3)));
        cs.add(new Case("sum over dims of a transposed view", p(Prim.SUM, Prim.PERMUTE),
                f1(x -> x.transpose(0, 2).sum(new int[] {0, 1}, false)), () -> randn(20, 2, 3, 4)));
        cs.add(new Case("mean, var, std, norm, logsumexp", p(Prim.SUM, Prim.DIV, Prim.VAR, Prim.STD, Prim.NORM, Prim.LOGSUMEXP),
                f1(x -> Tuple.of(x.mean(1), x.var(new int[] {0, 2}, true, true), x.std(-1), x.norm(),
                        x.logsumexp(new int[] {1, 2}, false))), () -> randn(21, 2, 3, 4)));
        // The reductions with PyTorch's own derivative formulas, over the same layouts, biased and not,
        // and over everything with dim=None (var(), std()).
        for (L l : layouts) {
            long sd = seed++;
            cs.add(new Case("logsumexp " + l.what(), p(Prim.LOGSUMEXP), f1(x -> x.logsumexp(l.dims(), l.keep())),
                    () -> randn(sd, 2, 3, 4)));
            cs.add(new Case("norm " + l.what(), p(Prim.NORM), f1(x -> x.norm(l.dims(), l.keep())), () -> randn(sd, 2, 3, 4)));
            cs.add(new Case("var " + l.what(), p(Prim.VAR), f1(x -> x.var(l.dims(), true, l.keep())), () -> randn(sd, 2, 3, 4)));
            cs.add(new Case("var biased " + l.what(), p(Prim.VAR), f1(x -> x.var(l.dims(), false, l.keep())),
                    () -> randn(sd, 2, 3, 4)));
            cs.add(new Case("std " + l.what(), p(Prim.STD), f1(x -> x.std(l.dims(), true, l.keep())), () -> randn(sd, 2, 3, 4)));
        }
        cs.add(new Case("var() and std() of everything", p(Prim.VAR, Prim.STD), f1(x -> Tuple.of(x.var(), x.std())),
                () -> randn(90, 3, 4)));
        cs.add(new Case("logsumexp, norm, var of a transposed view", p(Prim.LOGSUMEXP, Prim.NORM, Prim.VAR, Prim.PERMUTE),
                f1(x -> Tuple.of(x.T().logsumexp(0), x.T().norm(new int[] {1}, true), x.T().var(-1))),
                () -> randn(91, 3, 4)));

        // Softmax family.
        for (int d : new int[] {0, 1, -1}) {
            long sd = seed++;
            cs.add(new Case("softmax dim " + d, p(Prim.SOFTMAX), f1(x -> x.softmax(d)), () -> randn(sd, 2, 3, 4)));
            cs.add(new Case("log_softmax dim " + d, p(Prim.LOG_SOFTMAX), f1(x -> x.logSoftmax(d)), () -> randn(sd, 2, 3, 4)));
        }
        cs.add(new Case("softmax of a transposed view", p(Prim.SOFTMAX, Prim.PERMUTE), f1(x -> x.T().softmax(-1)),
                () -> randn(22, 3, 4)));

        // matmul: 2-D, batched, broadcast batch, 1-D on either side, transposed operand.
        long[][][] mm = {{{3, 4}, {4, 5}}, {{2, 3, 4}, {2, 4, 5}}, {{2, 3, 4}, {4, 5}}, {{4, 5}, {2, 5, 3}},
                {{2, 1, 3, 4}, {3, 4, 2}}, {{4}, {4}}, {{4}, {4, 5}}, {{3, 4}, {4}}, {{2, 3, 4}, {4}}, {{4}, {2, 4, 3}}};
        for (long[][] sh : mm) {
            long sd = seed++;
            cs.add(new Case("matmul " + java.util.Arrays.toString(sh[0]) + "@" + java.util.Arrays.toString(sh[1]),
                    p(Prim.MATMUL), f2(Tensor::matmul), () -> Tuple.of(randn(sd, sh[0]), randn(sd + 1000, sh[1]))));
        }
        cs.add(new Case("matmul of transposed operands", p(Prim.MATMUL, Prim.PERMUTE),
                f2((a, b) -> a.T().matmul(b.mT())), () -> Tuple.of(randn(23, 4, 3), randn(24, 5, 4))));

        // Views on non-contiguous inputs.
        cs.add(new Case("reshape view", p(Prim.RESHAPE), f1(x -> x.reshape(4, 3).mul(x.reshape(4, 3))), () -> randn(25, s34)));
        cs.add(new Case("reshape of a transposed view (copy)", p(Prim.RESHAPE, Prim.CONTIGUOUS, Prim.PERMUTE),
                f1(x -> x.T().reshape(2, 6).sin()), () -> randn(26, s34)));
        cs.add(new Case("permute", p(Prim.PERMUTE), f1(x -> x.permute(2, 0, 1).mul(x.permute(2, 0, 1))), () -> randn(27, 2, 3, 4)));
        cs.add(new Case("expand", p(Prim.EXPAND), f1(x -> x.expand(2, 3, 4).mul(u(28, -1, 1, 2, 3, 4))), () -> randn(29, 3, 1)));
        cs.add(new Case("expand of a transposed view", p(Prim.EXPAND, Prim.PERMUTE),
                f1(x -> x.T().unsqueeze(0).expand(2, 4, 3).sin()), () -> randn(30, 3, 4)));
        cs.add(new Case("slice with step of a transposed view", p(Prim.SLICE, Prim.PERMUTE),
                f1(x -> x.T().slice(0, 1, 4, 2).slice(1, -2, 3).exp()), () -> randn(31, 3, 4)));
        cs.add(new Case("select of a transposed view", p(Prim.SLICE, Prim.RESHAPE, Prim.PERMUTE),
                f1(x -> x.T().select(1, -1).mul(x.get(1))), () -> randn(32, 4, 4)));
        cs.add(new Case("squeeze, unsqueeze, flatten of a transposed view", p(Prim.RESHAPE, Prim.PERMUTE, Prim.CONTIGUOUS),
                f1(x -> x.transpose(0, 2).unsqueeze(1).squeeze(1).flatten(0, 1).squeeze().unsqueeze(-1).flatten().cos()),
                () -> randn(33, 2, 1, 4)));
        cs.add(new Case("contiguous", p(Prim.CONTIGUOUS, Prim.PERMUTE), f1(x -> x.T().contiguous().mul(u(34, -1, 1, 4, 3))),
                () -> randn(35, 3, 4)));
        cs.add(new Case("slice_scatter", p(Prim.SLICE_SCATTER),
                f1(x -> Dispatch.apply(Prim.SLICE_SCATTER, new Attrs.SliceScatter(new Attrs.Slice(1, 1, 5, 2), new long[] {3, 5}), x).sin()), () -> randn(36, 3, 2)));

        // Casts and devices.
        cs.add(new Case("cast float64 -> float64", p(Prim.CAST),
                f1(x -> Dispatch.apply(Prim.CAST, new Attrs.Cast(DType.FLOAT64), x).mul(x)), () -> randn(37, s34)));
        cs.add(new Case("to_device cpu -> cpu", p(Prim.TO_DEVICE),
                f1(x -> Dispatch.apply(Prim.TO_DEVICE, new Attrs.Transfer(Device.cpu()), x.T()).mul(x.T())),
                () -> randn(38, s34)));

        // Gathering, scattering, indexing, concatenation.
        cs.add(new Case("index_select with repeats and a negative index", p(Prim.INDEX_SELECT, Prim.PERMUTE),
                f1(x -> x.T().indexSelect(1, idx(2, 0, 2, -1)).sin()), () -> randn(39, 3, 4)));
        cs.add(new Case("index_add", p(Prim.INDEX_ADD),
                f1(x -> Dispatch.apply(Prim.INDEX_ADD, new Attrs.Scatter(0, new long[] {3, 4}), x, idx(2, 0, 2, 1, 2)).sin()), () -> randn(40, 5, 4)));
        cs.add(new Case("gather with repeats", p(Prim.GATHER),
                f1(x -> x.gather(1, Tensor.of(new long[] {0, 0, 3, 2, 1, 2}, 3, 2)).exp()), () -> randn(41, s34)));
        cs.add(new Case("gather dim 0 of a transposed view", p(Prim.GATHER, Prim.PERMUTE),
                f1(x -> x.T().gather(0, Tensor.of(new long[] {3, 0, 1, 3, 2, 2}, 2, 3)).exp()), () -> randn(42, 3, 4)));
        cs.add(new Case("scatter_add", p(Prim.SCATTER_ADD),
                f1(x -> Dispatch.apply(Prim.SCATTER_ADD, new Attrs.Scatter(1, new long[] {3, 4}), x, Tensor.of(new long[] {0, 0, 3, 2, 1, 2}, 3, 2)).sin()),
                () -> randn(43, 3, 2)));
        cs.add(new Case("advanced index", p(Prim.INDEX_SELECT, Prim.RESHAPE),
                f1(x -> x.index(idx(0, 2, 2, -1), idx(1, -1, 0, 0)).mul(2.0).exp()), () -> randn(44, 3, 4, 2)));
        cs.add(new Case("advanced index, broadcast index shapes", p(Prim.INDEX_SELECT, Prim.RESHAPE),
                f1(x -> x.index(Tensor.of(new long[] {0, 2}, 2, 1), idx(1, 3, 3)).sin()), () -> randn(45, 3, 4)));
        cs.add(new Case("cat of three along dim 0", p(Prim.CAT), f3((a, b, c) -> Tensor.cat(0, a, b.sin(), c)),
                () -> Tuple.of(randn(46, 2, 3), randn(47, 1, 3), randn(48, 3, 3))));
        cs.add(new Case("cat along dim 1 of transposed views", p(Prim.CAT, Prim.PERMUTE),
                f2((a, b) -> Tensor.cat(1, a.T(), b).exp()), () -> Tuple.of(randn(49, 2, 3), randn(50, 3, 4))));
        cs.add(new Case("stack dim 1", p(Prim.CAT, Prim.RESHAPE), f2((a, b) -> Tensor.stack(1, a, a.mul(b), b)),
                () -> Tuple.of(randn(51, 2, 3), randn(52, 2, 3))));

        // Convolution and pooling (F, the torch.nn.functional counterpart): strides, padding,
        // dilation, groups, odd sizes, non-contiguous inputs; second order via gradgradcheck below.
        cs.add(new Case("conv2d stride 2 padding 1 with bias", p(Prim.CONV2D, Prim.ADD),
                f3((x, w, b) -> F.conv2d(x, w, b, 2, 1, 1, 1)),
                () -> Tuple.of(randn(60, 2, 3, 5, 6), randn(61, 4, 3, 3, 3), randn(62, 4))));
        cs.add(new Case("conv2d groups 2, dilation, rectangular, odd sizes", p(Prim.CONV2D),
                f2((x, w) -> F.conv2d(x, w, null, new long[] {1, 2}, new long[] {1, 2}, new long[] {2, 1}, 2).tanh()),
                () -> Tuple.of(randn(63, 1, 4, 7, 5), randn(64, 6, 2, 2, 3))));
        cs.add(new Case("conv2d of a transposed input", p(Prim.CONV2D, Prim.PERMUTE),
                f2((x, w) -> F.conv2d(x.transpose(2, 3), w, null, 1, 1, 1, 1)),
                () -> Tuple.of(randn(65, 1, 2, 4, 3), randn(66, 3, 2, 2, 2))));
        cs.add(new Case("conv1d stride 2 padding 1", p(Prim.CONV2D, Prim.RESHAPE),
                f2((x, w) -> F.conv1d(x, w, null, 2, 1, 1, 1)), () -> Tuple.of(randn(67, 2, 3, 9), randn(68, 2, 3, 3))));
        cs.add(new Case("conv_transpose2d stride 2, output padding", p(Prim.CONV2D_INPUT_GRAD, Prim.ADD),
                f3((x, w, b) -> F.convTranspose2d(x, w, b, new long[] {2, 2}, new long[] {1, 0}, new long[] {1, 0}, 1,
                        new long[] {1, 1})),
                () -> Tuple.of(randn(69, 1, 3, 4, 3), randn(70, 3, 2, 3, 2), randn(71, 2))));
        cs.add(new Case("conv2d weight gradient", p(Prim.CONV2D_WEIGHT_GRAD),
                f2((x, g) -> Dispatch.apply(Prim.CONV2D_WEIGHT_GRAD, new Attrs.ConvGrad(new Attrs.Conv(new long[] {2, 1},
                        new long[] {1, 0}, new long[] {1, 1}, 1), new long[] {2, 3, 2, 3}), x, g)),
                () -> Tuple.of(randn(72, 2, 3, 5, 4), randn(73, 2, 2, 3, 2))));
        cs.add(new Case("max_pool2d 3x3 stride 2 padding 1 ceil mode", p(Prim.MAX_POOL2D, Prim.MAX_POOL2D_INDICES),
                f1(x -> F.maxPool2d(x, new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1}, new long[] {1, 1}, true)),
                () -> randn(74, 1, 2, 7, 6)));
        cs.add(new Case("max_pool1d dilation 2", p(Prim.MAX_POOL2D, Prim.RESHAPE),
                f1(x -> F.maxPool1d(x, 2, 2, 1, 2, false).exp()), () -> randn(75, 2, 2, 9)));
        cs.add(new Case("avg_pool2d padding excluded, ceil mode", p(Prim.AVG_POOL2D),
                f1(x -> F.avgPool2d(x, new long[] {3, 2}, new long[] {2, 2}, new long[] {1, 1}, true, false, 0).sin()),
                () -> randn(76, 2, 1, 7, 5)));
        cs.add(new Case("avg_pool2d gradient, divisor override", p(Prim.AVG_POOL2D_GRAD),
                f1(g -> Dispatch.apply(Prim.AVG_POOL2D_GRAD, new Attrs.PoolGrad(new Attrs.Pool(new long[] {2, 2},
                        new long[] {2, 1}, new long[] {1, 0}, new long[] {1, 1}, false, true, 3), new long[] {1, 2, 4, 3}), g)),
                () -> randn(77, 1, 2, 3, 2)));
        cs.add(new Case("adaptive_avg_pool2d to 3x2 of a transposed input", p(Prim.MATMUL, Prim.PERMUTE),
                f1(x -> F.adaptiveAvgPool2d(x.transpose(2, 3), 3, 2).cos()), () -> randn(78, 1, 2, 7, 5)));

        // Tuple in, tuple out.
        cs.add(new Case("tuple in, tuple out", p(Prim.MUL, Prim.SIN, Prim.SUM, Prim.MATMUL),
                f2((a, b) -> Tuple.of(a.mul(b.sin()), a.matmul(b.T()).sum(), b)), () -> Tuple.of(randn(53, 2, 3), randn(54, 2, 3))));
        return cs;
    }

    @TestFactory
    Stream<DynamicTest> gradcheckEveryPrimitive() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            try (Scope s = Scope.open()) {
                GradCheck.check(c.f(), c.inputs().get());
            }
        }));
    }

    /** Random tensors shaped like {@code like} (a Tensor or a Tuple of Tensors). */
    static Value randomLike(Value like, long seed) {
        if (like instanceof Tensor t) {
            return u(seed, -1, 1, t.shape());
        }
        List<Tensor> r = new ArrayList<>();
        for (Tensor t : ((Tuple) like).tensors()) {
            r.add(u(seed++, -1, 1, t.shape()));
        }
        return Tuple.ofList(r);
    }

    /**
     * Second order: the derivative rules are themselves written in Tensor ops, so their own
     * derivatives must be right. Checks x -> vjp(f, x, v) in reverse mode (reverse over reverse)
     * and x -> jvp(f, x, u) in both modes (forward over forward, reverse over forward).
     */
    @TestFactory
    Stream<DynamicTest> gradgradcheckEveryPrimitive() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            try (Scope s = Scope.open()) {
                Value in = c.inputs().get();
                Value v = randomLike(c.f().apply(in), 7);
                Value t = randomLike(in, 8);
                GradCheck.check((Value x) -> Functional.vjp(c.f(), x, v, true, false).vjp(), in,
                        GradCheck.Options.defaults().reverseOnly());
                GradCheck.check((Value x) -> Functional.jvp(c.f(), x, t, true, false).jvp(), in);
            }
        }));
    }

    /** Every primitive is covered by a case, and each case really records the primitives it claims. */
    @Test
    void casesCoverEveryPrimitive() {
        Set<Prim> covered = EnumSet.noneOf(Prim.class);
        for (Case c : cases()) {
            try (Scope s = Scope.open()) {
                Set<Prim> recorded = recordedPrims(c);
                for (Prim p : c.prims()) {
                    if (p.kind() != Prim.Kind.COMPARE && p != Prim.MAX_POOL2D_INDICES
                            && !(p == Prim.CAST && c.name().startsWith("mask from"))) {
                        assertTrue(recorded.contains(p), c.name() + " claims " + p + " but its tape holds " + recorded);
                    }
                }
            }
            covered.addAll(c.prims());
        }
        Set<Prim> missing = EnumSet.allOf(Prim.class);
        missing.removeAll(covered);
        assertEquals(EnumSet.noneOf(Prim.class), missing, "primitives without a gradcheck case");
    }

    private static Set<Prim> recordedPrims(Case c) {
        Value in = c.inputs().get();
        List<Tensor> xs = in instanceof Tensor t ? List.of(t) : ((Tuple) in).tensors();
        for (Tensor x : xs) {
            x.setRequiresGrad(true);
        }
        Value out = c.f().apply(in);
        List<Tensor> outs = out instanceof Tensor t ? List.of(t) : ((Tuple) out).tensors();
        Set<Prim> r = EnumSet.noneOf(Prim.class);
        for (Node n : Tape.order(outs)) {
            r.add(n.prim());
        }
        return r;
    }

    // ------------------------------------------------------------------ GradCheck must catch wrong gradients

    @Test
    void rejectsAWrongGradientInForwardMode() {
        try (Scope s = Scope.open()) {
            // d/dx (stop_gradient(x) * x) is x analytically, 2x by finite differences.
            Tensor x = Tensor.of(new double[] {0.5, -1.5, 2.5, 1.0}, 4);
            GradCheckException e = assertThrows(GradCheckException.class,
                    () -> GradCheck.check((Tensor t) -> t.detach().mul(t), x));
            assertEquals("forward-mode", e.mode());
            assertEquals(0, e.inputIndex());
            assertEquals(0, e.outputIndex());
            assertEquals(2, e.inputElement(), "the worst element is the largest |x|");
            assertEquals(2, e.outputElement());
            assertEquals(2.5, e.analytic(), 1e-12);
            assertEquals(5.0, e.numerical(), 1e-6);
        }
    }

    @Test
    void rejectsAWrongGradientInReverseMode() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(new double[] {0.5, -1.5, 2.5, 1.0}, 4);
            Tensor y = Tensor.of(new double[] {0.1, 0.2, -0.3}, 3);
            GradCheckException e = assertThrows(GradCheckException.class,
                    () -> GradCheck.check(f2((a, b) -> Tuple.of(a.sin(), b.detach().mul(b).sum())), Tuple.of(x, y),
                            GradCheck.Options.defaults().reverseOnly()));
            assertEquals("reverse-mode", e.mode());
            assertEquals(1, e.inputIndex());
            assertEquals(1, e.outputIndex());
            assertEquals(2, e.inputElement());
            assertEquals(0, e.outputElement());
            assertTrue(e.getMessage().contains("input 1"), e.getMessage());
        }
    }

    @Test
    void rejectsANonFloat64Input() {
        try (Scope s = Scope.open()) {
            assertThrows(IllegalArgumentException.class,
                    () -> GradCheck.check((Tensor t) -> t.exp(), Tensor.of(new float[] {1f}, 1)));
        }
    }

    @Test
    void toleranceIsConfigurable() {
        try (Scope s = Scope.open()) {
            // With eps = 0.1 central differences of exp are off by ~exp(x) * eps^2 / 6 ~ 2e-3 relative.
            Tensor x = Tensor.of(new double[] {1.0, 2.0}, 2);
            assertThrows(GradCheckException.class, () -> GradCheck.check((Tensor t) -> t.exp(), x,
                    GradCheck.Options.defaults().withEps(0.1).withRtol(1e-4).withAtol(0)));
            GradCheck.check((Tensor t) -> t.exp(), x, GradCheck.Options.defaults().withEps(0.1).withRtol(1e-2));
        }
    }
}
