package dev.tangent.backend.cpu.dnnl;

import dev.tangent.backend.Operand;
import java.util.Arrays;

/**
 * Cache key: op family, its attributes, each operand's shape and strides, and the OpenMP team size
 * the primitive is created and run with ({@link #threads(int)}, set by the cache before lookup).
 */
final class PrimitiveKey {
    private final long[] data;
    private final int dataHash;
    private int hash;
    private int threads;

    PrimitiveKey(int family, long[] attrs, Operand... ts) {
        int len = 2 + attrs.length;
        for (Operand t : ts) {
            len += 1 + 2 * t.dim();
        }
        long[] d = new long[len];
        int p = 0;
        d[p++] = family;
        d[p++] = attrs.length;
        for (long a : attrs) {
            d[p++] = a;
        }
        for (Operand t : ts) {
            long[] s = t.shape();
            long[] st = t.strides();
            d[p++] = s.length;
            for (int i = 0; i < s.length; i++) {
                d[p++] = s[i];
                d[p++] = st[i];
            }
        }
        this.data = d;
        this.dataHash = Arrays.hashCode(d);
        this.hash = dataHash;
    }

    /** Sets the team size (once, before the key is used for a lookup). */
    void threads(int n) {
        hash = 31 * dataHash + n;
        threads = n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PrimitiveKey k && k.hash == hash && k.threads == threads && Arrays.equals(k.data, data);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
