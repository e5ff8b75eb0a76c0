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
 * inside it, {@code <root>/shared/}, is accepted too). The byte-identity checks run or fail, never
 * skip: where the checkout has no shared/ folder beside it (a CI clone elsewhere), the resource is
 * compared with the SHA-256 of the published shared file recorded here instead.
 */
final class SharedGolden {
    private SharedGolden() {}

    /** SHA-256 of the published shared files (sha256sum shared/golden/*.json, 2026-12-01). */
    static final java.util.Map<String, String> PUBLISHED_SHA256 = java.util.Map.of(
            "jvp_family_public.json", "ac0c1cb8a9008df09b9958d136977e22ad65711b0381cfbc7fb33d6024b23fd8",
            "jvp_nn_public.json", "9e4a89c6ad9d33cf01b817c272343db2cdb6282e2743b7b10ba34addc3a9988e");

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
        Path root = repositoryRoot(Path.of(""));
        if (candidates(root, name).stream().noneMatch(Files::isRegularFile)) {
            String want = PUBLISHED_SHA256.get(name);
            assertNotNull(want, "no shared/ folder beside " + root + " and no recorded digest for " + name);
            try (InputStream in = SharedGolden.class.getResourceAsStream(resource)) {
                assertNotNull(in, "missing test resource " + resource);
                String got = java.util.HexFormat.of().formatHex(sha256(in.readAllBytes()));
                org.junit.jupiter.api.Assertions.assertEquals(want, got, "test resource " + resource
                        + " differs from the published " + name + " (no shared/ folder beside " + root + ")");
            }
            return;
        }
        Path shared = locate(root, name);
        try (InputStream in = SharedGolden.class.getResourceAsStream(resource)) {
            assertNotNull(in, "missing test resource " + resource);
            assertArrayEquals(Files.readAllBytes(shared), in.readAllBytes(), "test resource " + resource + " differs from "
                    + shared);
        }
    }

    private static byte[] sha256(byte[] b) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
