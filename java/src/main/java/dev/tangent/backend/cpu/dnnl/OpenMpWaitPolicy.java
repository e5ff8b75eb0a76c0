package dev.tangent.backend.cpu.dnnl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Makes oneDNN's OpenMP threads sleep, not spin, while they wait for work: sets
 * {@code OMP_WAIT_POLICY=passive} in the process environment before {@code libgomp.so.1} is loaded
 * (libgomp reads it once, when it loads), unless the user set {@code OMP_WAIT_POLICY} or
 * {@code GOMP_SPINCOUNT} already, or {@code -Dtangent.omp.passive=false}.
 *
 * <p>Why: libgomp's default lets an idle worker spin for a while (its spin count, hundreds of
 * thousands of pause loops) after each parallel region. Adaptive threading runs small kernels on the
 * calling thread alone, so after every kernel that used a team its idle worker burns a core that
 * another request thread (or another process) needs; on a machine with more runnable threads than
 * cores the spinning worker is also descheduled at random, and a 2-thread kernel then waits for it
 * for a scheduler slice: GrainProbe measured 10–25 ms for 2-thread matmuls and additions that take
 * 20 µs–2 ms on one thread (load average 7–10 on 2 cores); with the passive policy the same
 * 2-thread matmuls ran 1.1–3.8× faster than one thread (README "Threads and serving"). Waking a
 * sleeping worker costs a futex wake, which the grains are measured with.
 *
 * <p>The setting is process-wide: another OpenMP runtime loaded later in the same process (e.g.
 * libtorch's) reads the same variable. Java's own view ({@code System.getenv}, and so child
 * processes) keeps the user's environment.
 */
final class OpenMpWaitPolicy {
    private static volatile String outcome = "not applied";

    private OpenMpWaitPolicy() {}

    /** Sets the variable if Tangent should; call before libgomp is loaded. Never throws. */
    static void beforeLoad() {
        try {
            if (!Boolean.parseBoolean(System.getProperty("tangent.omp.passive", "true"))) {
                outcome = "left to libgomp (tangent.omp.passive=false)";
                return;
            }
            // Java's view of the environment is a snapshot taken on first use: take it now, so that
            // System.getenv and child processes keep seeing the user's environment, not this change.
            for (String user : new String[] {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"}) {
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
                for (String user : new String[] {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"}) {
                    MemorySegment v = (MemorySegment) getenv.invokeExact(a.allocateFrom(user));
                    if (!v.equals(MemorySegment.NULL)) {
                        outcome = "left as set by the user (" + user + "=" + v.reinterpret(256).getString(0) + ")";
                        return;
                    }
                }
                int rc = (int) setenv.invokeExact(a.allocateFrom("OMP_WAIT_POLICY"), a.allocateFrom("passive"), 0);
                outcome = rc == 0 ? "passive (set by Tangent)" : "setenv failed (" + rc + ")";
            }
        } catch (Throwable t) {
            outcome = "not applied: " + t;
        }
    }

    /** What {@link #beforeLoad()} did, for {@code Tangent.cpuKernels()}-style diagnostics. */
    static String outcome() {
        return outcome;
    }
}
