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

/** oneDNN's libgomp is loaded with OMP_WAIT_POLICY=passive unless the user chose a policy. */
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
    void libgompSeesThePassivePolicyWhenLoaded() throws Throwable {
        assertTrue(DnnlLibrary.isAvailable(), () -> DnnlLibrary.unavailableReason().orElse(""));
        String user = System.getenv("OMP_WAIT_POLICY");
        String spin = System.getenv("GOMP_SPINCOUNT");
        if (user != null || spin != null || "false".equals(System.getProperty("tangent.omp.passive"))) {
            assertEquals(user, nativeGetenv("OMP_WAIT_POLICY"), "the user's choice is kept");
            assertTrue(OpenMpWaitPolicy.outcome().startsWith("left"), OpenMpWaitPolicy.outcome());
        } else {
            assertEquals("passive", nativeGetenv("OMP_WAIT_POLICY"));
            assertEquals("passive (set by Tangent)", OpenMpWaitPolicy.outcome());
            assertEquals(null, System.getenv("OMP_WAIT_POLICY"), "Java's environment (and children's) unchanged");
        }
    }
}
