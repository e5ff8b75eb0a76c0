/**
 * Kernels on buffers (layer L2, not exported): the {@link dev.tangent.backend.Backend} contract on
 * {@link dev.tangent.backend.Operand}s (storage, dtype, shape, strides, offset) with typed
 * attributes, {@link dev.tangent.backend.Storage} (closed once, freed when no kernel holds it),
 * {@link dev.tangent.backend.NativeMemory}, the one host round trip
 * ({@link dev.tangent.backend.HostRoundTrip}) and {@link dev.tangent.backend.Backends} (backend per
 * device, CPU thread count). Every native status becomes a Java exception at its call site.
 *
 * <p>May import: {@code dev.tangent.ops}, {@code DType}, {@code Device}, the bindings — never
 * {@code Tensor}, {@code Scope}, {@code Tangent}, {@code autograd}, {@code engine} or
 * {@code functional} (checked by {@code LayeringTest}).
 */
package dev.tangent.backend;
