import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import dev.tangent.backend.cuda.CudaBackend;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The GPU host's benchmark (plain Java, no JMH there): each workload's jvp timed call by call
 * (warm-up, then N calls, each ended by a stream synchronize), median and p90 in microseconds.
 * Modes: eager {@code Functional.jvp}; a compiled {@code JvpPlan} replaying its kernels one by one;
 * the same plan replayed as a CUDA graph. Usage: {@code CudaBench [out.tsv]}.
 */
public final class CudaBench {
    private static final Device GPU = Device.cuda(0);
    private static final List<String> ROWS = new ArrayList<>();
    private static CudaBackend be;

    public static void main(String[] args) throws IOException {
        if (!Device.cudaAvailable()) {
            System.out.println("CUDA unavailable: " + Device.cudaUnavailableReason());
            System.exit(2);
        }
        be = (CudaBackend) Backends.of(GPU);
        System.out.println("device: " + be);
        Path out = Path.of(args.length > 0 ? args[0] : "tangent_bench.tsv");
        String only = args.length > 1 ? args[1] : "";

        if (only.isEmpty() || only.contains("seed")) {
            Tensor x = Tensor.rand(0, 4, 4).to(GPU);
            Tensor v = Tensor.ones(4, 4).to(GPU);
            all("seed x.exp().sum(1) 4x4", t -> t.exp().sum(1), x, v, 2000, 20000);
        }
        if (only.isEmpty() || only.contains("mlp")) {
            Function<Tensor, Tensor> mlp = GpuMlp.on(GPU);
            for (int b : new int[] {1, 1024, 8192}) {
                Tensor x = Tensor.randn(10 + b, b, 784).to(GPU);
                Tensor v = Tensor.randn(20 + b, b, 784).to(GPU);
                int iters = b == 1 ? 3000 : b == 1024 ? 500 : 150;
                all("mlp 784-1024-1024-10 tanh B=" + b + " fp32", mlp, x, v, iters / 5, iters);
                if (b == 8192) {
                    CudaBackend.allowTf32(true);
                    all("mlp 784-1024-1024-10 tanh B=" + b + " tf32", mlp, x, v, iters / 5, iters);
                    CudaBackend.allowTf32(false);
                }
            }
        }
        if (only.isEmpty() || only.contains("elementwise")) {
            Tensor x = Tensor.rand(7, 1 << 24).to(GPU);
            Tensor v = Tensor.ones(1 << 24).to(GPU);
            all("elementwise (sin*exp).sum() 2^24", t -> t.sin().mul(t.exp()).sum(), x, v, 50, 300);
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out))) {
            w.println("workload\tmode\tmedian_us\tp90_us");
            ROWS.forEach(w::println);
        }
        System.out.println("wrote " + out);
    }

    private static void all(String name, Function<Tensor, Tensor> f, Tensor x, Tensor v, int warm, int n) {
        // eager: fresh tensors per call (freed by the scope, reused by the caching allocator)
        time(name, "eager", warm, Math.max(20, n / 4), () -> {
            try (Scope s = Scope.open()) {
                Functional.jvp(f, x, v);
                be.synchronize();
            }
        });
        System.setProperty("tangent.cuda.graphs.disable", "true");
        try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(f, x)) {
            time(name, "plan", warm, n, () -> {
                plan.apply(x, v);
                be.synchronize();
            });
        }
        System.setProperty("tangent.cuda.graphs.disable", "false");
        try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(f, x)) {
            JvpResult<Tensor> r = plan.apply(x, v);
            try (Scope s = Scope.open()) {
                JvpResult<Tensor> e = Functional.jvp(f, x, v);
                double err = maxRelErr(e.jvp(), r.jvp());
                if (err > 1e-2) {
                    System.out.println("  WARNING: graph plan differs from eager jvp (max rel err " + err + ")");
                }
            }
            time(name, "plan+graph", warm, n, () -> {
                plan.apply(x, v);
                be.synchronize();
            });
        }
    }

    private static double maxRelErr(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray();
        double[] y = b.toDoubleArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(x[i])));
        }
        return m;
    }

    private static void time(String name, String mode, int warm, int n, Runnable call) {
        try {
            for (int i = 0; i < warm; i++) {
                call.run();
            }
            long[] t = new long[n];
            long deadline = System.nanoTime() + 20_000_000_000L; // at most ~20 s per row
            int done = 0;
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                call.run();
                t[i] = System.nanoTime() - t0;
                done++;
                if (t[i] + t0 > deadline) {
                    break;
                }
            }
            long[] d = Arrays.copyOf(t, done);
            Arrays.sort(d);
            double med = d[done / 2] / 1e3;
            double p90 = d[Math.min(done - 1, (int) Math.ceil(done * 0.9) - 1)] / 1e3;
            String row = String.format(Locale.ROOT, "%s\t%s\t%.1f\t%.1f", name, mode, med, p90);
            ROWS.add(row);
            System.out.printf(Locale.ROOT, "%-42s %-11s median %10.1f us  p90 %10.1f us  (n=%d)%n", name, mode, med, p90, done);
        } catch (RuntimeException e) {
            ROWS.add(name + "\t" + mode + "\tFAILED\t" + e.getClass().getSimpleName());
            System.out.println(name + " " + mode + " FAILED: " + e);
            e.printStackTrace(System.out);
        }
    }
}
