package dev.tangent.backend;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
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
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.JarEntry;

/**
 * Extracts the native libraries Tangent ships inside jars and loads them, only ever loading bytes
 * it has just proved to be the bytes of the jar entry, from a folder no other user can write.
 * Every native library Tangent bundles goes through here: today oneDNN ({@code libgomp.so.1},
 * {@code libdnnl.so.3} from the {@code org.bytedeco:dnnl} jar); a library shipped in Tangent's own
 * jar later is one {@link Bundle} and one call:
 *
 * <pre>{@code
 * NativeLibraryLoader.load(NativeLibraryLoader.Bundle.of("tangent_cpu-" + version,
 *         NativeLibraryLoader.class.getClassLoader(), "dev/tangent/native/linux-x86_64/",
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
 *       checks, only the ELF structure check of {@link #elfProblem} (a truncated library kills
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
    private static final FileAttribute<Set<PosixFilePermission>> FILE_0600 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final Set<PosixFilePermission> LIBRARY_0500 = PosixFilePermissions.fromString("r-x------");
    private static final Set<PosixFilePermission> RECORD_0400 = PosixFilePermissions.fromString("r--------");
    private static final Set<PosixFilePermission> DIR_PERMS = PosixFilePermissions.fromString("rwx------");
    private static final int GROUP_OTHER_WRITE = 0022;
    private static final int STICKY = 01000;
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
        String problem = parentsProblem(real);
        if (problem == null) {
            problem = privateFolderProblem(real);
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
     * Checks the ELF structure {@link #elfProblem} checks.
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
        String problem = parentsProblem(realRoot);
        if (problem == null) {
            problem = privateFolderProblem(realRoot);
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
        problem = privateFolderProblem(dir);
        if (problem != null) {
            throw new LibraryException(LibraryException.Kind.UNTRUSTED_FOLDER, dir,
                    "the cache folder " + dir + " is not private: " + problem);
        }
        tighten(dir, DIR_PERMS);
        return dir;
    }

    /**
     * {@code <java.io.tmpdir>/tangent-<uid>/<folder>}, when that is private; else (or when
     * {@code fresh}) a new {@code 0700} folder under {@code java.io.tmpdir}, removed at exit.
     */
    static Path privateTempFolder(String folder, boolean fresh) throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().toRealPath();
        String problem = parentsProblem(tmp.resolve("x"));   // tmp itself may be shared if sticky (/tmp)
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

    /** Why a folder that will hold libraries is not private, or null: ours, no group/other write, no link. */
    static String privateFolderProblem(Path dir) throws IOException {
        Map<String, Object> a = Files.readAttributes(dir, "unix:uid,mode,isDirectory,isSymbolicLink",
                LinkOption.NOFOLLOW_LINKS);
        if ((Boolean) a.get("isSymbolicLink")) {
            return dir + " is a symbolic link";
        }
        if (!(Boolean) a.get("isDirectory")) {
            return dir + " is not a folder";
        }
        int uid = (Integer) a.get("uid");
        int mode = (Integer) a.get("mode");
        int me = currentUid();
        if (uid != me) {
            return dir + " is owned by " + owner(uid) + ", not by this process's user " + owner(me);
        }
        if ((mode & GROUP_OTHER_WRITE) != 0) {
            return dir + " is writable by " + whoCanWrite(mode) + " (mode " + octal(mode) + ")";
        }
        return null;
    }

    /**
     * Why someone other than this user (or root) could replace {@code path} by renaming one of the
     * folders above it, or null: each must be owned by this user or root, and writable by group or
     * others only with the sticky bit.
     */
    static String parentsProblem(Path path) throws IOException {
        int me = currentUid();
        for (Path p = path.getParent(); p != null; p = p.getParent()) {
            Map<String, Object> a = Files.readAttributes(p, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) a.get("uid");
            int mode = (Integer) a.get("mode");
            if (uid != me && uid != 0) {
                return "the folder above it, " + p + ", is owned by " + owner(uid) + ", who could swap what is in it";
            }
            if ((mode & GROUP_OTHER_WRITE) != 0 && (mode & STICKY) == 0) {
                return "the folder above it, " + p + ", is writable by " + whoCanWrite(mode) + " (mode " + octal(mode)
                        + ", no sticky bit)";
            }
        }
        return null;
    }

    private static void tighten(Path path, Set<PosixFilePermission> perms) {
        try {
            if (!Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS).equals(perms)) {
                Files.setPosixFilePermissions(path, perms);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: what matters (nobody else can write) was checked already
        }
    }

    private static String whoCanWrite(int mode) {
        boolean g = (mode & 0020) != 0;
        boolean o = (mode & 0002) != 0;
        return g && o ? "group and others" : g ? "its group" : "others";
    }

    private static String octal(int mode) {
        return String.format(Locale.ROOT, "%04o", mode & 07777);
    }

    private static String owner(int uid) {
        return "uid " + uid;
    }

    private static volatile int cachedUid = -1;

    /** This process's file-system user id (the owner of the files it creates). */
    static int currentUid() {
        int u = cachedUid;
        if (u >= 0) {
            return u;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("Uid:")) {
                    String[] f = line.trim().split("\\s+");   // real, effective, saved, file-system
                    u = Integer.parseInt(f[f.length - 1]);
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            u = -1;
        }
        if (u < 0) {
            try {
                Path probe = Files.createTempFile("tangent-uid", ".tmp");
                try {
                    u = (Integer) Files.getAttribute(probe, "unix:uid");
                } finally {
                    Files.deleteIfExists(probe);
                }
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("cannot tell this process's user id: " + e, e);
            }
        }
        cachedUid = u;
        return u;
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
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot read {0} ({1}): digests are taken from the jar entries",
                        DIGESTS_RESOURCE, e);
            }
            return p;
        }
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
        String entryId = builtIn == null ? entryIdentity(url) : null;
        String expected = builtIn;
        String origin = "the digest built into Tangent";
        if (expected == null && entryId != null) {
            expected = readRecord(dir.resolve(library + RECORD_SUFFIX), entryId);
            origin = "the digest recorded when it was extracted from " + url;
        } else if (expected == null) {
            expected = sha256(url);     // not in a jar (a classes folder): hashing it is cheap
            origin = "the digest of " + url;
        }
        long t0 = System.nanoTime();
        boolean exists = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        String problem = exists ? fileProblem(target, expected) : "missing";
        if (problem == null) {
            tighten(target, LIBRARY_0500);
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
            writeRecord(dir.resolve(library + RECORD_SUFFIX), digest, entryId);
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
            return "it is owned by " + owner(uid) + ", not by this process's user " + owner(currentUid());
        }
        if ((mode & GROUP_OTHER_WRITE) != 0) {
            return "it is writable by " + whoCanWrite(mode) + " (mode " + octal(mode) + ")";
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
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".part", FILE_0600);
        try {
            MessageDigest md = newSha256();
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
            syncFolder(dir);
            return digest;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void syncFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);   // the rename itself reaches the disk
        } catch (IOException | RuntimeException e) {
            // not every file system lets a folder be opened; the rename is atomic regardless
        }
    }

    /** {@code size=<n> crc32=<hex>} of a jar entry (cheap: from the jar's directory), or null. */
    static String entryIdentity(URL url) {
        try {
            URLConnection c = url.openConnection();
            if (c instanceof JarURLConnection j) {
                JarEntry e = j.getJarEntry();
                if (e != null && e.getSize() >= 0 && e.getCrc() >= 0) {
                    return "size=" + e.getSize() + " crc32=" + Long.toHexString(e.getCrc());
                }
            }
        } catch (IOException e) {
            // fall through: hashed from the resource instead
        }
        return null;
    }

    /** The digest in a record written for this jar entry, or null (missing, stale, not private). */
    private static String readRecord(Path record, String entryId) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(record, "unix:uid,mode,isRegularFile", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
        int uid = (Integer) a.get("uid");
        if (!(Boolean) a.get("isRegularFile") || (uid != currentUid() && uid != 0)
                || ((Integer) a.get("mode") & GROUP_OTHER_WRITE) != 0) {
            return null;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(record, LinkOption.NOFOLLOW_LINKS)) {
            p.load(in);
        }
        String sha = p.getProperty("sha256");
        return entryId.equals(p.getProperty("entry")) && sha != null && sha.matches("[0-9a-f]{64}") ? sha : null;
    }

    private static void writeRecord(Path record, String digest, String entryId) throws IOException {
        Path tmp = Files.createTempFile(record.getParent(), "." + record.getFileName() + ".", ".part", FILE_0600);
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                out.write(ByteBuffer.wrap(("# SHA-256 of the jar entry, written when it was extracted\nsha256="
                        + digest + "\nentry=" + entryId + "\n").getBytes(StandardCharsets.US_ASCII)));
                out.force(true);
            }
            Files.setPosixFilePermissions(tmp, RECORD_0400);
            Files.move(tmp, record, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Hashing

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);   // every Java SE JVM has it
        }
    }

    /** The SHA-256 of a file's bytes (not following a symbolic link), lower-case hex. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = newSha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(URL url) throws IOException {
        MessageDigest md = newSha256();
        try (InputStream in = url.openStream()) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    // ------------------------------------------------------------------------------------------
    // ELF structure

    private static final int ELF_MAGIC = 0x464c457f;   // "\x7fELF", little-endian
    private static final int ELF_HEADER = 64;
    private static final int PHDR_SIZE = 56;
    private static final int SHDR_SIZE = 64;
    private static final int PT_LOAD = 1;
    private static final int SHT_NULL = 0;
    private static final int SHT_NOBITS = 8;

    /**
     * Why {@code lib} is not a structurally sound 64-bit little-endian ELF shared library whose
     * headers, segments and sections all lie inside the file, or null when it is. The dynamic
     * loader maps what the headers say without checking the file's length, so a truncated
     * library would die of SIGBUS and take the JVM with it; this reads only the headers (at most
     * a few MB, whatever the values in them). Never throws: an unreadable file gives null, and
     * the loader then reports why it cannot open it.
     */
    public static String elfProblem(Path lib) {
        try (FileChannel ch = FileChannel.open(lib, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer h = read(ch, 0, (int) Math.min(ELF_HEADER, size));
            if (size < 4 || h.getInt(0) != ELF_MAGIC) {
                StringBuilder start = new StringBuilder();
                for (int i = 0; i < Math.min(4, h.limit()); i++) {
                    start.append(start.isEmpty() ? "" : " ").append(String.format("%02x", h.get(i) & 0xff));
                }
                return "not an ELF file (it starts with bytes [" + start + "], not 7f 45 4c 46; " + size + " bytes)";
            }
            if (size < ELF_HEADER) {
                return "the ELF header is cut short (" + size + " bytes, it needs " + ELF_HEADER + ")";
            }
            if (h.get(4) != 2) {
                return "not a 64-bit ELF file (EI_CLASS " + h.get(4) + ", expected 2)";
            }
            if (h.get(5) != 1) {
                return "not a little-endian ELF file (EI_DATA " + h.get(5) + ", expected 1)";
            }
            if (h.get(6) != 1 || h.getInt(0x14) != 1) {
                return "unknown ELF version (" + h.get(6) + "/" + h.getInt(0x14) + ", expected 1)";
            }
            int type = Short.toUnsignedInt(h.getShort(0x10));
            if (type != 3) {
                return "not a shared library (ELF type " + type + ", expected 3 = ET_DYN)";
            }
            int machine = Short.toUnsignedInt(h.getShort(0x12));
            String wrongMachine = machineProblem(machine);
            if (wrongMachine != null) {
                return wrongMachine;
            }
            long phoff = h.getLong(0x20);
            long shoff = h.getLong(0x28);
            int phentsize = Short.toUnsignedInt(h.getShort(0x36));
            int phnum = Short.toUnsignedInt(h.getShort(0x38));
            int shentsize = Short.toUnsignedInt(h.getShort(0x3a));
            int shnum = Short.toUnsignedInt(h.getShort(0x3c));
            if (phnum == 0) {
                return "it has no program headers";
            }
            if (phnum == 0xffff) {
                return "it claims 65535 or more program headers (PN_XNUM)";
            }
            if (phentsize != PHDR_SIZE) {
                return "its program headers are " + phentsize + " bytes each, expected " + PHDR_SIZE;
            }
            String r = outside("the program header table", phoff, (long) phentsize * phnum, size);
            if (r != null) {
                return r;
            }
            if (shoff != 0 || shnum != 0) {
                if (shnum != 0 && shentsize != SHDR_SIZE) {
                    return "its section headers are " + shentsize + " bytes each, expected " + SHDR_SIZE;
                }
                r = outside("the section header table", shoff, (long) shentsize * shnum, size);
                if (r != null) {
                    return r;
                }
            }
            ByteBuffer ph = read(ch, phoff, phentsize * phnum);
            int loads = 0;
            for (int i = 0; i < phnum; i++) {
                int o = i * phentsize;
                int ptype = ph.getInt(o);
                long offset = ph.getLong(o + 0x08);
                long filesz = ph.getLong(o + 0x20);
                long memsz = ph.getLong(o + 0x28);
                r = outside("segment " + i, offset, filesz, size);
                if (r != null) {
                    return r;
                }
                if (ptype == PT_LOAD) {
                    loads++;
                    if (Long.compareUnsigned(filesz, memsz) > 0) {
                        return "segment " + i + " has more bytes in the file (" + filesz + ") than in memory ("
                                + Long.toUnsignedString(memsz) + ")";
                    }
                }
            }
            if (loads == 0) {
                return "it has no loadable segment";
            }
            if (shnum != 0 && shoff != 0) {
                ByteBuffer sh = read(ch, shoff, shentsize * shnum);
                for (int i = 0; i < shnum; i++) {
                    int o = i * shentsize;
                    int stype = sh.getInt(o + 0x04);
                    if (stype != SHT_NULL && stype != SHT_NOBITS) {
                        r = outside("section " + i, sh.getLong(o + 0x18), sh.getLong(o + 0x20), size);
                        if (r != null) {
                            return r;
                        }
                    }
                }
            }
            return null;
        } catch (IOException e) {
            return null;   // unreadable: System.load says why
        } catch (RuntimeException e) {   // the file changed size while being read
            return "its headers cannot be read (" + e + ")";
        }
    }

    /** Why {@code [offset, offset + length)} (unsigned 64-bit values) is not inside the file, or null. */
    private static String outside(String what, long offset, long length, long size) {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            String end = offset < 0 || length < 0 || offset + length < 0
                    ? "past byte 2^63" : "at byte " + (offset + length);
            return what + " ends " + end + " (offset " + Long.toUnsignedString(offset) + ", "
                    + Long.toUnsignedString(length) + " bytes) but the file has " + size + " bytes";
        }
        return null;
    }

    private static String machineProblem(int machine) {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        int expected = switch (arch) {
            case "amd64", "x86_64" -> 62;
            case "aarch64", "arm64" -> 183;
            default -> -1;
        };
        return expected < 0 || machine == expected ? null
                : "built for another processor (ELF machine " + machine + ", this JVM runs on " + arch
                        + ", machine " + expected + ")";
    }

    private static ByteBuffer read(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                break;
            }
        }
        return b.flip();
    }
}
