package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

/**
 * The MLP workload f(x) = tanh(tanh(x·W1 + b1)·W2 + b2)·W3 + b3, 784→1024→1024→10, float32, and
 * every way DJL users get its derivatives today. Weights are created once; each method allocates
 * only temporaries, which the caller frees (the benchmarks wrap each call in an NDScope).
 *
 * <p>All jvp variants return {@code [f(x), J(x)·v]}, the pair PyTorch's functional.jvp returns.
 */
final class DjlMlp {
    static final int IN = 784;
    static final int HIDDEN = 1024;
    static final int OUT = 10;
    /** Forward-difference step: about sqrt(float32 eps) for inputs and tangents of unit scale. */
    static final float FD_STEP = 1e-3f;

    private final Engine engine;
    private final NDArray w1, b1, w2, b2, w3, b3;

    DjlMlp(Engine engine, NDManager manager, long seed) {
        this(engine, manager, seed, false);
    }

    /**
     * @param weightsRequireGrad true makes the weights leaves that require grad, as the parameters of
     *     a DJL Block in training mode are; backward then also fills (and, with create_graph, leaks)
     *     their .grad.
     */
    DjlMlp(Engine engine, NDManager manager, long seed, boolean weightsRequireGrad) {
        this.engine = engine;
        // Glorot-like scale keeps tanh out of saturation, so derivatives are not trivially zero.
        w1 = DjlRuntime.gaussian(manager, seed + 1, (float) (1 / Math.sqrt(IN)), IN, HIDDEN);
        b1 = DjlRuntime.gaussian(manager, seed + 2, 0.1f, HIDDEN);
        w2 = DjlRuntime.gaussian(manager, seed + 3, (float) (1 / Math.sqrt(HIDDEN)), HIDDEN, HIDDEN);
        b2 = DjlRuntime.gaussian(manager, seed + 4, 0.1f, HIDDEN);
        w3 = DjlRuntime.gaussian(manager, seed + 5, (float) (1 / Math.sqrt(HIDDEN)), HIDDEN, OUT);
        b3 = DjlRuntime.gaussian(manager, seed + 6, 0.1f, OUT);
        if (weightsRequireGrad) {
            for (NDArray w : new NDArray[] {w1, b1, w2, b2, w3, b3}) {
                w.setRequiresGradient(true);
            }
        }
    }

    NDArray forward(NDArray x) {
        NDArray h1 = x.matMul(w1).add(b1).tanh();
        NDArray h2 = h1.matMul(w2).add(b2).tanh();
        return h2.matMul(w3).add(b3);
    }

    /** (a) Forward difference: two forwards, (f(x + h·v) − f(x)) / h. Approximate by nature. */
    NDList jvpFiniteDiff(NDArray x, NDArray v) {
        NDArray out = forward(x);
        NDArray shifted = forward(x.add(v.mul(FD_STEP)));
        return new NDList(out, shifted.sub(out).div(FD_STEP));
    }

    /** (b) Tangents propagated by hand beside the primal: the forward-mode jvp, written out. */
    NDList jvpByHand(NDArray x, NDArray v) {
        NDArray h1 = x.matMul(w1).add(b1).tanh();
        NDArray t1 = v.matMul(w1).mul(h1.square().neg().add(1f));
        NDArray h2 = h1.matMul(w2).add(b2).tanh();
        NDArray t2 = t1.matMul(w2).mul(h2.square().neg().add(1f));
        return new NDList(h2.matMul(w3).add(b3), t2.matMul(w3));
    }

    /**
     * (c) PyTorch's double-backward trick through DJL: with a dummy u (requires grad),
     * g = J^T·u by a backward that records its own graph, then J·v = d(g·v)/du by a second backward.
     * DJL's only entry is Tensor.backward (no autograd.grad with inputs=), so gradients land in .grad
     * of the leaves: x.grad then holds a graph that references x, a cycle libtorch never frees.
     */
    NDList jvpDoubleBackward(NDArray x, NDArray v) {
        try (GradientCollector ignored = engine.newGradientCollector()) {
            NDArray xi = x.duplicate();
            xi.setRequiresGradient(true);
            NDArray out = forward(xi);
            NDArray u = out.zerosLike();
            u.setRequiresGradient(true);
            JniUtils.backward((PtNDArray) out, (PtNDArray) u, true, true);
            NDArray g = xi.getGradient();
            JniUtils.backward((PtNDArray) g, (PtNDArray) v, false, false);
            return new NDList(out, u.getGradient());
        }
    }

    /** vjp, one backward: [f(x), J^T·u]. */
    NDList vjp(NDArray x, NDArray u) {
        try (GradientCollector ignored = engine.newGradientCollector()) {
            NDArray xi = x.duplicate();
            xi.setRequiresGradient(true);
            NDArray out = forward(xi);
            JniUtils.backward((PtNDArray) out, (PtNDArray) u, false, false);
            return new NDList(out, xi.getGradient());
        }
    }

    /**
     * hvp of s(x) = sum(f(x)), double backward: [s(x), H·v]. The second backward accumulates H·v
     * onto x.grad, which already holds the first gradient, so H·v = x.grad − (copy of ∇s).
     */
    NDList hvp(NDArray x, NDArray v) {
        try (GradientCollector ignored = engine.newGradientCollector()) {
            NDArray xi = x.duplicate();
            xi.setRequiresGradient(true);
            NDArray s = forward(xi).sum();
            JniUtils.backward((PtNDArray) s, (PtNDArray) s.onesLike(), true, true);
            NDArray g = xi.getGradient();
            NDArray gValue = g.stopGradient().duplicate();
            JniUtils.backward((PtNDArray) g, (PtNDArray) v, false, false);
            return new NDList(s.stopGradient(), xi.getGradient().stopGradient().sub(gValue));
        }
    }
}
