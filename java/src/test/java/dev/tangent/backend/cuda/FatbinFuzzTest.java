package dev.tangent.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Tangent;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the checks a fatbin passes before its bytes reach the driver ({@link FatbinAbi#check}:
 * the container structure of {@link FatbinContainer}, then the ABI tag) and the bounded read of
 * the resource ({@link FatbinContainer#read}): every truncation, random corruptions of the file
 * header, the entry headers and the payloads, extreme values in every size field (past the file,
 * with bit 63 set, overflowing sums), empty and tiny files, trailing bytes, and resources far too
 * large. Whatever the input, the check returns or throws an {@link IllegalStateException} naming
 * the file and the problem; nothing else is thrown, an accepted container is in bounds by an
 * independent walk, and no native memory is touched. Runs on the fatbin this build made (when nvcc
 * was there) and on a synthetic one of the same layout (always), so it needs no GPU.
 */
class FatbinFuzzTest {
    static final long SEED = 0x66617462696eL;
    static final int CASES = 3000;
    static final String NAME = "fuzzed.fatbin";
    static final byte[] TAG = ("tangent-kernels-abi=" + FatbinAbi.VERSION + ";").getBytes(StandardCharsets.US_ASCII);

    List<byte[]> bases = new ArrayList<>();

    /**
     * A fatbin container as nvcc writes it: the 16-byte header, then per payload an entry with a
     * 64-byte header (kind, version 0x0101, header size, payload size; the rest zero).
     */
    static byte[] container(int[] kinds, byte[]... payloads) {
        int total = 16;
        for (byte[] p : payloads) {
            total += 64 + p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(FatbinContainer.MAGIC).putShort((short) 1).putShort((short) 16).putLong(total - 16);
        for (int i = 0; i < payloads.length; i++) {
            int at = b.position();
            b.putShort((short) kinds[i]).putShort((short) 0x0101).putInt(64).putLong(payloads[i].length);
            b.position(at + 64);
            b.put(payloads[i]);
        }
        return b.array();
    }

    /** One cubin-like entry holding {@code payload}. */
    static byte[] container(byte[] payload) {
        return container(new int[] {2}, payload);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @BeforeEach
    void bases() throws Exception {
        byte[] elf = new byte[700];
        new Random(SEED).nextBytes(elf);
        System.arraycopy(bytes("\u007fELF"), 0, elf, 0, 4);
        System.arraycopy(TAG, 0, elf, 300, TAG.length);
        byte[] ptx = bytes("// ptx\n.version 9.0\n.global .align 1 .b8 tg_abi_tag[23] = {0};\n");
        byte[] elf2 = elf.clone();
        elf2[10] ^= 0x5a;
        bases.add(container(new int[] {2, 1, 2}, elf, ptx, elf2));
        try (InputStream in = Cuda.class.getResourceAsStream(Cuda.FATBIN_RESOURCE)) {
            if (in != null) {
                bases.add(in.readAllBytes());
            }
        }
    }

    /** The check's verdict: null when accepted, else the message; anything but IllegalStateException fails. */
    static String verdict(byte[] image, String what) {
        try {
            FatbinAbi.check(image, NAME);
        } catch (IllegalStateException e) {
            String m = e.getMessage();
            assertTrue(m != null && m.contains(NAME), what + ": the message names the file: " + m);
            return m;
        } catch (Throwable t) {
            throw new AssertionError("FatbinAbi.check threw " + t + " on " + what, t);
        }
        assertInBounds(image, what);
        return null;
    }

    /** An accepted image, walked again here: every entry inside the declared size, inside the file. */
    static void assertInBounds(byte[] image, String what) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        long header = Short.toUnsignedInt(b.getShort(6));
        long end = header + b.getLong(8);
        assertTrue(b.getLong(8) >= 0 && end <= image.length, what + ": the declared size is inside the file");
        long at = header;
        while (at < end) {
            long eh = Integer.toUnsignedLong(b.getInt((int) at + 4));
            long size = b.getLong((int) at + 8);
            assertTrue(eh >= 16 && size >= 0 && at + eh + size <= end, what + ": entry at " + at + " is inside");
            at += eh + size;
        }
        assertEquals(end, at, what + ": the entries tile the declared size");
    }

    @Test
    void theIntactImagesAreAccepted() {
        for (byte[] b : bases) {
            assertNull(FatbinContainer.problem(b));
            assertNull(verdict(b, "intact image of " + b.length + " bytes"));
        }
        assertTrue(bases.size() >= 1);
    }

    @Test
    void everyTruncationIsCaughtAndNamed() {
        for (byte[] base : bases) {
            TreeSet<Integer> lengths = new TreeSet<>();
            for (int n = 0; n <= 200; n++) {
                lengths.add(n);
            }
            ByteBuffer b = ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN);
            long at = 16;
            while (at < base.length) { // every entry boundary, its header's end, ± 1
                long eh = Integer.toUnsignedLong(b.getInt((int) at + 4));
                for (long p : new long[] {at, at + 16, at + eh}) {
                    for (long d = -1; d <= 1; d++) {
                        lengths.add((int) Math.max(0, Math.min(base.length - 1, p + d)));
                    }
                }
                at += eh + b.getLong((int) at + 8);
            }
            Random r = new Random(SEED);
            for (int i = 0; i < 300; i++) {
                lengths.add(r.nextInt(base.length));
            }
            lengths.add(base.length - 1);
            for (int n : lengths) {
                String m = verdict(Arrays.copyOf(base, n), "truncated to " + n + " of " + base.length + " bytes");
                assertNotNull(m, "truncated to " + n + " bytes: refused");
                assertTrue(m.contains("truncated or corrupt"), m);
            }
        }
    }

    @Test
    void randomCorruptionsOfTheHeadersAndPayloadsNeverEscape() {
        long live = Tangent.liveBytes();
        Random r = new Random(SEED);
        int refused = 0;
        for (byte[] base : bases) {
            List<Integer> headerBytes = new ArrayList<>();
            ByteBuffer b = ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 16; i++) {
                headerBytes.add(i);
            }
            long at = 16;
            while (at < base.length) {
                long eh = Integer.toUnsignedLong(b.getInt((int) at + 4));
                for (int i = 0; i < eh; i++) {
                    headerBytes.add((int) at + i);
                }
                at += eh + b.getLong((int) at + 8);
            }
            int cases = base.length < 1 << 16 ? CASES : CASES / 10; // the built image is ~4 MB a copy
            for (int c = 0; c < cases; c++) {
                byte[] x = base.clone();
                int flips = 1 + r.nextInt(4);
                for (int f = 0; f < flips; f++) {
                    // 3 in 4 in a header, else anywhere (the ABI tag, the images)
                    int pos = r.nextInt(4) < 3 ? headerBytes.get(r.nextInt(headerBytes.size())) : r.nextInt(x.length);
                    x[pos] = (byte) r.nextInt(256);
                }
                if (verdict(x, "case " + c + " of " + base.length + " bytes") != null) {
                    refused++;
                }
            }
        }
        assertTrue(refused > CASES / 4, "most header corruptions are refused: " + refused);
        assertEquals(live, Tangent.liveBytes(), "no native memory");
    }

    @Test
    void extremeValuesInEverySizeField() {
        for (byte[] base : bases) {
            long n = base.length;
            int entry = 16;
            long[] values = {0, 1, 15, 16, 17, 64, n - 17, n - 16, n - 15, n - 1, n, n + 1, 0xffffL, 0xffffffffL,
                0x100000000L, Long.MAX_VALUE, Long.MIN_VALUE, -1, Long.MAX_VALUE - 15, (1L << 63) - 8};
            // offset of the field, its width
            int[][] fields = {{6, 2}, {8, 8}, {entry + 4, 4}, {entry + 8, 8}, {0, 4}, {entry, 2}};
            for (int[] f : fields) {
                for (long v : values) {
                    byte[] x = base.clone();
                    ByteBuffer b = ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN);
                    switch (f[1]) {
                        case 2 -> b.putShort(f[0], (short) v);
                        case 4 -> b.putInt(f[0], (int) v);
                        default -> b.putLong(f[0], v);
                    }
                    verdict(x, "field at " + f[0] + " = " + Long.toUnsignedString(v));
                }
            }
            // the declared size past the file, and with bit 63 set: named as such
            byte[] x = base.clone();
            ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN).putLong(8, Long.MIN_VALUE + 16);
            String m = verdict(x, "fatSize 2^63 + 16");
            assertTrue(m.contains("9223372036854775824") && m.contains("ends past the file"), m);
            // an entry whose payload overruns the entries' end
            x = base.clone();
            ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN).putLong(entry + 8, n);
            m = verdict(x, "payload n");
            assertTrue(m.contains("entry 0 at byte 16") && m.contains("payload"), m);
        }
    }

    @Test
    void emptyTinyAndTagOnlyFilesAndTrailingBytes() {
        assertTrue(verdict(new byte[0], "empty").contains("0 bytes, shorter than the 16-byte header"));
        assertTrue(verdict(new byte[3], "3 bytes").contains("3 bytes"));
        assertTrue(verdict(new byte[100], "zeros").contains("magic 0x00000000"));
        assertTrue(verdict(TAG, "a bare ABI tag").contains("not a fatbin"));
        byte[] headerOnly = Arrays.copyOf(container(new int[0]), 16);
        assertTrue(verdict(headerOnly, "a header with no entries").contains("no entries"));
        assertTrue(verdict(container(new int[] {7}, TAG), "only an unknown kind").contains("no PTX or cubin"));
        for (byte[] base : bases) {
            byte[] longer = Arrays.copyOf(base, base.length + (1 << 20)); // 1 MB the driver never reads
            assertNull(verdict(longer, "1 MB of trailing bytes"));
        }
    }

    @Test
    void aWellFormedContainerOfTheWrongAbiIsRefusedByVersion() {
        byte[] old = container(bytes("\u007fELF....tangent-kernels-abi=1;...."));
        assertTrue(verdict(old, "ABI 1").contains("ABI version 1"));
        byte[] none = container(bytes("\u007fELF no tag"));
        assertTrue(verdict(none, "no tag").contains("no tangent-kernels-abi tag"));
        byte[] mixed = container(new int[] {2, 2}, TAG, bytes("tangent-kernels-abi=3;"));
        String m = verdict(mixed, "mixed");
        assertTrue(m.contains("different ABI versions"), m);
    }

    @Test
    void anOversizedResourceIsRefusedAfterLimitPlusOneBytes() throws Exception {
        int limit = 1 << 20;
        byte[] exact = new byte[limit];
        assertArrayEquals(exact, FatbinContainer.read(new ByteArrayInputStream(exact), NAME, limit));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> FatbinContainer.read(new ByteArrayInputStream(new byte[limit + 1]), NAME, limit));
        assertTrue(e.getMessage().contains(NAME) && e.getMessage().contains("larger than " + limit), e.getMessage());
        // an endless stream: read stops at limit + 1 bytes
        long[] served = new long[1];
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                served[0]++;
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                served[0] += len;
                return len;
            }
        };
        assertThrows(IllegalStateException.class, () -> FatbinContainer.read(endless, NAME, limit));
        assertEquals(limit + 1, served[0], "bytes read from an endless stream");
        assertEquals(1L << 30, FatbinContainer.MAX_BYTES);
    }
}
