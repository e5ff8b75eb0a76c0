package dev.tangent.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes the one file of its own that Tangent reads back from disk: the digest record written
 * beside an extracted library whose version has no built-in digest ({@link FileTrust#readRecord}).
 * Truncated, corrupted (random bytes, a malformed unicode escape, binary garbage) and oversized
 * records (1 MB of text, a 4 GiB sparse file) are each ignored — null, so the library is checked
 * against its jar entry again and the record rewritten — never an exception, and at most
 * {@value FileTrust#RECORD_MAX_BYTES} + 1 bytes are read. A record that survives corruption
 * parses to a well-formed digest only, which the library's own SHA-256 must then match.
 */
class DigestRecordFuzzTest {
    static final long SEED = 0x7265636f7264L;
    static final String ENTRY = "size=123456 crc32=89abcdef";
    static final String DIGEST = "0123456789abcdef".repeat(4);

    @TempDir
    Path dir;

    Path record;
    byte[] real;

    @BeforeEach
    void writeARealRecord() throws Exception {
        record = dir.resolve("libdnnl.so.3.sha256");
        FileTrust.writeRecord(record, DIGEST, ENTRY);
        real = Files.readAllBytes(record);
        assertEquals(DIGEST, FileTrust.readRecord(record, ENTRY));
    }

    /** readRecord on {@code bytes} written as a private record: null or a well-formed digest, nothing thrown. */
    String read(byte[] bytes, String what) {
        Path p = dir.resolve("fuzzed.sha256");
        try {
            Files.deleteIfExists(p);
            Files.write(p, bytes);
            String r = FileTrust.readRecord(p, ENTRY);
            assertTrue(r == null || r.matches("[0-9a-f]{64}"), what + ": " + r);
            return r;
        } catch (Throwable t) {
            throw new AssertionError("readRecord threw on " + what, t);
        }
    }

    @Test
    void everyTruncationIsIgnoredUnlessTheRecordIsComplete() {
        String text = new String(real, StandardCharsets.US_ASCII);
        int complete = Math.max(text.indexOf(DIGEST) + DIGEST.length(), text.indexOf(ENTRY) + ENTRY.length());
        for (int n = 0; n < real.length; n++) {
            String r = read(Arrays.copyOf(real, n), "truncated to " + n);
            if (n < complete) {
                assertNull(r, "truncated to " + n + " of " + real.length + " bytes");
            } else {
                assertEquals(DIGEST, r, "only the final newline cut: " + n);
            }
        }
    }

    @Test
    void randomCorruptionsNeverThrow() {
        Random r = new Random(SEED);
        int kept = 0;
        for (int c = 0; c < 2000; c++) {
            byte[] x = real.clone();
            for (int f = 1 + r.nextInt(3); f > 0; f--) {
                x[r.nextInt(x.length)] = (byte) r.nextInt(256);
            }
            if (DIGEST.equals(read(x, "case " + c))) {
                kept++;
            }
        }
        assertTrue(kept < 2000, "most corruptions change or void the record: " + kept + " kept");
    }

    @Test
    void malformedEscapesGarbageAndOversizedRecordsAreIgnored() throws Exception {
        assertNull(read(("sha256=" + DIGEST + "\nentry=\\uZZZZ\n").getBytes(StandardCharsets.ISO_8859_1), "bad escape"));
        assertNull(read("sha256=\\u12".getBytes(StandardCharsets.ISO_8859_1), "cut escape"));
        byte[] garbage = new byte[FileTrust.RECORD_MAX_BYTES];
        new Random(SEED).nextBytes(garbage);
        read(garbage, "4 KB of random bytes");
        assertNull(read(new byte[0], "empty"));
        // the right lines, padded past the limit: refused by size
        byte[] big = Arrays.copyOf(real, 1 << 20);
        Arrays.fill(big, real.length, big.length, (byte) '#');
        assertNull(read(big, "1 MB record"));
        byte[] atLimit = Arrays.copyOf(real, FileTrust.RECORD_MAX_BYTES);
        Arrays.fill(atLimit, real.length, atLimit.length, (byte) '\n');
        assertEquals(DIGEST, read(atLimit, "a record padded to the limit"));
        // a 4 GiB sparse record: refused after reading at most limit + 1 bytes
        Path sparse = dir.resolve("sparse.sha256");
        try (RandomAccessFile f = new RandomAccessFile(sparse.toFile(), "rw")) {
            f.write(real);
            f.setLength(4L << 30);
        }
        long t0 = System.nanoTime();
        assertNull(FileTrust.readRecord(sparse, ENTRY));
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "not read through");
    }

    @Test
    void anotherEntrysRecordIsStale() throws Exception {
        assertEquals(DIGEST, read(real, "the real record"));
        assertNull(FileTrust.readRecord(record, "size=1 crc32=0"));
    }
}
