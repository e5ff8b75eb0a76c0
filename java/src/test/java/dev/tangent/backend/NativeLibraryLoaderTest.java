package dev.tangent.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.backend.NativeLibraryLoader.Bundle;
import dev.tangent.backend.NativeLibraryLoader.Extracted;
import dev.tangent.backend.NativeLibraryLoader.LibraryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trust rules of {@link NativeLibraryLoader}, in this JVM: nothing here loads a library, it
 * only extracts, verifies and refuses (the tests that load, with a planted library whose
 * constructor leaves a sentinel file, run in child JVMs: {@code reliability/NativeTrustTest}).
 * Most use a bundle of {@code libgomp.so.1} alone (300 KB) to stay fast.
 */
class NativeLibraryLoaderTest {
    static final String DNNL_DIR = "org/bytedeco/dnnl/linux-x86_64/";

    @TempDir
    Path tmp;

    static String dnnlVersion() throws IOException {
        try (InputStream in = NativeLibraryLoaderTest.class.getClassLoader()
                .getResourceAsStream("META-INF/maven/org.bytedeco/dnnl/pom.properties")) {
            assertNotNull(in, "org.bytedeco:dnnl is on the test classpath");
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        }
    }

    /** libgomp.so.1 alone, under the folder name whose digest is built in. */
    static Bundle gomp() throws IOException {
        return Bundle.of("dnnl-" + dnnlVersion(), NativeLibraryLoaderTest.class.getClassLoader(), DNNL_DIR, "libgomp.so.1");
    }

    static String jarDigest(String library) throws IOException {
        URL url = NativeLibraryLoaderTest.class.getClassLoader().getResource(DNNL_DIR + library);
        assertNotNull(url, library);
        return NativeLibraryLoader.sha256(url);
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    static void chmod(String mode, Path p) throws Exception {   // Files.setPosixFilePermissions has no sticky bit
        Process pr = new ProcessBuilder("chmod", mode, p.toString()).inheritIO().start();
        assertEquals(0, pr.waitFor());
    }

    static boolean isRoot() {
        return NativeLibraryLoader.currentUid() == 0;
    }

    static void chownToNobody(Path p) throws IOException {
        UserPrincipal nobody = p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setOwner(p, nobody);
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    // ------------------------------------------------------------------------------------------

    @Test
    void builtInDigestsAreThoseOfTheJarEntries() throws Exception {
        String folder = "dnnl-" + dnnlVersion();
        for (String lib : List.of("libgomp.so.1", "libdnnl.so.3")) {
            String builtIn = NativeLibraryLoader.builtInDigest(folder, lib);
            assertNotNull(builtIn, "the Maven build wrote " + NativeLibraryLoader.DIGESTS_RESOURCE + " with " + folder + "/" + lib);
            assertTrue(builtIn.matches("[0-9a-f]{64}"), builtIn);
            assertEquals(jarDigest(lib), builtIn, lib);
        }
        assertNull(NativeLibraryLoader.builtInDigest("dnnl-0.0-not-built", "libdnnl.so.3"));
    }

    @Test
    void extractsIntoPrivateFoldersAsPrivateFilesAndKeepsAVerifiedCopy() throws Exception {
        Path root = tmp.resolve("a/cache");
        Extracted e = NativeLibraryLoader.prepare(gomp(), root);
        assertFalse(e.privateFallback());
        assertEquals(root.resolve(gomp().folder()), e.dir());
        assertEquals("rwx------", mode(tmp.resolve("a")));
        assertEquals("rwx------", mode(root));
        assertEquals("rwx------", mode(e.dir()));
        Path lib = e.library("libgomp.so.1");
        assertEquals("r-x------", mode(lib));
        assertEquals(jarDigest("libgomp.so.1"), NativeLibraryLoader.sha256(lib));
        assertEquals(List.of("libgomp.so.1"), names(e.dir()), "no temporary file left, no record for a built-in digest");
        Object inode = Files.readAttributes(lib, "unix:ino").get("ino");
        Extracted again = NativeLibraryLoader.prepare(gomp(), root);
        assertEquals(lib, again.library("libgomp.so.1"));
        assertEquals(inode, Files.readAttributes(lib, "unix:ino").get("ino"), "a verified copy is kept, not rewritten");
    }

    @Test
    void aFolderOldTangentMade0755IsTightenedAndItsGoodFilesKept() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("cache").resolve(gomp().folder()));
        chmod("755", dir);
        Path lib = dir.resolve("libgomp.so.1");
        try (InputStream in = gomp().classLoader().getResourceAsStream(DNNL_DIR + "libgomp.so.1")) {
            Files.copy(in, lib);
        }
        chmod("644", lib);
        Object inode = Files.readAttributes(lib, "unix:ino").get("ino");
        Extracted e = NativeLibraryLoader.prepare(gomp(), tmp.resolve("cache"));
        assertFalse(e.privateFallback());
        assertEquals(inode, Files.readAttributes(lib, "unix:ino").get("ino"));
        assertEquals("rwx------", mode(dir));
        assertEquals("r-x------", mode(lib));
    }

