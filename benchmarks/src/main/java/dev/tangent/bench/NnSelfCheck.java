package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The ResNet-18 and encoder workloads' self-check, run by run-bench.sh before any timing. On the
 * same seeded weights and inputs: (1) DJL's variants agree with each other — forward, jvp by hand,
 * jvp by double backward, the hand-written jvp against a float64 central difference, vjp by the
 * dot-product test ⟨u, Jv⟩ = ⟨Jᵀu, v⟩, hvp against an independent second derivative —; (2) Tangent's
 * forward, eager jvp, JvpPlan jvp, vjp and hvp equal DJL's to {@value #TOL} (normwise relative:
 * max |a − b| / max |b|). Exit status 1 when a check fails.
 *
 * <p>Batches: {@code -Dnn.check.resnet=1} and {@code -Dnn.check.encoder=1,16} (comma lists; vjp and
 * hvp are checked at the first batch of each list, where the benchmarks run them);
 * {@code -Dnn.check.only=resnet18|encoder}. ResNet-18 is checked at batch 1 by default: while
 * Tangent's conv2d runs on Java loops, a batch-32 forward takes minutes; the code is the same for
 * every batch.
 */
public final class NnSelfCheck {
    static final double TOL = DjlSelfCheck.FLOAT32_TOL;
    /**
     * Central differences. The jvp is checked against one of the float64 network with h = 1e-6
     * (small enough that almost no ReLU or max-pool choice flips within ±h·v — at h = 1e-4 the
     * flips alone make ResNet-18's differ by 1.6 % —, large enough for float64 rounding): the
     * remaining difference is float32 against float64, ~1e-6. The encoder's hvp is checked against
     * a central difference of float32 gradients (h = 1e-2: truncation O(h²), rounding O(eps/h)).
     */
    static final double H64 = 1e-6;
    static final double HVP_DIFF_TOL = 2e-2;
    static final float H = 1e-2f;

    private static int failures;

    public static void main(String[] args) {
        int threads = Integer.getInteger("threads", 1);
        Engine engine = DjlRuntime.start(threads);
        Tangent.setNumThreads(threads);
        System.out.println("NN self-check: DJL " + engine.getEngineName() + " " + engine.getVersion() + "; Tangent CPU kernels: "
                + Tangent.cpuKernels() + "; threads " + threads);
        String only = System.getProperty("nn.check.only", "");
        try (NDManager manager = engine.newBaseManager()) {
            if (!only.equals("encoder")) {
                NnParams p = Resnet18Spec.params(Resnet18Spec.SEED_WEIGHTS);
                DjlResnet18 djl = new DjlResnet18(engine, manager, p);
                DjlResnet18 djl64 = new DjlResnet18(engine, manager, p, DataType.FLOAT64);
                TangentResnet18 tan = new TangentResnet18(p);
                int[] batches = batches("nn.check.resnet", "1");
                for (int i = 0; i < batches.length; i++) {
                    long[] xs = Resnet18Spec.inputShape(batches[i]);
                    check("resnet18", batches[i], i == 0, true, djl, djl64, tan, manager, xs, new long[] {batches[i], Resnet18Spec.CLASSES},
                            Resnet18Spec.SEED_X, Resnet18Spec.SEED_V, Resnet18Spec.SEED_U);
                }
            }
            if (!only.equals("resnet18")) {
                NnParams p = EncoderSpec.params(EncoderSpec.SEED_WEIGHTS);
                DjlEncoder djl = new DjlEncoder(engine, manager, p);
                DjlEncoder djl64 = new DjlEncoder(engine, manager, p, DataType.FLOAT64);
                TangentEncoder tan = new TangentEncoder(p);
                int[] batches = batches("nn.check.encoder", "1,16");
                for (int i = 0; i < batches.length; i++) {
                    long[] xs = EncoderSpec.inputShape(batches[i]);
                    check("encoder", batches[i], i == 0, false, djl, djl64, tan, manager, xs, xs,
                            EncoderSpec.SEED_X, EncoderSpec.SEED_V, EncoderSpec.SEED_U);
                }
            }
        }
        knownBugProbe();
        System.out.println(failures == 0 ? "ALL NN CHECKS PASSED" : failures + " NN CHECK(S) FAILED");
        System.exit(failures == 0 ? 0 : 1);
    }

