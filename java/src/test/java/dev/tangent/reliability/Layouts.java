package dev.tangent.reliability;

import dev.tangent.DType;
import dev.tangent.Tensor;

/** Random tensors of a given shape in awkward memory layouts (non-contiguous views). */
enum Layouts {
    CONTIGUOUS, TRANSPOSED, STEP2, EXPANDED, OFFSET;

    /** A random normal tensor of {@code shape} laid out this way; falls back to contiguous where impossible. */
    Tensor make(long seed, DType dtype, long... shape) {
        int n = shape.length;
        switch (this) {
            case TRANSPOSED -> {
                if (n >= 2) {
                    long[] rev = new long[n];
                    for (int i = 0; i < n; i++) {
                        rev[i] = shape[n - 1 - i];
                    }
                    return Tensor.random(seed, true, dtype, rev).permute(Program.reverse(n));
                }
            }
            case STEP2 -> {
                if (n >= 1) {
                    long[] big = shape.clone();
                    big[n - 1] = 2 * shape[n - 1];
                    return Tensor.random(seed, true, dtype, big).slice(n - 1, 1, Long.MAX_VALUE, 2);
                }
            }
            case EXPANDED -> {
                if (n >= 1 && shape[0] > 1) {
                    long[] one = shape.clone();
                    one[0] = 1;
                    return Tensor.random(seed, true, dtype, one).expand(shape);
                }
            }
            case OFFSET -> {
                if (n >= 1) {
                    long[] big = shape.clone();
                    big[0] = shape[0] + 1;
                    return Tensor.random(seed, true, dtype, big).slice(0, 1, Long.MAX_VALUE);
                }
            }
            default -> { }
        }
        return Tensor.random(seed, true, dtype, shape);
    }
}
