import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Build step (run by java/pom.xml in generate-resources, as a JDK single-file program: no plugin
 * beyond exec-maven-plugin, nothing to compile first). Writes the SHA-256 of each native library
 * Tangent extracts and loads, computed from the very bytes of its entry in the jar (or folder) on
 * the build's classpath, into the properties file {@code NativeLibraryLoader} reads at run time.
 *
 * <pre>
 * java NativeDigests.java OUTPUT CLASSPATH KEY=RESOURCE...
 * </pre>
 *
 * KEY is the library's path under the cache folder ({@code <folder>/<file>}); RESOURCE is its
 * path inside the jar. The first classpath element holding RESOURCE wins, as for a class loader.
 * Fails the build when a resource is nowhere on the classpath, unless its KEY starts with
 * {@code ?} (a library the build may skip, like Tangent's own CPU kernels where there is no C
 * compiler or SLEEF): then it is left out of the file. A folder may contain {@code {digest}}: it is
 * replaced by the first 12 hex digits of a SHA-256 over the digests of every library with that
 * folder, so a folder's name changes with its contents (two builds of one SNAPSHOT version never
 * share a folder, and one JVM never replaces a library another has loaded).
 */
public final class NativeDigests {
    private NativeDigests() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            throw new IllegalArgumentException("usage: java NativeDigests.java OUTPUT CLASSPATH KEY=RESOURCE...");
        }
        Path out = Path.of(args[0]);
        List<Path> classpath = new ArrayList<>();
        for (String e : args[1].split(java.io.File.pathSeparator)) {
            if (!e.isBlank()) {
                classpath.add(Path.of(e));
            }
        }
        if (upToDate(out, classpath, args)) {
            System.out.println("tangent: native library digests up to date (" + out + ")");
            return;
        }
        StringBuilder text = new StringBuilder("# SHA-256 of the native libraries Tangent extracts and loads, by"
                + " <cache folder>/<file>;\n# written by the Maven build (java/src/build/NativeDigests.java)"
                + " from the jar entries on the build's classpath.\n");
        java.util.Map<String, String> digests = new java.util.LinkedHashMap<>();
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            String key = args[i].substring(0, eq);
            String resource = args[i].substring(eq + 1);
            boolean optional = key.startsWith("?");
            key = optional ? key.substring(1) : key;
            long t0 = System.nanoTime();
            String[] found = digest(classpath, resource);
            if (found == null && optional) {
                System.out.println("tangent: " + resource + " was not built; no digest for it");
                continue;
            }
            if (found == null) {
                throw new IllegalStateException("NativeDigests: " + resource + " is on no classpath element: " + classpath);
            }
            digests.put(key, found[0]);
            System.out.printf("tangent: SHA-256 of %s (from %s) = %s, %.0f ms%n", resource, found[1], found[0],
                    (System.nanoTime() - t0) / 1e6);
        }
        for (var e : contentKeyed(digests).entrySet()) {
            text.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        Files.createDirectories(out.getParent());
        Path tmp = Files.createTempFile(out.getParent(), out.getFileName().toString(), ".part");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The keys with each {@code {digest}} folder replaced by the digest of its libraries' digests (in key order). */
    static java.util.Map<String, String> contentKeyed(java.util.Map<String, String> digests) throws IOException {
        java.util.Map<String, StringBuilder> byFolder = new java.util.TreeMap<>();
        for (var e : new java.util.TreeMap<>(digests).entrySet()) {
            String folder = e.getKey().substring(0, e.getKey().lastIndexOf('/'));
            byFolder.computeIfAbsent(folder, f -> new StringBuilder()).append(e.getKey()).append('=')
                    .append(e.getValue()).append('\n');
        }
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        for (var e : digests.entrySet()) {
            String key = e.getKey();
            String folder = key.substring(0, key.lastIndexOf('/'));
            if (folder.contains("{digest}")) {
                String d = sha256(new java.io.ByteArrayInputStream(
                        byFolder.get(folder).toString().getBytes(StandardCharsets.UTF_8))).substring(0, 12);
                key = key.replace("{digest}", d);
            }
            out.put(key, e.getValue());
        }
        return out;
    }

    /** Whether {@code written} is {@code asked} with any {@code {digest}} in it filled in. */
    static boolean sameKey(String asked, String written) {
        if (!asked.contains("{digest}")) {
            return asked.equals(written);
        }
        String re = java.util.regex.Pattern.quote(asked).replace("{digest}", "\\E[0-9a-f]{12}\\Q");
        return written.matches(re);
    }

    /**
     * True when {@code out} exists with exactly the keys asked for and is newer than every
     * classpath element the resources come from (a new jar, or another version in the pom, which
     * changes the keys, computes them again).
     */
    static boolean upToDate(Path out, List<Path> classpath, String[] args) throws IOException {
        if (!Files.isRegularFile(out)) {
            return false;
        }
        Properties old = new Properties();
        try (InputStream in = Files.newInputStream(out)) {
            old.load(in);
        }
        Set<String> keys = new HashSet<>();
        long newest = 0;
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            String key = args[i].substring(0, eq);
            Path from = holder(classpath, args[i].substring(eq + 1));
            if (from == null && key.startsWith("?")) {
                continue;
            }
            if (from == null) {
                return false;
            }
            keys.add(key.startsWith("?") ? key.substring(1) : key);
            newest = Math.max(newest, Files.getLastModifiedTime(from).toMillis());
        }
        Set<String> written = old.stringPropertyNames();
        if (keys.size() != written.size()
                || !keys.stream().allMatch(k -> written.stream().anyMatch(w -> sameKey(k, w)))) {
            return false;
        }
        return Files.getLastModifiedTime(out).toMillis() > newest;
    }

    /** The classpath element (folder's file, or jar) that holds the resource, or null. */
    static Path holder(List<Path> classpath, String resource) throws IOException {
        for (Path element : classpath) {
            if (Files.isDirectory(element)) {
                if (Files.isRegularFile(element.resolve(resource))) {
                    return element.resolve(resource);
                }
            } else if (Files.isRegularFile(element)) {
                try (ZipFile zip = new ZipFile(element.toFile())) {
                    if (zip.getEntry(resource) != null) {
                        return element;
                    }
                } catch (java.util.zip.ZipException notAZip) {
                    // skipped, as a class loader would
                }
            }
        }
        return null;
    }

    /** {hex digest, where it was found}, or null when no classpath element holds the resource. */
    static String[] digest(List<Path> classpath, String resource) throws IOException {
        for (Path element : classpath) {
            if (Files.isDirectory(element)) {
                Path f = element.resolve(resource);
                if (Files.isRegularFile(f)) {
                    try (InputStream in = Files.newInputStream(f)) {
                        return new String[] {sha256(in), f.toString()};
                    }
                }
            } else if (Files.isRegularFile(element)) {
                try (ZipFile zip = new ZipFile(element.toFile())) {
                    ZipEntry entry = zip.getEntry(resource);
                    if (entry != null) {
                        try (InputStream in = zip.getInputStream(entry)) {
                            return new String[] {sha256(in), element + "!/" + resource};
                        }
                    }
                } catch (java.util.zip.ZipException notAZip) {
                    // not a jar: skip it, as a class loader would
                }
            }
        }
        return null;
    }

    static String sha256(InputStream in) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);   // every JDK has SHA-256
        }
        byte[] buf = new byte[1 << 20];
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
