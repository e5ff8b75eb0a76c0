package dev.tangent.backend.cpu;

import static dev.tangent.backend.cpu.Elements.F32;
import static dev.tangent.backend.cpu.Elements.F64;
import static dev.tangent.backend.cpu.Elements.I64;
import static dev.tangent.backend.cpu.Elements.U8;
import static dev.tangent.backend.cpu.Elements.get;
import static dev.tangent.backend.cpu.Elements.set;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.ElementwiseMath;
import dev.tangent.ops.Prim;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import dev.tangent.ops.Shapes;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Element-wise kernels as Java loops over native memory: every dtype and layout. */
final class JavaElementwise {
    private JavaElementwise() {}

    static void unary(Prim op, Attrs.Scalars attrs, Operand x, Operand out) {
        if (x.dtype() == DType.INT64 && out.dtype() == DType.INT64 && unaryInt64(op, x, out)) {
            return;
        }
        DoubleUnaryOperator f = ElementwiseMath.unary(op, attrs, x.dtype());
        MemorySegment xs = x.storage().segment();
        MemorySegment os = out.storage().segment();
        DType xt = x.dtype();
        DType ot = out.dtype();
        long n = out.numel();
        if (x.isContiguous() && xt == ot) {
            long xo = x.offset();
            if (xt == DType.FLOAT32) {
                for (long i = 0; i < n; i++) {
                    os.setAtIndex(F32, i, (float) f.applyAsDouble(xs.getAtIndex(F32, xo + i)));
                }
                return;
            }
            if (xt == DType.FLOAT64) {
                for (long i = 0; i < n; i++) {
                    os.setAtIndex(F64, i, f.applyAsDouble(xs.getAtIndex(F64, xo + i)));
                }
                return;
            }
        }
        StridedLoop.forEach(out.shape(), new long[][] {x.strides(), out.strides()}, new long[] {x.offset(), 0},
                (offs, len, inner) -> {
                    if (xt == DType.FLOAT32 && ot == DType.FLOAT32) {
                        for (long j = 0; j < len; j++) {
                            os.setAtIndex(F32, offs[1] + j * inner[1],
                                    (float) f.applyAsDouble(xs.getAtIndex(F32, offs[0] + j * inner[0])));
                        }
                        return;
                    }
                    if (xt == DType.FLOAT64 && ot == DType.FLOAT64) {
                        for (long j = 0; j < len; j++) {
                            os.setAtIndex(F64, offs[1] + j * inner[1], f.applyAsDouble(xs.getAtIndex(F64, offs[0] + j * inner[0])));
                        }
                        return;
                    }
                    for (long j = 0; j < len; j++) {
                        set(os, ot, offs[1] + j * inner[1], f.applyAsDouble(get(xs, xt, offs[0] + j * inner[0])));
                    }
                });
    }

    /** int64 neg/abs/sign/square/relu in long arithmetic, wrapping as PyTorch (doubles round above 2^53). */
    private static boolean unaryInt64(Prim op, Operand x, Operand out) {
        java.util.function.LongUnaryOperator f = switch (op) {
            case NEG -> v -> -v;
            case ABS -> Math::abs;
            case SIGN -> Long::signum;
            case SQUARE -> v -> v * v;
            case RELU -> v -> Math.max(v, 0);
            default -> null;
        };
        if (f == null) {
            return false;
        }
        MemorySegment xs = x.storage().segment();
        MemorySegment os = out.storage().segment();
        StridedLoop.forEach(out.shape(), new long[][] {x.strides(), out.strides()}, new long[] {x.offset(), out.offset()},
                (offs, len, inner) -> {
                    for (long j = 0; j < len; j++) {
                        os.setAtIndex(I64, offs[1] + j * inner[1], f.applyAsLong(xs.getAtIndex(I64, offs[0] + j * inner[0])));
                    }
                });
        return true;
    }

    private static final int BLOCK = 512;

