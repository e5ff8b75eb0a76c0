package dev.tangent.backend;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Extracts the native libraries Tangent ships inside jars and loads them, only ever loading bytes
 * it has just proved to be the bytes of the jar entry, from a folder no other user can write.
 * Every native library Tangent bundles goes through here: oneDNN ({@code libgomp.so.1},
 * {@code libdnnl.so.3} from the {@code org.bytedeco:dnnl} jar) and Tangent's own CPU kernels
 * ({@code libsleef.so.3}, {@code libtangent_cpu.so}, see {@code NativeCpuLibrary}); another library
 * is one {@link Bundle}, one call and one argument line of the build's digest step:
 *
 * <pre>{@code
 * NativeLibraryLoader.load(NativeLibraryLoader.Bundle.of("tangent-cpu-" + version,
 *         NativeLibraryLoader.class.getClassLoader(), "dev/tangent/cpu/linux-x86_64/",
 *         "libsleef.so.3", "libtangent_cpu.so"));     // load order: dependencies first
 * }</pre>
 *
 * <h2>The rules</h2>
 * <ul>
 *   <li><b>Content, not size.</b> Before each load the file on disk is hashed (SHA-256) and must
 *       equal the digest of its jar entry: the one computed at build time and embedded in Tangent's
 *       jar ({@value #DIGESTS_RESOURCE}, written by {@code java/src/build/NativeDigests.java}) for
 *       the versions Tangent was built with; for any other version (a user's pom chose another
 *       oneDNN) the digest computed from the jar entry while extracting it, kept beside the library
 *       as {@code <file>.sha256} with the entry's size and CRC-32 so that another jar is noticed.
 *       A file that does not match is never loaded: it is replaced by a fresh copy from the jar
 *       (temporary name, {@code fsync}, atomic rename) and the copy is hashed again; when even that
 *       fails the bundle is extracted into a fresh private folder, and when that fails too the
 *       load fails with a message naming the file and both digests.</li>
 *   <li><b>Private folders.</b> Hashing and loading happen only in a folder that this user owns and
 *       that neither group nor others can write, whose every parent is owned by this user or root
 *       and is not writable by others unless it has the sticky bit ({@code /tmp}); symbolic links
 *       are resolved first and the real path is what is checked and loaded, so nobody else can
 *       swap the file between the check and {@link System#load}. Folders are created {@code 0700},
 *       libraries {@code 0500}, digest records {@code 0400}. A library file that is a symbolic
 *       link, not a regular file, owned by another user or writable by group or others is not
 *       trusted (it is replaced, as a mismatch is). A cache folder that breaks these rules is not
 *       used: the libraries go to {@code <java.io.tmpdir>/tangent-<uid>/} instead (or, when that
 *       is someone else's, a fresh {@code 0700} temporary folder removed at exit), and the log
 *       says so once.</li>
 *   <li><b>The user's own choice is loaded as given.</b> A path the user names (e.g.
 *       {@code tangent.dnnl.library}) goes to {@link #loadAsGiven}: no digest and no folder
 *       checks, only the ELF structure check of {@link ElfCheck#problem} (a truncated library kills
 *       the JVM with SIGBUS inside the dynamic loader).</li>
 * </ul>
 *
 * <p>The cache folder is the system property {@value #CACHE_PROPERTY}, else the environment
 * variable {@value #CACHE_ENV}, else {@code ~/.cache/tangent}; each bundle has its own folder in
 * it, named by {@link Bundle#folder()} (which holds the version). A cache folder that cannot be
 * created or written is an error ({@link IOException}), not a reason to move elsewhere: it is a
 * setting to fix.
 *
 * <p>Libraries are loaded with {@link System#load} from this class, so they belong to this class's
 * class loader, which is that of Tangent and its bindings. Linux only (it reads
 * {@code /proc/self/status} and POSIX file attributes). Thread-safe, and safe against other JVMs
 * extracting into the same folder at the same time.
 */
public final class NativeLibraryLoader {

    /** System property naming the cache folder. */
    public static final String CACHE_PROPERTY = "tangent.cache.dir";
    /** Environment variable naming the cache folder (when the property is not set). */
    public static final String CACHE_ENV = "TANGENT_CACHE_DIR";
    /** The digests computed at build time: {@code <folder>/<file>=<sha-256 hex>}. */
    static final String DIGESTS_RESOURCE = "dev/tangent/backend/native-libraries.sha256";
    /** Suffix of the digest record kept beside a library whose digest was not built in. */
    static final String RECORD_SUFFIX = ".sha256";
    private static final String NO_DIGEST = "no digest is recorded for it";

    private static final System.Logger LOG = System.getLogger(NativeLibraryLoader.class.getName());
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();
    /** Fresh temporary folders of this JVM: what is extracted into them is deleted at exit. */
    private static final Set<Path> TEMPORARY = ConcurrentHashMap.newKeySet();
    private static final FileAttribute<Set<PosixFilePermission>> DIR_0700 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final Set<PosixFilePermission> LIBRARY_0500 = PosixFilePermissions.fromString("r-x------");
    private static final Set<PosixFilePermission> DIR_PERMS = PosixFilePermissions.fromString("rwx------");
    private static final String NAME = "[A-Za-z0-9][A-Za-z0-9._+-]*";

    private NativeLibraryLoader() {}

    // ------------------------------------------------------------------------------------------
    // API

    /**
     * Native libraries shipped as resources of a jar, extracted side by side into one folder and
     * loaded in the order given (a library's dependencies first; with {@code RUNPATH=$ORIGIN} they
     * also find each other on disk).
     *
     * @param folder      the folder's name under the cache folder, holding the version, e.g.
     *                    {@code dnnl-3.13-1.5.14}; also the first half of the built-in digests' keys
     * @param classLoader where the resources are looked up
     * @param resourceDir the resources' folder in the jar, empty or ending in {@code /}
     * @param libraries   file names, in load order
     */
    public record Bundle(String folder, ClassLoader classLoader, String resourceDir, List<String> libraries) {
        public Bundle {
            if (folder == null || !folder.matches(NAME)) {
                throw new IllegalArgumentException("Bundle: folder must match " + NAME + ", got " + folder);
            }
            if (classLoader == null) {
                throw new IllegalArgumentException("Bundle: classLoader is null");
            }
            if (resourceDir == null || !(resourceDir.isEmpty() || resourceDir.endsWith("/"))) {
                throw new IllegalArgumentException("Bundle: resourceDir must be empty or end in '/', got " + resourceDir);
            }
            libraries = List.copyOf(libraries);
            if (libraries.isEmpty()) {
                throw new IllegalArgumentException("Bundle: no libraries");
            }
            for (String lib : libraries) {
                if (!lib.matches(NAME) || lib.endsWith(RECORD_SUFFIX)) {
                    throw new IllegalArgumentException("Bundle: bad library file name " + lib);
                }
            }
        }

        /** A bundle of {@code libraries}, in load order. */
        public static Bundle of(String folder, ClassLoader classLoader, String resourceDir, String... libraries) {
            return new Bundle(folder, classLoader, resourceDir, List.of(libraries));
        }

        String resource(String library) {
            return resourceDir + library;
        }
    }

    /**
     * Where a bundle's libraries are, verified.
     *
     * @param dir             the folder (a real path: no symbolic link in it)
     * @param libraries       the libraries' paths, in the bundle's order
     * @param privateFallback true when the cache folder was not trusted and a private temporary
     *                        folder was used instead
     */
    public record Extracted(Path dir, List<Path> libraries, boolean privateFallback) {
        public Extracted {
            libraries = List.copyOf(libraries);
        }

        /** The path of the library with this file name. */
        public Path library(String name) {
            for (Path p : libraries) {
                if (p.getFileName().toString().equals(name)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("no library " + name + " in " + libraries);
        }
    }

    /** Why a native library could not be extracted, trusted or loaded. */
    public static final class LibraryException extends IOException {
        private static final long serialVersionUID = 1L;

        /** What went wrong. */
        public enum Kind {
            /** the resource is not on the classpath */
            MISSING,
            /** a folder breaks the privacy rules (see the class comment) */
            UNTRUSTED_FOLDER,
            /** the bytes are not those of the jar entry, and a fresh copy did not help */
            UNTRUSTED_FILE,
            /** the jar entry itself is not the one whose digest was built into Tangent */
            JAR_MISMATCH,
            /** the ELF structure is broken (truncated, corrupt, not a library) */
            CORRUPT
        }

        private final Kind kind;
        private final transient Path file;

        LibraryException(Kind kind, Path file, String message) {
            super(message);
            this.kind = kind;
            this.file = file;
        }

        public Kind kind() {
            return kind;
        }

        /** The file or folder concerned (for {@link Kind#MISSING}, null). */
        public Path file() {
            return file;
        }
    }

    /**
     * Extracts (or finds, verified, in the cache) the bundle's libraries and loads them in order:
     * the one call a native library Tangent ships needs. See the class comment for the rules.
     *
     * @throws LibraryException a resource is missing, or no trusted copy could be made
     * @throws IOException      the cache folder cannot be created or written
     * @throws UnsatisfiedLinkError the dynamic loader refused a verified library
     */
    public static Extracted load(Bundle bundle) throws IOException {
        Extracted e = prepare(bundle, cacheRoot());
        for (Path lib : e.libraries()) {
            checkElf(lib);
            System.load(lib.toString());
        }
        return e;
    }

    /**
     * Loads a library the user named, as given: the user's own choice, so no digest and no folder
     * checks; only {@link #checkElf} first, so a truncated file gives an exception instead of
     * killing the JVM.
     *
     * @throws LibraryException of kind {@code CORRUPT} when the ELF structure is broken
     * @throws UnsatisfiedLinkError the dynamic loader refused it
     */
    public static void loadAsGiven(Path library) throws LibraryException {
        Path lib = library.toAbsolutePath().normalize();
        checkElf(lib);
        System.load(lib.toString());
    }

    /**
     * Extracts the bundle's libraries into {@code dir} itself (created {@code 0700} if needed),
     * or verifies the copies already there, without loading them; for tools and tests.
     *
     * @throws LibraryException {@code dir} is not private, a resource is missing, or no verified
     *                          copy could be made in it
     */
    public static Extracted extract(Bundle bundle, Path dir) throws IOException {
        Files.createDirectories(dir.toAbsolutePath(), DIR_0700);
        Path real = dir.toRealPath();
        String problem = FileTrust.parentsProblem(real);
        if (problem == null) {
            problem = FileTrust.privateFolderProblem(real);
        }
        if (problem != null) {
            throw new LibraryException(LibraryException.Kind.UNTRUSTED_FOLDER, real,
                    "the folder " + real + " is not private: " + problem);
        }
        return new Extracted(real, verifyOrExtract(bundle, real), false);
    }

    /** The cache folder: {@value #CACHE_PROPERTY}, else {@value #CACHE_ENV}, else {@code ~/.cache/tangent}. */
    public static Path cacheRoot() {
        String base = System.getProperty(CACHE_PROPERTY);
        if (base == null || base.isBlank()) {
            base = System.getenv(CACHE_ENV);
        }
        Path root = base == null || base.isBlank()
                ? Path.of(System.getProperty("user.home"), ".cache", "tangent")
                : Path.of(base.trim());
        return root.toAbsolutePath().normalize();
    }

    /**
     * Checks the ELF structure {@link ElfCheck#problem} checks.
     *
     * @throws LibraryException of kind {@code CORRUPT}, naming the file and the problem
     */
    public static void checkElf(Path library) throws LibraryException {
        String problem = elfProblem(library);
        if (problem != null) {
            throw new LibraryException(LibraryException.Kind.CORRUPT, library,
                    "native library " + library + " is truncated or corrupt: " + problem);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Choosing the folder

    /** The bundle's libraries, verified, in a trusted folder under {@code root} or a private one. */
    static Extracted prepare(Bundle bundle, Path root) throws IOException {
        Path dir;
        try {
            dir = trustedFolder(root, bundle.folder());
        } catch (LibraryException e) {
            if (e.kind() != LibraryException.Kind.UNTRUSTED_FOLDER) {
                throw e;
            }
            Path fallback = privateTempFolder(bundle.folder(), false);
            logFallbackOnce(e.getMessage(), fallback);
            return new Extracted(fallback, verifyOrExtract(bundle, fallback), true);
        }
        try {
            return new Extracted(dir, verifyOrExtract(bundle, dir), false);
        } catch (LibraryException e) {
            if (e.kind() != LibraryException.Kind.UNTRUSTED_FILE) {
                throw e;
            }
            // A fresh copy in the cache still did not verify (someone keeps writing there).
            Path fresh = privateTempFolder(bundle.folder(), true);
            logFallbackOnce(e.getMessage(), fresh);
            return new Extracted(fresh, verifyOrExtract(bundle, fresh), true);
        }
    }

    /**
     * {@code root/folder}, created {@code 0700} as needed, as a real path, after checking that it,
     * {@code root} and every folder above are private (see the class comment).
     *
     * @throws LibraryException of kind {@code UNTRUSTED_FOLDER} saying why not
     * @throws IOException      a folder cannot be created
     */
    static Path trustedFolder(Path root, String folder) throws IOException {
        Files.createDirectories(root, DIR_0700);
        Path realRoot = root.toRealPath();
        String problem = FileTrust.parentsProblem(realRoot);
        if (problem == null) {
            problem = FileTrust.privateFolderProblem(realRoot);
        }
        if (problem != null) {
            throw new LibraryException(LibraryException.Kind.UNTRUSTED_FOLDER, realRoot, "the cache folder "
                    + (realRoot.equals(root) ? root : root + " (really " + realRoot + ")") + " is not private: " + problem);
        }
        Path dir = realRoot.resolve(folder);
        try {
            Files.createDirectory(dir, DIR_0700);
        } catch (FileAlreadyExistsException e) {
            // made before, by this or another JVM: checked below
        }
        problem = FileTrust.privateFolderProblem(dir);
        if (problem != null) {
            throw new LibraryException(LibraryException.Kind.UNTRUSTED_FOLDER, dir,
                    "the cache folder " + dir + " is not private: " + problem);
        }
        FileTrust.tighten(dir, DIR_PERMS);
        return dir;
    }

    /**
     * {@code <java.io.tmpdir>/tangent-<uid>/<folder>}, when that is private; else (or when
     * {@code fresh}) a new {@code 0700} folder under {@code java.io.tmpdir}, removed at exit.
     */
    static Path privateTempFolder(String folder, boolean fresh) throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().toRealPath();
        String problem = FileTrust.parentsProblem(tmp.resolve("x"));   // tmp itself may be shared if sticky (/tmp)
        if (problem != null) {
            throw new LibraryException(LibraryException.Kind.UNTRUSTED_FOLDER, tmp, "no private folder for native"
                    + " libraries: the temporary folder " + tmp + " (java.io.tmpdir) is not safe: " + problem
                    + "; set system property " + CACHE_PROPERTY + " or environment variable " + CACHE_ENV
                    + " to a folder only you can write");
        }
        int uid = currentUid();
        if (!fresh) {
            try {
                return trustedFolder(tmp.resolve("tangent-" + uid), folder);
            } catch (LibraryException e) {
                LOG.log(System.Logger.Level.DEBUG, "not using {0}: {1}", tmp.resolve("tangent-" + uid), e.getMessage());
            }
        }
        Path parent = Files.createTempDirectory(tmp, "tangent-" + uid + "-", DIR_0700);
        parent.toFile().deleteOnExit();
        Path dir = Files.createDirectory(parent.resolve(folder), DIR_0700);
        dir.toFile().deleteOnExit();
        TEMPORARY.add(dir.toRealPath());
        return dir.toRealPath();
    }

    private static void logFallbackOnce(String why, Path instead) {
        if (FALLBACK_LOGGED.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "{0}; native libraries are extracted to and loaded from the"
                    + " private folder {1} instead. To use the cache, make it a folder only you can write"
                    + " (yours, chmod 700), or point system property " + CACHE_PROPERTY + " / environment"
                    + " variable " + CACHE_ENV + " at one", why, instead);
        } else {
            LOG.log(System.Logger.Level.DEBUG, "{0}; using {1}", why, instead);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Verifying and extracting

    /** The digests built into Tangent's jar, by {@code <folder>/<file>}. */
    private static final class BuiltIn {
        static final Properties DIGESTS = read();

        private static Properties read() {
            Properties p = new Properties();
            try (InputStream in = NativeLibraryLoader.class.getClassLoader().getResourceAsStream(DIGESTS_RESOURCE)) {
                if (in != null) {
                    p.load(in);
                } else {
                    LOG.log(System.Logger.Level.DEBUG, "no {0}: digests are taken from the jar entries", DIGESTS_RESOURCE);
                }
            } catch (IOException | IllegalArgumentException e) { // unreadable, or a malformed unicode escape
                LOG.log(System.Logger.Level.WARNING, "cannot read {0} ({1}): digests are taken from the jar entries",
                        DIGESTS_RESOURCE, e);
            }
            return p;
        }
    }

    /**
     * The cache folder the build recorded for {@code library} under a folder name starting with
     * {@code prefix} (e.g. {@code tangent-cpu-} + the project version), or null when the build
     * recorded none.
     */
    public static String builtInFolder(String prefix, String library) {
        for (String key : BuiltIn.DIGESTS.stringPropertyNames()) {
            int slash = key.indexOf('/');
            if (slash > 0 && key.startsWith(prefix) && key.substring(slash + 1).equals(library)) {
                return key.substring(0, slash);
            }
        }
        return null;
    }

    /** The SHA-256 built into Tangent for {@code <folder>/<file>}, or null. */
    static String builtInDigest(String folder, String library) {
        String d = BuiltIn.DIGESTS.getProperty(folder + "/" + library);
        return d == null ? null : d.trim().toLowerCase(Locale.ROOT);
    }

    private static URL resource(Bundle bundle, String library) throws LibraryException {
        URL url = bundle.classLoader().getResource(bundle.resource(library));
        if (url == null) {
            throw new LibraryException(LibraryException.Kind.MISSING, null,
                    "no " + bundle.resource(library) + " on the classpath");
        }
        return url;
    }

    /** Makes every library of the bundle a verified file in {@code dir} (private, checked). */
    private static List<Path> verifyOrExtract(Bundle bundle, Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String library : bundle.libraries()) {
            out.add(verifyOrExtract(bundle, library, dir));
        }
        return out;
    }

    private static Path verifyOrExtract(Bundle bundle, String library, Path dir) throws IOException {
        URL url = resource(bundle, library);
        Path target = dir.resolve(library);
        String builtIn = builtInDigest(bundle.folder(), library);
        String entryId = builtIn == null ? FileTrust.entryIdentity(url) : null;
        String expected = builtIn;
        String origin = "the digest built into Tangent";
        if (expected == null && entryId != null) {
            expected = FileTrust.readRecord(dir.resolve(library + RECORD_SUFFIX), entryId);
            origin = "the digest recorded when it was extracted from " + url;
        } else if (expected == null) {
            expected = sha256(url);     // not in a jar (a classes folder): hashing it is cheap
            origin = "the digest of " + url;
        }
        long t0 = System.nanoTime();
        boolean exists = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        String problem = exists ? fileProblem(target, expected) : "missing";
        if (problem == null) {
            FileTrust.tighten(target, LIBRARY_0500);
            LOG.log(System.Logger.Level.DEBUG, "{0}: SHA-256 verified against {1} in {2} ms", target, origin,
                    String.valueOf((System.nanoTime() - t0) / 1_000_000));
            return target;
        }
        if (exists) {
            LOG.log(problem.equals(NO_DIGEST) ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
                    "native library {0} is not trusted and is not loaded: {1} (checked against {2}); replacing it"
                    + " with a fresh copy of {3}", target, problem, origin, url);
        }
        if (TEMPORARY.contains(dir)) {
            target.toFile().deleteOnExit();
            target.resolveSibling(library + RECORD_SUFFIX).toFile().deleteOnExit();
        }
        String digest = extractOne(url, target, builtIn);
        problem = fileProblem(target, digest);
        if (problem != null) {
            throw new LibraryException(LibraryException.Kind.UNTRUSTED_FILE, target, "native library " + target
                    + " still does not match its jar entry after a fresh copy: " + problem
                    + "; another process writes into " + dir);
        }
        if (builtIn == null && entryId != null) {
            FileTrust.writeRecord(dir.resolve(library + RECORD_SUFFIX), digest, entryId);
        }
        return target;
    }

    /**
     * Why the file is not the trusted copy with SHA-256 {@code expected}, or null when it is:
     * a regular file (not a link), this user's (or root's), not writable by group or others, and
     * with those bytes. A null {@code expected} (no digest known) is a problem too, said last.
     */
    static String fileProblem(Path file, String expected) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(file, "unix:uid,mode,size,isRegularFile,isSymbolicLink", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return "missing";
        }
        if ((Boolean) a.get("isSymbolicLink")) {
            return "it is a symbolic link (to " + Files.readSymbolicLink(file) + ")";
        }
        if (!(Boolean) a.get("isRegularFile")) {
            return "it is not a regular file";
        }
        int uid = (Integer) a.get("uid");
        int mode = (Integer) a.get("mode");
        if (uid != currentUid() && uid != 0) {
            return "it is owned by " + FileTrust.owner(uid) + ", not by this process's user " + FileTrust.owner(currentUid());
        }
        if ((mode & FileTrust.GROUP_OTHER_WRITE) != 0) {
            return "it is writable by " + FileTrust.whoCanWrite(mode) + " (mode " + FileTrust.octal(mode) + ")";
        }
        if (expected == null) {
            return NO_DIGEST;
        }
        String actual;
        try {
            actual = sha256(file);
        } catch (IOException e) {
            return "it cannot be read (" + e + ")";
        }
        if (!actual.equals(expected)) {
            return "its SHA-256 is " + actual + " (" + a.get("size") + " bytes) but the jar entry's is " + expected;
        }
        return null;
    }

    /**
     * Copies the resource to a private temporary file beside {@code target} while hashing it,
     * checks the digest against {@code expected} (when known), syncs it to disk, makes it
     * {@code 0500} and renames it onto {@code target} atomically. Returns the digest.
     */
    private static String extractOne(URL url, Path target, String expected) throws IOException {
        Path dir = target.getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".part", FileTrust.FILE_0600);
        try {
            MessageDigest md = FileTrust.newSha256();
            try (InputStream in = url.openStream();
                 FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                byte[] buf = new byte[1 << 20];
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                    while (b.hasRemaining()) {
                        out.write(b);
                    }
                }
                out.force(true);
            }
            String digest = HexFormat.of().formatHex(md.digest());
            if (expected != null && !expected.equals(digest)) {
                throw new LibraryException(LibraryException.Kind.JAR_MISMATCH, target, "the jar entry " + url
                        + " has SHA-256 " + digest + " but Tangent was built with one whose SHA-256 is " + expected
                        + ": the jar on the classpath is not the one Tangent was built against; not loading it");
            }
            Files.setPosixFilePermissions(tmp, LIBRARY_0500);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            FileTrust.syncFolder(dir);
            return digest;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The SHA-256 of a file's bytes (not following a symbolic link), lower-case hex. */
    public static String sha256(Path file) throws IOException {
        return FileTrust.sha256(file);
    }

    static String sha256(URL url) throws IOException {
        return FileTrust.sha256(url);
    }

    /** See {@link ElfCheck#problem}. */
    public static String elfProblem(Path lib) {
        return ElfCheck.problem(lib);
    }

    static int currentUid() {
        return FileTrust.currentUid();
    }
}
