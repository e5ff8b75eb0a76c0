package dev.tangent.functional;

import dev.tangent.Tensor;
import dev.tangent.Value;
import java.util.List;
import java.util.function.Function;

/**
 * {@code torch.autograd.functional} in Java: {@link #jvp}, {@link #vjp}, {@link #jacobian},
 * {@link #hessian}, {@link #hvp} and {@link #vhp}, with PyTorch's contract — the same argument
 * checks and errors, {@code createGraph} and {@code strict} semantics, and results that keep the
 * structure of the function's inputs and outputs (a {@link Tensor} stays a Tensor, a {@link Tuple}
 * stays a Tuple).
 *
 * <p>{@code jvp} runs in true forward mode by default ({@link JvpStrategy#FORWARD_MODE}); PyTorch's
 * double-backward trick is available as {@link JvpStrategy#DOUBLE_BACKWARD} and gives the same
 * result.
 *
 * <p>The argument handling is in {@code Args}, the forward-mode computations in {@code Forward} and
 * the reverse-mode ones in {@code Reverse}; this class is the API.
 *
 * <p>Thread safety: every method may be called from many threads at once; each call uses only
 * its own tensors and per-thread state.
 */
public final class Functional {
    private Functional() {}

    // ================================================================ jvp

    /** {@code jvp(func, inputs, v)}: forward mode, no graph, not strict. */
    public static <I extends Value, O extends Value> JvpResult<O> jvp(Function<I, O> func, I inputs, I v) {
        return jvp(func, inputs, v, false, false, JvpStrategy.FORWARD_MODE);
    }

    /** {@code jvp(func, inputs, v, create_graph, strict)} in forward mode. */
    public static <I extends Value, O extends Value> JvpResult<O> jvp(Function<I, O> func, I inputs, I v,
            boolean createGraph, boolean strict) {
        return jvp(func, inputs, v, createGraph, strict, JvpStrategy.FORWARD_MODE);
    }

    /**
     * The Jacobian of {@code func} at {@code inputs} times {@code v}.
     *
     * @param func        a function of a Tensor or a Tuple of Tensors, returning a Tensor or a Tuple of Tensors
     * @param inputs      where to evaluate
     * @param v           the tangent, shaped like inputs; may be null only for a single one-element input (ones)
     * @param createGraph make the results differentiable with respect to the inputs (second order)
     * @param strict      throw when an output does not depend on the inputs, or an input on no output
     * @param strategy    forward mode (default) or PyTorch's double-backward trick
     * @return the output and the jvp, each shaped like the output
     * @throws FunctionalException for the errors PyTorch raises (see {@link FunctionalException.Kind})
     */
    public static <I extends Value, O extends Value> JvpResult<O> jvp(Function<I, O> func, I inputs, I v,
            boolean createGraph, boolean strict, JvpStrategy strategy) {
        Args in = Args.inputs(inputs, "inputs", "jvp");
        List<Tensor> vs = Args.validateV(v, in, "jvp");
        return strategy == JvpStrategy.DOUBLE_BACKWARD
                ? Reverse.jvpDoubleBackward(func, in, vs, createGraph, strict)
                : Forward.jvpForward(func, in, vs, createGraph, strict);
    }

    // ================================================================ vjp

    /** {@code vjp(func, inputs, v)}: no graph, not strict. */
    public static <I extends Value, O extends Value> VjpResult<I, O> vjp(Function<I, O> func, I inputs, O v) {
        return vjp(func, inputs, v, false, false);
    }

    /**
     * The vector-Jacobian product vᵀ·J of {@code func} at {@code inputs}.
     *
     * @param v shaped like the output; null only when the output is a single one-element tensor
     */
    public static <I extends Value, O extends Value> VjpResult<I, O> vjp(Function<I, O> func, I inputs, O v,
            boolean createGraph, boolean strict) {
        return Reverse.vjp(func, inputs, v, createGraph, strict);
    }

    // ================================================================ jacobian

    /** {@code jacobian(func, inputs)}: reverse mode, no graph, not strict. */
    public static <I extends Value> Value jacobian(Function<I, ? extends Value> func, I inputs) {
        return jacobian(func, inputs, false, false, false, JacobianStrategy.REVERSE_MODE);
    }

