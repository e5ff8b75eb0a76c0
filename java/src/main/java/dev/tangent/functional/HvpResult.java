package dev.tangent.functional;

import dev.tangent.Tensor;
import dev.tangent.Value;

/**
 * What {@code hvp} and {@code vhp} return: the (one-element) output and the product of the Hessian
 * with v, shaped like the inputs.
 *
 * @param output f(inputs)
 * @param product H · v (hvp) or vᵀ · H (vhp)
 */
public record HvpResult<I extends Value>(Tensor output, I product) {
}
