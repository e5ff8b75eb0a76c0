package dev.tangent.backend.cpu.dnnl;

import dev.tangent.bindings.dnnl.dnnl_h;
import dev.tangent.bindings.dnnl.dnnl_version_t;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * Loads oneDNN ({@code libdnnl.so.3}, OpenMP build) for the Panama bindings in
 * {@code dev.tangent.bindings.dnnl}, once per JVM, on first use.
 *
 * <p>By default the library comes from the {@code org.bytedeco:dnnl} jar with classifier
 * {@code linux-x86_64} on the classpath: {@code libgomp.so.1} and {@code libdnnl.so.3} are
 * extracted side by side, names unchanged ({@code libdnnl.so.3} has {@code RUNPATH=$ORIGIN}),
 * into a versioned cache folder, {@code <cache>/dnnl-<version>/}, where {@code <cache>} is the
 * system property {@code tangent.cache.dir}, else the environment variable
 * {@code TANGENT_CACHE_DIR}, else {@code ~/.cache/tangent}. Each file is written to a temporary
 * name and renamed atomically, so JVMs extracting at the same time never see a partial file.
 * Both are then loaded by absolute path with {@link System#load}, libgomp first.
 *
 * <p>The system property {@code tangent.dnnl.library} (else the environment variable
 * {@code TANGENT_DNNL_LIBRARY}) names another {@code libdnnl.so} to load instead, e.g. a system
 * oneDNN 3.x.
 *
 * <p>Nothing here throws while loading: when oneDNN cannot be loaded {@link #isAvailable()} is
 * false, {@link #unavailableReason()} says why and how to fix it, and the reason is logged once.
 */
public final class DnnlLibrary {

    /** Where the bytedeco jar keeps the Linux x86-64 libraries. */
    static final String RESOURCE_DIR = "org/bytedeco/dnnl/linux-x86_64/";
    /** Load order matters: libdnnl.so.3 needs libgomp.so.1. */
    static final String[] LIBRARIES = {"libgomp.so.1", "libdnnl.so.3"};
    static final String OVERRIDE_PROPERTY = "tangent.dnnl.library";
    static final String OVERRIDE_ENV = "TANGENT_DNNL_LIBRARY";
    static final String CACHE_PROPERTY = "tangent.cache.dir";
    static final String CACHE_ENV = "TANGENT_CACHE_DIR";
    private static final String POM_PROPERTIES = "META-INF/maven/org.bytedeco/dnnl/pom.properties";
    private static final String ARTIFACT_HINT =
            "org.bytedeco:dnnl with classifier linux-x86_64 (a dependency of tangent)";

    private static final System.Logger LOG = System.getLogger(DnnlLibrary.class.getName());

    private DnnlLibrary() {}

    /** The outcome of one attempt to load oneDNN: the library loaded, or why not. */
    record LoadResult(Path library, String version, String failure) {
        static LoadResult loaded(Path library, String version) {
            return new LoadResult(library, version, null);
        }

        static LoadResult failed(String failure) {
            return new LoadResult(null, null, failure);
        }

        boolean ok() {
            return failure == null;
        }
    }

    /** Loads on first access (class initialisation is lazy and thread-safe). */
    private static final class Holder {
        static final LoadResult RESULT = loadOnce();
    }

    /** True when oneDNN is loaded and its functions may be called. */
    public static boolean isAvailable() {
        return Holder.RESULT.ok();
    }

    /** Why oneDNN is not available, naming the fix; empty when it is available. */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(Holder.RESULT.failure());
    }

    /**
     * Makes sure oneDNN is loaded.
     *
     * @throws IllegalStateException with {@link #unavailableReason()} as its message when it is not
     */
    public static void ensureAvailable() {
        LoadResult r = Holder.RESULT;
        if (!r.ok()) {
            throw new IllegalStateException(r.failure());
        }
    }

    /** The absolute path of the loaded {@code libdnnl}; empty when oneDNN is not available. */
    public static Optional<Path> libraryPath() {
        return Optional.ofNullable(Holder.RESULT.library());
    }

    /** The loaded library's version as {@code major.minor.patch}; empty when not available. */
    public static Optional<String> version() {
        return Optional.ofNullable(Holder.RESULT.version());
    }

    // ------------------------------------------------------------------------------------------

    private static LoadResult loadOnce() {
        LoadResult r;
        try {
            r = load();
        } catch (Throwable t) { // never let a static initializer throw
            r = LoadResult.failed("oneDNN could not be loaded: " + t);
        }
        if (r.ok()) {
            LOG.log(System.Logger.Level.DEBUG, "oneDNN {0} loaded from {1}", r.version(), r.library());
        } else {
            LOG.log(System.Logger.Level.WARNING, "oneDNN unavailable, CPU kernels fall back to Java: {0}",
                    r.failure());
        }
        return r;
    }

    private static LoadResult load() {
        String override = System.getProperty(OVERRIDE_PROPERTY);
        String origin = "system property " + OVERRIDE_PROPERTY;
        if (override == null || override.isBlank()) {
            override = System.getenv(OVERRIDE_ENV);
            origin = "environment variable " + OVERRIDE_ENV;
        }
        if (override != null && !override.isBlank()) {
            return loadFrom(Path.of(override.trim()), origin);
        }
        String platform = platformProblem();
        if (platform != null) {
            return LoadResult.failed(platform);
        }
        Path dir = cacheDir();
        Path libdnnl;
        try {
            libdnnl = extract(dir);
        } catch (MissingResourceException e) {
            return LoadResult.failed(e.getMessage());
        } catch (IOException e) {
            return LoadResult.failed("could not extract oneDNN into " + dir + " (" + e
                    + "); make it writable, or point system property " + CACHE_PROPERTY + " / environment variable "
                    + CACHE_ENV + " at a writable folder");
        }
        return loadFrom(libdnnl, "the " + ARTIFACT_HINT + " jar, extracted to " + dir);
    }

    /**
     * Loads the given {@code libdnnl} (and, from the same folder, {@code libgomp.so.1} first when
     * it is there), then checks that oneDNN's symbols resolve. Returns the reason on failure
     * instead of throwing; {@code origin} says where the path came from, for the message.
     * A failure leaves nothing half-set in this class, so tests may call it freely.
     */
    static LoadResult loadFrom(Path libdnnl, String origin) {
        Path lib = libdnnl.toAbsolutePath().normalize();
        String fix = origin.startsWith("system property") || origin.startsWith("environment variable")
                ? "fix the path, or unset it to use the oneDNN bundled in " + ARTIFACT_HINT
                : "set system property " + OVERRIDE_PROPERTY + " to a oneDNN 3.x libdnnl.so";
        if (!Files.isRegularFile(lib)) {
            return LoadResult.failed("oneDNN library " + lib + " (from " + origin + ") does not exist; " + fix);
        }
        String corrupt = truncatedElf(lib);
        if (corrupt != null) {
            return LoadResult.failed("oneDNN library " + lib + " (from " + origin + ") is truncated or corrupt: "
                    + corrupt + "; " + fix);
        }
        try {
            Path gomp = lib.resolveSibling(LIBRARIES[0]);
            if (Files.isRegularFile(gomp)) {
                System.load(gomp.toString());
            }
            System.load(lib.toString());
        } catch (UnsatisfiedLinkError | SecurityException e) {
            return LoadResult.failed("oneDNN library " + lib + " (from " + origin + ") failed to load: "
                    + e.getMessage() + "; " + fix);
        }
        boolean isDnnl;
        try (Arena probe = Arena.ofConfined()) { // this very library, not whatever the JVM loaded before
            isDnnl = SymbolLookup.libraryLookup(lib, probe).find("dnnl_version").isPresent();
        }
        if (!isDnnl) {
            return LoadResult.failed("library " + lib + " (from " + origin + ") loaded but has no dnnl_version:"
                    + " not oneDNN; " + fix);
        }
        try {
            MemorySegment v = dnnl_h.dnnl_version().reinterpret(dnnl_version_t.sizeof());
            int major = dnnl_version_t.major(v);
            String version = major + "." + dnnl_version_t.minor(v) + "." + dnnl_version_t.patch(v);
            if (major != 3) {
                return LoadResult.failed("oneDNN " + version + " at " + lib + " (from " + origin
                        + ") is not oneDNN 3.x, which the bindings are generated for; " + fix);
            }
            return LoadResult.loaded(lib, version);
        } catch (RuntimeException | LinkageError e) {
            return LoadResult.failed("oneDNN at " + lib + " (from " + origin + ") is unusable: " + e + "; " + fix);
        }
    }

    /**
     * For a 64-bit little-endian ELF file: why it is shorter than its own headers say (the dynamic
     * loader would map the missing bytes and die of SIGBUS, taking the JVM with it), else null.
     * Other files are left to the loader, which rejects them with an error.
     */
    static String truncatedElf(Path lib) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(lib)) {
            long size = ch.size();
            java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ch.read(h, 0);
            if (h.position() < 64 || h.getInt(0) != 0x464c457f || h.get(4) != 2 || h.get(5) != 1) {
                return h.position() >= 4 && h.getInt(0) == 0x464c457f && h.position() < 64
                        ? "the ELF header is cut short (" + size + " bytes)" : null;
            }
            long phoff = h.getLong(0x20);
            long shoff = h.getLong(0x28);
            int phentsize = Short.toUnsignedInt(h.getShort(0x36));
            int phnum = Short.toUnsignedInt(h.getShort(0x38));
            int shentsize = Short.toUnsignedInt(h.getShort(0x3a));
            int shnum = Short.toUnsignedInt(h.getShort(0x3c));
            long end = Math.max(phoff + (long) phentsize * phnum, shoff == 0 ? 0 : shoff + (long) shentsize * shnum);
            if (end > size) {
                return "its headers end at byte " + end + " but the file has " + size + " bytes";
            }
            java.nio.ByteBuffer ph = java.nio.ByteBuffer.allocate(phentsize).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < phnum && phentsize >= 0x28; i++) {
                ph.clear();
                ch.read(ph, phoff + (long) i * phentsize);
                long segEnd = ph.getLong(0x08) + ph.getLong(0x20);   // p_offset + p_filesz
                if (segEnd > size) {
                    return "segment " + i + " ends at byte " + segEnd + " but the file has " + size + " bytes";
                }
            }
            return null;
        } catch (IOException e) {
            return null; // unreadable: System.load reports it
        }
    }

    private static String platformProblem() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
            return null;
        }
        return "the bundled oneDNN is for linux-x86_64 only, this JVM runs on " + os + "/" + arch
                + "; set system property " + OVERRIDE_PROPERTY + " to a oneDNN 3.x library built for it";
    }

    /** The versioned folder the bundled libraries are extracted to. */
    static Path cacheDir() {
        String base = System.getProperty(CACHE_PROPERTY);
        if (base == null || base.isBlank()) {
            base = System.getenv(CACHE_ENV);
        }
        Path root = base == null || base.isBlank()
                ? Path.of(System.getProperty("user.home"), ".cache", "tangent")
                : Path.of(base.trim());
        return root.resolve("dnnl-" + bundledVersion()).toAbsolutePath();
    }

    /** The bytedeco artifact version (e.g. 3.13-1.5.14), read from the jar itself. */
    static String bundledVersion() {
        try (InputStream in = DnnlLibrary.class.getClassLoader().getResourceAsStream(POM_PROPERTIES)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && v.matches("[A-Za-z0-9._-]+")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through: an unversioned folder still works, files are checked by size
        }
        return "unknown";
    }

    /** Thrown when the bytedeco jar (or one of its libraries) is not on the classpath. */
    static final class MissingResourceException extends IOException {
        private static final long serialVersionUID = 1L;

        MissingResourceException(String message) {
            super(message);
        }
    }

    /**
     * Extracts {@code libgomp.so.1} and {@code libdnnl.so.3} from the classpath into {@code dir}
     * (created if needed), keeping files that are already there with the right size, and returns
     * the path of {@code libdnnl.so.3}. Safe against other threads and JVMs doing the same.
     */
    static Path extract(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path libdnnl = null;
        for (String name : LIBRARIES) {
            URL url = DnnlLibrary.class.getClassLoader().getResource(RESOURCE_DIR + name);
            if (url == null) {
                throw new MissingResourceException("oneDNN is not on the classpath (no " + RESOURCE_DIR + name
                        + "); add " + ARTIFACT_HINT + ", or set system property " + OVERRIDE_PROPERTY
                        + " to a oneDNN 3.x libdnnl.so");
            }
            Path target = dir.resolve(name);
            URLConnection conn = url.openConnection();
            long size = conn.getContentLengthLong();
            if (size < 0 || !Files.isRegularFile(target) || Files.size(target) != size) {
                Path tmp = Files.createTempFile(dir, name + ".", ".part");
                try {
                    try (InputStream in = conn.getInputStream()) {
                        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    }
                    try {
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException | AccessDeniedException e) {
                        // another process won the race on a file system without atomic replace
                        if (!Files.isRegularFile(target) || Files.size(target) != Files.size(tmp)) {
                            throw e;
                        }
                    }
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            libdnnl = target;
        }
        return libdnnl;
    }
}
