package dev.tangent.functional;

import dev.tangent.Value;

/**
 * What {@code vjp} returns: the function's output and the vector-Jacobian product, which is shaped
 * like the function's inputs.
 *
 * @param output f(inputs)
 * @param vjp    vᵀ · J(inputs)
 */
public record VjpResult<I extends Value, O extends Value>(O output, I vjp) {
}
