package dev.tangent.djl;

import ai.djl.ndarray.NDList;

/**
 * What {@link DjlFunctional#jvp} returns: the function's outputs and J·v, each an {@link NDList} with
 * one array per output of the function, in the caller's manager.
 *
 * @param output f(inputs)
 * @param jvp    J(inputs) · v
 */
public record NDJvpResult(NDList output, NDList jvp) {}
