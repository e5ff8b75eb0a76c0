package dev.tangent.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults a service meets in the field: the native library missing or corrupt, the cache folder
 * unwritable, two JVMs extracting at once, a thread interrupted mid-call. Each child JVM runs
 * {@link FaultChild} with the test classpath and is killed if it runs past its timeout; its
 * results are checked against analytic values (the Java kernels must compute correctly when
 * oneDNN is unavailable).
 */
class FaultTest {
    static final long CHILD_TIMEOUT_S = 120;

    @TempDir
    Path tmp;

    record Child(int exit, String out) {
        String line(String prefix) {
            return out.lines().filter(l -> l.startsWith(prefix + " ")).findFirst()
                    .map(l -> l.substring(prefix.length() + 1))
                    .orElseThrow(() -> new AssertionError("no " + prefix + " line in the child's output:\n" + out));
        }
    }

    static Process start(Path log, String... props) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(Arrays.asList(props));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(FaultChild.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .directory(log.getParent().toFile());
        pb.environment().remove("TANGENT_DNNL_LIBRARY");
        pb.environment().remove("TANGENT_CACHE_DIR");
        return pb.start();
    }

    static Child finish(Process p, Path log) throws Exception {
        if (!p.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM ran past " + CHILD_TIMEOUT_S + " s:\n" + Files.readString(log));
        }
        return new Child(p.exitValue(), Files.readString(log));
    }

    Child run(String... props) throws Exception {
        Path log = Files.createTempFile(tmp, "child", ".log");
        return finish(start(log, props), log);
    }

    /** The child computed the seed jvp and the matmul jvp correctly (analytic values). */
    static void computedCorrectly(Child c) {
        assertEquals(0, c.exit(), c.out());
        String[] parts = c.line("SEED").split(" / ");
        for (String part : parts) {
            String[] v = part.split(",");
            for (int row = 0; row < 4; row++) {
                double expected = 0;
                for (int k = 0; k < 4; k++) {
                    expected += Math.exp((row * 4 + k) / 16.0);   // exp' = exp, v = 1: output = jvp = Σ exp
                }
                assertEquals(expected, Double.parseDouble(v[row]), 1e-5 * expected, c.out());
            }
        }
        String[] m = c.line("MATMUL").split(" ");
        assertEquals(0.0, Double.parseDouble(m[0]), c.out());
        assertEquals(128.0, Double.parseDouble(m[1]), c.out());
        assertEquals(128.0, Double.parseDouble(m[2]), c.out());
    }

    static Path bundledLibrary() {
        Assumptions.assumeTrue(Backends.cpuAcceleratorStatus().startsWith("active"),
                "oneDNN is not active in this JVM: " + Backends.cpuAcceleratorStatus());
        String s = Backends.cpuAcceleratorStatus();
        return Path.of(s.substring(s.lastIndexOf('(') + 1, s.lastIndexOf(')')));
    }

    @Test
    void libraryOverrideToAMissingFile() throws Exception {
        Path missing = tmp.resolve("nowhere/libdnnl.so.3");
        Child c = run("-Dtangent.dnnl.library=" + missing);
        computedCorrectly(c);
        String status = c.line("STATUS");
        assertTrue(status.contains(missing.toString()) && status.contains("does not exist")
                && status.contains("tangent.dnnl.library"), status);
        assertTrue(c.out().contains("oneDNN unavailable, CPU kernels fall back to Java"), "logged:\n" + c.out());
    }

    @Test
    void libraryOverrideToATruncatedCopy() throws Exception {
        Path real = bundledLibrary();
        Path cut = tmp.resolve("libdnnl.so.3");
        try (InputStream in = Files.newInputStream(real)) {
            Files.write(cut, in.readNBytes(64 * 1024));
        }
        Child c = run("-Dtangent.dnnl.library=" + cut);
        computedCorrectly(c);
        String status = c.line("STATUS");
        assertTrue(status.contains(cut.toString()) && status.contains("truncated or corrupt")
                && status.contains("65536 bytes"), status);
    }

    @Test
    void libraryOverrideToAFileThatIsNotALibrary() throws Exception {
        Path text = tmp.resolve("libdnnl.so");
        Files.writeString(text, "not an ELF file\n");
        Child c = run("-Dtangent.dnnl.library=" + text);
        computedCorrectly(c);
        String status = c.line("STATUS");   // refused before the dynamic loader sees it
        assertTrue(status.contains(text.toString()) && status.contains("not an ELF file"), c.out());
    }

