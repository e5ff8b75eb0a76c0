package dev.tangent.reliability;

import dev.tangent.backend.Backends;
import dev.tangent.backend.NativeLibraryLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The child JVM of {@link NativeTrustTest#startUpCostOfTheDigestCheck}, started cold so the figures
 * include the JIT warming up as a real first use does. {@code verify DIR}: the time to verify the
 * bundled oneDNN libraries already in {@code DIR} (folder checks, SHA-256 of both files), which is
 * what the trust check adds. {@code first-use DIR}: the time of the first oneDNN use as a whole
 * (with {@code -Dtangent.cache.dir} at {@code DIR}'s parent). Prints {@code MS <milliseconds>} (wall
 * clock) and {@code CPU-MS <milliseconds>} (this thread's CPU time: what a busy machine does not
 * inflate).
 */
public final class TrustTimingChild {
    private TrustTimingChild() {}

    static NativeLibraryLoader.Bundle dnnlBundle() throws IOException {
        Properties p = new Properties();
        try (InputStream in = TrustTimingChild.class.getClassLoader()
                .getResourceAsStream("META-INF/maven/org.bytedeco/dnnl/pom.properties")) {
            p.load(in);
        }
        return NativeLibraryLoader.Bundle.of("dnnl-" + p.getProperty("version"), TrustTimingChild.class.getClassLoader(),
                "org/bytedeco/dnnl/linux-x86_64/", "libgomp.so.1", "libdnnl.so.3");
    }

    public static void main(String[] args) throws Exception {
        NativeLibraryLoader.Bundle bundle = dnnlBundle();
        // Process CPU time (java.base; the test module does not read java.management): includes the
        // JIT's threads, so it is an upper bound on the check's own CPU time.
        long c0 = processCpuNanos();
        long t0 = System.nanoTime();
        String what;
        if (args[0].equals("verify")) {
            what = NativeLibraryLoader.extract(bundle, Path.of(args[1])).toString();
        } else {
            what = Backends.cpuAcceleratorStatus();
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        double cpu = (processCpuNanos() - c0) / 1e6;
        System.out.println("RESULT " + what);
        System.out.println("MS " + ms);
        System.out.println("CPU-MS " + cpu);
    }

    private static long processCpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }
}
