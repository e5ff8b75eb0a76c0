package dev.tangent.bench;

import dev.tangent.Tensor;

/**
 * A network written with dev.tangent.nn.F (see TangentResnet18, TangentEncoder). For ResNet-18
 * (piecewise linear in x) the Hessian of 0.5·‖f‖² is JᵀJ almost everywhere; for the encoder it has
 * second-order terms from softmax, LayerNorm and GELU as well.
 */
interface TangentNet {
    Tensor forward(Tensor x);

    /** 0.5·‖f(x)‖², the scalar whose Hessian the hvp benchmarks apply */
    default Tensor halfSquaredNorm(Tensor x) {
        return forward(x).square().sum().mul(0.5);
    }
}
