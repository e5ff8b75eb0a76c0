package dev.tangent.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.functional.Functional;
import dev.tangent.functional.HvpStrategy;
import dev.tangent.functional.JvpResult;
import dev.tangent.functional.JvpStrategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Derivatives of derivatives and long graphs: forward mode against the double-backward strategy,
 * jvp of a function that itself calls jvp, the gradient of a jvp built with {@code createGraph},
 * and reverse mode through a 100,000-op chain. Expected values are analytic.
 */
class HigherOrderTest {

    static Tensor rnd(long seed, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1;
        for (long s : shape) {
            n *= (int) s;
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = -1.5 + 3 * r.nextDouble();
        }
        return Tensor.of(d, shape);
    }

    /** |a - b| <= tol * max(1, |b|) element-wise, with matching shapes. */
    static void assertClose(double[] expected, Tensor actual, double tol, String what) {
        double[] a = actual.toDoubleArray();
        assertEquals(expected.length, a.length, what + ": element count");
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs(a[i] - expected[i]);
            assertTrue(err <= tol * Math.max(1, Math.abs(expected[i])), String.format(Locale.ROOT,
                    "%s: element %d is %.17g, expected %.17g", what, i, a[i], expected[i]));
        }
    }

    static List<Tensor> flat(Value v) {
        return v instanceof Tensor t ? List.of(t) : ((Tuple) v).tensors();
    }

    // ------------------------------------------------------------------ forward mode == double backward

    record Composite(String name, Function<Value, Value> f, Value in, Value v) {}

    static List<Composite> composites() {
        List<Composite> cs = new ArrayList<>();
        Tensor w1 = rnd(1, 6, 8);
        Tensor b1 = rnd(2, 8);
        Tensor w2 = rnd(3, 8, 3);
        cs.add(new Composite("mlp", x -> ((Tensor) x).matmul(w1).add(b1).tanh().matmul(w2).logSoftmax(-1),
                rnd(4, 5, 6), rnd(5, 5, 6)));
        cs.add(new Composite("attention, tuple in", t -> {
            Tuple q = (Tuple) t;
            return q.get(0).matmul(q.get(1).mT()).div(2.0).softmax(-1).matmul(q.get(2));
        }, Tuple.of(rnd(6, 2, 3, 4), rnd(7, 2, 5, 4), rnd(8, 2, 5, 4)), Tuple.of(rnd(9, 2, 3, 4), rnd(10, 2, 5, 4),
                rnd(11, 2, 5, 4))));
        cs.add(new Composite("layer norm and gather, tuple out", x -> {
            Tensor t = (Tensor) x;
            Tensor ln = t.sub(t.mean(-1, true)).div(t.var(new int[] {-1}, false, true).add(1e-5).sqrt());
            Tensor g = t.gather(1, Tensor.of(new long[] {0, 3, 3, 1, 2, 0, 1, 1}, 4, 2)).exp();
            return Tuple.of(ln, g.logsumexp(0), t.T().reshape(2, 8).prod(0));
        }, rnd(12, 4, 4), rnd(13, 4, 4)));
        cs.add(new Composite("maximum, where, pow", t -> {
            Tuple q = (Tuple) t;
            Tensor x = q.get(0);
            Tensor y = q.get(1);
            return Tensor.where(x.gt(0.0), x.maximum(y).pow(y.abs()), y.sigmoid().mul(x)).sum(0);
        }, Tuple.of(rnd(14, 3, 4), rnd(15, 4)), Tuple.of(rnd(16, 3, 4), rnd(17, 4))));
        return cs;
    }

    @Test
    void forwardModeAgreesWithDoubleBackward() {
        try (Scope outer = Scope.open()) { // every tensor scoped: nothing left for the GC to free later
            for (Composite c : composites()) {
                try (Scope s = Scope.open()) {
                    JvpResult<Value> fw = Functional.jvp(c.f(), c.in(), c.v(), false, false, JvpStrategy.FORWARD_MODE);
                    JvpResult<Value> db = Functional.jvp(c.f(), c.in(), c.v(), false, false, JvpStrategy.DOUBLE_BACKWARD);
                    List<Tensor> a = flat(fw.jvp());
                    List<Tensor> b = flat(db.jvp());
                    assertEquals(b.size(), a.size(), c.name());
                    for (int i = 0; i < a.size(); i++) {
                        assertArrayEquals(b.get(i).shape(), a.get(i).shape(), c.name());
                        assertClose(b.get(i).toDoubleArray(), a.get(i), 1e-12, c.name() + " jvp[" + i + "]");
                        assertClose(flat(db.output()).get(i).toDoubleArray(), flat(fw.output()).get(i), 0,
                                c.name() + " output[" + i + "]");
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ nested jvp

    /**
     * f(x) = sin(x) exp(x) element-wise; g(x) = jvp(f, x, u) = f'(x) u; jvp(g, x, w) = f''(x) u w
     * with f' = (cos + sin) exp and f'' = 2 cos exp.
     */
    @ParameterizedTest
    @EnumSource(JvpStrategy.class)
    void jvpOfAFunctionThatCallsJvpIsTheSecondDirectionalDerivative(JvpStrategy outer) {
        try (Scope s = Scope.open()) {
            Tensor x = rnd(20, 2, 3);
            Tensor u = rnd(21, 2, 3);
            Tensor w = rnd(22, 2, 3);
            Function<Tensor, Tensor> f = t -> t.sin().mul(t.exp());
            Function<Tensor, Tensor> g = t -> Functional.jvp(f, t, u, true, false, JvpStrategy.FORWARD_MODE).jvp();
            JvpResult<Tensor> r = Functional.jvp(g, x, w, false, false, outer);
            double[] xd = x.toDoubleArray();
            double[] ud = u.toDoubleArray();
            double[] wd = w.toDoubleArray();
            double[] first = new double[xd.length];
            double[] second = new double[xd.length];
            for (int i = 0; i < xd.length; i++) {
                first[i] = (Math.cos(xd[i]) + Math.sin(xd[i])) * Math.exp(xd[i]) * ud[i];
                second[i] = 2 * Math.cos(xd[i]) * Math.exp(xd[i]) * ud[i] * wd[i];
            }
            assertClose(first, r.output(), 1e-12, "f'(x) u");
            assertClose(second, r.jvp(), 1e-12, "f''(x) u w");
        }
    }

    /**
     * The inner jvp without createGraph, and strict: its result is detached from the reverse-mode
     * tape only; the enclosing forward-mode jvp still differentiates through it. (Strict on the
     * outer jvp would fail, as in PyTorch: the inner non-createGraph result has no graph.)
     */
    @Test
    void nestedForwardJvpWithoutCreateGraphAndStrict() {
        try (Scope s = Scope.open()) {
            Tensor x = rnd(40, 5);
            Tensor u = rnd(41, 5);
            Tensor w = rnd(42, 5);
            Function<Tensor, Tensor> f = t -> t.sin().mul(t.exp());
            double[] xd = x.toDoubleArray();
            double[] e = new double[5];
            for (int i = 0; i < 5; i++) {
                e[i] = 2 * Math.cos(xd[i]) * Math.exp(xd[i]) * u.toDoubleArray()[i] * w.toDoubleArray()[i];
            }
            for (boolean strict : new boolean[] {false, true}) {
                Function<Tensor, Tensor> g = t -> Functional.jvp(f, t, u, false, strict).jvp();
                JvpResult<Tensor> r = Functional.jvp(g, x, w, false, false);
                assertClose(e, r.jvp(), 1e-12, "f''(x) u w, strict=" + strict);
                assertNull(r.jvp().gradFnName());
            }
        }
    }

    /**
     * Reverse mode inside a forward-mode jvp (forward over reverse): the tape records the dual
     * tensors, so a vjp, hvp, double-backward jvp or reverse Jacobian inside a forward-mode jvp
     * carries the outer tangents, and agrees with the outer jvp by double backward:
     * d/dx (3 x^2 u) w = 6 x u w.
     */
    @Test
    void forwardOverReverseWorksAndAgreesWithReverseOverReverse() {
        try (Scope s = Scope.open()) {
            Tensor x = rnd(43, 3);
            Tensor u = rnd(44, 3);
            Tensor w = rnd(45, 3);
            Function<Tensor, Tensor> cube = z -> z.pow(3.0).sum();
            List<Function<Tensor, Tensor>> inner = List.of(
                    t -> Functional.vjp(cube, t, null, true, false).vjp(),
                    t -> Functional.hvp(cube, t, u, true, false).product(),
                    t -> Functional.jvp((Tensor z) -> z.pow(3.0), t, u, true, false, JvpStrategy.DOUBLE_BACKWARD).jvp(),
                    t -> (Tensor) Functional.jacobian(cube, t));
            double[] xd = x.toDoubleArray();
            double[] ud = u.toDoubleArray();
            double[] wd = w.toDoubleArray();
            double[] grad = new double[3];
            double[] hvp = new double[3];
            for (int i = 0; i < 3; i++) {
                grad[i] = 6 * xd[i] * wd[i];
                hvp[i] = 6 * ud[i] * wd[i];
            }
            assertClose(grad, Functional.jvp(inner.get(0), x, w, false, false, JvpStrategy.DOUBLE_BACKWARD).jvp(),
                    1e-12, "d/dx vjp");
            assertClose(hvp, Functional.jvp(inner.get(1), x, w, false, false, JvpStrategy.DOUBLE_BACKWARD).jvp(),
                    1e-12, "d/dx hvp");
            // forward over reverse: the same derivatives with the outer jvp in forward mode
            assertClose(grad, Functional.jvp(inner.get(0), x, w).jvp(), 1e-12, "forward-mode d/dx vjp");
            assertClose(hvp, Functional.jvp(inner.get(1), x, w).jvp(), 1e-12, "forward-mode d/dx hvp");
            Tensor want = Functional.jvp(inner.get(2), x, w, false, false, JvpStrategy.DOUBLE_BACKWARD).jvp();
            assertClose(want.toDoubleArray(), Functional.jvp(inner.get(2), x, w).jvp(), 1e-12, "double-backward jvp inside");
            // A reverse Jacobian made without create_graph still carries the outer jvp's tangents (as nested
            // forward-mode jvps do): d/dx (3 x^2) w = 6 x w. (By double backward the outer jvp sees no graph: 0.)
            assertClose(grad, Functional.jvp(inner.get(3), x, w).jvp(), 1e-12, "reverse jacobian inside");
            // and the hvp strategies agree: H w = 6 x w for sum(x^3)
            double[] hw = new double[3];
            for (int i = 0; i < 3; i++) {
                hw[i] = 6 * xd[i] * wd[i];
            }
            for (HvpStrategy st : HvpStrategy.values()) {
                assertClose(hw, Functional.hvp(cube, x, w, false, false, st).product(), 1e-12, "hvp " + st);
                assertClose(hw, Functional.vhp(cube, x, w, false, false, st).product(), 1e-12, "vhp " + st);
            }
        }
    }

    /** Three levels: jvp(jvp(jvp(x^4))) along v1, v2, v3 is 24 x v1 v2 v3. */
    @Test
    void threeNestedJvps() {
        try (Scope s = Scope.open()) {
            Tensor x = rnd(23, 4);
            Tensor v1 = rnd(24, 4);
            Tensor v2 = rnd(25, 4);
            Tensor v3 = rnd(26, 4);
            Function<Tensor, Tensor> f = t -> t.pow(4.0);
            Function<Tensor, Tensor> d1 = t -> Functional.jvp(f, t, v1, true, false).jvp();
            Function<Tensor, Tensor> d2 = t -> Functional.jvp(d1, t, v2, true, false).jvp();
            Tensor r = Functional.jvp(d2, x, v3).jvp();
            double[] xd = x.toDoubleArray();
            double[] e = new double[4];
            for (int i = 0; i < 4; i++) {
                e[i] = 24 * xd[i] * v1.toDoubleArray()[i] * v2.toDoubleArray()[i] * v3.toDoubleArray()[i];
            }
            assertClose(e, r, 1e-12, "third directional derivative");
        }
    }

    // ------------------------------------------------------------------ grad of jvp (createGraph)

    /** f(x) = sum_j x_ij^3 (per row); sum(jvp) = sum 3 x^2 v; its gradient is 6 x v. */
    @ParameterizedTest
    @EnumSource(JvpStrategy.class)
    void gradientOfACreateGraphJvp(JvpStrategy strategy) {
        try (Scope s = Scope.open()) {
            Tensor x = rnd(30, 2, 3).setRequiresGrad(true);
            Tensor v = rnd(31, 2, 3);
            JvpResult<Tensor> r = Functional.jvp((Tensor t) -> t.pow(3.0).sum(1), x, v, true, false, strategy);
            assertTrue(r.jvp().requiresGrad(), "a createGraph jvp is differentiable");
            Tensor[] g = Autograd.grad(List.of(r.jvp().sum()), List.of(x), null, false, false);
            double[] xd = x.toDoubleArray();
            double[] vd = v.toDoubleArray();
            double[] e = new double[xd.length];
            for (int i = 0; i < e.length; i++) {
                e[i] = 6 * xd[i] * vd[i];
            }
            assertClose(e, g[0], 1e-12, "d/dx sum(3 x^2 v)");
            // Without createGraph the result is detached.
            JvpResult<Tensor> plain = Functional.jvp((Tensor t) -> t.pow(3.0).sum(1), x, v, false, false, strategy);
            assertTrue(!plain.jvp().requiresGrad() && plain.jvp().isLeaf());
        }
    }

    /** Second order through reverse mode twice: grad of grad of sum(x^3) = 6 x (diagonal Hessian times ones). */
    @Test
    void gradOfGrad() {
        try (Scope s = Scope.open()) {
            Tensor x = rnd(32, 5).setRequiresGrad(true);
            Tensor y = x.pow(3.0).sum();
            Tensor g = Autograd.grad(List.of(y), List.of(x), null, true, false)[0];
            Tensor gg = Autograd.grad(List.of(g.sum()), List.of(x), null, false, false)[0];
            double[] xd = x.toDoubleArray();
            double[] e = new double[5];
            for (int i = 0; i < 5; i++) {
                e[i] = 6 * xd[i];
            }
            assertClose(e, gg, 1e-12, "6x");
        }
    }

    // ------------------------------------------------------------------ long chains

    /**
     * Reverse mode through 100,000 recorded ops on a 1-element tensor, on a thread with a small
     * stack: a recursive graph walk would overflow it. y = (...((x * c) + 0.5) * c + 0.5 ...).
     */
    @Test
    void hundredThousandOpChainDoesNotOverflowTheStack() throws Exception {
        int pairs = 50_000;
        double c = 1.00001;
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try (Scope s = Scope.open()) {
                Tensor x = Tensor.of(new double[] {0.25}, 1).setRequiresGrad(true);
                Tensor cc = Tensor.scalar(c);
                Tensor half = Tensor.scalar(0.5);
                Tensor y = x;
                for (int i = 0; i < pairs; i++) {
                    y = y.mul(cc).add(half);
                }
                Tensor[] g = Autograd.grad(List.of(y), List.of(x), null, false, false);
                result.set(g[0].item());
            } catch (Throwable e) {
                result.set(e);
            }
        }, "long-chain", 256 * 1024);
        t.start();
        t.join();
        if (result.get() instanceof Throwable e) {
            throw new AssertionError("reverse mode through a 100,000-op chain failed", e);
        }
        double expected = Math.pow(c, pairs);
        assertEquals(expected, (Double) result.get(), 1e-9 * expected);
    }

    /** Forward mode through the same chain length (no tape at all). */
    @Test
    void hundredThousandOpChainInForwardMode() {
        try (Scope s = Scope.open()) {
            Tensor cc = Tensor.scalar(1.00001);
            Tensor half = Tensor.scalar(0.5);
            JvpResult<Tensor> r = Functional.jvp((Tensor x) -> {
                Tensor y = x;
                for (int i = 0; i < 50_000; i++) {
                    y = y.mul(cc).add(half);
                }
                return y;
            }, Tensor.of(new double[] {0.25}, 1), Tensor.of(new double[] {2.0}, 1));
            double expected = 2 * Math.pow(1.00001, 50_000);
            assertEquals(expected, r.jvp().item(), 1e-9 * expected);
            assertNull(r.jvp().gradFnName());
        }
    }
}
