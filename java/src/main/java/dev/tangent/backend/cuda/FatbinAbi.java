package dev.tangent.backend.cuda;

import java.nio.charset.StandardCharsets;

/**
 * The ABI version of Tangent's kernel fatbin, checked before use: the kernels' names, parameter
 * lists and op codes ({@link CudaOpCodes}) are those of {@link #VERSION}, so a fatbin built from
 * other sources is refused with a clear message instead of launching kernels with wrong arguments.
 *
 * <p>Each device image in the fatbin carries the tag {@code tangent-kernels-abi=<n>;} (the global
 * {@code tg_abi_tag} in {@code native/tangent_kernels.cu}), readable from the bytes without a GPU;
 * once loaded, the module's {@code tg_abi_version} global is checked as well.
 */
final class FatbinAbi {
    /** The ABI this Java code is written against; equals {@code tg_abi_version} in native/tangent_kernels.cu. */
    static final int VERSION = 2;

    private static final byte[] TAG = "tangent-kernels-abi=".getBytes(StandardCharsets.US_ASCII);

    private FatbinAbi() {}

    /**
     * The ABI version the image declares, or -1 when it carries no tag. Throws when its device
     * images declare different versions.
     */
    static int declaredVersion(byte[] image) {
        int found = -1;
        for (int i = 0; i + TAG.length < image.length; i++) {
            if (!startsWith(image, i, TAG)) {
                continue;
            }
            int j = i + TAG.length;
            long v = 0;
            int digits = 0;
            while (j < image.length && image[j] >= '0' && image[j] <= '9' && digits < 9) {
                v = v * 10 + (image[j] - '0');
                j++;
                digits++;
            }
            if (digits == 0 || j >= image.length || image[j] != ';') {
                continue; // not a well-formed tag (e.g. compressed bytes that happen to match)
            }
            if (found >= 0 && found != v) {
                throw new IllegalStateException("CUDA kernels: the fatbin's device images declare different ABI"
                        + " versions (" + found + " and " + v + ")");
            }
            found = (int) v;
            i = j;
        }
        return found;
    }

    /**
     * Throws an IllegalStateException naming {@code name} and the problem when {@code image} is not a
     * well-formed fatbin ({@link FatbinContainer}: truncated, corrupt) or not of {@link #VERSION}
     * (naming both versions). Nothing reaches the driver before this passes.
     */
    static void check(byte[] image, String name) {
        String problem = FatbinContainer.problem(image);
        if (problem != null) {
            throw new IllegalStateException("CUDA kernels " + name + " (" + image.length + " bytes) are truncated or"
                    + " corrupt: " + problem + "; rebuild the kernels (cmake/build-kernels.sh) or use an intact jar");
        }
        int v;
        try {
            v = declaredVersion(image);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("CUDA kernels " + name + ": " + e.getMessage(), e);
        }
        if (v != VERSION) {
            throw new IllegalStateException("CUDA kernels " + name + " have ABI version "
                    + (v < 0 ? "unknown (no tangent-kernels-abi tag: built from older sources)" : String.valueOf(v))
                    + " but this Tangent needs version " + VERSION + "; rebuild the kernels from this Tangent's native/"
                    + " sources (cmake/build-kernels.sh) or use the matching jar");
        }
    }

    /** Throws when the loaded module's {@code tg_abi_version} is not {@link #VERSION}. */
    static void checkLoaded(int version) {
        if (version != VERSION) {
            throw new IllegalStateException("CUDA kernels: the loaded module's tg_abi_version is " + version
                    + " but this Tangent needs version " + VERSION + "; rebuild the kernels from this Tangent's native/"
                    + " sources");
        }
    }

    private static boolean startsWith(byte[] a, int at, byte[] prefix) {
        for (int k = 0; k < prefix.length; k++) {
            if (a[at + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }
}
