package dev.tangent.backend.cuda;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Finds and loads the native CUDA libraries with {@link System#load}, so the generated bindings
 * (which look symbols up through the class loader) resolve them: the driver {@code libcuda.so.1}
 * and cuBLAS ({@code libcublasLt} first, it is cuBLAS' dependency, then {@code libcublas}).
 *
 * <p>Search order, driver: property {@value #DRIVER_PROPERTY}, then the NVIDIA driver folders
 * and {@code LD_LIBRARY_PATH}. cuBLAS: property {@value #CUBLAS_PROPERTY} (a file; its Lt sibling
 * is loaded first when present), then {@code CUDA_HOME}, {@code CUDA_PATH}, {@code /usr/local/cuda*}
 * (their {@code targets/x86_64-linux/lib}, {@code lib64} and {@code lib} folders),
 * {@code LD_LIBRARY_PATH} and the system folders; soname 13 before 12.
 *
 * <p>These are the system's libraries, never extracted by Tangent, so there is no jar entry to
 * check them against ({@link dev.tangent.backend.NativeLibraryLoader} is for the libraries Tangent
 * ships); a path given in {@value #DRIVER_PROPERTY} or {@value #CUBLAS_PROPERTY} is the user's own
 * choice and is loaded as given.
 *
 * <p>Thread-safe: every method is synchronized on the class and loads at most once.
 */
final class CudaLibraries {
    static final String DRIVER_PROPERTY = "tangent.cuda.driver";
    static final String CUBLAS_PROPERTY = "tangent.cublas.library";

    private static Path driver;
    private static Path cublas;
    private static String cublasFailure;

    private CudaLibraries() {}

    /** Loads the driver library; throws {@link IllegalStateException} naming every place looked at. */
    static synchronized Path loadDriver() {
        if (driver != null) {
            return driver;
        }
        List<Path> candidates = new ArrayList<>();
        String override = System.getProperty(DRIVER_PROPERTY);
        if (override != null && !override.isBlank()) {
            candidates.add(Path.of(override));
        } else {
            for (Path dir : driverDirs()) {
                candidates.add(dir.resolve("libcuda.so.1"));
                candidates.add(dir.resolve("libcuda.so"));
            }
        }
        driver = loadFirst("the CUDA driver (libcuda.so.1)", candidates, DRIVER_PROPERTY);
        return driver;
    }

    /** Loads cuBLAS (Lt first); throws {@link IllegalStateException} naming every place looked at. */
    static synchronized Path loadCublas() {
        if (cublas != null) {
            return cublas;
        }
        if (cublasFailure != null) {
            throw new IllegalStateException(cublasFailure);
        }
        try {
            List<Path> candidates = new ArrayList<>();
            String override = System.getProperty(CUBLAS_PROPERTY);
            if (override != null && !override.isBlank()) {
                candidates.add(Path.of(override));
            } else {
                for (String v : new String[] {"13", "12"}) {
                    for (Path dir : toolkitDirs()) {
                        candidates.add(dir.resolve("libcublas.so." + v));
                    }
                }
            }
            for (Path c : candidates) {
                if (Files.isRegularFile(c)) {
                    String name = c.getFileName().toString();
                    String lt = name.replace("libcublas.", "libcublasLt.");
                    Path ltPath = c.resolveSibling(lt);
                    if (!lt.equals(name) && Files.isRegularFile(ltPath)) {
                        System.load(ltPath.toAbsolutePath().toString());
                    }
                    System.load(c.toAbsolutePath().toString());
                    cublas = c;
                    return c;
                }
            }
            throw new IllegalStateException("cuBLAS (libcublas.so.13 or .12) not found; looked at " + candidates
                    + "; set -D" + CUBLAS_PROPERTY + "=/path/to/libcublas.so.13 or CUDA_HOME");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            cublasFailure = e.getMessage();
            throw new IllegalStateException(cublasFailure, e);
        }
    }

    private static Path loadFirst(String what, List<Path> candidates, String property) {
        List<String> failures = new ArrayList<>();
        for (Path c : candidates) {
            if (!Files.exists(c)) {
                continue;
            }
            try {
                System.load(c.toAbsolutePath().toString());
                return c;
            } catch (UnsatisfiedLinkError e) {
                failures.add(c + ": " + e.getMessage());
            }
        }
        throw new IllegalStateException(what + " not found" + (failures.isEmpty() ? "" : " or not loadable " + failures)
                + "; looked in " + dirsOf(candidates) + "; set -D" + property + "=/path/to/the/library");
    }

    private static Set<Path> dirsOf(List<Path> files) {
        Set<Path> dirs = new LinkedHashSet<>();
        for (Path f : files) {
            dirs.add(f.getParent());
        }
        return dirs;
    }

    private static List<Path> driverDirs() {
        List<Path> dirs = new ArrayList<>();
        for (String d : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/local/nvidia/lib64", "/usr/lib64",
                "/usr/local/nvidia/lib", "/usr/lib/wsl/lib", "/usr/lib"}) {
            dirs.add(Path.of(d));
        }
        addPathList(dirs, System.getenv("LD_LIBRARY_PATH"));
        // Never the toolkit's stubs folder: its libcuda.so only answers CUDA_ERROR_STUB_LIBRARY.
        dirs.removeIf(p -> p.toString().contains("stubs"));
        return dirs;
    }

    private static List<Path> toolkitDirs() {
        List<Path> roots = new ArrayList<>();
        for (String env : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
            String v = System.getenv(env);
            if (v != null && !v.isBlank()) {
                roots.add(Path.of(v));
            }
        }
        roots.add(Path.of("/usr/local/cuda"));
        try (Stream<Path> s = Files.list(Path.of("/usr/local"))) {
            s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).startsWith("cuda-"))
                    .sorted((a, b) -> b.getFileName().toString().compareTo(a.getFileName().toString()))
                    .forEach(roots::add);
        } catch (Exception ignored) {
            // no /usr/local or unreadable: the other places remain
        }
        List<Path> dirs = new ArrayList<>();
        for (Path r : roots) {
            dirs.add(r.resolve("targets/x86_64-linux/lib"));
            dirs.add(r.resolve("lib64"));
            dirs.add(r.resolve("lib"));
        }
        addPathList(dirs, System.getenv("LD_LIBRARY_PATH"));
        dirs.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        dirs.add(Path.of("/usr/lib64"));
        return new ArrayList<>(new LinkedHashSet<>(dirs));
    }

    private static void addPathList(List<Path> dirs, String list) {
        if (list == null) {
            return;
        }
        for (String p : list.split(":")) {
            if (!p.isBlank()) {
                dirs.add(Path.of(p));
            }
        }
    }
}
