package dev.tangent.backend.cuda;

import java.io.IOException;
import java.io.InputStream;

/**
 * The structure of a fatbin, checked before its bytes reach the driver: {@code cuModuleLoadData}
 * takes a pointer without a length and trusts the sizes inside, so a truncated or corrupt file
 * would be read past its end. Only the container is checked, as nvcc writes it (little-endian; the
 * layout this build's {@code tangent_kernels.fatbin} has):
 *
 * <pre>
 *   header:  u32 magic 0xBA55ED50, u16 version, u16 header size (≥ 16), u64 size of the entries
 *   entry:   u16 kind (1 PTX, 2 ELF cubin, ...), u16 version, u32 header size (≥ 16), u64 payload
 *            size, then the rest of its header and the payload
 * </pre>
 *
 * The entries must tile the declared size exactly, each inside the file, at least one of them PTX
 * or a cubin. Bytes after the declared size are ignored (the driver never reads them). The images
 * themselves (ELF, PTX, compressed or not) are the driver's to check.
 */
final class FatbinContainer {
    /** The fatbin file magic. */
    static final int MAGIC = 0xBA55ED50;
    /** Bytes of the file header and of an entry header's fixed part. */
    static final int HEADER = 16;
    /** The largest fatbin read: Tangent's is ~4 MB; more than this is not Tangent's kernels. */
    static final long MAX_BYTES = 1L << 30;

    private FatbinContainer() {}

    /** What is wrong with {@code image} as a fatbin container, or null when nothing is. */
    static String problem(byte[] image) {
        long n = image.length;
        if (n < HEADER) {
            return "not a fatbin: " + n + " bytes, shorter than the " + HEADER + "-byte header";
        }
        int magic = u32(image, 0);
        if (magic != MAGIC) {
            return String.format("not a fatbin: magic 0x%08x at byte 0, expected 0x%08x", magic, MAGIC);
        }
        int headerSize = u16(image, 6);
        long fatSize = u64(image, 8);
        if (headerSize < HEADER || headerSize > n) {
            return "the header size " + headerSize + " is not in [" + HEADER + ", " + n + "] (the file's length)";
        }
        // unsigned comparisons: a size with bit 63 set is past any file
        if (fatSize < 0 || fatSize > n - headerSize) {
            return "the entries' size " + Long.toUnsignedString(fatSize) + " at byte 8 ends past the file's "
                    + n + " bytes (header " + headerSize + "): truncated";
        }
        long end = headerSize + fatSize;
        long at = headerSize;
        int images = 0;
        int entries = 0;
        while (at < end) {
            if (end - at < HEADER) {
                return "entry " + entries + " at byte " + at + " has " + (end - at) + " bytes, shorter than its "
                        + HEADER + "-byte header";
            }
            int kind = u16(image, (int) at);
            long entryHeader = Integer.toUnsignedLong(u32(image, (int) at + 4));
            long payload = u64(image, (int) at + 8);
            if (entryHeader < HEADER || entryHeader > end - at) {
                return "entry " + entries + " at byte " + at + " declares a header of " + entryHeader
                        + " bytes, not in [" + HEADER + ", " + (end - at) + "]";
            }
            if (payload < 0 || payload > end - at - entryHeader) {
                return "entry " + entries + " at byte " + at + " declares a payload of "
                        + Long.toUnsignedString(payload) + " bytes, past the entries' end at byte " + end;
            }
            if (kind == 1 || kind == 2) {
                images++;
            }
            at += entryHeader + payload;
            entries++;
        }
        if (images == 0) {
            return entries == 0 ? "no entries" : "no PTX or cubin entry among its " + entries;
        }
        return null;
    }

    /**
     * Reads a fatbin of at most {@code limit} bytes from {@code in}; an IllegalStateException naming
     * {@code name} when it is longer (without reading more than limit + 1 bytes).
     */
    static byte[] read(InputStream in, String name, long limit) throws IOException {
        byte[] b = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
        if (b.length > limit) {
            throw new IllegalStateException("CUDA kernels " + name + " are larger than " + limit
                    + " bytes: not Tangent's kernels (its fatbin is a few MB)");
        }
        return b;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static int u32(byte[] b, int at) {
        return u16(b, at) | u16(b, at + 2) << 16;
    }

    private static long u64(byte[] b, int at) {
        return Integer.toUnsignedLong(u32(b, at)) | (long) u32(b, at + 4) << 32;
    }
}
