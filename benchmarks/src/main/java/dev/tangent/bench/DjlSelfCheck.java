package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * Checks, before anyone reads a timing, that every DJL variant benchmarked computes the same
 * thing: the jvp variants agree with the hand-propagated tangents, vjp passes the dot-product test
 * against the jvp, hvp matches a difference of gradients; and that DJL loaded libtorch from its
 * cache folder. Not a JUnit test on purpose: it needs libtorch, and the reactor's tests must not.
 * Exit status 1 when a check fails.
 */
public final class DjlSelfCheck {
    /** normwise relative error allowed between two float32 computations of the same quantity */
    static final double FLOAT32_TOL = 1e-4;
    /** forward differences in float32 carry O(h) truncation and O(eps/h) rounding error */
    static final double FINITE_DIFF_TOL = 3e-2;

    private static int failures;

    public static void main(String[] args) {
        Engine engine = DjlRuntime.start(Integer.getInteger("threads", 1));
        System.out.println("engine: " + engine.getEngineName() + " " + engine.getVersion()
                + ", offline=" + System.getProperty("ai.djl.offline"));
        String lib = DjlRuntime.libtorchPath();
        System.out.println("libtorch_cpu.so mapped from: " + lib);
        String cache = System.getProperty("DJL_CACHE_DIR");
        if (cache != null) {
            check("libtorch loaded from DJL_CACHE_DIR", lib != null && lib.startsWith(cache) ? 0 : 1, 0.5);
        }

        try (NDManager manager = engine.newBaseManager()) {
            DjlMlp mlp = new DjlMlp(engine, manager, 7);
            for (int batch : new int[] {1, 64}) {
                try (NDManager m = manager.newSubManager()) {
                    checkMlp(mlp, m, batch);
                }
            }
            NDArray x = DjlRuntime.gaussian(manager, 11, 1f, 4, 4);
            NDArray v = DjlRuntime.gaussian(manager, 12, 1f, 4, 4);
            NDList seed = DjlSeedBench.jvpByHand(x, v);
            check("seed forward", relErr(DjlSeedBench.forward(x), seed.get(0)), FLOAT32_TOL);
            check("seed jvp by hand vs finite diff", relErr(finiteDiff(DjlSeedBench::forward, x, v), seed.get(1)), FINITE_DIFF_TOL);

            NDArray xe = DjlRuntime.gaussian(manager, 31, 1f, DjlElementwiseBench.SIZE);
            NDArray ve = DjlRuntime.gaussian(manager, 32, 1f, DjlElementwiseBench.SIZE);
            NDList ew = DjlElementwiseBench.jvpByHand(xe, ve);
            check("elementwise forward", relErr(DjlElementwiseBench.forward(xe), ew.get(0)), FLOAT32_TOL);
            // 2^20 terms: a float32 difference of two large sums is coarse; check it loosely
            check("elementwise jvp by hand vs central diff", relErr(centralDiff(DjlElementwiseBench::forward, xe, ve), ew.get(1)), 5e-2);

            // Tangent computes the same numbers as DJL on the same weights and inputs.
            TangentMlp tmlp = new TangentMlp(7);
            for (int batch : new int[] {1, 64}) {
                try (NDManager m = manager.newSubManager(); dev.tangent.Scope s = dev.tangent.Scope.open()) {
                    NDArray dx = DjlRuntime.gaussian(m, 21, 1f, batch, DjlMlp.IN);
                    NDArray dv = DjlRuntime.gaussian(m, 22, 1f, batch, DjlMlp.IN);
                    NDList want = mlp.jvpByHand(dx, dv);
                    dev.tangent.Tensor tx = TangentMlp.gaussian(21, 1f, batch, DjlMlp.IN);
                    dev.tangent.Tensor tv = TangentMlp.gaussian(22, 1f, batch, DjlMlp.IN);
                    var got = dev.tangent.functional.Functional.jvp(tmlp::forward, tx, tv);
                    check("mlp B=" + batch + " Tangent forward vs DJL", relErr(got.output().toFloatArray(), want.get(0)), FLOAT32_TOL);
                    check("mlp B=" + batch + " Tangent jvp vs DJL by hand", relErr(got.jvp().toFloatArray(), want.get(1)), FLOAT32_TOL);
                    try (var plan = dev.tangent.functional.JvpPlan.compile(tmlp::forward, tx)) {
                        check("mlp B=" + batch + " Tangent plan jvp vs DJL by hand",
                                relErr(plan.apply(tx, tv).jvp().toFloatArray(), want.get(1)), FLOAT32_TOL);
                    }
                }
            }
            NDList seedWant = DjlSeedBench.jvpByHand(x, v);
            try (dev.tangent.Scope s = dev.tangent.Scope.open()) {
                var got = dev.tangent.functional.Functional.jvp(TangentSeedBench::expReducer,
                        TangentMlp.gaussian(11, 1f, 4, 4), TangentMlp.gaussian(12, 1f, 4, 4));
                check("seed Tangent jvp vs DJL by hand", relErr(got.jvp().toFloatArray(), seedWant.get(1)), FLOAT32_TOL);
            }
        }
        System.out.println(failures == 0 ? "ALL CHECKS PASSED" : failures + " CHECK(S) FAILED");
        System.exit(failures == 0 ? 0 : 1);
    }