    /**
     * @param piecewiseLinear ReLU network: the Hessian of 0.5·‖f‖² is JᵀJ almost everywhere, so the
     *     hvp is checked against vjp(x, J·v); otherwise against a central difference of gradients
     */
    private static void check(String name, int batch, boolean reverse, boolean piecewiseLinear, DjlNet djl, DjlNet djl64, TangentNet tan,
            NDManager parent, long[] xs, long[] us, long seedX, long seedV, long seedU) {
        String b = name + " B=" + batch + " ";
        float[] xd = NnParams.input(seedX, 1f, xs);
        float[] vd = NnParams.input(seedV, 1f, xs);
        float[] ud = NnParams.input(seedU, 1f, us);
        try (NDManager m = parent.newSubManager(); Scope scope = Scope.open()) {
            NDArray x = m.create(xd, new Shape(xs));
            NDArray v = m.create(vd, new Shape(xs));
            NDArray u = m.create(ud, new Shape(us));

            NDArray fwd = djl.forward(x);
            NDList hand = djl.jvpByHand(x, v);
            NDList dbl = djl.jvpDoubleBackward(x, v);
            check(b + "DJL forward == primal of jvp by hand", relErr(hand.get(0), fwd), TOL);
            check(b + "DJL primal of double backward", relErr(dbl.get(0), fwd), TOL);
            check(b + "DJL jvp double backward vs by hand", relErr(dbl.get(1), hand.get(1)), TOL);
            NDArray x64 = x.toType(DataType.FLOAT64, false);
            NDArray hv64 = v.toType(DataType.FLOAT64, false).mul(H64);
            NDArray central = djl64.forward(x64.add(hv64)).sub(djl64.forward(x64.sub(hv64))).div(2 * H64);
            check(b + "DJL jvp by hand vs float64 central difference", relErr(hand.get(1), central), TOL);
            NDList vjp = null;
            NDList hvp = null;
            if (reverse) {
                vjp = djl.vjp(x, u);
                double uJv = dot(u, hand.get(1));
                double jtuV = dot(vjp.get(1), v);
                check(b + "DJL vjp dot-product test <u,Jv> = <J^T u,v>", Math.abs(uJv - jtuV) / Math.max(Math.abs(uJv), 1e-30), TOL);
                hvp = djl.hvp(x, v);
                check(b + "DJL hvp primal = 0.5 |f|^2", relErr(hvp.get(0), fwd.square().sum().mul(0.5f)), TOL);
                if (piecewiseLinear) {
                    check(b + "DJL hvp vs J^T (J v) (ReLU net: H = J^T J a.e.)", relErr(hvp.get(1), djl.vjp(x, hand.get(1)).get(1)), TOL);
                } else {
                    NDArray xp = x.add(v.mul(H));
                    NDArray xm = x.sub(v.mul(H));
                    NDArray gp = djl.vjp(xp, djl.forward(xp)).get(1);
                    NDArray gm = djl.vjp(xm, djl.forward(xm)).get(1);
                    check(b + "DJL hvp vs central difference of gradients", relErr(hvp.get(1), gp.sub(gm).div(2 * H)), HVP_DIFF_TOL);
                }
            }

            Tensor tx = Tensor.of(xd, xs);
            Tensor tv = Tensor.of(vd, xs);
            Tensor tf = timed(b + "Tangent forward", () -> tan.forward(tx));
            check(b + "Tangent forward vs DJL", relErr(tf, fwd), TOL);
            var tj = timed(b + "Tangent jvp", () -> Functional.jvp(tan::forward, tx, tv));
            check(b + "Tangent jvp primal vs DJL forward", relErr(tj.output(), fwd), TOL);
            check(b + "Tangent jvp vs DJL jvp by hand", relErr(tj.jvp(), hand.get(1)), TOL);
            try (JvpPlan<Tensor, Tensor> plan = timed(b + "Tangent JvpPlan.compile", () -> JvpPlan.compile(tan::forward, tx))) {
                var pj = timed(b + "Tangent JvpPlan.apply", () -> plan.apply(tx, tv));
                check(b + "Tangent plan primal vs DJL forward", relErr(pj.output(), fwd), TOL);
                check(b + "Tangent plan jvp vs DJL jvp by hand", relErr(pj.jvp(), hand.get(1)), TOL);
            }
            if (reverse) {
                Tensor tu = Tensor.of(ud, us);
                var tvjp = timed(b + "Tangent vjp", () -> Functional.vjp(tan::forward, tx, tu));
                check(b + "Tangent vjp vs DJL vjp", relErr(tvjp.vjp(), vjp.get(1)), TOL);
                var thvp = timed(b + "Tangent hvp", () -> Functional.hvp(tan::halfSquaredNorm, tx, tv));
                check(b + "Tangent hvp primal vs DJL", relErr(thvp.output(), hvp.get(0)), TOL);
                check(b + "Tangent hvp vs DJL hvp", relErr(thvp.product(), hvp.get(1)), TOL);
            }
        }
    }

