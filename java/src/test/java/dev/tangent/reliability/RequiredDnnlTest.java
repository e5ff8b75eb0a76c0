package dev.tangent.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tangent.dnnl=required}: a service that must not silently run on the Java kernels gets the
 * loader's reason at the first tensor operation instead of a fallback; with oneDNN available the
 * setting changes nothing.
 */
class RequiredDnnlTest {
    @TempDir
    Path tmp;

    @Test
    void aRequiredOneDnnThatCannotLoadFailsTheFirstOperationWithTheReason() throws Exception {
        Path log = Files.createTempFile(tmp, "child", ".log");
        Path missing = tmp.resolve("no-such-dir/libdnnl.so.3");
        FaultTest.Child c = FaultTest.finish(FaultTest.start(log, "-Dtangent.dnnl=required",
                "-Dtangent.dnnl.library=" + missing), log);
        assertNotEquals(0, c.exit(), c.out());
        assertTrue(c.out().contains("IllegalStateException") && c.out().contains("tangent.dnnl=required")
                && c.out().contains(missing.toString()), c.out());
        assertTrue(!c.out().contains("SEED "), "no result may be computed on the Java kernels: " + c.out());
    }

    @Test
    void aRequiredOneDnnThatLoadsWorksAsUsual() throws Exception {
        Path log = Files.createTempFile(tmp, "child", ".log");
        FaultTest.Child c = FaultTest.finish(FaultTest.start(log, "-Dtangent.dnnl=required"), log);
        assertEquals(0, c.exit(), c.out());
        FaultTest.computedCorrectly(c);
        assertTrue(c.line("STATUS").startsWith("active: oneDNN"), c.out());
    }
}