    @Test
    void cacheFolderUnwritable() throws Exception {
        // Root ignores permission bits: a cache "folder" under a regular file cannot be created by anyone.
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Child c = run("-Dtangent.cache.dir=" + file.resolve("cache"));
        computedCorrectly(c);
        String status = c.line("STATUS");
        assertTrue(status.contains("could not extract oneDNN into") && status.contains("writable")
                && status.contains("tangent.cache.dir"), status);
        if (!"root".equals(System.getProperty("user.name"))) {
            Path ro = Files.createDirectory(tmp.resolve("read-only"));
            assertTrue(ro.toFile().setWritable(false, false));
            try {
                Child d = run("-Dtangent.cache.dir=" + ro);
                computedCorrectly(d);
                assertTrue(d.line("STATUS").contains("could not extract"), d.out());
            } finally {
                ro.toFile().setWritable(true, false);
            }
        }
    }

    @Test
    void twoJvmsExtractIntoOneEmptyCacheAtOnce() throws Exception {
        Path real = bundledLibrary();
        Path cache = Files.createDirectory(tmp.resolve("cache"));
        for (int round = 0; round < 2; round++) {   // round 1: the files are there already
            Path l1 = tmp.resolve("a" + round + ".log");
            Path l2 = tmp.resolve("b" + round + ".log");
            Process p1 = start(l1, "-Dtangent.cache.dir=" + cache);
            Process p2 = start(l2, "-Dtangent.cache.dir=" + cache);
            for (Child c : List.of(finish(p1, l1), finish(p2, l2))) {
                computedCorrectly(c);
                assertTrue(c.line("STATUS").startsWith("active: oneDNN") && c.line("STATUS").contains(cache.toString()),
                        c.out());
            }
            Path dir;
            try (Stream<Path> s = Files.list(cache)) {
                // oneDNN's folder (Tangent's own CPU kernels have theirs, tangent-cpu-<version>-<digest>)
                List<Path> dirs = s.filter(d -> d.getFileName().toString().startsWith("dnnl-")).toList();
                assertEquals(1, dirs.size(), dirs.toString());
                dir = dirs.get(0);
            }
            try (Stream<Path> s = Files.list(dir)) {
                List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
                assertEquals(List.of("libdnnl.so.3", "libgomp.so.1"), names, "no partial or temporary file is left");
            }
            assertEquals(Files.size(real), Files.size(dir.resolve("libdnnl.so.3")));
            assertEquals(Files.size(real.resolveSibling("libgomp.so.1")), Files.size(dir.resolve("libgomp.so.1")));
        }
    }

    @Test
    void interruptedThreadMidCall() throws Exception {
        Workloads.Mlp mlp = new Workloads.Mlp(256, 512, 10, 3, 9);
        Tensor x = Tensor.randn(1, 64, 256);
        Tensor v = Tensor.randn(2, 64, 256);
        float[] reference;
        try (Scope s = Scope.open()) {
            reference = Functional.jvp(mlp, x, v).jvp().toFloatArray();
        }
        AtomicInteger completed = new AtomicInteger();
        AtomicInteger threw = new AtomicInteger();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        AtomicBoolean flagKept = new AtomicBoolean(true);
        AtomicBoolean started = new AtomicBoolean();
        Thread worker = new Thread(() -> {
            for (int i = 0; i < 400; i++) {
                boolean before = Thread.currentThread().isInterrupted();
                try (Scope s = Scope.open()) {
                    started.set(true);
                    JvpResult<Tensor> r = Functional.jvp(mlp, x, v);
                    assertArrayEquals(reference, r.jvp().toFloatArray(), "a jvp during/after the interrupt");
                    completed.incrementAndGet();
                } catch (RuntimeException e) {
                    // Allowed: a clear exception. Not allowed: a wrong result or anything else.
                    if (e.getMessage() == null || e.getMessage().isBlank()) {
                        unexpected.compareAndSet(null, e);
                    }
                    threw.incrementAndGet();
                } catch (Throwable t) {
                    unexpected.compareAndSet(null, t);
                    return;
                }
                if (before && !Thread.currentThread().isInterrupted()) {
                    flagKept.set(false);   // Tangent swallowed the interrupt
                }
            }
        }, "interrupted-worker");
        worker.start();
        while (!started.get()) {
            Thread.onSpinWait();
        }
        Thread.sleep(50);
        worker.interrupt();
        worker.join(TimeUnit.SECONDS.toMillis(CHILD_TIMEOUT_S));
        assertTrue(!worker.isAlive(), "the interrupted worker finished its calls");
        if (unexpected.get() != null) {
            throw new AssertionError("unexpected failure after interrupt", unexpected.get());
        }
        assertTrue(flagKept.get(), "the interrupt flag is preserved across calls");
        assertEquals(400, completed.get() + threw.get());
        System.out.printf("FaultTest: interrupted worker: %d calls completed correctly, %d threw%n",
                completed.get(), threw.get());
        try (Scope s = Scope.open()) {   // and this thread computes the same afterwards
            assertArrayEquals(reference, Functional.jvp(mlp, x, v).jvp().toFloatArray());
        }
    }
}
