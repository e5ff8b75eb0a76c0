/**
 * The leaves (layer L1): the one list of primitives ({@link dev.tangent.ops.Prim}), their typed
 * attributes ({@link dev.tangent.ops.Attrs}, one record per family), shape arithmetic
 * ({@link dev.tangent.ops.Shapes}) and the element-wise math table
 * ({@link dev.tangent.ops.ElementwiseMath}: each unary primitive's f and its jvp, once).
 *
 * <p>Imports nothing from Tangent but {@code DType} and {@code Device}.
 *
 * <p><b>Adding a unary element-wise primitive</b> touches exactly these places:
 * <ol>
 *   <li>{@code Prim}: the constant (kind {@code UNARY});</li>
 *   <li>{@code ElementwiseMath}: its scalar function in {@code unary(...)} and its jvp formula in
 *       {@code jvp(...)} — the one rule stanza, used by the autograd rules and the Java kernels
 *       (add to {@code Algebra} any operation the formula needs that it lacks, in both algebras);</li>
 *   <li>{@code Tensor}: the one-line method;</li>
 *   <li>its kernels where they exist: CUDA — a {@code U_} code and its cases in
 *       {@code native/tg_ops.cuh} and the same code in {@code backend/cuda/CudaOpCodes} (the ABI
 *       test compares them); oneDNN — its eltwise algorithm in {@code DnnlAccelerator.unary}, if
 *       oneDNN has one and treats NaN/inf as PyTorch does;</li>
 *   <li>a {@code GradCheckTest} case (its coverage test fails for a primitive without one).</li>
 * </ol>
 *
 * <p><b>A composite primitive</b> ({@code Prim.isComposite()}: logsumexp, norm, var, std) is a
 * reduction whose value other primitives' kernels compute ({@code engine.CompositeKernels}, on plain
 * tensors with nothing recorded, so every backend and compiled plan runs it with no kernel of its
 * own) and whose derivatives are its own rules — PyTorch's formulas, written from the result
 * ({@code rules.ReductionRules}). A chain rule through the steps would overflow (or not) where
 * PyTorch's formula does not: logsumexp's vjp at [max, max] is 1 each from exp(x - result), not
 * 1/2. Adding one touches {@code Prim} (constant, attrs, {@code isComposite}), its steps in
 * {@code CompositeKernels}, its rules, the Tensor method, a {@code GradCheckTest} case and rows of
 * the non-finite table ({@code gen_table.py}).
 */
package dev.tangent.ops;
