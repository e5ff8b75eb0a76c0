package example.consumer;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What a user's program does with Tangent from Maven: the seed example ({@code x.exp().sum(1)}, its
 * jvp on a 4×4 input) and a compiled {@link JvpPlan} of a float32 layer large enough for oneDNN.
 * Every result is checked against values computed here in plain Java; any mismatch, or oneDNN not
 * loaded, exits with status 1.
 */
public final class Consumer {
    private Consumer() {}

    /** PyTorch's values for the seed example (torch.rand-like input of seed 0, as Tangent.rand(0, 4, 4)). */
    static final double[] SEED_EXPECTED = {7.6256, 5.8525, 7.4965, 7.1408};
    static final String SEED_PRINTED = "tensor([7.6256, 5.8525, 7.4965, 7.1408])";

    private static final List<String> FAILURES = new ArrayList<>();

    public static void main(String[] args) {
        Module self = Consumer.class.getModule();
        Module tangent = Tensor.class.getModule();
        String path = self.isNamed() ? "module path" : "class path";
        System.out.println("consumer on the " + path + ": " + (self.isNamed() ? "module " + self.getName() : "unnamed module")
                + ", Tangent in " + (tangent.isNamed() ? "module " + tangent.getName() : "the unnamed module"));
        check(self.isNamed() == tangent.isNamed() && (!tangent.isNamed() || tangent.getName().equals("dev.tangent")),
                "Tangent is a named module exactly when the consumer is");

        try (Scope scope = Scope.open()) {
            seedExample();
            plan();
        }
        String kernels = Tangent.cpuKernels();
        System.out.println("CPU kernels: " + kernels);
        check(kernels.startsWith("oneDNN"), "oneDNN (from org.bytedeco:dnnl, a transitive dependency) is loaded");

        if (!FAILURES.isEmpty()) {
            System.out.println("consumer: FAILED on the " + path + ":");
            FAILURES.forEach(f -> System.out.println("  " + f));
            System.exit(1);
        }
        System.out.println("consumer: all checks passed on the " + path);
    }

    static void seedExample() {
        Tensor x = Tensor.rand(0, 4, 4);
        Tensor v = Tensor.ones(4, 4);
        JvpResult<Tensor> r = Functional.jvp((Tensor t) -> t.exp().sum(1), x, v);
        System.out.println("x = " + x);
        System.out.println("jvp(exp_reducer, x, v):");
        System.out.println("  output = " + r.output());
        System.out.println("  jvp    = " + r.jvp());

        float[] xs = x.toFloatArray();
        double[] ref = new double[4];        // sum_j exp(x_ij); with v = ones the jvp is the same
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                ref[i] += Math.exp(xs[4 * i + j]);
            }
        }
        check(SEED_PRINTED.equals(r.output().toString()), "output prints as " + SEED_PRINTED + ", got " + r.output());
        check(SEED_PRINTED.equals(r.jvp().toString()), "jvp prints as " + SEED_PRINTED + ", got " + r.jvp());
        close("seed output vs PyTorch's", SEED_EXPECTED, r.output().toFloatArray(), 1e-4);
        close("seed jvp vs PyTorch's", SEED_EXPECTED, r.jvp().toFloatArray(), 1e-4);
        close("seed output vs sum(exp(x))", ref, r.output().toFloatArray(), 1e-5);
        close("seed jvp vs sum(exp(x))", ref, r.jvp().toFloatArray(), 1e-5);
    }

    /** tanh(x @ W) for x [8, 64], W [64, 128] (float32, above oneDNN's matmul cut-over), as a plan. */
    static void plan() {
        int b = 8;
        int k = 64;
        int n = 128;
        Tensor w = Tensor.randn(10, k, n).mul(0.125);
        Tensor x = Tensor.randn(12, b, k);
        Tensor v = Tensor.randn(13, b, k);
        Function<Tensor, Tensor> layer = t -> t.matmul(w).tanh();
        try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(layer, x)) {
            JvpResult<Tensor> p = plan.apply(x, v);
            JvpResult<Tensor> eager = Functional.jvp(layer, x, v);
            System.out.println("JvpPlan tanh(x @ W), x [8, 64], W [64, 128] (" + plan.kernelCount() + " kernels):");
            System.out.println("  jvp[0, :8] = " + p.jvp().get(0).slice(0, 0, 8));

            // reference in double: y = tanh(x W), dy = (1 - y^2) * (v W)
            float[] xs = x.toFloatArray();
            float[] vs = v.toFloatArray();
            float[] ws = w.toFloatArray();
            double[] y = new double[b * n];
            double[] dy = new double[b * n];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < n; j++) {
                    double xw = 0;
                    double vw = 0;
                    for (int l = 0; l < k; l++) {
                        xw += (double) xs[i * k + l] * ws[l * n + j];
                        vw += (double) vs[i * k + l] * ws[l * n + j];
                    }
                    y[i * n + j] = Math.tanh(xw);
                    dy[i * n + j] = (1 - y[i * n + j] * y[i * n + j]) * vw;
                }
            }
            close("plan output vs Java reference", y, p.output().toFloatArray(), 1e-4);
            close("plan jvp vs Java reference", dy, p.jvp().toFloatArray(), 1e-4);
            close("plan jvp vs eager jvp", toDouble(eager.jvp().toFloatArray()), p.jvp().toFloatArray(), 1e-5);
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    static void close(String what, double[] expected, float[] actual, double tol) {
        if (expected.length != actual.length) {
            FAILURES.add(what + ": " + actual.length + " values, expected " + expected.length);
            return;
        }
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= tol * Math.max(1, Math.abs(expected[i])))) {
                FAILURES.add(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
                return;
            }
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            FAILURES.add(what);
        }
    }
}
