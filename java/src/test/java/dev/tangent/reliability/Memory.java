package dev.tangent.reliability;

import dev.tangent.backend.NativeMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process memory readings shared by the reliability tests (and {@code ScopeMemoryTest}). */
public final class Memory {
    private Memory() {}

    /** True when the long runs were asked for: {@code -Dtangent.soak=true}. */
    static boolean soak() {
        return Boolean.getBoolean("tangent.soak");
    }

    /**
     * Live native bytes once the garbage collector's cleaner has freed what earlier tests left
     * unscoped (it runs on its own thread and could otherwise change the count mid-test).
     */
    public static long settledLiveBytes() throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 40; i++) {
            System.gc();
            Thread.sleep(10);
            long now = NativeMemory.liveBytes();
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    /** Resident set size from /proc/self/status (VmRSS), in bytes. */
    public static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status", e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    static String mb(long bytes) {
        return String.format("%.1f MB", bytes / 1048576.0);
    }
}
