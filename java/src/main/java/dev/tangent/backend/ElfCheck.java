package dev.tangent.backend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/** The ELF structure check {@link NativeLibraryLoader} runs before every load. */
public final class ElfCheck {
    private ElfCheck() {}


    private static final int ELF_MAGIC = 0x464c457f;   // "\x7fELF", little-endian
    private static final int ELF_HEADER = 64;
    private static final int PHDR_SIZE = 56;
    private static final int SHDR_SIZE = 64;
    private static final int PT_LOAD = 1;
    private static final int SHT_NULL = 0;
    private static final int SHT_NOBITS = 8;

    /**
     * Why {@code lib} is not a structurally sound 64-bit little-endian ELF shared library whose
     * headers, segments and sections all lie inside the file, or null when it is. The dynamic
     * loader maps what the headers say without checking the file's length, so a truncated
     * library would die of SIGBUS and take the JVM with it; this reads only the headers (at most
     * a few MB, whatever the values in them). Never throws: an unreadable file gives null, and
     * the loader then reports why it cannot open it.
     */
    public static String problem(Path lib) {
        try (FileChannel ch = FileChannel.open(lib, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer h = read(ch, 0, (int) Math.min(ELF_HEADER, size));
            if (size < 4 || h.getInt(0) != ELF_MAGIC) {
                StringBuilder start = new StringBuilder();
                for (int i = 0; i < Math.min(4, h.limit()); i++) {
                    start.append(start.isEmpty() ? "" : " ").append(String.format("%02x", h.get(i) & 0xff));
                }
                return "not an ELF file (it starts with bytes [" + start + "], not 7f 45 4c 46; " + size + " bytes)";
            }
            if (size < ELF_HEADER) {
                return "the ELF header is cut short (" + size + " bytes, it needs " + ELF_HEADER + ")";
            }
            if (h.get(4) != 2) {
                return "not a 64-bit ELF file (EI_CLASS " + h.get(4) + ", expected 2)";
            }
            if (h.get(5) != 1) {
                return "not a little-endian ELF file (EI_DATA " + h.get(5) + ", expected 1)";
            }
            if (h.get(6) != 1 || h.getInt(0x14) != 1) {
                return "unknown ELF version (" + h.get(6) + "/" + h.getInt(0x14) + ", expected 1)";
            }
            int type = Short.toUnsignedInt(h.getShort(0x10));
            if (type != 3) {
                return "not a shared library (ELF type " + type + ", expected 3 = ET_DYN)";
            }
            int machine = Short.toUnsignedInt(h.getShort(0x12));
            String wrongMachine = machineProblem(machine);
            if (wrongMachine != null) {
                return wrongMachine;
            }
            long phoff = h.getLong(0x20);
            long shoff = h.getLong(0x28);
            int phentsize = Short.toUnsignedInt(h.getShort(0x36));
            int phnum = Short.toUnsignedInt(h.getShort(0x38));
            int shentsize = Short.toUnsignedInt(h.getShort(0x3a));
            int shnum = Short.toUnsignedInt(h.getShort(0x3c));
            if (phnum == 0) {
                return "it has no program headers";
            }
            if (phnum == 0xffff) {
                return "it claims 65535 or more program headers (PN_XNUM)";
            }
            if (phentsize != PHDR_SIZE) {
                return "its program headers are " + phentsize + " bytes each, expected " + PHDR_SIZE;
            }
            String r = outside("the program header table", phoff, (long) phentsize * phnum, size);
            if (r != null) {
                return r;
            }
            if (shoff != 0 || shnum != 0) {
                if (shnum != 0 && shentsize != SHDR_SIZE) {
                    return "its section headers are " + shentsize + " bytes each, expected " + SHDR_SIZE;
                }
                r = outside("the section header table", shoff, (long) shentsize * shnum, size);
                if (r != null) {
                    return r;
                }
            }
            ByteBuffer ph = read(ch, phoff, phentsize * phnum);
            int loads = 0;
            for (int i = 0; i < phnum; i++) {
                int o = i * phentsize;
                int ptype = ph.getInt(o);
                long offset = ph.getLong(o + 0x08);
                long filesz = ph.getLong(o + 0x20);
                long memsz = ph.getLong(o + 0x28);
                r = outside("segment " + i, offset, filesz, size);
                if (r != null) {
                    return r;
                }
                if (ptype == PT_LOAD) {
                    loads++;
                    if (Long.compareUnsigned(filesz, memsz) > 0) {
                        return "segment " + i + " has more bytes in the file (" + filesz + ") than in memory ("
                                + Long.toUnsignedString(memsz) + ")";
                    }
                }
            }
            if (loads == 0) {
                return "it has no loadable segment";
            }
            if (shnum != 0 && shoff != 0) {
                ByteBuffer sh = read(ch, shoff, shentsize * shnum);
                for (int i = 0; i < shnum; i++) {
                    int o = i * shentsize;
                    int stype = sh.getInt(o + 0x04);
                    if (stype != SHT_NULL && stype != SHT_NOBITS) {
                        r = outside("section " + i, sh.getLong(o + 0x18), sh.getLong(o + 0x20), size);
                        if (r != null) {
                            return r;
                        }
                    }
                }
            }
            return null;
        } catch (IOException e) {
            return null;   // unreadable: System.load says why
        } catch (RuntimeException e) {   // the file changed size while being read
            return "its headers cannot be read (" + e + ")";
        }
    }

    /** Why {@code [offset, offset + length)} (unsigned 64-bit values) is not inside the file, or null. */
    private static String outside(String what, long offset, long length, long size) {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            String end = offset < 0 || length < 0 || offset + length < 0
                    ? "past byte 2^63" : "at byte " + (offset + length);
            return what + " ends " + end + " (offset " + Long.toUnsignedString(offset) + ", "
                    + Long.toUnsignedString(length) + " bytes) but the file has " + size + " bytes";
        }
        return null;
    }

    private static String machineProblem(int machine) {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        int expected = switch (arch) {
            case "amd64", "x86_64" -> 62;
            case "aarch64", "arm64" -> 183;
            default -> -1;
        };
        return expected < 0 || machine == expected ? null
                : "built for another processor (ELF machine " + machine + ", this JVM runs on " + arch
                        + ", machine " + expected + ")";
    }

    private static ByteBuffer read(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                break;
            }
        }
        return b.flip();
    }}
