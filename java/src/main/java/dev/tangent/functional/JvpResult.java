package dev.tangent.functional;

import dev.tangent.Value;

/**
 * What {@code jvp} returns: the function's output and the Jacobian-vector product, both shaped
 * like the function's output (a Tensor stays a Tensor, a Tuple a Tuple).
 *
 * @param output f(inputs)
 * @param jvp    J(inputs) · v
 */
public record JvpResult<O extends Value>(O output, O jvp) {
}
