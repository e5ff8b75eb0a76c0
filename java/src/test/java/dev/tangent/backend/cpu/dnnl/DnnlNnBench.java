package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.backend.cpu.dnnl.DnnlAcceleratorTest.o;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.backend.cpu.CpuBackend;
import dev.tangent.bindings.omp.omp_h;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.NnShapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Measurements behind {@link DnnlNn#DEFAULT_LAYOUT}: ResNet-18's convolution shapes, forward,
 * backward data and backward weights, plain NCHW against oneDNN's blocked layouts with reorders at
 * the edges; pooling and small work (the cut-overs), Java against oneDNN. Off unless
 * {@code -Dtangent.nnbench=true}; prints Markdown rows (milliseconds per call, min / median).
 * Command and results: benchmarks/NN-KERNELS.md.
 *
 * <p>{@code -Dtangent.nnbench.threads=N} (default 1), {@code -Dtangent.nnbench.batches=1,32},
 * {@code -Dtangent.nnbench.seconds=0.3} (time per variant, at least 5 calls),
 * {@code -Dtangent.nnbench.only=layer4} (shapes whose name contains it),
 * {@code -Dtangent.nnbench.plain32=layer3.*|down3.*} (shapes, a regex, whose plain layout is also
 * timed at batch > 1: it takes 10-60 s a call there), {@code -Dtangent.nnbench.plain=false} (no
 * plain layout at batch 1). Times over 2 s are one call.
 */
@EnabledIfSystemProperty(named = "tangent.nnbench", matches = "true")
class DnnlNnBench {
    /** name, C, H (= W), O, k, stride, padding. */
    private static final Object[][] SHAPES = {
        {"conv1 3x224 -> 64 7x7 s2", 3, 224, 64, 7, 2, 3},
        {"layer1 64x56 -> 64 3x3", 64, 56, 64, 3, 1, 1},
        {"layer2 128x28 -> 128 3x3", 128, 28, 128, 3, 1, 1},
        {"layer3 256x14 -> 256 3x3", 256, 14, 256, 3, 1, 1},
        {"layer4 512x7 -> 512 3x3", 512, 7, 512, 3, 1, 1},
        {"layer2.0 64x56 -> 128 3x3 s2", 64, 56, 128, 3, 2, 1},
        {"down2 64x56 -> 128 1x1 s2", 64, 56, 128, 1, 2, 0},
        {"down3 128x28 -> 256 1x1 s2", 128, 28, 256, 1, 2, 0},
        {"down4 256x14 -> 512 1x1 s2", 256, 14, 512, 1, 2, 0},
    };

    private static final double SECONDS = Double.parseDouble(System.getProperty("tangent.nnbench.seconds", "0.3"));

    @Test
    void resnet18Convolutions() {
        int threads = Integer.getInteger("tangent.nnbench.threads", 1);
        long[] batches = Arrays.stream(System.getProperty("tangent.nnbench.batches", "1,32").split(","))
                .mapToLong(Long::parseLong).toArray();
        DnnlAccelerator plain = accelerator(DnnlNn.Layout.PLAIN);
        DnnlAccelerator blocked = accelerator(DnnlNn.Layout.BLOCKED);
        int before = Tangent.numThreads();
        Tangent.setNumThreads(threads);
        try {
            System.out.printf(Locale.ROOT, "%n| shape | N | thr | op | plain NCHW ms | blocked + reorders ms |%n");
            System.out.printf(Locale.ROOT, "|---|---:|---:|---|---:|---:|%n");
            for (long n : batches) {
                for (Object[] s : SHAPES) {
                    if (((String) s[0]).contains(System.getProperty("tangent.nnbench.only", ""))) {
                        row(new DnnlAccelerator[] {plain, blocked}, s, n, threads);
                    }
                }
            }
        } finally {
            Tangent.setNumThreads(before);
        }
    }

    private static DnnlAccelerator accelerator(DnnlNn.Layout layout) {
        DnnlAccelerator acc = new DnnlAccelerator(256);
        acc.threadCount(omp_h::omp_set_num_threads);
        acc.cutovers(0, 0);
        acc.nn().forceLayout(layout);
        return acc;
    }

    private static void row(DnnlAccelerator[] accs, Object[] s, long n, int threads) {
        long c = (Integer) s[1];
        long h = (Integer) s[2];
        long oc = (Integer) s[3];
        long k = (Integer) s[4];
        long st = (Integer) s[5];
        long pad = (Integer) s[6];
        Attrs.Conv a = new Attrs.Conv(new long[] {st, st}, new long[] {pad, pad}, new long[] {1, 1}, 1);
        long oh = NnShapes.convOut("bench", h, k, st, pad, 1);
        boolean withPlain = n == 1 ? Boolean.parseBoolean(System.getProperty("tangent.nnbench.plain", "true"))
                : ((String) s[0]).matches(System.getProperty("tangent.nnbench.plain32", "layer3.*|down3.*"));
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.randn(1, n, c, h, h);
            Tensor w = Tensor.randn(2, oc, c, k, k);
            Tensor g = Tensor.randn(3, n, oc, oh, oh);
            Tensor y = Tensor.zeros(DType.FLOAT32, n, oc, oh, oh);
            Tensor gx = Tensor.zeros(DType.FLOAT32, n, c, h, h);
            Tensor gw = Tensor.zeros(DType.FLOAT32, oc, c, k, k);
            String[] ops = {"forward", "backward data", "backward weights"};
            for (int i = 0; i < ops.length; i++) {
                int op = i;
                List<BooleanSupplier> variants = new ArrayList<>();
                for (DnnlAccelerator acc : accs) {
                    variants.add(switch (op) {
                        case 0 -> () -> acc.conv2d(a, o(x), o(w), o(y));
                        case 1 -> () -> acc.conv2dInputGrad(a, o(g), o(w), o(gx));
                        default -> () -> acc.conv2dWeightGrad(a, o(x), o(g), o(gw));
                    });
                }
                // one at a time: right after a long plain call the scheduler of this shared machine
                // held the blocked calls back 10-20x (measured when they took turns)
                String pl = withPlain ? race(variants.subList(0, 1))[0] : "not run";
                String bl = race(variants.subList(1, 2))[0];
                System.out.printf(Locale.ROOT, "| %s | %d | %d | %s | %s | %s |%n", s[0], n, threads, ops[i], pl, bl);
            }
        }
    }

    /**
     * Milliseconds per call of each variant, "min / median": each is called twice untimed (creates
     * the primitives, grows the workspace), then the variants take turns, one call each per
     * round, for at least 5 rounds and {@code seconds} per variant. On this shared machine the
     * minimum is the steadier figure. A variant whose first call takes over 2 s is timed by that
     * one call only.
     */
    static String[] race(List<BooleanSupplier> variants) {
        int nv = variants.size();
        String[] out = new String[nv];
        List<Integer> live = new ArrayList<>();
        for (int v = 0; v < nv; v++) {
            long t0 = System.nanoTime();
            assertTrue(variants.get(v).getAsBoolean(), "should run on oneDNN");
            double first = (System.nanoTime() - t0) / 1e6;
            if (first > 2000) {
                out[v] = String.format(Locale.ROOT, "%.0f (1 call)", first);
            } else {
                variants.get(v).getAsBoolean();
                live.add(v);
            }
        }
        double[][] t = new double[nv][2000];
        int rounds = 0;
        long budget = (long) (SECONDS * 1e9) * Math.max(1, live.size());
        long start = System.nanoTime();
        while (!live.isEmpty() && rounds < 2000 && (rounds < 5 || System.nanoTime() - start < budget)) {
            for (int v : live) {
                long t0 = System.nanoTime();
                variants.get(v).getAsBoolean();
                t[v][rounds] = (System.nanoTime() - t0) / 1e6;
            }
            rounds++;
        }
        for (int v : live) {
            double[] r = Arrays.copyOf(t[v], rounds);
            Arrays.sort(r);
            out[v] = String.format(Locale.ROOT, "%.3f / %.3f", r[0], r[rounds / 2]);
        }
        return out;
    }

    /** ResNet's pooling layers: Java against oneDNN (max: the probe that is not used; see DnnlNnTest). */
    @Test
    void resnet18Pooling() {
        int threads = Integer.getInteger("tangent.nnbench.threads", 1);
        DnnlAccelerator acc = accelerator(DnnlNn.Layout.BLOCKED);
        CpuBackend java = new CpuBackend();
        int before = Tangent.numThreads();
        Tangent.setNumThreads(threads);
        try (Scope scope = Scope.open()) {
            System.out.printf(Locale.ROOT, "%n| pooling | N | thr | Java ms | oneDNN ms |%n|---|---:|---:|---:|---:|%n");
            for (long n : new long[] {1, 32}) {
                Tensor x = Tensor.randn(4, n, 64, 112, 112);
                Tensor y = Tensor.zeros(DType.FLOAT32, n, 64, 56, 56);
                Tensor z = Tensor.zeros(DType.FLOAT32, n, 64, 56, 56);
                Tensor gx = Tensor.zeros(DType.FLOAT32, n, 64, 112, 112);
                Attrs.Pool max = new Attrs.Pool(new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1},
                        new long[] {1, 1}, false, true, 0);
                Attrs.Pool avg = new Attrs.Pool(new long[] {2, 2}, new long[] {2, 2}, new long[] {0, 0},
                        new long[] {1, 1}, false, true, 0);
                String[] m = race(List.of(() -> {
                    java.maxPool2d(max, o(x), o(y), null);
                    return true;
                }, () -> acc.nn().maxPoolProbe(max, o(x), o(y))));
                System.out.printf(Locale.ROOT, "| max 3x3 s2 p1, 64x112 | %d | %d | %s | %s (not used) |%n", n, threads, m[0],
                        m[1]);
                String[] f = race(List.of(() -> {
                    java.avgPool2d(avg, o(x), o(z));
                    return true;
                }, () -> acc.avgPool2d(avg, o(x), o(z))));
                System.out.printf(Locale.ROOT, "| avg 2x2 s2, 64x112 | %d | %d | %s | %s |%n", n, threads, f[0], f[1]);
                String[] b = race(List.of(() -> {
                    java.avgPool2dGrad(avg, o(z), o(gx));
                    return true;
                }, () -> acc.avgPool2dGrad(avg, o(z), o(gx))));
                System.out.printf(Locale.ROOT, "| avg 2x2 s2 backward, 64x112 | %d | %d | %s | %s |%n", n, threads, b[0], b[1]);
            }
        } finally {
            Tangent.setNumThreads(before);
        }
    }

    /** Small convolutions and pooling: where oneDNN starts to beat the Java kernels (the cut-overs). */
    @Test
    void smallWork() {
        int threads = Integer.getInteger("tangent.nnbench.threads", 1);
        DnnlAccelerator acc = accelerator(DnnlNn.Layout.BLOCKED);
        CpuBackend java = new CpuBackend();
        int before = Tangent.numThreads();
        Tangent.setNumThreads(threads);
        try (Scope scope = Scope.open()) {
            System.out.printf(Locale.ROOT, "%n| small work | MACs or elements | thr | Java ms | oneDNN ms |%n"
                    + "|---|---:|---:|---:|---:|%n");
            Attrs.Conv a = new Attrs.Conv(new long[] {1, 1}, new long[] {1, 1}, new long[] {1, 1}, 1);
            for (long[] c : new long[][] {{1, 2, 4}, {2, 2, 4}, {2, 2, 8}, {4, 4, 8}, {4, 4, 16}, {8, 8, 16}, {8, 8, 32}}) {
                long ch = c[0];
                long oc = c[1];
                long hw = c[2];
                Tensor x = Tensor.randn(1, 1, ch, hw, hw);
                Tensor w = Tensor.randn(2, oc, ch, 3, 3);
                Tensor y = Tensor.zeros(DType.FLOAT32, 1, oc, hw, hw);
                String[] r = race(List.of(() -> {
                    java.conv2d(a, o(x), o(w), o(y));
                    return true;
                }, () -> acc.conv2d(a, o(x), o(w), o(y))));
                System.out.printf(Locale.ROOT, "| conv2d 3x3 %dx%dx%d -> %d | %d | %d | %s | %s |%n", ch, hw, hw, oc,
                        oc * hw * hw * ch * 9, threads, r[0], r[1]);
            }
            Attrs.Pool avg = new Attrs.Pool(new long[] {2, 2}, new long[] {2, 2}, new long[] {0, 0}, new long[] {1, 1},
                    false, true, 0);
            for (long hw : new long[] {8, 16, 32, 64}) {
                Tensor x = Tensor.randn(3, 1, 4, hw, hw);
                Tensor y = Tensor.zeros(DType.FLOAT32, 1, 4, hw / 2, hw / 2);
                String[] r = race(List.of(() -> {
                    java.avgPool2d(avg, o(x), o(y));
                    return true;
                }, () -> acc.avgPool2d(avg, o(x), o(y))));
                System.out.printf(Locale.ROOT, "| avg_pool2d 2x2 4x%dx%d | %d | %d | %s | %s |%n", hw, hw, 4 * hw * hw,
                        threads, r[0], r[1]);
            }
        } finally {
            Tangent.setNumThreads(before);
        }
    }
}
