package dev.tangent.backend.cpu.nativecpu;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tangent.backend.cpu.nativecpu.NativeCpuLibrary.UnaryOp;
import dev.tangent.bindings.tangentcpu.tangent_cpu_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Smoke test of libtangent_cpu.so from Java: loads it through the trusted loader (from the
 * classes folder where cmake/build-cpu.sh puts it, or the jar) and checks a GEMV, its jvp and the sin jvp against plain Java loops.
 * Skipped, saying why, where the library was not built (no C compiler or SLEEF).
 */
class NativeCpuLibraryTest {

    @BeforeAll
    static void loaded() {
        assumeTrue(NativeCpuLibrary.isAvailable(), () -> "skipped: " + NativeCpuLibrary.unavailableReason());
    }

    @Test
    void loadsByPathWithMatchingAbi() {
        assertTrue(NativeCpuLibrary.libraryPath().isAbsolute());
        assertTrue(NativeCpuLibrary.libraryPath().toString().endsWith("libtangent_cpu.so"));
        assertEquals(tangent_cpu_h.TANGENT_CPU_ABI_VERSION(), NativeCpuLibrary.abiVersion());
        assertTrue(List.of("avx512", "avx2", "scalar").contains(NativeCpuLibrary.isa()), NativeCpuLibrary.isa());
    }