    /**
     * y = op(x) and ty = op'(x)·t in one pass, a block at a time: y by the scalar function, ty by
     * the same jvp formula the autograd rule uses ({@link ElementwiseMath#jvp}) on blocks.
     */
    static boolean unaryJvp(Prim op, Attrs.Scalars attrs, Operand x, Operand t, Operand y, Operand ty) {
        DType dt = x.dtype();
        if (!dt.isFloatingPoint() || t.dtype() != dt || !ElementwiseMath.hasTangent(op)) {
            return false;
        }
        DoubleUnaryOperator f = ElementwiseMath.unary(op, attrs, dt);
        boolean f32 = dt == DType.FLOAT32;
        MemorySegment xs = x.storage().segment();
        MemorySegment ts = t.storage().segment();
        MemorySegment ys = y.storage().segment();
        MemorySegment tys = ty.storage().segment();
        StridedLoop.forEach(y.shape(), new long[][] {x.strides(), t.strides(), y.strides()},
                new long[] {x.offset(), t.offset(), y.offset()},
                (offs, len, inner) -> {
                    for (long start = 0; start < len; start += BLOCK) {
                        int n = (int) Math.min(BLOCK, len - start);
                        double[] xb = new double[n];
                        double[] yb = new double[n];
                        double[] tb = new double[n];
                        for (int j = 0; j < n; j++) {
                            long k = start + j;
                            xb[j] = f32 ? xs.getAtIndex(F32, offs[0] + k * inner[0]) : xs.getAtIndex(F64, offs[0] + k * inner[0]);
                            tb[j] = f32 ? ts.getAtIndex(F32, offs[1] + k * inner[1]) : ts.getAtIndex(F64, offs[1] + k * inner[1]);
                            double v = f.applyAsDouble(xb[j]);
                            yb[j] = f32 ? (float) v : v; // the rule sees the stored (rounded) result
                        }
                        double[] tyb = ElementwiseMath.jvp(op, attrs, f32 ? BlockAlgebra.F32 : BlockAlgebra.INSTANCE, xb, yb, tb);
                        for (int j = 0; j < n; j++) {
                            long o = offs[2] + (start + j) * inner[2];
                            double d = tyb == null ? 0 : tyb[j];
                            if (f32) {
                                ys.setAtIndex(F32, o, (float) yb[j]);
                                tys.setAtIndex(F32, o, (float) d);
                            } else {
                                ys.setAtIndex(F64, o, yb[j]);
                                tys.setAtIndex(F64, o, d);
                            }
                        }
                    }
                });
        return true;
    }

    /** c = a op b and its tangent in one pass (see {@link dev.tangent.backend.Backend#binaryJvp}). */
    static boolean binaryJvp(Prim op, Operand a, Operand ta, Operand b, Operand tb, Operand c, Operand tc) {
        DType dt = c.dtype();
        long n = c.numel();
        long nb = b.numel();
        MemorySegment as = a.storage().segment();
        MemorySegment bs = b.storage().segment();
        MemorySegment cs = c.storage().segment();
        MemorySegment tcs = tc.storage().segment();
        MemorySegment tas = ta == null ? null : ta.storage().segment();
        MemorySegment tbs = tb == null ? null : tb.storage().segment();
        long ao = a.offset();
        long bo = b.offset();
        long tao = ta == null ? 0 : ta.offset();
        long tbo = tb == null ? 0 : tb.offset();
        for (long i = 0; i < n; i++) {
            long j = nb == n ? i : i % nb;
            double av = get(as, dt, ao + i);
            double bv = get(bs, dt, bo + j);
            double da = tas == null ? 0 : get(tas, dt, tao + i);
            double db = tbs == null ? 0 : get(tbs, dt, tbo + j);
            double cv;
            double dc;
            switch (op) {
                case ADD -> {
                    cv = av + bv;
                    dc = da + db;
                }
                case SUB -> {
                    cv = av - bv;
                    dc = da - db;
                }
                case MUL -> {
                    cv = av * bv;
                    // An absent tangent adds no term (not 0 * a, which is NaN where a is NaN/inf, nor a
                    // +0 that would turn a -0 term into +0), as in PyTorch.
                    dc = tas == null ? av * db : tbs == null ? da * bv : da * bv + av * db;
                }
                case DIV -> {
                    cv = av / bv;
                    double cr = dt == DType.FLOAT32 ? (float) cv : cv;
                    dc = tas == null ? -(db * cr / bv) : tbs == null ? da / bv : da / bv - db * cr / bv;
                }
                default -> throw new IllegalArgumentException("no fused jvp for " + op);
            }
            set(cs, dt, i, cv);
            set(tcs, dt, i, dc);
        }
        return true;
    }

    private static final long[] UNIT_STRIDES = {1, 1, 1};