    /**
     * The Jacobian of {@code func} at {@code inputs}. For output i of shape Sᵢ and input j of shape
     * Tⱼ, entry (i, j) has shape Sᵢ + Tⱼ. The result is a Tensor for a single output and single
     * input, a Tuple over inputs (single output), a Tuple over outputs (single input), else a Tuple
     * over outputs of Tuples over inputs — exactly as PyTorch nests it.
     *
     * @param vectorize accepted for PyTorch compatibility (results are identical either way); the
     *                  forward-mode strategy requires it, as in PyTorch
     */
    public static <I extends Value> Value jacobian(Function<I, ? extends Value> func, I inputs, boolean createGraph,
            boolean strict, boolean vectorize, JacobianStrategy strategy) {
        return Reverse.jacobian(func, inputs, createGraph, strict, vectorize, strategy);
    }

    // ================================================================ hessian, hvp, vhp

    /** {@code hessian(func, inputs)}: no graph, not strict. */
    public static <I extends Value> Value hessian(Function<I, Tensor> func, I inputs) {
        return hessian(func, inputs, false, false);
    }

    /**
     * The Hessian of a function returning a single one-element tensor: a Tensor of shape
     * {@code x.shape + x.shape} for a single input, else a Tuple of Tuples (entry (i, j) of shape
     * {@code xi.shape + xj.shape}), as PyTorch returns it.
     */
    public static <I extends Value> Value hessian(Function<I, Tensor> func, I inputs, boolean createGraph,
            boolean strict) {
        return Reverse.hessian(func, inputs, createGraph, strict, false, JacobianStrategy.REVERSE_MODE);
    }

    /**
     * {@code hessian(func, inputs, create_graph, strict, vectorize, outer_jacobian_strategy)}: the
     * Jacobian of the gradient, the outer Jacobian in reverse mode (reverse over reverse) or in
     * forward mode ({@link JacobianStrategy#FORWARD_MODE}: forward over reverse, JAX's default;
     * needs {@code vectorize}, not with {@code strict}, as in PyTorch).
     */
    public static <I extends Value> Value hessian(Function<I, Tensor> func, I inputs, boolean createGraph,
            boolean strict, boolean vectorize, JacobianStrategy outerJacobianStrategy) {
        return Reverse.hessian(func, inputs, createGraph, strict, vectorize, outerJacobianStrategy);
    }

    /** {@code vhp(func, inputs, v)}: vᵀ·H, no graph, not strict. */
    public static <I extends Value> HvpResult<I> vhp(Function<I, Tensor> func, I inputs, I v) {
        return vhp(func, inputs, v, false, false);
    }

    /** vᵀ·H of a function returning a single one-element tensor. */
    public static <I extends Value> HvpResult<I> vhp(Function<I, Tensor> func, I inputs, I v, boolean createGraph,
            boolean strict) {
        return Reverse.secondOrder(func, inputs, v, createGraph, strict, "vhp");
    }

    /** vᵀ·H by the chosen strategy (the Hessian is symmetric: the same as H·v). */
    public static <I extends Value> HvpResult<I> vhp(Function<I, Tensor> func, I inputs, I v, boolean createGraph,
            boolean strict, HvpStrategy strategy) {
        return strategy == HvpStrategy.FORWARD_OVER_REVERSE
                ? Reverse.forwardOverReverse(func, inputs, v, createGraph, strict, "vhp")
                : Reverse.secondOrder(func, inputs, v, createGraph, strict, "vhp");
    }

    /** {@code hvp(func, inputs, v)}: H·v, no graph, not strict. */
    public static <I extends Value> HvpResult<I> hvp(Function<I, Tensor> func, I inputs, I v) {
        return hvp(func, inputs, v, false, false);
    }

    /**
     * H·v of a function returning a single one-element tensor. The Hessian of a twice
     * differentiable function is symmetric, so this equals {@link #vhp}; it is computed the same way.
     */
    public static <I extends Value> HvpResult<I> hvp(Function<I, Tensor> func, I inputs, I v, boolean createGraph,
            boolean strict) {
        return Reverse.secondOrder(func, inputs, v, createGraph, strict, "hvp");
    }

    /**
     * H·v by the chosen strategy: {@link HvpStrategy#REVERSE_OVER_REVERSE} (the default, PyTorch's)
     * or {@link HvpStrategy#FORWARD_OVER_REVERSE} (the jvp of the gradient: one forward-mode pass
     * over one reverse pass). Both give the same result.
     */
    public static <I extends Value> HvpResult<I> hvp(Function<I, Tensor> func, I inputs, I v, boolean createGraph,
            boolean strict, HvpStrategy strategy) {
        return strategy == HvpStrategy.FORWARD_OVER_REVERSE
                ? Reverse.forwardOverReverse(func, inputs, v, createGraph, strict, "hvp")
                : Reverse.secondOrder(func, inputs, v, createGraph, strict, "hvp");
    }

}
