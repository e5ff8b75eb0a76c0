package dev.tangent.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles a C program against the real headers that prints every constant, typedef size and
 * struct size/offset named in an include list, and asserts the generated Java side says the same.
 * Also checks that every listed function is declared by the headers and has a Java binding.
 */
class HeaderCheckTest {

    private static final String DNNL_INCLUDE_PREFIX = "org/bytedeco/dnnl/linux-x86_64/include/";

    @TempDir
    Path tmp;

    @Test
    void dnnlBindingsMatchDnnlHeaders() throws Exception {
        Path inc = extractDnnlHeaders(tmp.resolve("dnnl-include"));
        check("dnnl", "dev.tangent.bindings.dnnl.dnnl_h",
                List.of("oneapi/dnnl/dnnl.h", "oneapi/dnnl/dnnl_debug.h"), List.of(inc));
    }

    @Test
    void cudaBindingsMatchCudaHeader() throws Exception {
        Path inc = findCudaInclude();
        assumeTrue(inc != null, "skipped: no cuda.h (set CUDA_INCLUDE or CUDA_HOME, or install the CUDA toolkit)");
        check("cuda", "dev.tangent.bindings.cuda.cuda_h", List.of("cuda.h"), List.of(inc));
    }

    @Test
    void cublasBindingsMatchSubsetHeader() throws Exception {
        // The subset itself is checked against the real cublas_api.h by check-cublas-header.sh on GPU hosts.
        check("cublas", "dev.tangent.bindings.cublas.cublas_h", List.of("cublas_subset.h"),
                List.of(Path.of("headers").toAbsolutePath()));
    }

    // ------------------------------------------------------------------------------------------

    private record IncludeList(List<String> functions, List<String> constants, List<String> structs,
                               List<String> typedefs) {}

