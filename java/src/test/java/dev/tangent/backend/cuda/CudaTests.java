package dev.tangent.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tangent.Device;
import dev.tangent.Tensor;
import org.junit.jupiter.api.Assumptions;

/** Shared helpers: the GPU assumption (skips with the reason) and tolerant comparisons. */
final class CudaTests {
    static final Device GPU = Device.cuda(0);
    private static volatile boolean told;

    private CudaTests() {}

    /** Skips the calling test, printing why, when CUDA is unavailable; else the device's backend. */
    static CudaBackend requireCuda() {
        if (!Device.cudaAvailable()) {
            String why = "CUDA unavailable: " + Device.cudaUnavailableReason();
            if (!told) {
                told = true;
                System.out.println("[cuda tests skipped] " + why);
            }
            Assumptions.assumeTrue(false, why);
        }
        return CudaBackend.forDevice(GPU);
    }

    /** Same shape and dtype, and |gpu - cpu| <= tol * max(1, |cpu|) element-wise (NaNs must agree). */
    static void assertClose(String what, Tensor cpu, Tensor gpu, double tol) {
        assertEquals(GPU, gpu.device(), what + ": result not on the GPU");
        assertArrayEquals(cpu.shape(), gpu.shape(), what + ": shape");
        assertEquals(cpu.dtype(), gpu.dtype(), what + ": dtype");
        double[] e = cpu.toDoubleArray();
        double[] a = gpu.toDoubleArray();
        for (int i = 0; i < e.length; i++) {
            if (Double.isNaN(e[i]) || Double.isNaN(a[i])) {
                if (Double.isNaN(e[i]) != Double.isNaN(a[i])) {
                    fail(what + ": element " + i + " expected " + e[i] + " but was " + a[i]);
                }
                continue;
            }
            if (Double.isInfinite(e[i]) || Double.isInfinite(a[i])) {
                if (e[i] != a[i]) {
                    fail(what + ": element " + i + " expected " + e[i] + " but was " + a[i]);
                }
                continue;
            }
            double err = Math.abs(a[i] - e[i]);
            if (err > tol * Math.max(1, Math.abs(e[i]))) {
                fail(what + ": element " + i + " of " + e.length + " expected " + e[i] + " but was " + a[i]
                        + " (error " + err + ", tolerance " + tol + ")");
            }
        }
    }
}
