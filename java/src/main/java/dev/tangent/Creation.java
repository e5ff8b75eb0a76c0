package dev.tangent;

import dev.tangent.backend.Backends;
import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import dev.tangent.engine.Launch;
import dev.tangent.ops.Shapes;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Making tensors from values and reading values back. */
final class Creation {
    private Creation() {}

    static Tensor of(float[] data, long[] shape) {
        Tensor t = host("Tensor.of", data.length, shape, DType.FLOAT32);
        MemorySegment.copy(data, 0, t.value.storage().segment(), ValueLayout.JAVA_FLOAT, 0, data.length);
        return t;
    }

    static Tensor of(double[] data, long[] shape) {
        Tensor t = host("Tensor.of", data.length, shape, DType.FLOAT64);
        MemorySegment.copy(data, 0, t.value.storage().segment(), ValueLayout.JAVA_DOUBLE, 0, data.length);
        return t;
    }

    static Tensor of(long[] data, long[] shape) {
        Tensor t = host("Tensor.of", data.length, shape, DType.INT64);
        MemorySegment.copy(data, 0, t.value.storage().segment(), ValueLayout.JAVA_LONG, 0, data.length);
        return t;
    }

    static Tensor of(double[] data, DType dtype, long[] shape) {
        return dtype == DType.FLOAT64 ? of(data, shape) : converted(of(data, shape), dtype);
    }

    static Tensor wrap(MemorySegment memory, DType dtype, long[] shape) {
        checkShape("Tensor.wrap", shape);
        long bytes = Shapes.numel(shape) * dtype.byteSize();
        if (memory.byteSize() < bytes) {
            throw new IllegalArgumentException("Tensor.wrap: a segment of " + memory.byteSize() + " bytes cannot hold "
                    + Shapes.str(shape) + " " + dtype.torchName() + " (" + bytes + " bytes)");
        }
        if (memory.address() % dtype.byteSize() != 0) {
            throw new IllegalArgumentException("Tensor.wrap: address 0x" + Long.toHexString(memory.address())
                    + " is not aligned to the " + dtype.byteSize() + "-byte " + dtype.torchName() + " elements");
        }
        if (!memory.isNative()) {
            throw new IllegalArgumentException("Tensor.wrap: the segment must be native memory, not a heap array");
        }
        Storage st = Storage.wrap(Backends.cpu(), memory.asSlice(0, bytes));
        Scope.register(st);
        return new Tensor(Operand.contiguous(st, dtype, shape));
    }

    static void copyTo(Tensor t, float[] dst, int count) {
        if (count < 0 || count > t.numel() || count > dst.length) {
            throw new IndexOutOfBoundsException("copyTo: " + count + " elements of a tensor of " + t.numel()
                    + " into an array of " + dst.length);
        }
        Operand v = t.value;
        if (v.dtype() == DType.FLOAT32 && v.device().isCpu() && v.isContiguous()) {
            v.storage().acquire("copyTo");
            try {
                MemorySegment.copy(v.storage().segment(), ValueLayout.JAVA_FLOAT, v.byteOffset(), dst, 0, count);
            } finally {
                v.storage().release();
            }
            return;
        }
        System.arraycopy(toFloatArray(t), 0, dst, 0, count);
    }

    static Tensor full(double value, DType dtype, Device device, long[] shape) {
        checkShape("full", shape);
        Tensor t = empty(shape, dtype, device);
        Operand o = t.value;
        Launch.run("full", () -> o.backend().fill(o, value), new Operand[0], new Operand[] {o});
        return t;
    }

    static Tensor arange(double start, double end, double step, DType dtype) {
        if (step == 0 || Double.isNaN(start) || Double.isNaN(end) || Double.isNaN(step)) {
            throw new IllegalArgumentException("arange: step must be nonzero and bounds finite (start=" + start
                    + ", end=" + end + ", step=" + step + ")");
        }
        long n = (long) Math.ceil((end - start) / step);
        if (n < 0) {
            throw new IllegalArgumentException("arange: upper bound and larger bound inconsistent with step sign"
                    + " (start=" + start + ", end=" + end + ", step=" + step + ")");
        }
        double[] d = new double[Math.toIntExact(n)];
        for (int i = 0; i < d.length; i++) {
            d[i] = start + i * step;
        }
        return converted(of(d, new long[] {n}), dtype);
    }

