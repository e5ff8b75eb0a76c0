package dev.tangent.backend.cpu.dnnl;

import dev.tangent.backend.NativeLibraryLoader;
import dev.tangent.bindings.dnnl.dnnl_h;
import dev.tangent.bindings.dnnl.dnnl_version_t;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * {@code TANGENT_CACHE_DIR}, else {@code ~/.cache/tangent}, and loaded by absolute path, libgomp
 * first. {@link NativeLibraryLoader} does this, and loads only files whose SHA-256 is that of the
 * jar entry (built into Tangent for the oneDNN version it was built with), from a folder no other
 * user can write; see its class comment.
 *
 * <p>The system property {@code tangent.dnnl.library} (else the environment variable
 * {@code TANGENT_DNNL_LIBRARY}) names another {@code libdnnl.so} to load instead, e.g. a system
 * oneDNN 3.x. That is the user's own choice: it is loaded as given (after an ELF structure check),
 * with no digest or folder checks.
 *
 * <p>Before libgomp loads, {@link OpenMpWaitPolicy} bounds how long its idle threads spin (unless
 * the user chose a policy; an invalid {@code tangent.omp.wait} or {@code tangent.omp.spincount} makes
 * oneDNN unavailable, with the reason).
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
    static final String CACHE_PROPERTY = NativeLibraryLoader.CACHE_PROPERTY;
    static final String CACHE_ENV = NativeLibraryLoader.CACHE_ENV;
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
            LOG.log(System.Logger.Level.DEBUG, "oneDNN {0} loaded from {1}; OpenMP wait policy: {2}", r.version(), r.library(),
                    OpenMpWaitPolicy.outcome());
        } else {
            LOG.log(System.Logger.Level.WARNING, "oneDNN unavailable, CPU kernels fall back to Java: {0}",
                    r.failure());
        }
        return r;
    }

    private static LoadResult load() {
        OpenMpWaitPolicy.beforeLoad();
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
        NativeLibraryLoader.Extracted extracted;
        try {
            extracted = NativeLibraryLoader.load(bundle());
        } catch (NativeLibraryLoader.LibraryException e) {
            return LoadResult.failed(switch (e.kind()) {
                case MISSING -> missingMessage(e);
                case UNTRUSTED_FOLDER, UNTRUSTED_FILE, JAR_MISMATCH -> "oneDNN was not loaded: " + e.getMessage();
                case CORRUPT -> e.getMessage() + "; " + FIX_BUNDLED;
            });
        } catch (IOException e) {
            return LoadResult.failed("could not extract oneDNN into " + dir + " (" + e
                    + "); make it writable, or point system property " + CACHE_PROPERTY + " / environment variable "
                    + CACHE_ENV + " at a writable folder");
        } catch (UnsatisfiedLinkError | SecurityException e) {
            return LoadResult.failed("oneDNN (from the " + ARTIFACT_HINT + " jar, extracted to " + dir
                    + ") failed to load: " + e.getMessage() + "; " + FIX_BUNDLED);
        }
        Path lib = extracted.library(LIBRARIES[1]);
        return probe(lib, "the " + ARTIFACT_HINT + " jar, extracted to " + lib.getParent()
                + (extracted.privateFallback() ? " (a private folder, as the cache folder is not private)" : ""), FIX_BUNDLED);
    }

    private static final String FIX_BUNDLED = "set system property " + OVERRIDE_PROPERTY + " to a oneDNN 3.x libdnnl.so";

    private static String missingMessage(Exception e) {
        return "oneDNN is not available: " + e.getMessage() + "; add " + ARTIFACT_HINT + ", or " + FIX_BUNDLED;
    }

    /** The bundled libraries, as {@link NativeLibraryLoader} extracts and checks them. */
    static NativeLibraryLoader.Bundle bundle() {
        return NativeLibraryLoader.Bundle.of("dnnl-" + bundledVersion(), DnnlLibrary.class.getClassLoader(),
                RESOURCE_DIR, LIBRARIES);
    }

    /**
     * Loads the {@code libdnnl} the user named (and, from the same folder, {@code libgomp.so.1}
     * first when it is there) as given, after the ELF structure check, then checks that oneDNN's
     * symbols resolve. Returns the reason on failure instead of throwing; {@code origin} says where
     * the path came from, for the message. A failure leaves nothing half-set in this class, so
     * tests may call it freely.
     */
    static LoadResult loadFrom(Path libdnnl, String origin) {
        Path lib = libdnnl.toAbsolutePath().normalize();
        String fix = "fix the path, or unset it to use the oneDNN bundled in " + ARTIFACT_HINT;
        if (!Files.isRegularFile(lib)) {
            return LoadResult.failed("oneDNN library " + lib + " (from " + origin + ") does not exist; " + fix);
        }
        String corrupt = NativeLibraryLoader.elfProblem(lib);
        if (corrupt != null) {
            return LoadResult.failed("oneDNN library " + lib + " (from " + origin + ") is truncated or corrupt: "
                    + corrupt + "; " + fix);
        }
        try {
            Path gomp = lib.resolveSibling(LIBRARIES[0]);
            if (Files.isRegularFile(gomp) && !gomp.equals(lib)) {
                NativeLibraryLoader.loadAsGiven(gomp);
            }
            NativeLibraryLoader.loadAsGiven(lib);
        } catch (NativeLibraryLoader.LibraryException e) {   // the libgomp beside it
            return LoadResult.failed(e.getMessage() + " (beside oneDNN library " + lib + ", from " + origin + "); " + fix);
        } catch (UnsatisfiedLinkError | SecurityException e) {
            return LoadResult.failed("oneDNN library " + lib + " (from " + origin + ") failed to load: "
                    + e.getMessage() + "; " + fix);
        }
        return probe(lib, origin, fix);
    }

    /** Checks that the loaded {@code lib} is oneDNN 3.x and reads its version. */
    private static LoadResult probe(Path lib, String origin, String fix) {
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

    private static String platformProblem() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
            return null;
        }
        return "the bundled oneDNN is for linux-x86_64 only, this JVM runs on " + os + "/" + arch
                + "; set system property " + OVERRIDE_PROPERTY + " to a oneDNN 3.x library built for it";
    }

    /** The versioned folder the bundled libraries are extracted to (unless it is not private). */
    static Path cacheDir() {
        return NativeLibraryLoader.cacheRoot().resolve(bundle().folder());
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
        } catch (IOException | IllegalArgumentException e) { // unreadable, or a malformed unicode escape
            // fall through: an unversioned folder still works, the files' digests are recorded on extraction
        }
        return "unknown";
    }

    /**
     * Extracts {@code libgomp.so.1} and {@code libdnnl.so.3} from the classpath into {@code dir}
     * (created {@code 0700} if needed, and which must be private), keeping files that are already
     * there when their SHA-256 is the jar entry's, and returns the path of {@code libdnnl.so.3}.
     * Loads nothing. Safe against other threads and JVMs doing the same.
     */
    static Path extract(Path dir) throws IOException {
        try {
            return NativeLibraryLoader.extract(bundle(), dir).library(LIBRARIES[1]);
        } catch (NativeLibraryLoader.LibraryException e) {
            if (e.kind() == NativeLibraryLoader.LibraryException.Kind.MISSING) {
                throw new IOException(missingMessage(e), e);
            }
            throw e;
        }
    }
}