    @Test
    void aWorldOrGroupWritableCacheFolderIsNotUsed() throws Exception {
        for (String m : List.of("777", "770", "1777")) {
            Path root = Files.createDirectories(tmp.resolve("shared-" + m));
            Path planted = Files.createDirectories(root.resolve(gomp().folder())).resolve("libgomp.so.1");
            Files.writeString(planted, "planted");
            chmod(m, root);
            LibraryException x = assertThrows(LibraryException.class,
                    () -> NativeLibraryLoader.trustedFolder(root, gomp().folder()));
            assertEquals(LibraryException.Kind.UNTRUSTED_FOLDER, x.kind());
            assertTrue(x.getMessage().contains(root.toString()) && x.getMessage().contains("is not private")
                    && x.getMessage().contains("writable by"), x.getMessage());
            Extracted e = NativeLibraryLoader.prepare(gomp(), root);
            assertTrue(e.privateFallback());
            assertFalse(e.dir().startsWith(root), e.dir().toString());
            assertTrue(e.dir().startsWith(Path.of(System.getProperty("java.io.tmpdir")).toRealPath()), e.dir().toString());
            assertEquals(jarDigest("libgomp.so.1"), NativeLibraryLoader.sha256(e.library("libgomp.so.1")));
            assertEquals("planted", Files.readString(planted), "nothing is read from or written into it");
        }
    }

    @Test
    void aFolderOwnedByAnotherUserIsNotUsed() throws Exception {
        Assumptions.assumeTrue(isRoot(), "chown needs root (CI runs as root)");
        // Root ignores 0700, so only the ownership check can stop this.
        Path root = Files.createDirectories(tmp.resolve("theirs"));
        chmod("700", root);
        chownToNobody(root);
        LibraryException x = assertThrows(LibraryException.class,
                () -> NativeLibraryLoader.trustedFolder(root, gomp().folder()));
        assertTrue(x.getMessage().contains("owned by uid 65534"), x.getMessage());
        assertTrue(NativeLibraryLoader.prepare(gomp(), root).privateFallback());

        // Our cache folder, but the bundle's folder in it made by someone else.
        Path ours = Files.createDirectories(tmp.resolve("ours"));
        chownToNobody(Files.createDirectory(ours.resolve(gomp().folder())));
        x = assertThrows(LibraryException.class, () -> NativeLibraryLoader.trustedFolder(ours, gomp().folder()));
        assertTrue(x.getMessage().contains(ours.resolve(gomp().folder()) + " is owned by uid 65534"), x.getMessage());

        // A folder above the cache owned by someone else: they could rename the cache away.
        Path above = Files.createDirectories(tmp.resolve("above"));
        Path cache = Files.createDirectories(above.resolve("cache"));
        chownToNobody(above);
        x = assertThrows(LibraryException.class, () -> NativeLibraryLoader.trustedFolder(cache, gomp().folder()));
        assertTrue(x.getMessage().contains("the folder above it, " + above + ", is owned by uid 65534"), x.getMessage());
    }

    @Test
    void aFolderAboveWritableByOthersNeedsTheStickyBit() throws Exception {
        Path above = Files.createDirectories(tmp.resolve("above"));
        Path cache = Files.createDirectories(above.resolve("cache"));
        chmod("777", above);
        LibraryException x = assertThrows(LibraryException.class,
                () -> NativeLibraryLoader.trustedFolder(cache, gomp().folder()));
        assertTrue(x.getMessage().contains("the folder above it, " + above + ", is writable by group and others"
                + " (mode 0777, no sticky bit)"), x.getMessage());
        chmod("1777", above);   // like /tmp: others cannot rename what is ours
        assertEquals(cache.resolve(gomp().folder()), NativeLibraryLoader.trustedFolder(cache, gomp().folder()));
    }

