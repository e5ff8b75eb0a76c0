package dev.tangent.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * What {@link DjlFunctional#hvp} and {@link DjlFunctional#vhp} return.
 *
 * @param output  f(inputs), a one-element array
 * @param product H·v (hvp) or vᵀ·H (vhp), one array per input
 */
public record NDHvpResult(NDArray output, NDList product) {}
