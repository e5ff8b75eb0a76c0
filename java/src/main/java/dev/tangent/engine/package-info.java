/**
 * The engine under the API (layer L3, not exported): {@link dev.tangent.engine.Dispatch} applies a
 * primitive — forward mode (dual inputs split, rule or fused kernel, one predicate in
 * {@link dev.tangent.engine.Fusion}), then the plain computation ({@link dev.tangent.engine.Kernels}
 * and one class per family: checks, result shape and dtype, allocation, launch through
 * {@link dev.tangent.engine.Launch}, which holds the operands' storage while a kernel runs), then
 * the tape ({@link dev.tangent.engine.Node}; {@link dev.tangent.engine.Tape} is the one walk).
 * Linear layers with their epilogue ({@link dev.tangent.engine.Linear}, behind {@code F.linear})
 * run as one kernel per side where the backend has one; a recording merges such layers written op
 * by op ({@link dev.tangent.engine.EpilogueFusion}, from the {@link dev.tangent.engine.KernelInfo}
 * each launch reports).
 * Tensor state is reached through {@link dev.tangent.engine.TensorAccess} only.
 *
 * <p>May import: {@code dev.tangent}, {@code dev.tangent.autograd.GradMode},
 * {@code dev.tangent.backend}, {@code dev.tangent.ops}.
 */
package dev.tangent.engine;
