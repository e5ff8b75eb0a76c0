package dev.tangent.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The shared reference files the golden test resources copy: {@code shared/golden/<name>} beside
 * the repository root (the root's parent holds {@code shared/}; a checkout that carries the folder
 * inside it, {@code <root>/shared/}, is accepted too). The byte-identity checks run or fail: a
 * missing shared file is a failure naming where it was looked for, never a skipped test.
 */
final class SharedGolden {
    private SharedGolden() {}

    /** The repository root: the first directory up from {@code from} with pom.xml and java/pom.xml. */
    static Path repositoryRoot(Path from) {
        for (Path p = from.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isRegularFile(p.resolve("java/pom.xml"))) {
                return p;
            }
        }
        throw new AssertionError("no repository root (pom.xml and java/pom.xml) above " + from.toAbsolutePath());
    }

    /** The places {@code shared/golden/<name>} is looked for, in order. */
    static List<Path> candidates(Path root, String name) {
        Path rel = Path.of("shared", "golden", name);
        return root.getParent() == null ? List.of(root.resolve(rel)) : List.of(root.resolveSibling(rel), root.resolve(rel));
    }

    /** The shared file {@code name} for the repository at {@code root}; an AssertionError naming the places looked at if none. */
    static Path locate(Path root, String name) {
        List<Path> places = candidates(root, name);
        for (Path p : places) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new AssertionError("the shared golden file " + name + " is missing: looked for " + places
                + " (the repository root " + root + " must sit beside the shared/ folder it was checked out with)");
    }

    /** The test resource {@code resource} is byte for byte {@code shared/golden/<name>} of this checkout. */
    static void assertResourceIsTheSharedFile(String resource, String name) throws IOException {
        Path shared = locate(repositoryRoot(Path.of("")), name);
        try (InputStream in = SharedGolden.class.getResourceAsStream(resource)) {
            assertNotNull(in, "missing test resource " + resource);
            assertArrayEquals(Files.readAllBytes(shared), in.readAllBytes(), "test resource " + resource + " differs from "
                    + shared);
        }
    }
}
