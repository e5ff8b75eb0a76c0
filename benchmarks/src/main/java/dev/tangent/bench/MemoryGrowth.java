package dev.tangent.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Measures how much the process's resident memory grows per call of a workload: warm up, read
 * VmRSS, run many calls, read VmRSS again. Native leaks show here and not in the Java heap.
 * Allocator caching makes a few MB of noise, so report growth over hundreds of calls.
 */
public final class MemoryGrowth {
    private MemoryGrowth() {}

    public record Result(String name, int calls, long rssBeforeKb, long rssAfterKb) {
        double mbPerCall() {
            return (rssAfterKb - rssBeforeKb) / 1024.0 / calls;
        }

        @Override
        public String toString() {
            return String.format("%-40s %6d calls  RSS %8.1f -> %8.1f MB  growth %8.3f MB/call",
                    name, calls, rssBeforeKb / 1024.0, rssAfterKb / 1024.0, mbPerCall());
        }
    }

    public static Result measure(String name, JvpWorkload workload, int warmupCalls, int calls) {
        for (int i = 0; i < warmupCalls; i++) {
            workload.call();
        }
        System.gc();
        long before = rssKb();
        for (int i = 0; i < calls; i++) {
            workload.call();
        }
        System.gc();
        long after = rssKb();
        return new Result(name, calls, before, after);
    }

    /** VmRSS of this process in kB, from /proc/self/status (Linux). */
    public static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
