package dev.tangent.backend.cpu;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * Native kernels the CPU backend offers work to first (oneDNN). Each method returns true when it
 * computed the result, false to let the Java kernel do it (unsupported dtype, layout or a size
 * below the measured cut-over). Arguments are as in {@link dev.tangent.backend.Backend}.
 */
public interface CpuAccelerator {
    boolean unary(Prim op, Attrs.Scalars attrs, Operand x, Operand out);

    boolean binary(Prim op, Operand a, Operand b, Operand out);

    /** y = op(x), ty = op'(x)·t (see {@link dev.tangent.backend.Backend#unaryJvp}). */
    default boolean unaryJvp(Prim op, Attrs.Scalars attrs, Operand x, Operand t, Operand y, Operand ty) {
        return false;
    }

    /**
     * True when this accelerator's separate element-wise kernels take {@code n} elements of
     * {@code dtype}; a fused one-pass Java loop is then slower than them.
     */
    default boolean takesElementwise(DType dtype, long n) {
        return false;
    }

    boolean reduce(Prim op, Operand x, Operand out);

    boolean softmax(Prim op, Operand x, int dim, Operand out);

    boolean matmul(Operand a, Operand b, Operand out);

    /**
     * {@code out = act(x W + bias) ⊙ scale} as one matmul with its epilogue (bias, act and scale
     * each optional, null when absent): x [M, K] and W [K, N] possibly strided, bias as in
     * {@link dev.tangent.backend.Backend#linear}, scale and out [M, N] contiguous. False when not
     * taken (below the cut-over, an activation whose values would not be PyTorch's, unimplemented).
     */
    default boolean linear(Operand x, Operand w, Operand bias, Prim act, Operand scale, Operand out) {
        return false;
    }

    /**
     * {@code s = act'(z)} from {@code y = act(z)} in one pass: {@code 1 - y²} for TANH,
     * {@code y (1 - y)} for SIGMOID (PyTorch's factors); y and s contiguous. False when not taken.
     */
    default boolean activationSlope(Prim act, Operand y, Operand s) {
        return false;
    }

    /** conv2d (see {@link dev.tangent.backend.Backend#conv2d}); false: the Java kernel runs. */
    default boolean conv2d(Attrs.Conv a, Operand x, Operand w, Operand out) {
        return false;
    }

    default boolean conv2dInputGrad(Attrs.Conv a, Operand g, Operand w, Operand gx) {
        return false;
    }

    default boolean conv2dWeightGrad(Attrs.Conv a, Operand x, Operand g, Operand gw) {
        return false;
    }

    default boolean maxPool2d(Attrs.Pool a, Operand x, Operand out, Operand indices) {
        return false;
    }

    default boolean avgPool2d(Attrs.Pool a, Operand x, Operand out) {
        return false;
    }

    default boolean avgPool2dGrad(Attrs.Pool a, Operand g, Operand gx) {
        return false;
    }

    /** Normalisation (see {@link dev.tangent.backend.Backend#norm}); false: the Java kernel runs. */
    default boolean norm(Prim op, Attrs a, Operand[] in, Operand out) {
        return false;
    }

    /** A one-line description (library, version, ISA) for logs and reports. */
    String description();
}
