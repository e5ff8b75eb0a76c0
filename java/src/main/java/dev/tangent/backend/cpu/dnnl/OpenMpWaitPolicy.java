package dev.tangent.backend.cpu.dnnl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Bounds how long oneDNN's idle OpenMP threads spin before they sleep: sets
 * {@code GOMP_SPINCOUNT} ({@code tangent.omp.spincount}, default {@value #DEFAULT_SPIN}) in the process
 * environment before {@code libgomp.so.1} is loaded (libgomp reads it once, when it loads), unless
 * the user set {@code OMP_WAIT_POLICY} or {@code GOMP_SPINCOUNT} already. {@code
 * -Dtangent.omp.wait=passive} sets {@code OMP_WAIT_POLICY=passive} instead (sleep at once), {@code
 * -Dtangent.omp.wait=libgomp} leaves libgomp's default (300,000 spins).
 *
 * <p>Why bounded: libgomp's default lets an idle worker spin for hundreds of thousands of pause
 * loops after each parallel region. On a machine with more runnable threads than cores that worker
 * burns a core another request thread needs, and is descheduled at random, and a 2-thread kernel then
 * waits a scheduler slice for it: GrainProbe measured 10–25 ms for 2-thread matmuls and additions that
 * take 20 µs–2 ms on one thread (load average 7–10 on 2 cores). Why spinning at all: with the passive
 * policy each kernel of a model's forward woke its sleeping worker by a futex, and at 2 threads the
 * encoder's batch-1 forward took 7.6 ms (JMH median) against 3.7 ms with spinning, ResNet-18's 35.1
 * against 23.0 ms (20,000 spins; 2,000: 3.9 and 29.6 ms); batch-1 serving, whose kernels run on
 * one thread, was the same either way (benchmarks/ANALYSIS.md). libgomp caps the spin at 1,000
 * when there are more OpenMP threads than cores.
 *
 * <p>The setting is process-wide: another OpenMP runtime loaded later in the same process (e.g.
 * libtorch's) reads the same variable. Java's own view ({@code System.getenv}, and so child
 * processes) keeps the user's environment.
 */
final class OpenMpWaitPolicy {
    /** Spins of an idle worker before it sleeps, unless {@code tangent.omp.spincount} says otherwise. */
    static final long DEFAULT_SPIN = 20_000;
    private static final String[] USER_VARIABLES = {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"};
    private static volatile String outcome = "not applied";

    private OpenMpWaitPolicy() {}

    /**
     * Sets the variable if Tangent should; call before libgomp is loaded.
     *
     * @throws IllegalArgumentException for an unknown {@code tangent.omp.wait} or a negative spin count
     */
    static void beforeLoad() {
        try {
            String mode = System.getProperty("tangent.omp.wait", "spin");
            String name;
            String value;
            switch (mode) {
                case "libgomp" -> {
                    outcome = "left to libgomp (tangent.omp.wait=libgomp)";
                    return;
                }
                case "passive" -> {
                    name = "OMP_WAIT_POLICY";
                    value = "passive";
                }
                case "spin" -> {
                    name = "GOMP_SPINCOUNT";
                    long n = Long.getLong("tangent.omp.spincount", DEFAULT_SPIN);
                    if (n < 0) {
                        throw new IllegalArgumentException("tangent.omp.spincount must be >= 0, got " + n);
                    }
                    value = Long.toString(n);
                }
                default -> throw new IllegalArgumentException(
                        "tangent.omp.wait must be spin, passive or libgomp, got '" + mode + "'");
            }
            // Java's view of the environment is a snapshot taken on first use: take it now, so that
            // System.getenv and child processes keep seeing the user's environment, not this change.
            for (String user : USER_VARIABLES) {
                String v = System.getenv(user);
                if (v != null) {
                    outcome = "left as set by the user (" + user + "=" + v + ")";
                    return;
                }
            }
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            MethodHandle getenv = linker.downcallHandle(libc.find("getenv").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MethodHandle setenv = linker.downcallHandle(libc.find("setenv").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            try (Arena a = Arena.ofConfined()) {
                for (String user : USER_VARIABLES) {
                    MemorySegment v = (MemorySegment) getenv.invokeExact(a.allocateFrom(user));
                    if (!v.equals(MemorySegment.NULL)) {
                        outcome = "left as set by the user (" + user + "=" + v.reinterpret(256).getString(0) + ")";
                        return;
                    }
                }
                int rc = (int) setenv.invokeExact(a.allocateFrom(name), a.allocateFrom(value), 0);
                outcome = rc == 0 ? name + "=" + value + " (set by Tangent)" : "setenv failed (" + rc + ")";
            }
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            outcome = "not applied: " + t;
        }
    }

    /** What {@link #beforeLoad()} did, for {@code Tangent.cpuKernels()}-style diagnostics. */
    static String outcome() {
        return outcome;
    }
}
