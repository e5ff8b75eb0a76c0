package dev.tangent;

/**
 * What a differentiable function takes and returns: a single {@link Tensor} or a {@link Tuple}
 * of values. Mirrors PyTorch, where a function's inputs and outputs are a tensor or a tuple of
 * tensors and the functional API keeps that structure in its results.
 */
public sealed interface Value permits Tensor, Tuple {
}
