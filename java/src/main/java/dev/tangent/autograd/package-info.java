/**
 * Differentiation API (layer L3): reverse mode ({@link dev.tangent.autograd.Autograd},
 * {@link dev.tangent.autograd.GradMode}), forward mode as its own module
 * ({@link dev.tangent.autograd.ForwardAD}: levels, make/unpack dual), and
 * {@link dev.tangent.autograd.Recording} (record a computation's kernels once, replay them on new
 * values: what plans and linearize are built on).
 *
 * <p>May import: {@code dev.tangent}, {@code dev.tangent.engine}, {@code dev.tangent.backend}. The
 * tape, dispatch and rules themselves are in {@code dev.tangent.engine}.
 */
package dev.tangent.autograd;