    /**
     * Reported, not counted: a Tangent bug the encoder's head layout steps around. A float32 matmul
     * whose right operand is a 4-D view with a size-1 batch dim and permuted inner strides (k of
     * [1, 128, 4, 64].transpose(1, 2), as kᵀ: strides [32768, 64, 1, 256]) is computed wrong on
     * oneDNN: DnnlDescriptors.md replaces the size-1 dim's stride by stride[1]·size[1] = 256, the
     * stride of dim 3, and oneDNN then reads the wrong elements. With [B·heads, S, d] heads (no
     * size-1 dim) the encoder never builds such a view, in forward or backward.
     */
    private static void knownBugProbe() {
        try (Scope s = Scope.open()) {
            Tensor q = Tensor.of(NnParams.input(1, 1f, 1, 128, 4, 64), 1, 128, 4, 64).transpose(1, 2).contiguous();
            Tensor k = Tensor.of(NnParams.input(2, 1f, 1, 128, 4, 64), 1, 128, 4, 64).transpose(1, 2);
            Tensor got = q.matmul(k.mT());
            Tensor want = q.toDouble().matmul(k.toDouble().contiguous().mT());
            double err = relErr(got.toFloatArray(), want.toFloatArray());
            System.out.printf("%-4s %-58s err %.2e%n", err <= TOL ? "info" : "BUG", "Tangent q @ k.mT(), k [1,4,128,64] permuted view (known)", err);
        }
    }

    private static <T> T timed(String what, Supplier<T> f) {
        long t0 = System.nanoTime();
        T r = f.get();
        System.out.printf("     %-58s %9.1f ms%n", what, (System.nanoTime() - t0) / 1e6);
        return r;
    }

    private static double dot(NDArray a, NDArray b) {
        return a.mul(b).sum().toType(DataType.FLOAT64, false).getDouble();
    }

    static double relErr(NDArray a, NDArray b) {
        return relErr(a.toType(DataType.FLOAT64, false).toDoubleArray(), b.toType(DataType.FLOAT64, false).toDoubleArray());
    }

    static double relErr(Tensor a, NDArray b) {
        return relErr(a.toFloatArray(), b.toFloatArray());
    }

    static double relErr(float[] a, float[] b) {
        double[] da = new double[a.length];
        double[] db = new double[b.length];
        for (int i = 0; i < a.length; i++) {
            da[i] = a[i];
        }
        for (int i = 0; i < b.length; i++) {
            db[i] = b[i];
        }
        return relErr(da, db);
    }

    /** max |a − b| / max |b| */
    static double relErr(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalStateException("sizes differ: " + a.length + " vs " + b.length);
        }
        double diff = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
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

    private static int[] batches(String property, String dflt) {
        List<Integer> out = new ArrayList<>();
        for (String s : System.getProperty(property, dflt).split(",")) {
            if (!s.isBlank()) {
                out.add(Integer.parseInt(s.trim()));
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
