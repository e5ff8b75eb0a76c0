package dev.tangent.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Closing a scope while other threads compute with its tensors never crashes the JVM: the
 * scenarios of {@link CrossThreadChild} run in a child JVM (so a crash fails this test instead of
 * killing the suite), with oneDNN and with the Java kernels. Every call either completes with the
 * right value or throws IllegalStateException, and live native bytes return to the baseline.
 */
class CrossThreadCloseTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "dnnl={0}")
    @ValueSource(strings = {"true", "false"})
    void closingAScopeUnderRunningKernelsNeverCrashes(String dnnl) throws Exception {
        boolean soak = Memory.soak();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Dtangent.dnnl=" + dnnl);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(CrossThreadChild.class.getName());
        cmd.add(soak ? "60" : "6");
        cmd.add(soak ? "400" : "40");
        Path log = tmp.resolve("child-" + dnnl + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(soak ? 1200 : 240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child ran past its deadline:\n" + Files.readString(log));
        }
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), "the child JVM must exit normally:\n" + out);
        assertTrue(out.contains("KERNELS " + (dnnl.equals("true") ? "oneDNN" : "Java")), out);
        long scenarios = out.lines().filter(l -> l.startsWith("SCENARIO ")).count();
        assertEquals(10, scenarios, out);
        String live = out.lines().filter(l -> l.startsWith("LIVE ")).findFirst().orElseThrow();
        String[] f = live.split(" ");
        assertEquals(f[1], f[2], "live native bytes back to the baseline: " + live);
        // the scenarios really raced: some calls completed and some were refused
        long refused = out.lines().filter(l -> l.startsWith("SCENARIO ") && !l.endsWith("refused=0")).count();
        assertTrue(refused >= 3, "closes landed while workers computed:\n" + out);
        System.out.println("CrossThreadCloseTest dnnl=" + dnnl + ":\n" + out.lines()
                .filter(l -> l.startsWith("SCENARIO") || l.startsWith("LIVE")).reduce((a, b) -> a + "\n" + b).orElse(""));
    }
}
