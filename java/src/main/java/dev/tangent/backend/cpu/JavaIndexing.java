package dev.tangent.backend.cpu;

import static dev.tangent.backend.cpu.Elements.F32;
import static dev.tangent.backend.cpu.Elements.F64;
import static dev.tangent.backend.cpu.Elements.I64;
import static dev.tangent.backend.cpu.Elements.U8;
import static dev.tangent.backend.cpu.Elements.get;
import static dev.tangent.backend.cpu.Elements.set;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.lang.foreign.MemorySegment;

/** index_select, index_add, gather and scatter_add as Java loops (every dtype). */
final class JavaIndexing {
    private JavaIndexing() {}

    static void indexSelect(Operand x, int dim, Operand index, Operand out) {
        long[] idx = Elements.longs(index);
        if (x.dim() == 0) {
            JavaElementwise.copy(x, out);
            return;
        }
        for (int i = 0; i < idx.length; i++) {
            Operand src = x.view(Elements.dropDim(x.shape(), dim), Elements.dropDim(x.strides(), dim), x.offset() + idx[i] * x.strides()[dim]);
            Operand dst = out.view(Elements.dropDim(out.shape(), dim), Elements.dropDim(out.strides(), dim), out.offset() + i * out.strides()[dim]);
            JavaElementwise.copy(src, dst);
        }
    }

    static void indexAdd(Operand out, int dim, Operand index, Operand src) {
        long[] idx = Elements.longs(index);
        MemorySegment o = out.storage().segment();
        MemorySegment s = src.storage().segment();
        DType ot = out.dtype();
        DType srcT = src.dtype();
        if (out.dim() == 0) {
            for (int i = 0; i < idx.length; i++) {
                set(o, ot, out.offset(), get(o, ot, out.offset()) + get(s, srcT, src.offset()));
            }
            return;
        }
        for (int i = 0; i < idx.length; i++) {
            long[] shape = Elements.dropDim(src.shape(), dim);
            long dstBase = out.offset() + idx[i] * out.strides()[dim];
            long srcBase = src.offset() + i * src.strides()[dim];
            StridedLoop.forEach(shape, new long[][] {Elements.dropDim(src.strides(), dim), Elements.dropDim(out.strides(), dim)},
                    new long[] {srcBase, dstBase}, (offs, len, inner) -> {
                        for (long j = 0; j < len; j++) {
                            long oi = offs[1] + j * inner[1];
                            set(o, ot, oi, get(o, ot, oi) + get(s, srcT, offs[0] + j * inner[0]));
                        }
                    });
        }
    }

    static void gather(Operand x, int dim, Operand index, Operand out) {
        scatterOrGather(x, dim, index, out, false);
    }

    static void scatterAdd(Operand out, int dim, Operand index, Operand src) {
        scatterOrGather(src, dim, index, out, true);
    }

    /** gather: out[..i..] = x[..index[..i..]..]; scatter_add: out[..index[..i..]..] += src[..i..]. */
    private static void scatterOrGather(Operand data, int dim, Operand index, Operand out, boolean scatter) {
        MemorySegment ds = data.storage().segment();
        MemorySegment is = index.storage().segment();
        MemorySegment os = out.storage().segment();
        DType dt = data.dtype();
        DType ot = out.dtype();
        long[] dst = data.strides();
        long[] ost = out.strides();
        boolean zeroDim = index.shape().length == 0;
        // Iterate over the index's shape: operand 0 = index, 1 = data/src position with dim's stride
        // zeroed (added per element from the index), 2 = out position likewise.
        long[] ishape = index.shape();
        long[] dStr = zeroDim ? new long[0] : dst.clone();
        long[] oStr = zeroDim ? new long[0] : ost.clone();
        long dDim = zeroDim ? 0 : dst[dim];
        long oDim = zeroDim ? 0 : ost[dim];
        if (scatter) {
            oStr[dim] = 0;
        } else {
            dStr[dim] = 0;
        }
        StridedLoop.forEach(ishape, new long[][] {index.strides(), dStr, oStr},
                new long[] {index.offset(), data.offset(), out.offset()},
                (offs, len, inner) -> {
                    if (dt == DType.FLOAT32 && ot == DType.FLOAT32) {
                        if (scatter) {
                            scatterAdd32(is, ds, os, offs, inner, len, oDim);
                        } else {
                            gather32(is, ds, os, offs, inner, len, dDim);
                        }
                        return;
                    }
                    for (long j = 0; j < len; j++) {
                        long ix = is.getAtIndex(I64, offs[0] + j * inner[0]);
                        long di = offs[1] + j * inner[1];
                        long oi = offs[2] + j * inner[2];
                        if (scatter) {
                            oi += ix * oDim;
                            set(os, ot, oi, get(os, ot, oi) + get(ds, dt, di));
                        } else {
                            di += ix * dDim;
                            set(os, ot, oi, get(ds, dt, di));
                        }
                    }
                });
    }

    // float32 runs in methods of their own, monomorphic: through the generic loop's dtype switches
    // a ResNet-18 hvp's max-pool scatter_add took 36 ms in 3 JVMs of 4 and 2.7 ms in the fourth
    // (KernelProfileProbe resnet18 hvp, 1 thread).

    /** out[offs2 + j*inner2 + index * oDim] += src[offs1 + j*inner1] for a run of len elements. */
    private static void scatterAdd32(MemorySegment is, MemorySegment ds, MemorySegment os, long[] offs, long[] inner,
            long len, long oDim) {
        long io = offs[0], d0 = offs[1], o0 = offs[2];
        long ii = inner[0], di = inner[1], oi = inner[2];
        for (long j = 0; j < len; j++) {
            long at = o0 + j * oi + is.getAtIndex(I64, io + j * ii) * oDim;
            os.setAtIndex(F32, at, os.getAtIndex(F32, at) + ds.getAtIndex(F32, d0 + j * di));
        }
    }

    /** out[offs2 + j*inner2] = x[offs1 + j*inner1 + index * dDim] for a run of len elements. */
    private static void gather32(MemorySegment is, MemorySegment ds, MemorySegment os, long[] offs, long[] inner,
            long len, long dDim) {
        long io = offs[0], d0 = offs[1], o0 = offs[2];
        long ii = inner[0], di = inner[1], oi = inner[2];
        for (long j = 0; j < len; j++) {
            os.setAtIndex(F32, o0 + j * oi, ds.getAtIndex(F32, d0 + j * di + is.getAtIndex(I64, io + j * ii) * dDim));
        }
    }
}
