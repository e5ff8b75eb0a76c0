package dev.tangent.backend;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardCopyOption;
import java.net.JarURLConnection;
import java.net.URLConnection;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.jar.JarEntry;

/** {@link NativeLibraryLoader}'s file checks: who owns and may write a folder, this process's uid, SHA-256. */
final class FileTrust {
    static final int GROUP_OTHER_WRITE = 0022;
    static final int STICKY = 01000;

    static final Set<PosixFilePermission> RECORD_0400 = PosixFilePermissions.fromString("r--------");
    static final FileAttribute<Set<PosixFilePermission>> FILE_0600 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private FileTrust() {}

    /** Why a folder that will hold libraries is not private, or null: ours, no group/other write, no link. */
    static String privateFolderProblem(Path dir) throws IOException {
        Map<String, Object> a = Files.readAttributes(dir, "unix:uid,mode,isDirectory,isSymbolicLink",
                LinkOption.NOFOLLOW_LINKS);
        if ((Boolean) a.get("isSymbolicLink")) {
            return dir + " is a symbolic link";
        }
        if (!(Boolean) a.get("isDirectory")) {
            return dir + " is not a folder";
        }
        int uid = (Integer) a.get("uid");
        int mode = (Integer) a.get("mode");
        int me = currentUid();
        if (uid != me) {
            return dir + " is owned by " + owner(uid) + ", not by this process's user " + owner(me);
        }
        if ((mode & GROUP_OTHER_WRITE) != 0) {
            return dir + " is writable by " + whoCanWrite(mode) + " (mode " + octal(mode) + ")";
        }
        return null;
    }

    /**
     * Why someone other than this user (or root) could replace {@code path} by renaming one of the
     * folders above it, or null: each must be owned by this user or root, and writable by group or
     * others only with the sticky bit.
     */
    static String parentsProblem(Path path) throws IOException {
        int me = currentUid();
        for (Path p = path.getParent(); p != null; p = p.getParent()) {
            Map<String, Object> a = Files.readAttributes(p, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) a.get("uid");
            int mode = (Integer) a.get("mode");
            if (uid != me && uid != 0) {
                return "the folder above it, " + p + ", is owned by " + owner(uid) + ", who could swap what is in it";
            }
            if ((mode & GROUP_OTHER_WRITE) != 0 && (mode & STICKY) == 0) {
                return "the folder above it, " + p + ", is writable by " + whoCanWrite(mode) + " (mode " + octal(mode)
                        + ", no sticky bit)";
            }
        }
        return null;
    }

    static void tighten(Path path, Set<PosixFilePermission> perms) {
        try {
            if (!Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS).equals(perms)) {
                Files.setPosixFilePermissions(path, perms);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: what matters (nobody else can write) was checked already
        }
    }

    static String whoCanWrite(int mode) {
        boolean g = (mode & 0020) != 0;
        boolean o = (mode & 0002) != 0;
        return g && o ? "group and others" : g ? "its group" : "others";
    }

    static String octal(int mode) {
        return String.format(Locale.ROOT, "%04o", mode & 07777);
    }

    static String owner(int uid) {
        return "uid " + uid;
    }

    private static volatile int cachedUid = -1;

    /** This process's file-system user id (the owner of the files it creates). */
    static int currentUid() {
        int u = cachedUid;
        if (u >= 0) {
            return u;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("Uid:")) {
                    String[] f = line.trim().split("\\s+");   // real, effective, saved, file-system
                    u = Integer.parseInt(f[f.length - 1]);
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            u = -1;
        }
        if (u < 0) {
            try {
                Path probe = Files.createTempFile("tangent-uid", ".tmp");
                try {
                    u = (Integer) Files.getAttribute(probe, "unix:uid");
                } finally {
                    Files.deleteIfExists(probe);
                }
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("cannot tell this process's user id: " + e, e);
            }
        }
        cachedUid = u;
        return u;
    }


    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);   // every Java SE JVM has it
        }
    }

    /** The SHA-256 of a file's bytes (not following a symbolic link), lower-case hex. */
    static String sha256(Path file) throws IOException {
        MessageDigest md = newSha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(URL url) throws IOException {
        MessageDigest md = newSha256();
        try (InputStream in = url.openStream()) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static void syncFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);   // the rename itself reaches the disk
        } catch (IOException | RuntimeException e) {
            // not every file system lets a folder be opened; the rename is atomic regardless
        }
    }

    /** {@code size=<n> crc32=<hex>} of a jar entry (cheap: from the jar's directory), or null. */
    static String entryIdentity(URL url) {
        try {
            URLConnection c = url.openConnection();
            if (c instanceof JarURLConnection j) {
                JarEntry e = j.getJarEntry();
                if (e != null && e.getSize() >= 0 && e.getCrc() >= 0) {
                    return "size=" + e.getSize() + " crc32=" + Long.toHexString(e.getCrc());
                }
            }
        } catch (IOException e) {
            // fall through: hashed from the resource instead
        }
        return null;
    }

    /** The most a digest record may hold: one is ~150 bytes (see {@link #writeRecord}). */
    static final int RECORD_MAX_BYTES = 4096;

    private static final System.Logger LOG = System.getLogger(FileTrust.class.getName());

    /**
     * The digest in a record written for this jar entry, or null (missing, stale, not private,
     * truncated, corrupt or larger than {@value #RECORD_MAX_BYTES} bytes — logged, naming the file and
     * the problem): the library is then hashed against its jar entry again and the record rewritten.
     * Reads at most {@value #RECORD_MAX_BYTES} + 1 bytes.
     */
    static String readRecord(Path record, String entryId) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(record, "unix:uid,mode,isRegularFile", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
        int uid = (Integer) a.get("uid");
        if (!(Boolean) a.get("isRegularFile") || (uid != currentUid() && uid != 0)
                || ((Integer) a.get("mode") & GROUP_OTHER_WRITE) != 0) {
            return null;
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(record, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(RECORD_MAX_BYTES + 1);
        }
        if (bytes.length > RECORD_MAX_BYTES) {
            LOG.log(System.Logger.Level.WARNING, "{0}: a digest record larger than {1} bytes is not one; ignored (the"
                    + " library is checked against its jar entry again)", record, RECORD_MAX_BYTES);
            return null;
        }
        Properties p = new Properties();
        try {
            p.load(new java.io.ByteArrayInputStream(bytes));
        } catch (IllegalArgumentException e) { // a malformed unicode escape
            LOG.log(System.Logger.Level.WARNING, "{0}: corrupt digest record ({1}); ignored (the library is checked"
                    + " against its jar entry again)", record, e.getMessage());
            return null;
        }
        String sha = p.getProperty("sha256");
        String entry = p.getProperty("entry");
        if (sha == null || entry == null || !sha.matches("[0-9a-f]{64}")) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: not a complete digest record (truncated?); ignored", record);
            return null;
        }
        return entryId.equals(entry) ? sha : null;
    }

    static void writeRecord(Path record, String digest, String entryId) throws IOException {
        Path tmp = Files.createTempFile(record.getParent(), "." + record.getFileName() + ".", ".part", FILE_0600);
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                out.write(ByteBuffer.wrap(("# SHA-256 of the jar entry, written when it was extracted\nsha256="
                        + digest + "\nentry=" + entryId + "\n").getBytes(StandardCharsets.US_ASCII)));
                out.force(true);
            }
            Files.setPosixFilePermissions(tmp, RECORD_0400);
            Files.move(tmp, record, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

}
