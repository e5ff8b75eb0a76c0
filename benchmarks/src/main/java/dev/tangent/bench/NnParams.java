package dev.tangent.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Seeded float32 parameters shared by the DJL and Tangent builds of a network: each parameter has
 * a name, a shape and values drawn from its own java.util.Random, so both engines (and every JMH
 * fork) get bit-identical weights without files.
 */
final class NnParams {
    /** One parameter: PyTorch's shape and the row-major values. */
    record Param(long[] shape, float[] data) {}

    private final Map<String, Param> params = new LinkedHashMap<>();
    private final long seed;

    NnParams(long seed) {
        this.seed = seed;
    }

    /** N(0, 1)·scale + shift. */
    NnParams gaussian(String name, float shift, float scale, long... shape) {
        Random r = next(name);
        float[] d = new float[size(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = shift + (float) r.nextGaussian() * scale;
        }
        return put(name, shape, d);
    }

    /** Uniform in [lo, hi). */
    NnParams uniform(String name, float lo, float hi, long... shape) {
        Random r = next(name);
        float[] d = new float[size(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = lo + r.nextFloat() * (hi - lo);
        }
        return put(name, shape, d);
    }

    Param get(String name) {
        Param p = params.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter " + name);
        }
        return p;
    }

    Map<String, Param> all() {
        return params;
    }


    /** Seeded input data (x, v, u), the same draws as DjlRuntime.gaussian. */
    static float[] input(long seed, float scale, long... shape) {
        Random r = new Random(seed);
        float[] d = new float[size(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian() * scale;
        }
        return d;
    }

    static int size(long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return Math.toIntExact(n);
    }

    private Random next(String name) {
        if (params.containsKey(name)) {
            throw new IllegalArgumentException("parameter " + name + " defined twice");
        }
        return new Random(seed * 1_000_003L + params.size());
    }

    private NnParams put(String name, long[] shape, float[] d) {
        params.put(name, new Param(shape.clone(), d));
        return this;
    }
}