    /**
     * {@code out = a op b} over one run of float32 elements for the four arithmetic ops, one loop per
     * op, in float: the same values as the double operator rounded to float (double has more than
     * 2·24 + 2 bits, so rounding twice cannot differ for + - * /). The generic loop calls a
     * {@code DoubleBinaryOperator} per element; where the JIT saw several ops there (megamorphic) it
     * cannot inline it, and the MLP's double-backward jvp ran 3x slower in some JVMs (a broadcast
     * {@code 1 - y²}, JMH forks of {@code mlp_tangentJvpDoubleBackward} at batch 64).
     * False for other ops.
     */
    private static boolean arithmetic32(Prim op, MemorySegment os, MemorySegment as, MemorySegment bs, long[] offs,
            long[] inner, long len) {
        long ao = offs[0];
        long bo = offs[1];
        long oo = offs[2];
        long ai = inner[0];
        long bi = inner[1];
        long oi = inner[2];
        switch (op) {
            case ADD -> {
                for (long j = 0; j < len; j++) {
                    os.setAtIndex(F32, oo + j * oi, as.getAtIndex(F32, ao + j * ai) + bs.getAtIndex(F32, bo + j * bi));
                }
            }
            case SUB -> {
                for (long j = 0; j < len; j++) {
                    os.setAtIndex(F32, oo + j * oi, as.getAtIndex(F32, ao + j * ai) - bs.getAtIndex(F32, bo + j * bi));
                }
            }
            case MUL -> {
                for (long j = 0; j < len; j++) {
                    os.setAtIndex(F32, oo + j * oi, as.getAtIndex(F32, ao + j * ai) * bs.getAtIndex(F32, bo + j * bi));
                }
            }
            case DIV -> {
                for (long j = 0; j < len; j++) {
                    os.setAtIndex(F32, oo + j * oi, as.getAtIndex(F32, ao + j * ai) / bs.getAtIndex(F32, bo + j * bi));
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    static void binary(Prim op, Operand a, Operand b, Operand out) {
        DoubleBinaryOperator f = ElementwiseMath.binary(op);
        MemorySegment as = a.storage().segment();
        MemorySegment bs = b.storage().segment();
        MemorySegment os = out.storage().segment();
        DType at = a.dtype();
        DType bt = b.dtype();
        DType ot = out.dtype();
        long n = out.numel();
        if (at == ot && bt == ot && a.isContiguous() && b.isContiguous()) {
            long ao = a.offset();
            long bo = b.offset();
            if (ot == DType.FLOAT32) {
                if (arithmetic32(op, os, as, bs, new long[] {ao, bo, 0}, UNIT_STRIDES, n)) {
                    return;
                }
                for (long i = 0; i < n; i++) {
                    os.setAtIndex(F32, i, (float) f.applyAsDouble(as.getAtIndex(F32, ao + i), bs.getAtIndex(F32, bo + i)));
                }
                return;
            }
            if (ot == DType.FLOAT64) {
                for (long i = 0; i < n; i++) {
                    os.setAtIndex(F64, i, f.applyAsDouble(as.getAtIndex(F64, ao + i), bs.getAtIndex(F64, bo + i)));
                }
                return;
            }
        }
        java.util.function.LongBinaryOperator exact = at == DType.INT64 && bt == DType.INT64 && ot == DType.INT64
                ? switch (op) {
                    case ADD -> Long::sum;
                    case SUB -> (x, y) -> x - y;
                    case MUL -> (x, y) -> x * y;
                    case MAXIMUM -> Math::max;
                    case MINIMUM -> Math::min;
                    default -> null;
                }
                : null;
        StridedLoop.forEach(out.shape(), new long[][] {a.strides(), b.strides(), out.strides()},
                new long[] {a.offset(), b.offset(), 0},
                (offs, len, inner) -> {
                    if (exact != null) {
                        // int64 arithmetic in long, as PyTorch: doubles would round values above 2^53.
                        for (long j = 0; j < len; j++) {
                            os.setAtIndex(I64, offs[2] + j * inner[2], exact.applyAsLong(
                                    as.getAtIndex(I64, offs[0] + j * inner[0]), bs.getAtIndex(I64, offs[1] + j * inner[1])));
                        }
                        return;
                    }
                    if (at == DType.FLOAT64 && bt == DType.FLOAT64 && ot == DType.FLOAT64) {
                        for (long j = 0; j < len; j++) {
                            os.setAtIndex(F64, offs[2] + j * inner[2], f.applyAsDouble(
                                    as.getAtIndex(F64, offs[0] + j * inner[0]), bs.getAtIndex(F64, offs[1] + j * inner[1])));
                        }
                        return;
                    }
                    if (at == DType.FLOAT32 && bt == DType.FLOAT32 && ot == DType.FLOAT32) {
                        if (arithmetic32(op, os, as, bs, offs, inner, len)) {
                            return;
                        }
                        for (long j = 0; j < len; j++) {
                            os.setAtIndex(F32, offs[2] + j * inner[2], (float) f.applyAsDouble(
                                    as.getAtIndex(F32, offs[0] + j * inner[0]), bs.getAtIndex(F32, offs[1] + j * inner[1])));
                        }
                        return;
                    }
                    if (at == DType.FLOAT32 && bt == DType.FLOAT32 && ot == DType.BOOL
                            && compare32(op, os, as, bs, offs, inner, len)) {
                        return;
                    }
                    for (long j = 0; j < len; j++) {
                        set(os, ot, offs[2] + j * inner[2], f.applyAsDouble(get(as, at, offs[0] + j * inner[0]),
                                get(bs, bt, offs[1] + j * inner[1])));
                    }
                });
    }

    /**
     * A float32 comparison into a bool mask, one loop per op (IEEE: false against NaN, except NE),
     * for a run of {@code len} elements at offsets {@code offs} and strides {@code inner} (a, b, out);
     * false for an op it does not cover. The generic loop converted each element to double and
     * back through a dtype switch: 1.1 ms for relu's [1, 64, 112, 112] mask ({@code y <= 0}) in a
     * ResNet-18 hvp.
     */
    private static boolean compare32(Prim op, MemorySegment os, MemorySegment as, MemorySegment bs, long[] offs,
            long[] inner, long len) {
        long ao = offs[0], bo = offs[1], oo = offs[2];
        long ai = inner[0], bi = inner[1], oi = inner[2];
        switch (op) {
            case LE -> {
                for (long j = 0; j < len; j++) {
                    os.set(U8, oo + j * oi, as.getAtIndex(F32, ao + j * ai) <= bs.getAtIndex(F32, bo + j * bi) ? (byte) 1 : 0);
                }
            }
            case LT -> {
                for (long j = 0; j < len; j++) {
                    os.set(U8, oo + j * oi, as.getAtIndex(F32, ao + j * ai) < bs.getAtIndex(F32, bo + j * bi) ? (byte) 1 : 0);
                }
            }
            case GE -> {
                for (long j = 0; j < len; j++) {
                    os.set(U8, oo + j * oi, as.getAtIndex(F32, ao + j * ai) >= bs.getAtIndex(F32, bo + j * bi) ? (byte) 1 : 0);
                }
            }
            case GT -> {
                for (long j = 0; j < len; j++) {
                    os.set(U8, oo + j * oi, as.getAtIndex(F32, ao + j * ai) > bs.getAtIndex(F32, bo + j * bi) ? (byte) 1 : 0);
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    static void where(Operand mask, Operand a, Operand b, Operand out) {
        MemorySegment ms = mask.storage().segment();
        MemorySegment as = a.storage().segment();
        MemorySegment bs = b.storage().segment();
        MemorySegment os = out.storage().segment();
        DType at = a.dtype();
        DType bt = b.dtype();
        DType ot = out.dtype();
        StridedLoop.forEach(out.shape(), new long[][] {mask.strides(), a.strides(), b.strides(), out.strides()},
                new long[] {mask.offset(), a.offset(), b.offset(), 0},
                (offs, len, inner) -> {
                    if (at == DType.FLOAT32 && bt == DType.FLOAT32 && ot == DType.FLOAT32) {
                        // float32 throughout: no round trip through double and a dtype switch per element
                        long mo = offs[0], ao = offs[1], bo = offs[2], oo = offs[3];
                        long mi = inner[0], ai = inner[1], bi = inner[2], oi = inner[3];
                        if (mi == 1 && oi == 1 && bi == 1 && ai == 0) {
                            // where(mask, scalar, b), dense: relu's rules (the scalar 0) take this one
                            float c = as.getAtIndex(F32, ao);
                            for (long j = 0; j < len; j++) {
                                float v = bs.getAtIndex(F32, bo + j);
                                os.setAtIndex(F32, oo + j, ms.get(U8, mo + j) != 0 ? c : v);
                            }
                            return;
                        }
                        for (long j = 0; j < len; j++) {
                            float v = ms.get(U8, mo + j * mi) != 0 ? as.getAtIndex(F32, ao + j * ai) : bs.getAtIndex(F32, bo + j * bi);
                            os.setAtIndex(F32, oo + j * oi, v);
                        }
                        return;
                    }
                    for (long j = 0; j < len; j++) {
                        boolean m = ms.get(U8, offs[0] + j * inner[0]) != 0;
                        double v = m ? get(as, at, offs[1] + j * inner[1]) : get(bs, bt, offs[2] + j * inner[2]);
                        set(os, ot, offs[3] + j * inner[3], v);
                    }
                });
    }

    static void copy(Operand src, Operand dst) {
        if (dst.numel() == 0) {
            return; // an empty view may sit at an offset past the end of an empty storage
        }
        MemorySegment s = src.storage().segment();
        MemorySegment d = dst.storage().segment();
        DType srcT = src.dtype();
        DType dstT = dst.dtype();
        if (srcT == dstT && src.isContiguous() && dst.isContiguous()) {
            long bytes = src.numel() * srcT.byteSize();
            MemorySegment.copy(s, src.offset() * srcT.byteSize(), d, dst.offset() * dstT.byteSize(), bytes);
            return;
        }
        if (srcT == dstT) {
            copyBits(src, dst, s, d, srcT.byteSize());
            return;
        }
        boolean longs = srcT == DType.INT64 && dstT == DType.INT64;
        StridedLoop.forEach(dst.shape(), new long[][] {src.strides(), dst.strides()},
                new long[] {src.offset(), dst.offset()},
                (offs, len, inner) -> {
                    if (longs) {
                        // Not through double: int64 values above 2^53 must survive a strided copy.
                        for (long j = 0; j < len; j++) {
                            d.setAtIndex(I64, offs[1] + j * inner[1], s.getAtIndex(I64, offs[0] + j * inner[0]));
                        }
                        return;
                    }
                    for (long j = 0; j < len; j++) {
                        set(d, dstT, offs[1] + j * inner[1], get(s, srcT, offs[0] + j * inner[0]));
                    }
                });
    }

    /**
     * A strided copy between operands of one dtype, element bits unchanged (NaN payloads and int64
     * values above 2^53 included): rows contiguous on both sides as one block copy, others element
     * by element as integers of the element's width (8, 4 or 1 bytes).
     */
    private static void copyBits(Operand src, Operand dst, MemorySegment s, MemorySegment d, int bs) {
        long[] shape = dst.shape();
        long[] ss = src.strides();
        long[] ds = dst.strides();
        int team = dev.tangent.backend.ThreadBudget.granted();
        if (shape.length > 1 && team > 1 && shape[0] > 1) {
            // Split over the outermost dim: each part is a copy of rows [from, to) of it.
            long rowElements = dst.numel() / shape[0];
            long rowsPerChunk = Math.max(1, CpuTeam.CHUNK / Math.max(1, rowElements));
            CpuTeam.forRange(team, shape[0], rowsPerChunk, (from, to) -> {
                long[] sh = shape.clone();
                sh[0] = to - from;
                copyRows(sh, ss, ds, src.offset() + from * ss[0], dst.offset() + from * ds[0], s, d, bs);
            });
            return;
        }
        copyRows(shape, ss, ds, src.offset(), dst.offset(), s, d, bs);
    }

    private static void copyRows(long[] shape, long[] ss, long[] ds, long srcOffset, long dstOffset,
            MemorySegment s, MemorySegment d, int bs) {
        StridedLoop.forEach(shape, new long[][] {ss, ds}, new long[] {srcOffset, dstOffset},
                (offs, len, inner) -> {
                    long a = offs[0];
                    long b = offs[1];
                    long sa = inner[0];
                    long sb = inner[1];
                    if (sa == 1 && sb == 1) {
                        MemorySegment.copy(s, a * bs, d, b * bs, len * bs);
                        return;
                    }
                    switch (bs) {
                        case 4 -> {
                            for (long j = 0; j < len; j++) {
                                d.setAtIndex(ValueLayout.JAVA_INT, b + j * sb, s.getAtIndex(ValueLayout.JAVA_INT, a + j * sa));
                            }
                        }
                        case 8 -> {
                            for (long j = 0; j < len; j++) {
                                d.setAtIndex(ValueLayout.JAVA_LONG, b + j * sb, s.getAtIndex(ValueLayout.JAVA_LONG, a + j * sa));
                            }
                        }
                        default -> { // one-byte elements (bool)
                            for (long j = 0; j < len; j++) {
                                d.set(ValueLayout.JAVA_BYTE, b + j * sb, s.get(ValueLayout.JAVA_BYTE, a + j * sa));
                            }
                        }
                    }
                });
    }

    static void fill(Operand out, double value) {
        MemorySegment o = out.storage().segment();
        long n = out.numel();
        DType dt = out.dtype();
        long off = out.offset();
        if (value == 0 && out.isContiguous()) {
            o.asSlice(off * dt.byteSize(), n * dt.byteSize()).fill((byte) 0);
            return;
        }
        for (long i = 0; i < n; i++) {
            set(o, dt, off + i, value);
        }
    }
}
