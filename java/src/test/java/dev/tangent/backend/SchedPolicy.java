package dev.tangent.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test helper: a thread's Linux scheduling policy, as the kernel reports it. */
public final class SchedPolicy {
    private SchedPolicy() {}

    /** The policy of thread {@code tid} of this process (field 41 of its stat; 0 OTHER, 3 BATCH). */
    public static int of(int tid) {
        try {
            String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
            return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[38]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
