package dev.tangent.backend.cpu.dnnl;

import dev.tangent.backend.Operand;
import java.util.Arrays;

/** Cache key: op family, its attributes, and each operand's shape and strides. */
final class PrimitiveKey {
    private final long[] data;
    private final int hash;

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
        this.hash = Arrays.hashCode(d);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PrimitiveKey k && k.hash == hash && Arrays.equals(k.data, data);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
