/**
 * The API (layer L3): {@link dev.tangent.Tensor} (state plus one-line ops; the work is in
 * package-private {@code Creation}, {@code Views}, {@code Reductions}, {@code Indexing},
 * {@code Linalg} and {@code Printer}), {@link dev.tangent.Scope}, {@link dev.tangent.Tuple},
 * {@link dev.tangent.Value}, {@link dev.tangent.DType}, {@link dev.tangent.Device} and
 * {@link dev.tangent.Tangent}'s settings.
 *
 * <p>May import: {@code dev.tangent.engine} (dispatch, the one recursion "rules are Tensor
 * programs"), {@code dev.tangent.autograd}, {@code dev.tangent.backend} (storage, allocation) and
 * {@code dev.tangent.ops}. {@code DType} and {@code Device} are layer-L1 classes: they import
 * nothing from Tangent but each other. Checked by {@code LayeringTest}.
 */
package dev.tangent;
