/**
 * The building blocks of models (layer L3, exported): {@link dev.tangent.nn.F}, Java's
 * {@code torch.nn.functional} — convolution, pooling, normalisation, embedding, linear, dropout,
 * attention, activations and losses — with PyTorch's names, argument order and defaults. Each
 * function is a primitive ({@code conv2d}, the pooling primitives) or a composition of Tensor
 * operations, so jvp, vjp and higher derivatives work through all of them.
 *
 * <p>May import: {@code dev.tangent}, and for its primitives {@code dev.tangent.engine} and
 * {@code dev.tangent.ops}.
 */
package dev.tangent.nn;
