package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.bindings.dnnl.dnnl_h.*;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** oneDNN memory descriptors of operands, and the layout facts that decide what oneDNN can take. */
final class DnnlDescriptors {
    private DnnlDescriptors() {}

    static boolean f32(Operand... ts) {
        for (Operand t : ts) {
            if (t.dtype() != DType.FLOAT32) {
                return false;
            }
        }
        return true;
    }

    /** Whether a float32 operand holds a NaN or an infinity (any layout). */
    static boolean hasNonFinite(Operand t) {
        MemorySegment seg = t.storage().segment();
        long[] shape = t.shape();
        long[] st = t.strides();
        long n = t.numel();
        long[] idx = new long[shape.length];
        long at = t.offset();
        for (long e = 0; e < n; e++) {
            if (!Float.isFinite(seg.getAtIndex(ValueLayout.JAVA_FLOAT, at))) {
                return true;
            }
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    at += st[d];
                    break;
                }
                at -= (shape[d] - 1) * st[d];
                idx[d] = 0;
            }
        }
        return false;
    }

    /**
     * Whether a float32 operand holds only finite values: for a contiguous one a single pass that
     * ORs {@code (bits & 0x7f800000) + 0x00800000} over the elements (bit 31 comes out set exactly
     * when some exponent is all ones: NaN or ±inf), a loop the JIT vectorises; else element by element.
     */
    static boolean allFinite(Operand t) {
        return t.isContiguous() ? contiguousFinite(t, false) : !hasNonFinite(t);
    }

    /**
     * Whether a contiguous float32 operand holds only finite values and no -0 (false for a strided
     * one): {@link #allFinite}'s pass, also ORing {@code (v - 1) & ~v} for {@code v = bits ^ 0x80000000},
     * whose bit 31 is set exactly when v is 0, the element -0.
     */
    static boolean finiteWithoutNegativeZero(Operand t) {
        return t.isContiguous() && contiguousFinite(t, true);
    }

    private static boolean contiguousFinite(Operand t, boolean noNegativeZero) {
        if (t.numel() == 0) {
            return true; // nothing to read (an empty view's offset may lie past its storage's end)
        }
        MemorySegment seg = t.storage().segment().asSlice(t.byteOffset(), t.numel() * Float.BYTES);
        long n = t.numel();
        int acc = 0;
        for (long from = 0; from < n; from += 1 << 20) {
            int len = (int) Math.min(1 << 20, n - from);
            MemorySegment chunk = seg.asSlice(from * Float.BYTES, (long) len * Float.BYTES);
            if (noNegativeZero) {
                for (int i = 0; i < len; i++) {
                    int b = chunk.getAtIndex(ValueLayout.JAVA_INT, i);
                    int v = b ^ 0x80000000;
                    acc |= ((b & 0x7f800000) + 0x00800000) | ((v - 1) & ~v);
                }
            } else {
                for (int i = 0; i < len; i++) {
                    acc |= (chunk.getAtIndex(ValueLayout.JAVA_INT, i) & 0x7f800000) + 0x00800000;
                }
            }
            if (acc < 0) {
                return false;
            }
        }
        return true;
    }

    static boolean isBroadcast(Operand t) {
        long[] s = t.shape();
        long[] st = t.strides();
        for (int i = 0; i < s.length; i++) {
            if (st[i] == 0 && s[i] > 1) {
                return true;
            }
        }
        return false;
    }

    /**
     * A plain memory descriptor. Size-1 dims get the stride a dense layout would give them, so that
     * oneDNN recognises plain formats (an odd stride on a size-1 dim sends it to slow reference code):
     * the extent of everything inside them, the largest stride x size of the inner dims. (Just the
     * next dim's stride x size is wrong for permuted views: it can equal another dim's stride, and
     * oneDNN then reads a different layout.)
     */
    static MemorySegment md(Arena arena, long[] dims, long[] strides) {
        int n = Math.max(dims.length, 1);
        long[] d = dims.length == 0 ? new long[] {1} : dims;
        long[] s = new long[n];
        for (int i = n - 1; i >= 0; i--) {
            if (dims.length == 0) {
                s[i] = 1;
            } else if (d[i] == 1) {
                long extent = 1;
                for (int j = i + 1; j < n; j++) {
                    extent = Math.max(extent, s[j] * Math.max(d[j], 1));
                }
                s[i] = extent;
            } else {
                s[i] = strides[i];
            }
        }
        MemorySegment out = arena.allocate(C_POINTER);
        Dnnl.check(dnnl_memory_desc_create_with_strides(out, n, arena.allocateFrom(ValueLayout.JAVA_LONG, d),
                dnnl_f32(), arena.allocateFrom(ValueLayout.JAVA_LONG, s)), "dnnl_memory_desc_create_with_strides");
        return out.get(C_POINTER, 0);
    }

    /** A float32 descriptor of {@code dims} whose layout the primitive chooses (format "any"). */
    static MemorySegment anyMd(Arena arena, long[] dims) {
        return tagMd(arena, dims, dnnl_format_tag_any());
    }

    /** A float32 descriptor of {@code dims} laid out as format tag {@code tag}. */
    static MemorySegment tagMd(Arena arena, long[] dims, int tag) {
        MemorySegment out = arena.allocate(C_POINTER);
        Dnnl.check(dnnl_memory_desc_create_with_tag(out, dims.length, arena.allocateFrom(ValueLayout.JAVA_LONG, dims),
                dnnl_f32(), tag), "dnnl_memory_desc_create_with_tag");
        return out.get(C_POINTER, 0);
    }

    /** True when a row or column dim is expanded (stride 0): oneDNN's matmul broadcasts batch dims only. */
    static boolean expandedMatrix(Operand t) {
        long[] s = t.shape();
        long[] st = t.strides();
        for (int i = Math.max(0, s.length - 2); i < s.length; i++) {
            if (st[i] == 0 && s[i] > 1) {
                return true;
            }
        }
        return false;
    }

    /** True when a batch dim is expanded in both operands: oneDNN wants dst's batch size in one of them. */
    static boolean expandedInBoth(Operand a, Operand b) {
        long[] da = a.shape();
        long[] db = b.shape();
        long[] sa = a.strides();
        long[] sb = b.strides();
        for (int i = 3; i <= Math.min(da.length, db.length); i++) { // batch dims, aligned from the right
            int ia = da.length - i;
            int ib = db.length - i;
            if ((da[ia] > 1 && sa[ia] == 0 || da[ia] == 1) && (db[ib] > 1 && sb[ib] == 0 || db[ib] == 1)
                    && Math.max(da[ia], db[ib]) > 1) {
                return true;
            }
        }
        return false;
    }

    /** A descriptor in which broadcast (stride-0) dims have size 1, as oneDNN expresses broadcasting. */
    static MemorySegment broadcastMd(Arena arena, Operand t) {
        long[] dims = t.shape().clone();
        long[] st = t.strides();
        for (int i = 0; i < dims.length; i++) {
            if (st[i] == 0) {
                dims[i] = 1;
            }
        }
        return md(arena, dims, st);
    }

}
