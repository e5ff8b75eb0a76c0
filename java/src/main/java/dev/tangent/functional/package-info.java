/**
 * {@code torch.autograd.functional} and {@code torch.func} in Java (layer L4): argument handling
 * and typed results only — {@code Args} (structure and checks), {@code Forward} (jvp by dual
 * numbers, forward-mode Jacobian), {@code Reverse} (double-backward jvp, vjp, Jacobian, Hessian,
 * hvp, vhp), compiled plans ({@link dev.tangent.functional.JvpPlan}), linearize and gradcheck.
 *
 * <p>May import only the public API: {@code dev.tangent} and {@code dev.tangent.autograd} — never
 * {@code engine}, {@code backend} or {@code ops} (checked by {@code LayeringTest}).
 */
package dev.tangent.functional;
