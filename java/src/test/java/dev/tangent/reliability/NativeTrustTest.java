package dev.tangent.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.backend.NativeLibraryLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native code trust, end to end, in child JVMs ({@link FaultChild}, as in {@link FaultTest}): a
 * library an attacker planted in the cache folder, with the size of the real one and a constructor
 * that writes a sentinel file when it is loaded, must never run, whatever the state of the cache
 * (private, world-writable, someone else's, links, truncated or altered files); Tangent ends up on
 * the real oneDNN (re-extracted, or extracted to a private folder) and the log says why.
 */
class NativeTrustTest {
    @TempDir
    Path tmp;

    Path sentinel;
    Path realDnnl;
    Path realGomp;
    String folder;

    @BeforeEach
    void setUp() throws Exception {
        realDnnl = FaultTest.bundledLibrary();
        realGomp = realDnnl.resolveSibling("libgomp.so.1");
        folder = "dnnl-" + dnnlVersion();
        sentinel = tmp.resolve("planted-library-ran");
    }

    @AfterEach
    void theSentinelNeverAppears() {
        assertFalse(Files.exists(sentinel), "a planted library was loaded: " + sentinel + " exists");
    }

    static String dnnlVersion() throws IOException {
        try (InputStream in = NativeTrustTest.class.getClassLoader()
                .getResourceAsStream("META-INF/maven/org.bytedeco/dnnl/pom.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        }
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
    }

    static boolean haveGcc() {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /**
     * Builds a shared library whose constructor appends a line to {@code sentinel}, pads it to
     * {@code size} bytes ({@code truncate -s}), and writes it to {@code target} (mode 0500).
     */
    Path plant(Path target, long size) throws Exception {
        Assumptions.assumeTrue(haveGcc(), "gcc is needed to build the planted library");
        Path build = Files.createDirectories(tmp.resolve("build"));
        Path src = Files.createTempFile(build, "planted", ".c");
        Files.writeString(src, "#include <stdio.h>\n"
                + "__attribute__((constructor)) static void planted(void) {\n"
                + "    FILE *f = fopen(\"" + sentinel + "\", \"a\");\n"
                + "    if (f) { fputs(\"the planted library ran\\n\", f); fclose(f); }\n"
                + "}\n"
                + "int dnnl_version(void) { return 0; }\n");
        Path so = build.resolve(src.getFileName() + ".so");
        run("gcc", "-shared", "-fPIC", "-O1", "-o", so.toString(), src.toString());
        run("truncate", "-s", Long.toString(size), so.toString());
        Files.createDirectories(target.getParent());
        Files.copy(so, target);
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r-x------"));
        assertEquals(size, Files.size(target));
        return target;
    }

    /** A cache folder (0700) holding the bundle's folder (0700) with same-size planted libraries. */
    Path plantedCache(String name) throws Exception {
        Path cache = tmp.resolve(name);
        Path dir = cache.resolve(folder);
        plant(dir.resolve("libgomp.so.1"), Files.size(realGomp));
        plant(dir.resolve("libdnnl.so.3"), Files.size(realDnnl));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwx------"));
        return cache;
    }

    FaultTest.Child child(String... props) throws Exception {
        Path log = Files.createTempFile(tmp, "child", ".log");
        return FaultTest.finish(FaultTest.start(log, props), log);
    }

    static String activePath(FaultTest.Child c) {
        String status = c.line("STATUS");
        assertTrue(status.startsWith("active: oneDNN"), c.out());
        return status.substring(status.lastIndexOf('(') + 1, status.lastIndexOf(')'));
    }

    static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    // ------------------------------------------------------------------------------------------

    @Test
    void controlThePlantedLibraryRunsItsConstructorWhenLoaded() throws Exception {
        Path planted = plant(tmp.resolve("control/libdnnl.so.3"), Files.size(realDnnl));
        assertNull(NativeLibraryLoader.elfProblem(planted), "its ELF structure is sound: only the digest stops it");
        try (Arena a = Arena.ofConfined()) {
            SymbolLookup.libraryLookup(planted, a);   // dlopen: runs the constructor
        }
        assertTrue(Files.exists(sentinel), "the sentinel mechanism works");
        Files.delete(sentinel);
    }

    @Test
    void plantedSameSizeLibrariesInThePrivateCacheAreReplacedNeverLoadedByTwoJvmsAtOnce() throws Exception {
        Path cache = plantedCache("cache");
        Path dir = cache.resolve(folder);
        Path l1 = tmp.resolve("a.log");
        Path l2 = tmp.resolve("b.log");
        Process p1 = FaultTest.start(l1, "-Dtangent.cache.dir=" + cache);
        Process p2 = FaultTest.start(l2, "-Dtangent.cache.dir=" + cache);
        String both = "";
        for (FaultTest.Child c : List.of(FaultTest.finish(p1, l1), FaultTest.finish(p2, l2))) {
            FaultTest.computedCorrectly(c);
            assertEquals(dir.resolve("libdnnl.so.3").toString(), activePath(c), c.out());
            both += c.out();
        }
        String dnnlDigest = NativeLibraryLoader.sha256(realDnnl);
        assertTrue(both.contains("native library " + dir.resolve("libdnnl.so.3") + " is not trusted and is not loaded: its SHA-256 is ")
                && both.contains("(" + Files.size(realDnnl) + " bytes) but the jar entry's is " + dnnlDigest), both);
        assertTrue(both.contains("native library " + dir.resolve("libgomp.so.1") + " is not trusted"), both);
        assertEquals(List.of("libdnnl.so.3", "libgomp.so.1"), names(dir), "no partial or temporary file is left");
        assertEquals(dnnlDigest, NativeLibraryLoader.sha256(dir.resolve("libdnnl.so.3")));
        assertEquals(NativeLibraryLoader.sha256(realGomp), NativeLibraryLoader.sha256(dir.resolve("libgomp.so.1")));
    }

    @Test
    void aWorldWritableCacheFolderIsNotUsed() throws Exception {
        Path cache = plantedCache("shared");
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwxrwxrwx"));
        byte[] planted = Files.readAllBytes(cache.resolve(folder).resolve("libdnnl.so.3"));
        Path jtmp = Files.createDirectory(tmp.resolve("jtmp"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        FaultTest.Child c = child("-Dtangent.cache.dir=" + cache, "-Djava.io.tmpdir=" + jtmp);
        FaultTest.computedCorrectly(c);
        Path used = Path.of(activePath(c));
        assertTrue(used.startsWith(jtmp.resolve("tangent-" + uid())), used + "\n" + c.out());
        assertEquals(1, count(c.out(), "native libraries are extracted to and loaded from the private folder"), c.out());
        assertTrue(c.out().contains("the cache folder " + cache + " is not private: " + cache
                + " is writable by group and others (mode 0777)"), c.out());
        assertArrayEquals(planted, Files.readAllBytes(cache.resolve(folder).resolve("libdnnl.so.3")),
                "an untrusted folder is neither read nor written");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(used.getParent())));
        assertEquals("r-x------", PosixFilePermissions.toString(Files.getPosixFilePermissions(used)));
    }

    @Test
    void aCacheFolderOwnedByAnotherUserIsNotUsed() throws Exception {
        Assumptions.assumeTrue(uid() == 0, "chown needs root (CI runs as root, which ignores 0700: the owner check must stop it)");
        Path cache = plantedCache("theirs");
        Files.setOwner(cache, cache.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        Path jtmp = Files.createDirectory(tmp.resolve("jtmp"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        FaultTest.Child c = child("-Dtangent.cache.dir=" + cache, "-Djava.io.tmpdir=" + jtmp);
        FaultTest.computedCorrectly(c);
        assertTrue(Path.of(activePath(c)).startsWith(jtmp), c.out());
        assertTrue(c.out().contains("the cache folder " + cache + " is not private: " + cache
                + " is owned by uid 65534, not by this process's user uid 0"), c.out());
        assertEquals(1, count(c.out(), "native libraries are extracted to and loaded from the private folder"), c.out());
    }

    @Test
    void symlinkedLibraryFilesAreNotFollowed() throws Exception {
        Path evilDnnl = plant(tmp.resolve("evil/libdnnl.so.3"), Files.size(realDnnl));
        Path evilGomp = plant(tmp.resolve("evil/libgomp.so.1"), Files.size(realGomp));
        byte[] evilBytes = Files.readAllBytes(evilDnnl);
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Path dir = Files.createDirectories(cache.resolve(folder));
        Files.createSymbolicLink(dir.resolve("libdnnl.so.3"), evilDnnl);
        Files.createSymbolicLink(dir.resolve("libgomp.so.1"), evilGomp);
        FaultTest.Child c = child("-Dtangent.cache.dir=" + cache);
        FaultTest.computedCorrectly(c);
        assertEquals(dir.resolve("libdnnl.so.3").toString(), activePath(c));
        assertTrue(c.out().contains(dir.resolve("libdnnl.so.3") + " is not trusted and is not loaded: it is a symbolic link (to "
                + evilDnnl + ")"), c.out());
        assertFalse(Files.isSymbolicLink(dir.resolve("libdnnl.so.3")));
        assertFalse(Files.isSymbolicLink(dir.resolve("libgomp.so.1")));
        assertArrayEquals(evilBytes, Files.readAllBytes(evilDnnl), "a link's target is not written");
    }

    @Test
    void truncatedAndAlteredLibrariesAreReplaced() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Path dir = Files.createDirectories(cache.resolve(folder));
        long half = Files.size(realDnnl) / 2;
        try (InputStream in = Files.newInputStream(realDnnl)) {
            Files.write(dir.resolve("libdnnl.so.3"), in.readNBytes((int) half));   // would die of SIGBUS if loaded
        }
        byte[] gomp = Files.readAllBytes(realGomp);
        gomp[gomp.length / 2] ^= 0x01;                                          // same size: the old check loaded it
        Files.write(dir.resolve("libgomp.so.1"), gomp);
        String flipped = NativeLibraryLoader.sha256(dir.resolve("libgomp.so.1"));
        FaultTest.Child c = child("-Dtangent.cache.dir=" + cache);
        FaultTest.computedCorrectly(c);
        assertEquals(dir.resolve("libdnnl.so.3").toString(), activePath(c));
        assertTrue(c.out().contains("(" + half + " bytes) but the jar entry's is " + NativeLibraryLoader.sha256(realDnnl)), c.out());
        assertTrue(c.out().contains("its SHA-256 is " + flipped + " (" + gomp.length + " bytes) but the jar entry's is "
                + NativeLibraryLoader.sha256(realGomp)), c.out());
        assertEquals(NativeLibraryLoader.sha256(realGomp), NativeLibraryLoader.sha256(dir.resolve("libgomp.so.1")));
        assertEquals(Files.size(realDnnl), Files.size(dir.resolve("libdnnl.so.3")));
    }

    @Test
    void anOverrideWithOverflowingHeadersIsRefusedNotCrashed() throws Exception {
        // The user's own file is loaded as given, but the ELF check still stands between it and ld.so.
        Path lib = tmp.resolve("libdnnl.so.3");
        Files.copy(realDnnl, lib);
        try (RandomAccessFile raf = new RandomAccessFile(lib.toFile(), "rw")) {
            raf.seek(0x20);   // e_phoff: offset + table size overflows 64 bits
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE - 7).array());
        }
        FaultTest.Child c = child("-Dtangent.dnnl.library=" + lib);
        FaultTest.computedCorrectly(c);
        String status = c.line("STATUS");
        assertTrue(status.contains(lib + " (from system property tangent.dnnl.library) is truncated or corrupt:"
                + " the program header table ends past byte 2^63"), status);
    }

    @Test
    void anOverrideIsLoadedAsGivenEvenFromAnOpenFolder() throws Exception {
        // tangent.dnnl.library is the user's choice: no digest or folder checks (documented).
        Path open = Files.createDirectories(tmp.resolve("open"));
        Files.copy(realGomp, open.resolve("libgomp.so.1"));
        Files.copy(realDnnl, open.resolve("libdnnl.so.3"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        FaultTest.Child c = child("-Dtangent.dnnl.library=" + open.resolve("libdnnl.so.3"));
        FaultTest.computedCorrectly(c);
        assertEquals(open.resolve("libdnnl.so.3").toString(), activePath(c));
        assertFalse(c.out().contains("not trusted") || c.out().contains("not private"), c.out());
    }

    /**
     * What the check adds to the first oneDNN use: a fresh JVM verifying the two libraries of a
     * warm cache (folder checks and SHA-256 of 93 MB), then the whole first use. Prints the figures
     * (docs/RELIABILITY.md quotes them). Asserts that verifying rewrites nothing; the time bound
     * only catches a pathological slowdown (the build machine is shared: wall times there triple
     * under load).
     */
    @Test
    void startUpCostOfTheDigestCheck() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("warm"));
        NativeLibraryLoader.extract(TrustTimingChild.dnnlBundle(), cache.resolve(folder));
        Object inode = Files.getAttribute(cache.resolve(folder).resolve("libdnnl.so.3"), "unix:ino");
        List<Double> verify = new ArrayList<>();
        List<Double> verifyCpu = new ArrayList<>();
        List<Double> firstUse = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            double[] v = timing(cache, "verify");
            verify.add(v[0]);
            verifyCpu.add(v[1]);
            firstUse.add(timing(cache, "first-use")[0]);
        }
        double v = median(verify);
        System.out.printf(java.util.Locale.ROOT, "NativeTrustTest: verifying libgomp.so.1 + libdnnl.so.3 (%d bytes) in a"
                + " fresh JVM: median %.0f ms wall, %.0f ms CPU (runs: %s ms wall); the whole first oneDNN use"
                + " (Backends.cpuAcceleratorStatus(): folder checks, hashes, dlopen, version probe): median %.0f ms"
                + " (runs: %s ms)%n", Files.size(realDnnl) + Files.size(realGomp), v, median(verifyCpu), rounded(verify),
                median(firstUse), rounded(firstUse));
        assertEquals(inode, Files.getAttribute(cache.resolve(folder).resolve("libdnnl.so.3"), "unix:ino"),
                "verifying a good cache rewrites nothing");
        assertTrue(median(verifyCpu) < 3_000, "verification took " + median(verifyCpu) + " ms of CPU");
    }

    private static List<Long> rounded(List<Double> xs) {
        return xs.stream().map(Math::round).toList();
    }

    /** {wall ms, CPU ms} of one cold child. */
    private double[] timing(Path cache, String mode) throws Exception {
        Path log = Files.createTempFile(tmp, "timing", ".log");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-Dtangent.cache.dir=" + cache, "-cp",
                System.getProperty("java.class.path"), TrustTimingChild.class.getName(), mode, cache.resolve(folder).toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(FaultTest.CHILD_TIMEOUT_S, TimeUnit.SECONDS), "timing child ran too long");
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), out);
        double[] r = new double[2];
        String[] keys = {"MS ", "CPU-MS "};
        for (int i = 0; i < 2; i++) {
            String key = keys[i];
            r[i] = out.lines().filter(l -> l.startsWith(key)).findFirst()
                    .map(l -> Double.parseDouble(l.substring(key.length()))).orElseThrow(() -> new AssertionError(out));
        }
        return r;
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a[a.length / 2];
    }

    static int uid() throws IOException {
        Path probe = Files.createTempFile("uid", ".tmp");
        try {
            return (Integer) Files.getAttribute(probe, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } finally {
            Files.delete(probe);
        }
    }
}
