/**
 * The derivative rules, one class per op family with each primitive's jvp and vjp side by side
 * (as PyTorch's derivatives.yaml and JAX's lax.py keep them), written in Tensor operations so that
 * they can be differentiated again. {@link dev.tangent.engine.rules.Rules} is the table. Unary
 * element-wise formulas are not written here but once in {@link dev.tangent.ops.ElementwiseMath}
 * (shared with the Java kernels), evaluated on tensors by {@code TensorAlgebra}.
 *
 * <p>May import: {@code dev.tangent}, {@code dev.tangent.engine}, {@code dev.tangent.ops}.
 */
package dev.tangent.engine.rules;
