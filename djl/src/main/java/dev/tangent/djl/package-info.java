/**
 * Tangent for DJL users: {@link dev.tangent.djl.DjlFunctional} (jvp, vjp, jacobian, hessian, hvp, vhp
 * of a DJL {@code Block} or a {@code Function<NDList, NDList>}, PyTorch's contract),
 * {@link dev.tangent.djl.BlockFunction} (a block's forward as a function, optionally of its
 * parameters), {@link dev.tangent.djl.DjlJvpPlan} (a compiled jvp for serving) and
 * {@link dev.tangent.djl.Interop} (NDArray and Tensor over the same memory). The DJL engine itself
 * is in {@code dev.tangent.djl.engine}.
 */
package dev.tangent.djl;
