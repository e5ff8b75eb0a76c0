package dev.tangent.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/** A network built from DJL ops with every derivative the benchmarks time (see DjlResnet18, DjlEncoder). */
interface DjlNet {
    NDArray forward(NDArray x);

    /** [f(x), J·v], tangents propagated by hand */
    NDList jvpByHand(NDArray x, NDArray v);

    /** [f(x), J·v] by PyTorch's double-backward trick */
    NDList jvpDoubleBackward(NDArray x, NDArray v);

    /** [f(x), Jᵀ·u], one backward */
    NDList vjp(NDArray x, NDArray u);

    /** [s(x), H·v] of s(x) = 0.5·‖f(x)‖², double backward */
    NDList hvp(NDArray x, NDArray v);
}
