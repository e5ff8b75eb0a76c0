package dev.tangent.reliability;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpResult;

/**
 * The child JVM of {@link FaultTest}: prints which CPU kernels it got and the results of two jvps
 * (the seed function, and a 64×256 @ 256×64 float32 matmul, above every oneDNN cut-over), so the
 * parent can check them against analytic values.
 */
public final class FaultChild {
    private FaultChild() {}

    public static void main(String[] args) {
        System.out.println("STATUS " + Backends.cpuAcceleratorStatus());
        try (Scope s = Scope.open()) {
            float[] x = new float[16];
            for (int i = 0; i < 16; i++) {
                x[i] = i / 16f;
            }
            JvpResult<Tensor> r = Functional.jvp(Workloads.SEED, Tensor.of(x, 4, 4), Tensor.ones(4, 4));
            System.out.println("SEED " + join(r.output().toFloatArray()) + " / " + join(r.jvp().toFloatArray()));
            // f(x) = tanh(x) @ W with x = 0, W = 0.5: output 0, jvp = v @ W = 256 * 0.5 = 128 everywhere
            JvpResult<Tensor> m = Functional.jvp((Tensor t) -> t.tanh().matmul(Tensor.full(0.5, 256, 64)),
                    Tensor.zeros(64, 256), Tensor.ones(64, 256));
            float[] o = m.output().toFloatArray();
            float[] j = m.jvp().toFloatArray();
            float maxOut = 0;
            float minJ = Float.MAX_VALUE;
            float maxJ = -Float.MAX_VALUE;
            for (int i = 0; i < o.length; i++) {
                maxOut = Math.max(maxOut, Math.abs(o[i]));
                minJ = Math.min(minJ, j[i]);
                maxJ = Math.max(maxJ, j[i]);
            }
            System.out.println("MATMUL " + maxOut + " " + minJ + " " + maxJ);
        }
        System.out.println("STATUS-AFTER " + Backends.cpuAcceleratorStatus());
    }

    private static String join(float[] a) {
        StringBuilder b = new StringBuilder();
        for (float f : a) {
            b.append(b.isEmpty() ? "" : ",").append(f);
        }
        return b.toString();
    }
}
