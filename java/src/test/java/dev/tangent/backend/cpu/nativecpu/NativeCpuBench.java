package dev.tangent.backend.cpu.nativecpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.tangent.ops.ElementwiseMath;
import dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary.UnaryOp;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

/**
 * Element-wise float32 jvp (y = f(x), dy = f'(x) dx) through libtangent_cpu.so from Java, against
 * the scalar Java loop CpuBackend.unaryJvp runs today (MathFunctions in double, one element at a
 * time over MemorySegments), at 16 .. 2^20 elements: ns per element, median of 15 batches.
 * Arguments: the ops to run (sin exp tanh; default all).
 * A plain main (not a JUnit test); the commands are in native/cpu/README.md.
 */
public final class NativeCpuBench {
    public static void main(String[] args) {
        if (!NativeCpuLibrary.isAvailable()) {
            System.out.println("libtangent_cpu.so unavailable: " + NativeCpuLibrary.unavailableReason());
            return;
        }
        System.out.println("libtangent_cpu " + NativeCpuLibrary.isa() + " (" + NativeCpuLibrary.libraryPath() + "), "
                + Runtime.version());
        System.out.println("| op | n | Java loop jvp | native jvp (FFM call) | native forward | Java / native jvp |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        Object[][] ops = {{"sin", Prim.SIN, UnaryOp.SIN, 10.0}, {"exp", Prim.EXP, UnaryOp.EXP, 10.0},
                {"tanh", Prim.TANH, UnaryOp.TANH, 5.0}};
        try (Arena arena = Arena.ofConfined()) {
            int max = 1 << 20;
            MemorySegment x = arena.allocate(4L * max, 64);
            MemorySegment dx = arena.allocate(4L * max, 64);
            MemorySegment y = arena.allocate(4L * max, 64);
            MemorySegment dy = arena.allocate(4L * max, 64);
            for (Object[] o : ops) {
                if (args.length > 0 && !Arrays.asList(args).contains((String) o[0])) {
                    continue; // one op per JVM keeps the Java loop's call sites monomorphic
                }
                Prim p = (Prim) o[1];
                UnaryOp op = (UnaryOp) o[2];
                double scale = (double) o[3];
                java.util.Random r = new java.util.Random(1);
                for (int i = 0; i < max; i++) {
                    x.setAtIndex(JAVA_FLOAT, i, (float) ((r.nextDouble() * 2 - 1) * scale));
                    dx.setAtIndex(JAVA_FLOAT, i, (float) r.nextDouble());
                }
                DoubleUnaryOperator f = ElementwiseMath.unary(p, Attrs.Scalars.NONE);
                Derivative d = derivative(p);
                boolean warmed = false;
                for (int n : new int[] {4096, 16, 256, 4096, 1 << 20}) { // the first 4096: JIT warm-up, not printed
                    boolean warmUp = n == 4096 && f != null && !warmed;
                    warmed = true;
                    double java = time(n, () -> javaJvp(f, d, x, dx, y, dy, n));
                    double nat = time(n, () -> NativeCpuLibrary.unaryJvpF32(op, x, dx, y, dy, n));
                    double fwd = time(n, () -> NativeCpuLibrary.unaryF32(op, x, y, n));
                    if (!warmUp) {
                        System.out.printf("| %s | %d | %.2f | %.3f | %.3f | %.1f× |%n", o[0], n, java, nat, fwd, java / nat);
                    }
                }
            }
        }
    }

    /** f'(x) given x and y = f(x), for the ops this bench compares. */
    interface Derivative {
        double at(double x, double y);
    }

    static Derivative derivative(Prim p) {
        return switch (p) {
            case SIN -> (x, y) -> Math.cos(x);
            case EXP -> (x, y) -> y;
            case TANH -> (x, y) -> 1 - y * y;
            case SIGMOID -> (x, y) -> y * (1 - y);
            case LOG -> (x, y) -> 1 / x;
            case COS -> (x, y) -> -Math.sin(x);
            default -> (x, y) -> Double.NaN;
        };
    }

    /** A scalar fused jvp loop over contiguous float32, what the Java kernels cost per element. */
    static void javaJvp(DoubleUnaryOperator f, Derivative d, MemorySegment xs, MemorySegment ts,
                        MemorySegment ys, MemorySegment tys, int n) {
        for (long j = 0; j < n; j++) {
            double xv = xs.getAtIndex(JAVA_FLOAT, j);
            float yv = (float) f.applyAsDouble(xv);
            ys.setAtIndex(JAVA_FLOAT, j, yv);
            tys.setAtIndex(JAVA_FLOAT, j, (float) (ts.getAtIndex(JAVA_FLOAT, j) * d.at(xv, yv)));
        }
    }

    /** Median ns per element over 15 batches of about 20 ms. */
    static double time(int n, Runnable r) {
        long calls = 1;
        for (;;) {
            long t0 = System.nanoTime();
            for (long i = 0; i < calls; i++) {
                r.run();
            }
            if (System.nanoTime() - t0 > 20_000_000L) {
                break;
            }
            calls *= 2;
        }
        double[] t = new double[15];
        for (int b = 0; b < t.length; b++) {
            long t0 = System.nanoTime();
            for (long i = 0; i < calls; i++) {
                r.run();
            }
            t[b] = (System.nanoTime() - t0) / (double) calls / n;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }
}