    private static void checkMlp(DjlMlp mlp, NDManager m, int batch) {
        NDArray x = DjlRuntime.gaussian(m, 21, 1f, batch, DjlMlp.IN);
        NDArray v = DjlRuntime.gaussian(m, 22, 1f, batch, DjlMlp.IN);
        NDArray u = DjlRuntime.gaussian(m, 23, 1f, batch, DjlMlp.OUT);
        String b = "mlp B=" + batch + " ";

        NDList hand = mlp.jvpByHand(x, v);
        NDList fd = mlp.jvpFiniteDiff(x, v);
        NDList dbl = mlp.jvpDoubleBackward(x, v);
        check(b + "forward == primal of jvp by hand", relErr(mlp.forward(x), hand.get(0)), FLOAT32_TOL);
        check(b + "primal of double backward", relErr(dbl.get(0), hand.get(0)), FLOAT32_TOL);
        check(b + "jvp double backward vs by hand", relErr(dbl.get(1), hand.get(1)), FLOAT32_TOL);
        check(b + "jvp finite diff vs by hand", relErr(fd.get(1), hand.get(1)), FINITE_DIFF_TOL);

        // <u, J v> == <J^T u, v>
        NDList vjp = mlp.vjp(x, u);
        double uJv = u.mul(hand.get(1)).sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
        double jtuV = vjp.get(1).mul(v).sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
        check(b + "vjp dot-product test <u,Jv> = <J^T u,v>", Math.abs(uJv - jtuV) / Math.max(Math.abs(uJv), 1e-30), FLOAT32_TOL);

        // H v of s = sum(f) against (grad s(x + h v) - grad s(x - h v)) / 2h, gradients by vjp
        NDList hvp = mlp.hvp(x, v);
        float h = 1e-2f;
        NDArray ones = m.ones(new ai.djl.ndarray.types.Shape(batch, DjlMlp.OUT));
        NDArray gPlus = mlp.vjp(x.add(v.mul(h)), ones).get(1);
        NDArray gMinus = mlp.vjp(x.sub(v.mul(h)), ones).get(1);
        check(b + "primal of hvp", relErr(hvp.get(0), hand.get(0).sum()), FLOAT32_TOL);
        check(b + "hvp double backward vs central diff of gradients", relErr(hvp.get(1), gPlus.sub(gMinus).div(2 * h)), FINITE_DIFF_TOL);
    }

    private static NDArray finiteDiff(java.util.function.UnaryOperator<NDArray> f, NDArray x, NDArray v) {
        float h = DjlMlp.FD_STEP;
        return f.apply(x.add(v.mul(h))).sub(f.apply(x)).div(h);
    }

    private static NDArray centralDiff(java.util.function.UnaryOperator<NDArray> f, NDArray x, NDArray v) {
        float h = 1e-2f;
        return f.apply(x.add(v.mul(h))).sub(f.apply(x.sub(v.mul(h)))).div(2 * h);
    }

    /** max |a - b| / max |b|, in float64 on the host */
    static double relErr(NDArray a, NDArray b) {
        float[] fa = a.toFloatArray();
        float[] fb = b.toFloatArray();
        if (fa.length != fb.length) {
            throw new IllegalStateException("shapes differ: " + a.getShape() + " vs " + b.getShape());
        }
        double diff = 0, scale = 0;
        for (int i = 0; i < fa.length; i++) {
            diff = Math.max(diff, Math.abs((double) fa[i] - fb[i]));
            scale = Math.max(scale, Math.abs((double) fb[i]));
        }
        return diff / Math.max(scale, 1e-30);
    }

    private static double relErr(float[] a, NDArray b) {
        float[] fb = b.toFloatArray();
        if (a.length != fb.length) {
            throw new IllegalStateException("sizes differ: " + a.length + " vs " + fb.length);
        }
        double diff = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs((double) a[i] - fb[i]));
            scale = Math.max(scale, Math.abs((double) fb[i]));
        }
        return diff / Math.max(scale, 1e-30);
    }

    private static void check(String what, double err, double tol) {
        boolean ok = err <= tol;
        if (!ok) {
            failures++;
        }
        System.out.printf("%-4s %-58s err %.2e (tol %.0e)%n", ok ? "ok" : "FAIL", what, err, tol);
    }
}
