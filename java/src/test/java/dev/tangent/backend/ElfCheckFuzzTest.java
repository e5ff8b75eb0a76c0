package dev.tangent.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tangent.backend.NativeLibraryLoader.LibraryException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes the ELF structure check that runs before every native load
 * ({@link NativeLibraryLoader#elfProblem}, {@link NativeLibraryLoader#checkElf}): truncated files,
 * random bytes in the ELF header and in the program and section header tables, fields set to
 * extreme values (offsets past the file, sums that overflow 64 bits, counts of 65535), and files
 * far larger than their headers say. Whatever the input, the check returns null or a problem and
 * {@code checkElf} throws a {@link LibraryException} naming the file and that problem; nothing
 * else is thrown and nothing is read beyond the headers. Nothing here is loaded (the child-JVM
 * cases that hand such files to the dynamic loader are in {@code reliability/NativeTrustTest}).
 */
class ElfCheckFuzzTest {
    static final long SEED = 0x7a6e67656e74L;
    static final int CASES = 3000;

    @TempDir
    Path tmp;

    byte[] real;
    int phoff;
    int phnum;
    int shoff;
    int shnum;

    @BeforeEach
    void readRealLibrary() throws Exception {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(NativeLibraryLoaderTest.DNNL_DIR + "libgomp.so.1")) {
            assertNotNull(in);
            real = in.readAllBytes();
        }
        ByteBuffer h = ByteBuffer.wrap(real).order(ByteOrder.LITTLE_ENDIAN);
        phoff = (int) h.getLong(0x20);
        shoff = (int) h.getLong(0x28);
        phnum = Short.toUnsignedInt(h.getShort(0x38));
        shnum = Short.toUnsignedInt(h.getShort(0x3c));
        assertTrue(phnum > 0 && shnum > 0 && shoff > phoff, "libgomp.so.1 has both header tables");
    }

    /** The check's verdict on {@code file}, after asserting the contract above. */
    static String verdict(Path file, String what) {
        String problem;
        try {
            problem = NativeLibraryLoader.elfProblem(file);
        } catch (Throwable t) {
            throw new AssertionError("elfProblem threw on " + what, t);
        }
        if (problem == null) {
            try {
                NativeLibraryLoader.checkElf(file);
            } catch (Throwable t) {
                throw new AssertionError("checkElf threw on an accepted file: " + what, t);
            }
            return null;
        }
        assertFalse(problem.isBlank(), what);
        LibraryException x = assertThrows(LibraryException.class, () -> NativeLibraryLoader.checkElf(file), what);
        assertEquals(LibraryException.Kind.CORRUPT, x.kind());
        assertEquals(file, x.file());
        assertEquals("native library " + file + " is truncated or corrupt: " + problem, x.getMessage(), what);
        return problem;
    }

    @Test
    void theRealLibrariesPass() throws Exception {
        Path f = Files.write(tmp.resolve("libgomp.so.1"), real);
        assertNull(verdict(f, "libgomp.so.1"));
        for (String lib : new String[] {"libdnnl.so.3", "libjnidnnl.so"}) {
            var url = getClass().getClassLoader().getResource(NativeLibraryLoaderTest.DNNL_DIR + lib);
            if (url != null) {
                Path p = tmp.resolve(lib);
                try (InputStream in = url.openStream()) {
                    Files.copy(in, p);
                }
                assertNull(verdict(p, lib));
            }
        }
    }

    @Test
    void everyTruncationIsCaught() throws Exception {
        Random r = new Random(SEED);
        Path f = tmp.resolve("cut.so");
        int[] lengths = new int[300];
        int[] edges = {0, 1, 3, 4, 5, 16, 63, 64, 65, phoff, phoff + 1, phoff + 56 * phnum - 1, shoff,
                shoff + 64 * shnum - 1, real.length - 1};
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = i < edges.length ? edges[i] : r.nextInt(real.length);
        }
        for (int len : lengths) {
            Files.write(f, Arrays.copyOf(real, len));
            String problem = verdict(f, "truncated to " + len + " bytes");
            assertNotNull(problem, "truncated to " + len + " of " + real.length + " bytes and not caught");
            assertTrue(problem.contains(len + " bytes"), problem);   // it says how long the file is
        }
    }

    @Test
    void randomCorruptionOfTheHeadersNeverThrows() throws Exception {
        Random r = new Random(SEED);
        Path f = Files.write(tmp.resolve("fuzz.so"), real);
        int caught = 0;
        long t0 = System.nanoTime();
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            for (int i = 0; i < CASES; i++) {
                int[] region = switch (r.nextInt(3)) {
                    case 0 -> new int[] {0, 64};                          // the ELF header
                    case 1 -> new int[] {phoff, 56 * phnum};              // the program headers
                    default -> new int[] {shoff, 64 * shnum};             // the section headers
                };
                int at = region[0] + r.nextInt(region[1]);
                int n = 1 + r.nextInt(Math.min(8, region[0] + region[1] - at));
                byte[] junk = new byte[n];
                r.nextBytes(junk);
                raf.seek(at);
                raf.write(junk);
                if (verdict(f, "case " + i + ": " + n + " random bytes at " + at + " (seed " + SEED + ")") != null) {
                    caught++;
                }
                raf.seek(at);
                raf.write(real, at, n);   // restore
            }
        }
        System.out.printf("ElfCheckFuzzTest: %d random corruptions, %d refused, %.0f ms%n", CASES, caught,
                (System.nanoTime() - t0) / 1e6);
        assertTrue(caught > CASES / 10, "a good share of random header bytes are refused: " + caught);
        assertNull(verdict(f, "restored"));
    }

    /** An extreme value in one field: offset in the file, its width, the value. */
    record Field(String name, int offset, int width) {}

    @Test
    void extremeFieldValuesAreRefusedWithTheirName() throws Exception {
        Path f = Files.write(tmp.resolve("fields.so"), real);
        long size = real.length;
        int seg = phoff + 56 * (phnum - 1);   // the last program header
        int sec = shoff + 64 * (shnum - 1);   // the last section header
        Field[] fields = {
            new Field("e_phoff", 0x20, 8), new Field("e_shoff", 0x28, 8), new Field("e_phentsize", 0x36, 2),
            new Field("e_phnum", 0x38, 2), new Field("e_shentsize", 0x3a, 2), new Field("e_shnum", 0x3c, 2),
            new Field("p_offset", seg + 0x08, 8), new Field("p_filesz", seg + 0x20, 8),
            new Field("sh_offset", sec + 0x18, 8), new Field("sh_size", sec + 0x20, 8),
        };
        long[] values = {Long.MAX_VALUE, Long.MIN_VALUE, -1L, Long.MAX_VALUE - 7, size + 1, size, 1L << 32, 0xffffL,
                0xfffeL, 0, 1};
        int refused = 0;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            for (Field field : fields) {
                for (long v : values) {
                    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
                    raf.seek(field.offset());
                    raf.write(b.array(), 0, field.width());
                    String problem = verdict(f, field.name() + " = " + Long.toUnsignedString(v));
                    if (problem != null) {
                        refused++;
                    }
                    if (field.width() == 8 && (v < 0 || v > size)) {
                        assertNotNull(problem, field.name() + " = " + Long.toUnsignedString(v) + " past the end, not caught");
                        assertTrue(problem.contains("but the file has " + size + " bytes"), problem);
                    }
                    raf.seek(field.offset());
                    raf.write(real, field.offset(), field.width());
                }
            }
        }
        assertTrue(refused > fields.length * values.length / 2, "refused " + refused);
        // Named problems for the classic ones.
        assertTrue(withLong(f, 0x20, Long.MAX_VALUE - 7).startsWith("the program header table ends past byte 2^63"));
        assertTrue(withShort(f, 0x38, 0xffff).contains("PN_XNUM"));
        assertTrue(withShort(f, 0x36, 32).contains("program headers are 32 bytes each"));
        assertTrue(withShort(f, 0x10, 2).contains("not a shared library (ELF type 2"));
        assertTrue(withShort(f, 0x12, 40).contains("built for another processor (ELF machine 40"));
        assertTrue(withByte(f, 4, 1).contains("not a 64-bit ELF file"));
        assertTrue(withByte(f, 5, 2).contains("not a little-endian ELF file"));
        assertTrue(withByte(f, 0, 0x7e).startsWith("not an ELF file (it starts with bytes [7e 45 4c 46]"));
        assertTrue(withLong(f, seg + 0x20, -1L).startsWith("segment " + (phnum - 1) + " ends past byte 2^63"));
    }

    private String withLong(Path f, int at, long v) throws Exception {
        return with(f, at, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    private String withShort(Path f, int at, int v) throws Exception {
        return with(f, at, ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v).array());
    }

    private String withByte(Path f, int at, int v) throws Exception {
        return with(f, at, new byte[] {(byte) v});
    }

    private String with(Path f, int at, byte[] bytes) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(at);
            raf.write(bytes);
            String problem = verdict(f, bytes.length + " bytes at " + at);
            raf.seek(at);
            raf.write(real, at, bytes.length);
            assertNotNull(problem, bytes.length + " bytes at " + at);
            return problem;
        }
    }

    @Test
    void tinyAndForeignFilesAreNamedForWhatTheyAre() throws Exception {
        Path f = tmp.resolve("x.so");
        Files.write(f, new byte[0]);
        assertTrue(verdict(f, "empty").startsWith("not an ELF file (it starts with bytes [], not 7f 45 4c 46; 0 bytes)"));
        Files.write(f, new byte[] {0x7f, 'E', 'L'});
        assertTrue(verdict(f, "3 bytes").startsWith("not an ELF file (it starts with bytes [7f 45 4c]"));
        Files.write(f, Arrays.copyOf(real, 4));
        assertEquals("the ELF header is cut short (4 bytes, it needs 64)", verdict(f, "magic only"));
        Files.writeString(f, "/* GNU ld script */\nGROUP ( /lib/libc.so.6 )\n", StandardCharsets.US_ASCII);
        assertTrue(verdict(f, "a linker script").startsWith("not an ELF file (it starts with bytes [2f 2a 20 47]"));
    }

    @Test
    void oversizedFilesAreAcceptedWithoutBeingRead() throws Exception {
        Path f = tmp.resolve("big.so");
        byte[] grown = Arrays.copyOf(real, real.length + (1 << 20));
        byte[] tail = new byte[1 << 20];
        new Random(SEED).nextBytes(tail);
        System.arraycopy(tail, 0, grown, real.length, tail.length);
        Files.write(f, grown);
        assertNull(verdict(f, "1 MB of trailing bytes"));
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(8L << 30);   // 8 GiB, sparse: only the headers may be read
        }
        long t0 = System.nanoTime();
        assertNull(verdict(f, "an 8 GiB file"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 2_000, "the check reads headers only, took " + ms + " ms");
        Files.delete(f);
    }

    @Test
    void anUnreadableOrMissingFileIsLeftToTheLoaderToExplain() {
        assertNull(NativeLibraryLoader.elfProblem(tmp.resolve("missing.so")));
        try {
            NativeLibraryLoader.checkElf(tmp.resolve("missing.so"));
        } catch (LibraryException e) {
            fail("a missing file is not corrupt: " + e);
        }
    }
}
