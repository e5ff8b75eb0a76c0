package dev.tangent.bench;

import static dev.tangent.bindings.dnnl.dnnl_h.*;
import dev.tangent.backend.cpu.dnnl.*;
import dev.tangent.bindings.dnnl.dnnl_exec_arg_t;
import java.lang.foreign.*;
import java.util.Arrays;

/** Measures the element-wise cut-overs: oneDNN eltwise exp / binary add (cached primitive) vs a plain Java loop over MemorySegments. */
public class CutOver {
    static Arena A = Arena.global();
    static MemorySegment engine, stream;
    static MemorySegment p() { return A.allocate(C_POINTER); }

    static MemorySegment md(long n) {
        MemorySegment o = p();
        Dnnl.check(dnnl_memory_desc_create_with_tag(o, 1, A.allocateFrom(ValueLayout.JAVA_LONG, n), dnnl_f32(), dnnl_a()), "md");
        return o.get(C_POINTER, 0);
    }
    static MemorySegment mem(MemorySegment md, MemorySegment data) {
        MemorySegment o = p();
        Dnnl.check(dnnl_memory_create(o, md, engine, data), "mem");
        return o.get(C_POINTER, 0);
    }
    static MemorySegment prim(MemorySegment pdOut) {
        MemorySegment pd = pdOut.get(C_POINTER, 0);
        MemorySegment o = p();
        Dnnl.check(dnnl_primitive_create(o, pd), "prim");
        return o.get(C_POINTER, 0);
    }
    static MemorySegment args(int[] ids, MemorySegment[] mems) {
        MemorySegment a = dnnl_exec_arg_t.allocateArray(ids.length, A);
        for (int i = 0; i < ids.length; i++) {
            dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(a, i), ids[i]);
            dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(a, i), mems[i]);
        }
        return a;
    }
    interface Body { void run(); }
    static double timeNs(Body b, long n) {
        long reps = Math.max(20, 2_000_000L / Math.max(n, 16));
        for (int i = 0; i < reps; i++) b.run();
        double[] t = new double[5];
        for (int r = 0; r < t.length; r++) {
            long s = System.nanoTime();
            for (int i = 0; i < reps; i++) b.run();
            t[r] = (System.nanoTime() - s) / (double) reps;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    public static void main(String[] a) {
        DnnlLibrary.ensureAvailable();
        MemorySegment o = p();
        Dnnl.check(dnnl_engine_create(o, dnnl_cpu(), 0), "engine");
        engine = o.get(C_POINTER, 0);
        Dnnl.check(dnnl_stream_create(o, engine, dnnl_stream_default_flags()), "stream");
        stream = o.get(C_POINTER, 0);
        System.out.println("oneDNN " + DnnlLibrary.version().orElseThrow() + ", " + Runtime.getRuntime().availableProcessors() + " cpus");
        System.out.printf("%8s | %14s %14s | %14s %14s%n", "N", "exp dnnl us", "exp java us", "add dnnl us", "add java us");
        for (long n : new long[] {16, 256, 4096, 16384, 65536, 262144}) {
            MemorySegment x = A.allocate(4 * n, 64), y = A.allocate(4 * n, 64), z = A.allocate(4 * n, 64);
            for (long i = 0; i < n; i++) { x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 13) * 0.1f); y.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1.5f); }
            MemorySegment d = md(n);
            MemorySegment mx = mem(d, x), my = mem(d, y), mz = mem(d, z);
            Dnnl.check(dnnl_eltwise_forward_primitive_desc_create(o, engine, dnnl_forward_inference(), dnnl_eltwise_exp(), d, d, 0f, 0f, MemorySegment.NULL), "eltwise pd");
            MemorySegment exp = prim(o);
            MemorySegment expArgs = args(new int[] {DNNL_ARG_SRC(), DNNL_ARG_DST()}, new MemorySegment[] {mx, mz});
            Dnnl.check(dnnl_binary_primitive_desc_create(o, engine, dnnl_binary_add(), d, d, d, MemorySegment.NULL), "binary pd");
            MemorySegment add = prim(o);
            MemorySegment addArgs = args(new int[] {DNNL_ARG_SRC_0(), DNNL_ARG_SRC_1(), DNNL_ARG_DST()}, new MemorySegment[] {mx, my, mz});
            final long nn = n;
            double expD = timeNs(() -> { Dnnl.check(dnnl_primitive_execute(exp, stream, 2, expArgs), "x"); Dnnl.check(dnnl_stream_wait(stream), "w"); }, n);
            double expJ = timeNs(() -> { for (long i = 0; i < nn; i++) z.set(ValueLayout.JAVA_FLOAT, i * 4L, (float) Math.exp(x.get(ValueLayout.JAVA_FLOAT, i * 4L))); }, n);
            double addD = timeNs(() -> { Dnnl.check(dnnl_primitive_execute(add, stream, 3, addArgs), "x"); Dnnl.check(dnnl_stream_wait(stream), "w"); }, n);
            double addJ = timeNs(() -> { for (long i = 0; i < nn; i++) z.set(ValueLayout.JAVA_FLOAT, i * 4L, x.get(ValueLayout.JAVA_FLOAT, i * 4L) + y.get(ValueLayout.JAVA_FLOAT, i * 4L)); }, n);
            System.out.printf("%8d | %14.3f %14.3f | %14.3f %14.3f%n", n, expD / 1e3, expJ / 1e3, addD / 1e3, addJ / 1e3);
        }
    }
}
