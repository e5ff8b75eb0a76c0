package dev.tangent.djl;

import ai.djl.ndarray.NDList;

/**
 * What {@link DjlFunctional#vjp} returns: the function's outputs and vᵀ·J (one array per input).
 *
 * @param output f(inputs), one array per output
 * @param vjp    vᵀ · J(inputs), one array per input
 */
public record NDVjpResult(NDList output, NDList vjp) {}