    /** Both libraries come through NativeLibraryLoader: a private folder, the classpath resource's exact bytes. */
    @Test
    void loadedFromAPrivateFolderWithTheResourcesBytes() throws Exception {
        java.nio.file.Path lib = NativeCpuLibrary.libraryPath();
        java.nio.file.Path dir = lib.getParent();
        // the folder is named by its contents: two builds of one version never share it
        assertTrue(dir.getFileName().toString().matches("tangent-cpu-.+-[0-9a-f]{12}"), dir.toString());
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(dir)), dir.toString());
        StringBuilder digests = new StringBuilder();
        for (String name : List.of(NativeCpuLibrary.LIBRARY, NativeCpuLibrary.SLEEF)) {
            try (java.io.InputStream in = NativeCpuLibrary.class.getResourceAsStream(NativeCpuLibrary.RESOURCE_DIR + name)) {
                java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
                String expected = java.util.HexFormat.of().formatHex(md.digest(in.readAllBytes()));
                assertEquals(expected, dev.tangent.backend.NativeLibraryLoader.sha256(dir.resolve(name)), name);
                digests.append(dir.getFileName().toString().replaceAll("-[0-9a-f]{12}$", "-{digest}")).append('/')
                        .append(name).append('=').append(expected).append('\n');
            }
        }
        java.util.List<String> lines = new java.util.ArrayList<>(List.of(digests.toString().split("\n")));
        java.util.Collections.sort(lines); // NativeDigests hashes the folder's "key=digest" lines in key order
        String folderDigest = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest((String.join("\n", lines) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertTrue(dir.getFileName().toString().endsWith("-" + folderDigest.substring(0, 12)),
                dir + " is named by the digest of its libraries' digests");
    }

    @Test
    void gemvAndItsJvpMatchJavaLoops() {
        Random r = new Random(7);
        for (boolean trans : new boolean[] {false, true}) {
            for (boolean tanh : new boolean[] {false, true}) {
                for (int[] kn : new int[][] {{784, 1024}, {1024, 10}, {37, 19}, {1, 1}}) {
                    int k = kn[0];
                    int n = kn[1];
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment x = random(arena, k, r);
                        MemorySegment dx = random(arena, k, r);
                        MemorySegment w = random(arena, (long) k * n, r);
                        MemorySegment b = random(arena, n, r);
                        MemorySegment y = arena.allocate(4L * n);
                        MemorySegment dy = arena.allocate(4L * n);
                        MemorySegment y1 = arena.allocate(4L * n);
                        NativeCpuLibrary.gemvJvp(x, dx, w, b, y, dy, k, n, 0, trans, tanh);
                        NativeCpuLibrary.gemv(x, w, b, y1, k, n, 0, trans, tanh);
                        for (int j = 0; j < n; j++) {
                            double s = b.getAtIndex(JAVA_FLOAT, j);
                            double ds = 0;
                            double mag = Math.abs(s);
                            for (int i = 0; i < k; i++) {
                                double wv = w.getAtIndex(JAVA_FLOAT, trans ? (long) j * k + i : (long) i * n + j);
                                s += x.getAtIndex(JAVA_FLOAT, i) * wv;
                                ds += dx.getAtIndex(JAVA_FLOAT, i) * wv;
                                mag += Math.abs(x.getAtIndex(JAVA_FLOAT, i) * wv) + Math.abs(dx.getAtIndex(JAVA_FLOAT, i) * wv);
                            }
                            if (tanh) {
                                s = Math.tanh(s);
                                ds = (1 - s * s) * ds;
                            }
                            double tol = 1e-6 * (mag + 1);
                            String at = "k=" + k + " n=" + n + " trans=" + trans + " tanh=" + tanh + " j=" + j;
                            assertEquals(s, y.getAtIndex(JAVA_FLOAT, j), tol, at);
                            assertEquals(s, y1.getAtIndex(JAVA_FLOAT, j), tol, at);
                            assertEquals(ds, dy.getAtIndex(JAVA_FLOAT, j), tol, at);
                        }
                    }
                }
            }
        }
    }

    @Test
    void sinJvpMatchesJavaLoop() {
        int n = 1000;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * n);
            MemorySegment dx = arena.allocate(4L * n);
            MemorySegment y = arena.allocate(4L * n);
            MemorySegment dy = arena.allocate(4L * n);
            MemorySegment xd = arena.allocate(8L * n);
            MemorySegment dxd = arena.allocate(8L * n);
            MemorySegment yd = arena.allocate(8L * n);
            MemorySegment dyd = arena.allocate(8L * n);
            Random r = new Random(3);
            for (int i = 0; i < n; i++) {
                double v = (r.nextDouble() - 0.5) * 40;
                x.setAtIndex(JAVA_FLOAT, i, (float) v);
                dx.setAtIndex(JAVA_FLOAT, i, (float) (i % 7 - 3));
                xd.setAtIndex(JAVA_DOUBLE, i, v);
                dxd.setAtIndex(JAVA_DOUBLE, i, i % 7 - 3);
            }
            x.setAtIndex(JAVA_FLOAT, 0, -0.0f);
            x.setAtIndex(JAVA_FLOAT, 1, Float.NaN);
            x.setAtIndex(JAVA_FLOAT, 2, Float.POSITIVE_INFINITY);
            NativeCpuLibrary.unaryJvpF32(UnaryOp.SIN, x, dx, y, dy, n);
            NativeCpuLibrary.unaryJvpF64(UnaryOp.SIN, xd, dxd, yd, dyd, n);
            for (int i = 3; i < n; i++) { // 0..2: the special values, checked below
                double xv = x.getAtIndex(JAVA_FLOAT, i);
                float ys = (float) Math.sin(xv);
                float dys = (float) (dx.getAtIndex(JAVA_FLOAT, i) * Math.cos(xv));
                // SLEEF's 1-ulp float sin/cos against the correctly rounded double values
                assertEquals(ys, y.getAtIndex(JAVA_FLOAT, i), Math.ulp(ys) * 1.01f, "sin at " + xv);
                assertEquals(dys, dy.getAtIndex(JAVA_FLOAT, i), 3 * Math.ulp(Math.abs(dys)) + 1e-30f, "sin' at " + xv);
                double xdv = xd.getAtIndex(JAVA_DOUBLE, i);
                assertEquals(Math.sin(xdv), yd.getAtIndex(JAVA_DOUBLE, i), 2 * Math.ulp(Math.sin(xdv)));
                assertEquals(dxd.getAtIndex(JAVA_DOUBLE, i) * Math.cos(xdv), dyd.getAtIndex(JAVA_DOUBLE, i),
                        4 * Math.ulp(dxd.getAtIndex(JAVA_DOUBLE, i) * Math.cos(xdv)) + 1e-300);
            }
            assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(y.getAtIndex(JAVA_FLOAT, 0)), "sin(-0)");
            assertTrue(Float.isNaN(y.getAtIndex(JAVA_FLOAT, 1)) && Float.isNaN(dy.getAtIndex(JAVA_FLOAT, 1)), "NaN");
            assertTrue(Float.isNaN(y.getAtIndex(JAVA_FLOAT, 2)) && Float.isNaN(dy.getAtIndex(JAVA_FLOAT, 2)), "sin(inf)");
            // forward alone, in place
            NativeCpuLibrary.unaryF32(UnaryOp.EXP, x, x, 0);
            NativeCpuLibrary.unaryF32(UnaryOp.TANH, y, y, n);
            assertTrue(Math.abs(y.getAtIndex(JAVA_FLOAT, 5)) < 1);
        }
    }

    @Test
    void badArgumentsThrowInsteadOfCrashing() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(64);
            MemorySegment b = arena.allocate(64);
            assertThrows(IllegalArgumentException.class,
                    () -> NativeCpuLibrary.unaryF32(UnaryOp.SIN, a, b, 17)); // 68 bytes > 64
            assertThrows(IllegalArgumentException.class,
                    () -> NativeCpuLibrary.unaryF32(UnaryOp.SIN, MemorySegment.NULL, b, 4));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NativeCpuLibrary.unaryF32(UnaryOp.SIN, a, a.asSlice(4), 8)); // partial overlap
            assertTrue(e.getMessage().contains("TANGENT_CPU_ERR_ALIAS"), e.getMessage());
            NativeCpuLibrary.gemv(a, b, null, arena.allocate(16), 4, 4, 0, false, false); // exactly long enough
            assertThrows(IllegalArgumentException.class,
                    () -> NativeCpuLibrary.gemv(a, b, null, arena.allocate(16), 4, 4, 5, false, false)); // W too short
            assertThrows(IllegalArgumentException.class,
                    () -> NativeCpuLibrary.gemv(a, b, null, arena.allocate(16), 4, 4, 3, false, false));
            assertThrows(IllegalArgumentException.class,
                    () -> NativeCpuLibrary.gemv(a, b, null, b.asSlice(8, 16), 4, 4, 0, false, false)); // y inside W
            NativeCpuLibrary.gemvJvp(MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, null,
                    MemorySegment.NULL, MemorySegment.NULL, 0, 0, 0, false, true); // size 0: a no-op
        }
    }

    private static MemorySegment random(Arena arena, long n, Random r) {
        MemorySegment s = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(JAVA_FLOAT, i, (float) (r.nextDouble() * 2 - 1));
        }
        return s;
    }
}
