package dev.tangent.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The module exports only the API, and the library works on the module path as on the class path. */
class ModuleTest {
    private static final Path CLASSES = Path.of("target/classes");

    @Test
    void exportsOnlyTheApiPackages() throws Exception {
        ModuleDescriptor d;
        try (InputStream in = Files.newInputStream(CLASSES.resolve("module-info.class"))) {
            d = ModuleDescriptor.read(in, ModuleTest::packagesWithClasses);
        }
        assertEquals("dev.tangent", d.name());
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : d.exports()) {
            assertTrue(!e.isQualified(), "qualified export " + e);
            exported.add(e.source());
        }
        assertEquals(Set.of("dev.tangent", "dev.tangent.autograd", "dev.tangent.functional", "dev.tangent.nn"), exported);
        assertTrue(d.opens().isEmpty(), "opens " + d.opens());
        assertTrue(d.packages().contains("dev.tangent.engine") && d.packages().contains("dev.tangent.backend"),
                "internal packages are in the module but not exported: " + d.packages());
    }

    private static Set<String> packagesWithClasses() {
        try (var files = Files.walk(CLASSES)) {
            Set<String> r = new TreeSet<>();
            files.filter(f -> f.toString().endsWith(".class") && !f.endsWith("module-info.class"))
                    .forEach(f -> r.add(CLASSES.relativize(f.getParent()).toString().replace(File.separatorChar, '.')));
            return r;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theDemoRunsOnTheModulePath() throws Exception {
        String bindings = null;
        String dnnl = null;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.contains("bindings")) {
                bindings = e;
            } else if (e.contains("dnnl")) {
                dnnl = e;
            }
        }
        assertTrue(bindings != null && dnnl != null, "bindings and oneDNN jars on the test class path");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "--enable-native-access=dev.tangent",
                "--module-path", CLASSES.toAbsolutePath() + File.pathSeparator + bindings,
                "--class-path", dnnl, "-m", "dev.tangent/dev.tangent.demo.Demo");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("jvp    = tensor([7.6256, 5.8525, 7.4965, 7.1408])"), out);
        assertTrue(out.contains("CPU kernels: oneDNN"), "oneDNN loads on the module path: " + out);
    }
}