    static Tensor random(long seed, boolean normal, DType dtype, long[] shape) {
        checkShape(normal ? "randn" : "rand", shape);
        SplittableRandom r = new SplittableRandom(seed);
        double[] d = new double[Math.toIntExact(Shapes.numel(shape))];
        for (int i = 0; i < d.length; i++) {
            if (normal) {
                // Box-Muller: two uniforms per normal keeps the stream simple and reproducible.
                double u1 = 1.0 - r.nextDouble();
                double u2 = r.nextDouble();
                d[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
            } else {
                d[i] = r.nextDouble();
            }
        }
        return converted(of(d, shape), dtype);
    }

    /** A Python-number operand: a 0-dim tensor that does not promote the other operand's dtype. */
    static Tensor wrapScalar(double s, DType like, Device device) {
        DType dt = like.isFloatingPoint() ? like : (s == Math.rint(s) && !Double.isInfinite(s) ? like : DType.FLOAT32);
        if (dt == DType.BOOL) {
            dt = DType.INT64;
        }
        return full(s, dt, device, new long[0]);
    }

    static float[] toFloatArray(Tensor t) {
        t.value.storage().checkAlive("toFloatArray");
        double[] d = toDoubleArray(t);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    static double[] toDoubleArray(Tensor t) {
        try (Scope s = Scope.open()) {
            Operand c = hostContiguous(t, "toDoubleArray", DType.FLOAT64);
            double[] d = new double[Math.toIntExact(c.numel())];
            if (d.length == 0) {
                return d; // an empty view may sit at an offset past the end of an empty storage
            }
            c.storage().acquire("toDoubleArray");
            try {
                MemorySegment.copy(c.storage().segment(), ValueLayout.JAVA_DOUBLE, c.byteOffset(), d, 0, d.length);
            } finally {
                c.storage().release();
            }
            return d;
        }
    }

    static long[] toLongArray(Tensor t) {
        try (Scope s = Scope.open()) {
            Operand c = hostContiguous(t, "toLongArray", DType.INT64);
            long[] d = new long[Math.toIntExact(c.numel())];
            if (d.length == 0) {
                return d; // an empty view may sit at an offset past the end of an empty storage
            }
            c.storage().acquire("toLongArray");
            try {
                MemorySegment.copy(c.storage().segment(), ValueLayout.JAVA_LONG, c.byteOffset(), d, 0, d.length);
            } finally {
                c.storage().release();
            }
            return d;
        }
    }

    /** t's values, contiguous on the host as {@code as}: a copy in the current scope unless t already is. */
    private static Operand hostContiguous(Tensor t, String op, DType as) {
        t.value.storage().checkAlive(op);
        Tensor c = t.detach().to(Device.cpu());
        Operand v = c.value;
        if (v.dtype() != as || !v.isContiguous()) {
            Operand out = empty(v.shape(), as, Device.cpu()).value;
            Launch.run(op, () -> out.backend().copy(v, out), v, out);
            return out;
        }
        return v;
    }

    /** Uninitialised contiguous tensor registered with the current scope (every caller writes it all). */
    static Tensor empty(long[] shape, DType dtype, Device device) {
        long bytes = Shapes.numel(shape) * dtype.byteSize();
        Storage st = Storage.allocate(Backends.of(device), bytes);
        Scope.register(st);
        return new Tensor(Operand.contiguous(st, dtype, shape));
    }

    /** t as {@code dtype}, freeing the float64 staging tensor at once instead of at GC. */
    private static Tensor converted(Tensor t, DType dtype) {
        if (t.dtype() == dtype) {
            return t;
        }
        Tensor r = empty(t.value.shape(), dtype, t.device());
        Operand src = t.value;
        Operand dst = r.value;
        Launch.run("to", () -> dst.backend().copy(src, dst), src, dst);
        t.value.storage().free();
        return r;
    }

    /** A host tensor for {@code length} values of shape {@code shape}. */
    private static Tensor host(String op, int length, long[] shape, DType dtype) {
        checkShape(op, shape);
        if (Shapes.numel(shape) != length) {
            throw new IllegalArgumentException(op + ": " + length + " values do not fill shape "
                    + Shapes.str(shape) + " (" + Shapes.numel(shape) + " elements)");
        }
        return empty(shape, dtype, Device.cpu());
    }

    private static void checkShape(String op, long[] shape) {
        for (long s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException(op + ": negative dimension in shape " + Shapes.str(shape));
            }
        }
    }
}