    private static IncludeList readIncludes(String lib) throws IOException {
        List<String> f = new ArrayList<>(), c = new ArrayList<>(), s = new ArrayList<>(), t = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("includes", lib + ".txt"))) {
            String[] w = line.replaceAll("#.*", "").trim().split("\\s+");
            if (w.length < 2) {
                continue;
            }
            switch (w[0]) {
                case "--include-function" -> f.add(w[1]);
                case "--include-constant" -> c.add(w[1]);
                case "--include-struct" -> s.add(w[1]);
                case "--include-typedef" -> t.add(w[1]);
                default -> fail("unexpected include option in " + lib + ".txt: " + w[0]);
            }
        }
        return new IncludeList(f, c, s, t);
    }

    private void check(String lib, String headerClassName, List<String> headers, List<Path> includeDirs)
            throws Exception {
        Path gcc = findOnPath("gcc");
        assumeTrue(gcc != null, "skipped: no gcc on PATH to compile the header check");
        IncludeList inc = readIncludes(lib);
        Class<?> h = Class.forName(headerClassName);

        // Java side: what the bindings claim.
        Map<String, Long> expected = new LinkedHashMap<>();
        Map<String, Boolean> isInt = new LinkedHashMap<>();
        for (String name : inc.constants()) {
            Method m = h.getMethod(name);
            assertTrue(Modifier.isStatic(m.getModifiers()), name);
            Object v = m.invoke(null);
            expected.put("C " + name, ((Number) v).longValue());
            isInt.put("C " + name, v instanceof Integer);
        }
        for (String name : inc.typedefs()) {
            MemoryLayout l = (MemoryLayout) h.getField(name).get(null);
            expected.put("T " + name, l.byteSize());
        }
        for (String name : inc.structs()) {
            Class<?> s = Class.forName(h.getPackageName() + "." + name);
            GroupLayout l = (GroupLayout) s.getMethod("layout").invoke(null);
            expected.put("S " + name, l.byteSize());
            for (MemoryLayout member : l.memberLayouts()) {
                if (member.name().isEmpty()) {
                    continue; // padding
                }
                String f = member.name().get();
                expected.put("O " + name + "." + f,
                        l.byteOffset(MemoryLayout.PathElement.groupElement(f)));
                expected.put("Z " + name + "." + f, member.byteSize());
            }
        }
        for (String name : inc.functions()) {
            h.getMethod(name + "$handle"); // the binding exists
        }

        // C side: what the headers say.
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n");
        headers.forEach(x -> c.append("#include \"").append(x).append("\"\n"));
        c.append("int main(void) {\n");
        for (String name : inc.functions()) {
            c.append("  (void)sizeof(&").append(name).append(");\n");
        }
        for (String key : expected.keySet()) {
            String kind = key.substring(0, 1);
            String name = key.substring(2);
            String expr = switch (kind) {
                case "C" -> "(long long)(" + name + ")";
                case "T", "S" -> "(long long)sizeof(" + name + ")";
                case "O" -> "(long long)offsetof(" + name.replace('.', ',') + ")";
                case "Z" -> "(long long)sizeof(((" + name.substring(0, name.indexOf('.')) + " *)0)->"
                        + name.substring(name.indexOf('.') + 1) + ")";
                default -> throw new AssertionError(kind);
            };
            c.append("  printf(\"%s %lld\\n\", \"").append(key).append("\", ").append(expr).append(");\n");
        }
        c.append("  return 0;\n}\n");
        Path src = tmp.resolve(lib + "_check.c");
        Path exe = tmp.resolve(lib + "_check");
        Files.writeString(src, c);
        List<String> cmd = new ArrayList<>(List.of(gcc.toString(), "-std=gnu11", "-w"));
        includeDirs.forEach(d -> cmd.add("-I" + d));
        cmd.addAll(List.of("-o", exe.toString(), src.toString()));
        run(cmd);
        String out = run(List.of(exe.toString()));

        Map<String, Long> actual = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int sp = line.lastIndexOf(' ');
            actual.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1)));
        }
        List<String> mismatches = new ArrayList<>();
        for (var e : expected.entrySet()) {
            Long cv = actual.get(e.getKey());
            boolean ok = cv != null && (Boolean.TRUE.equals(isInt.get(e.getKey()))
                    ? (int) (long) cv == (int) (long) e.getValue() : cv.equals(e.getValue()));
            if (!ok) {
                mismatches.add(e.getKey() + ": Java " + e.getValue() + ", C " + cv);
            }
        }
        assertEquals(List.of(), mismatches, lib + ": generated bindings disagree with the headers");
        assertEquals(expected.size(), actual.size());
    }

    private String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), () -> "failed: " + String.join(" ", cmd) + "\n" + out);
        return out;
    }

    private static Path findOnPath(String exe) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, exe);
            if (!dir.isEmpty() && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    static Path findCudaInclude() throws IOException {
        List<Path> candidates = new ArrayList<>();
        for (String env : List.of("CUDA_INCLUDE", "CUDA_HOME")) {
            String v = System.getenv(env);
            if (v != null) {
                candidates.add(env.equals("CUDA_HOME") ? Path.of(v, "include") : Path.of(v));
            }
        }
        candidates.add(Path.of("/usr/local/cuda/include"));
        if (Files.isDirectory(Path.of("/usr/local"))) {
            try (var s = Files.newDirectoryStream(Path.of("/usr/local"), "cuda-*")) {
                s.forEach(d -> candidates.add(d.resolve("include")));
            }
        }
        return candidates.stream().filter(d -> Files.isRegularFile(d.resolve("cuda.h"))).findFirst().orElse(null);
    }

    /** Extracts the oneDNN headers from the bytedeco jar on the test classpath. */
    private static Path extractDnnlHeaders(Path dest) throws IOException {
        String jarPath = System.getProperty("tangent.dnnl.jar");
        if (jarPath == null || jarPath.startsWith("${")) {
            URL u = HeaderCheckTest.class.getClassLoader().getResource(DNNL_INCLUDE_PREFIX + "oneapi/dnnl/dnnl.h");
            assertTrue(u != null, "org.bytedeco:dnnl:linux-x86_64 is not on the test classpath");
            jarPath = ((JarURLConnection) u.openConnection()).getJarFileURL().getPath();
        }
        try (JarFile jar = new JarFile(jarPath)) {
            for (JarEntry e : (Iterable<JarEntry>) jar.stream()::iterator) {
                if (e.isDirectory() || !e.getName().startsWith(DNNL_INCLUDE_PREFIX)) {
                    continue;
                }
                Path out = dest.resolve(e.getName().substring(DNNL_INCLUDE_PREFIX.length()));
                Files.createDirectories(out.getParent());
                try (InputStream in = jar.getInputStream(e)) {
                    Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return dest;
    }
}
