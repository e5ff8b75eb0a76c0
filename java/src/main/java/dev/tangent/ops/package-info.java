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
 */
package dev.tangent.ops;
