package dev.tangent.engine;

import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * What an element-wise kernel computes, told to a recording alongside its {@link Runnable}
 * ({@link Launch.Listener}): the primitive, its attributes and the operands, so a recording can
 * run the same backend call over a block of the elements ({@link #run}) instead of all of them
 * (cache-sized chunks: {@link ChunkedChain}). Operands are positional; {@code null} is an absent
 * tangent. A full {@code SUM} reduction is described too: over a block it writes a partial sum.
 */
public final class Elementwise {
    /** The backend call. */
    public enum Kind {
        /** {@code unary(prim, attrs, x, out)}: ins {x}, outs {out}. */
        UNARY,
        /** {@code unaryJvp(prim, attrs, x, t, y, ty)}: ins {x, t}, outs {y, ty}. */
        UNARY_JVP,
        /** {@code binary(prim, a, b, out)} (also comparisons): ins {a, b}, outs {out}. */
        BINARY,
        /** {@code binaryJvp(prim, a, ta, b, tb, c, tc)}: ins {a, ta, b, tb}, outs {c, tc}. */
        BINARY_JVP,
        /** {@code reduce(SUM, x, out)} over every element: ins {x}, outs {out} (one element). */
        SUM
    }

    private final Kind kind;
    private final Prim prim;
    private final Attrs.Scalars attrs;
    private final Operand[] ins;
    private final Operand[] outs;

    private Elementwise(Kind kind, Prim prim, Attrs.Scalars attrs, Operand[] ins, Operand[] outs) {
        this.kind = kind;
        this.prim = prim;
        this.attrs = attrs;
        this.ins = ins;
        this.outs = outs;
    }

    static Elementwise unary(Prim p, Attrs.Scalars a, Operand x, Operand out) {
        return new Elementwise(Kind.UNARY, p, a, new Operand[] {x}, new Operand[] {out});
    }

    static Elementwise unaryJvp(Prim p, Attrs.Scalars a, Operand x, Operand t, Operand y, Operand ty) {
        return new Elementwise(Kind.UNARY_JVP, p, a, new Operand[] {x, t}, new Operand[] {y, ty});
    }

    static Elementwise binary(Prim p, Operand a, Operand b, Operand out) {
        return new Elementwise(Kind.BINARY, p, Attrs.Scalars.NONE, new Operand[] {a, b}, new Operand[] {out});
    }

    static Elementwise binaryJvp(Prim p, Operand a, Operand ta, Operand b, Operand tb, Operand c, Operand tc) {
        return new Elementwise(Kind.BINARY_JVP, p, Attrs.Scalars.NONE, new Operand[] {a, ta, b, tb},
                new Operand[] {c, tc});
    }

    /** A SUM of every element of x into out, or null when the reduction keeps a dim or is not floating point. */
    static Elementwise sum(Operand x, Operand out) {
        if (out.numel() != 1 || !x.dtype().isFloatingPoint() || out.dtype() != x.dtype()) {
            return null;
        }
        return new Elementwise(Kind.SUM, Prim.SUM, Attrs.Scalars.NONE, new Operand[] {x}, new Operand[] {out});
    }

    public Kind kind() {
        return kind;
    }

    public Prim prim() {
        return prim;
    }

    /** The inputs as recorded (a copy; null entries are absent tangents). */
    public Operand[] ins() {
        return ins.clone();
    }

    /** The outputs as recorded (a copy). */
    public Operand[] outs() {
        return outs.clone();
    }

    /** Elements the kernel runs over: those of its (first) output, or of its input for a SUM. */
    public long numel() {
        return kind == Kind.SUM ? ins[0].numel() : outs[0].numel();
    }

    /**
     * Whether input {@code i} may be passed unchanged to a block call: a 0-dim second operand of a
     * fused binary jvp (its shape is a suffix of every block's).
     */
    boolean fixedInput(int i) {
        return kind == Kind.BINARY_JVP && i >= 2 && ins[i] != null && ins[i].dim() == 0;
    }

    /**
     * Runs the same backend call on other operands of the same kinds (e.g. views of a block of the
     * elements); for a SUM, out receives the sum of x's elements. Throws when a fused kernel
     * declines operands that the recorded call accepted (nothing would be written).
     */
    public void run(Operand[] in, Operand[] out) {
        Operand first = in[0];
        switch (kind) {
            case UNARY -> first.backend().unary(prim, attrs, in[0], out[0]);
            case UNARY_JVP -> {
                if (!first.backend().unaryJvp(prim, attrs, in[0], in[1], out[0], out[1])) {
                    throw declined();
                }
            }
            case BINARY -> first.backend().binary(prim, in[0], in[1], out[0]);
            case BINARY_JVP -> {
                if (!first.backend().binaryJvp(prim, in[0], in[1], in[2], in[3], out[0], out[1])) {
                    throw declined();
                }
            }
            case SUM -> first.backend().reduce(Prim.SUM, in[0], out[0]);
        }
    }

    private IllegalStateException declined() {
        return new IllegalStateException(prim.opName() + ": the backend declined a block of a fused " + kind
                + " kernel it ran when the plan was recorded (" + outs[0].dtype().torchName() + ", "
                + outs[0].numel() + " elements); was the CPU configuration changed since?");
    }

    /** e.g. {@code unary_jvp sin} or {@code sum}. */
    @Override
    public String toString() {
        return kind == Kind.SUM ? "sum" : kind.name().toLowerCase(java.util.Locale.ROOT) + " " + prim.opName();
    }
}