    @Test
    void aSymlinkedCacheFolderIsJudgedByItsRealPath() throws Exception {
        Path real = Files.createDirectories(tmp.resolve("real"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
        Extracted e = NativeLibraryLoader.prepare(gomp(), link);
        assertFalse(e.privateFallback());
        assertEquals(real.resolve(gomp().folder()), e.dir(), "the real path is what is hashed and loaded");

        Path open = Files.createDirectories(tmp.resolve("open"));
        chmod("777", open);
        Path toOpen = Files.createSymbolicLink(tmp.resolve("link-to-open"), open);
        LibraryException x = assertThrows(LibraryException.class,
                () -> NativeLibraryLoader.trustedFolder(toOpen, gomp().folder()));
        assertTrue(x.getMessage().contains("really " + open), x.getMessage());

        // The bundle's own folder as a link: not followed.
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Files.createSymbolicLink(cache.resolve(gomp().folder()), real);
        x = assertThrows(LibraryException.class, () -> NativeLibraryLoader.trustedFolder(cache, gomp().folder()));
        assertTrue(x.getMessage().contains("is a symbolic link"), x.getMessage());
    }

    /** Makes {@code dir/libgomp.so.1} bad in some way, and says what the loader must report. */
    interface Spoil {
        String apply(Path lib, Path elsewhere) throws Exception;
    }

    @Test
    void badFilesInAPrivateFolderAreReplacedNeverTrusted() throws Exception {
        byte[] real;
        try (InputStream in = gomp().classLoader().getResourceAsStream(DNNL_DIR + "libgomp.so.1")) {
            real = in.readAllBytes();
        }
        String digest = jarDigest("libgomp.so.1");
        List<Spoil> spoils = List.of(
                (lib, elsewhere) -> {   // same size, other bytes
                    byte[] b = real.clone();
                    b[b.length / 2] ^= 0x01;
                    Files.write(lib, b);
                    return "its SHA-256 is " + NativeLibraryLoader.sha256(lib) + " (" + real.length
                            + " bytes) but the jar entry's is " + digest;
                },
                (lib, elsewhere) -> {   // truncated
                    Files.write(lib, java.util.Arrays.copyOf(real, real.length / 3));
                    return "(" + real.length / 3 + " bytes) but the jar entry's is " + digest;
                },
                (lib, elsewhere) -> {   // a link, even to the right bytes
                    Path target = Files.write(elsewhere.resolve("libgomp.so.1"), real);
                    Files.createSymbolicLink(lib, target);
                    return "it is a symbolic link (to " + target + ")";
                },
                (lib, elsewhere) -> {   // writable by others
                    Files.write(lib, real);
                    chmod("666", lib);
                    return "it is writable by group and others (mode 0666)";
                },
                (lib, elsewhere) -> {   // not a file
                    Files.createDirectory(lib);
                    return "it is not a regular file";
                });
        int i = 0;
        for (Spoil spoil : spoils) {
            Path dir = Files.createDirectories(tmp.resolve("c" + i).resolve(gomp().folder()));
            Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere" + i++));
            Path lib = dir.resolve("libgomp.so.1");
            String expected = spoil.apply(lib, elsewhere);
            assertTrue(NativeLibraryLoader.fileProblem(lib, digest).contains(expected),
                    NativeLibraryLoader.fileProblem(lib, digest) + " / " + expected);
            if (Files.isDirectory(lib, LinkOption.NOFOLLOW_LINKS)) {
                // rename() cannot replace a folder with a file: refused, clearly, and nothing is trusted
                Exception x = assertThrows(IOException.class, () -> NativeLibraryLoader.extract(gomp(), dir));
                assertTrue(x.toString().contains(lib.toString()), x.toString());
                continue;
            }
            NativeLibraryLoader.extract(gomp(), dir);
            assertTrue(Files.isRegularFile(lib, LinkOption.NOFOLLOW_LINKS), "replaced by a regular file");
            assertEquals("r-x------", mode(lib));
            assertNull(NativeLibraryLoader.fileProblem(lib, digest));
            assertEquals(List.of("libgomp.so.1"), names(dir));
            if (Files.exists(elsewhere.resolve("libgomp.so.1"))) {
                assertArrayEquals(real, Files.readAllBytes(elsewhere.resolve("libgomp.so.1")), "a link's target is not written");
            }
        }
    }

    @Test
    void aFileOwnedByAnotherUserIsReplaced() throws Exception {
        Assumptions.assumeTrue(isRoot(), "chown needs root");
        Path dir = Files.createDirectories(tmp.resolve("cache").resolve(gomp().folder()));
        Path lib = NativeLibraryLoader.extract(gomp(), dir).library("libgomp.so.1");
        chownToNobody(lib);
        String digest = jarDigest("libgomp.so.1");
        assertEquals("it is owned by uid 65534, not by this process's user uid 0", NativeLibraryLoader.fileProblem(lib, digest));
        NativeLibraryLoader.extract(gomp(), dir);
        assertEquals(0, Files.getAttribute(lib, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertNull(NativeLibraryLoader.fileProblem(lib, digest));
    }

    @Test
    void aLibraryWithoutABuiltInDigestIsHashedFromItsJarEntryWhileExtracting() throws Exception {
        // Another version than Tangent was built with: no built-in digest for this folder name.
        Bundle other = Bundle.of("gomp-another-version", gomp().classLoader(), DNNL_DIR, "libgomp.so.1");
        assertNull(NativeLibraryLoader.builtInDigest(other.folder(), "libgomp.so.1"));
        Path dir = tmp.resolve("cache").resolve(other.folder());
        Path lib = NativeLibraryLoader.extract(other, dir).library("libgomp.so.1");
        Path record = dir.resolve("libgomp.so.1.sha256");
        assertEquals(List.of("libgomp.so.1", "libgomp.so.1.sha256"), names(dir));
        assertEquals("r--------", mode(record));
        String text = Files.readString(record);
        assertTrue(text.contains("sha256=" + jarDigest("libgomp.so.1")), text);
        assertTrue(text.contains("entry=size=" + Files.size(lib) + " crc32="), text);

        Object inode = Files.readAttributes(lib, "unix:ino").get("ino");
        NativeLibraryLoader.extract(other, dir);
        assertEquals(inode, Files.readAttributes(lib, "unix:ino").get("ino"), "verified against the record: kept");

        flipOneByte(lib);
        NativeLibraryLoader.extract(other, dir);
        assertEquals(jarDigest("libgomp.so.1"), NativeLibraryLoader.sha256(lib), "a flipped byte is caught without a built-in digest too");

        // A record for another jar entry (another build of the jar): extracted again, record rewritten.
        inode = Files.readAttributes(lib, "unix:ino").get("ino");
        Files.delete(record);
        Files.writeString(record, text.replaceAll("crc32=[0-9a-f]+", "crc32=0"));
        chmod("400", record);
        NativeLibraryLoader.extract(other, dir);
        assertNotEquals(inode, Files.readAttributes(lib, "unix:ino").get("ino"));
        assertEquals(text, Files.readString(record));
    }

    @Test
    void aJarEntryThatIsNotTheOneTangentWasBuiltWithIsRefused() throws Exception {
        // A "jar" (here a folder) that has a libgomp.so.1 whose bytes differ from the pinned one.
        Path fake = Files.createDirectories(tmp.resolve("fake-jar"));
        Files.writeString(fake.resolve("libgomp.so.1"), "not the library Tangent was built with");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {fake.toUri().toURL()}, null)) {
            Bundle b = Bundle.of(gomp().folder(), loader, "", "libgomp.so.1");
            Path dir = tmp.resolve("cache").resolve(b.folder());
            LibraryException x = assertThrows(LibraryException.class, () -> NativeLibraryLoader.extract(b, dir));
            assertEquals(LibraryException.Kind.JAR_MISMATCH, x.kind());
            assertTrue(x.getMessage().contains("but Tangent was built with one whose SHA-256 is "
                    + jarDigest("libgomp.so.1")), x.getMessage());
            assertEquals(List.of(), names(dir), "nothing is left behind");
        }
    }

    @Test
    void aMissingResourceSaysWhich() {
        Bundle b = Bundle.of("nothing-1", getClass().getClassLoader(), "no/such/dir/", "libnothing.so");
        LibraryException x = assertThrows(LibraryException.class, () -> NativeLibraryLoader.extract(b, tmp.resolve("n")));
        assertEquals(LibraryException.Kind.MISSING, x.kind());
        assertEquals("no no/such/dir/libnothing.so on the classpath", x.getMessage());
    }

    @Test
    void bundlesRejectNamesThatCouldLeaveTheirFolder() {
        ClassLoader l = getClass().getClassLoader();
        assertThrows(IllegalArgumentException.class, () -> Bundle.of("../x", l, "", "a.so"));
        assertThrows(IllegalArgumentException.class, () -> Bundle.of("x", l, "", "../a.so"));
        assertThrows(IllegalArgumentException.class, () -> Bundle.of("x", l, "", "a/b.so"));
        assertThrows(IllegalArgumentException.class, () -> Bundle.of("x", l, "no-slash", "a.so"));
        assertThrows(IllegalArgumentException.class, () -> Bundle.of("x", l, ""));
    }

    static void flipOneByte(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long at = f.length() / 2;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x10);
        }
    }
}
