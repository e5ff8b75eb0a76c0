package dev.tangent.nn;

import dev.tangent.Tensor;

/**
 * {@code batch_norm} in training mode: the normalised output and the running statistics updated
 * with this batch's (new tensors: tensors are immutable), null where none were given.
 */
public record BatchNormResult(Tensor output, Tensor runningMean, Tensor runningVar) {}
