package dev.tangent.backend.cpu.dnnl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;

/** oneDNN's libgomp is loaded with a bounded spin count (GOMP_SPINCOUNT) unless the user chose a policy. */
class OpenMpWaitPolicyTest {
    private static String nativeGetenv(String name) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle getenv = linker.downcallHandle(linker.defaultLookup().find("getenv").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = (MemorySegment) getenv.invokeExact(a.allocateFrom(name));
            return v.equals(MemorySegment.NULL) ? null : v.reinterpret(256).getString(0);
        }
    }

    @Test
    void libgompSeesTheBoundedSpinCountWhenLoaded() throws Throwable {
        assertTrue(DnnlLibrary.isAvailable(), () -> DnnlLibrary.unavailableReason().orElse(""));
        String user = System.getenv("OMP_WAIT_POLICY");
        String spin = System.getenv("GOMP_SPINCOUNT");
        String mode = System.getProperty("tangent.omp.wait", "spin");
        if (user != null || spin != null || mode.equals("libgomp")) {
            assertEquals(user, nativeGetenv("OMP_WAIT_POLICY"), "the user's choice is kept");
            assertEquals(spin, nativeGetenv("GOMP_SPINCOUNT"), "the user's choice is kept");
            assertTrue(OpenMpWaitPolicy.outcome().startsWith("left"), OpenMpWaitPolicy.outcome());
        } else if (mode.equals("passive")) {
            assertEquals("passive", nativeGetenv("OMP_WAIT_POLICY"));
            assertEquals("OMP_WAIT_POLICY=passive (set by Tangent)", OpenMpWaitPolicy.outcome());
        } else {
            String n = Long.toString(Long.getLong("tangent.omp.spincount", OpenMpWaitPolicy.DEFAULT_SPIN));
            assertEquals(n, nativeGetenv("GOMP_SPINCOUNT"));
            assertEquals(null, nativeGetenv("OMP_WAIT_POLICY"));
            assertEquals("GOMP_SPINCOUNT=" + n + " (set by Tangent)", OpenMpWaitPolicy.outcome());
            assertEquals(null, System.getenv("GOMP_SPINCOUNT"), "Java's environment (and children's) unchanged");
        }
    }
}
