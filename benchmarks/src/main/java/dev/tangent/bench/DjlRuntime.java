package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Starts DJL's PyTorch engine with a fixed thread count, offline, and makes seeded inputs. */
final class DjlRuntime {
    static final String ENGINE = "PyTorch";

    private DjlRuntime() {}

    /**
     * Starts the engine with {@code threads} intra-op and inter-op threads. The PyTorch engine reads
     * these properties once, when it starts, so this must run before any other DJL call in the JVM
     * (each JMH fork is a fresh JVM, so a {@code threads} @Param gives one setting per fork).
     */
    static Engine start(int threads) {
        String want = Integer.toString(threads);
        String prev = System.getProperty("ai.djl.pytorch.num_threads");
        if (prev != null && !prev.equals(want)) {
            throw new IllegalStateException("ai.djl.pytorch.num_threads=" + prev + " set on the command line, benchmark asks for " + want);
        }
        System.setProperty("ai.djl.pytorch.num_threads", want);
        System.setProperty("ai.djl.pytorch.num_interop_threads", want);
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        Engine engine = Engine.getEngine(ENGINE);
        int got = JniUtils.getNumThreads();
        if (got != threads) {
            throw new IllegalStateException("DJL runs " + got + " intra-op threads, wanted " + threads
                    + " (was the engine started before DjlRuntime.start?)");
        }
        return engine;
    }

    /** float32 array of the given shape with N(0,1)·scale entries, reproducible from seed. */
    static NDArray gaussian(NDManager manager, long seed, float scale, long... shape) {
        Random random = new Random(seed);
        int n = Math.toIntExact(new Shape(shape).size());
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = (float) random.nextGaussian() * scale;
        }
        return manager.create(data, new Shape(shape));
    }

    /** Where the process mapped libtorch_cpu.so from (to prove DJL used its cache folder), or null. */
    static String libtorchPath() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int at = line.indexOf('/');
                if (at >= 0 && line.endsWith("libtorch_cpu.so")) {
                    return line.substring(at);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }
}
