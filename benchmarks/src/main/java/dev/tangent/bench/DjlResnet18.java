package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link Resnet18Spec} in DJL (PyTorch engine) from NDArray ops — the calls torchvision's modules
 * make: convolution, batch_norm (inference), relu, max_pool2d, adaptive average pool to 1×1
 * (globalAvgPool), linear — and every jvp a DJL user can write for it. All jvp variants return
 * {@code [f(x), J(x)·v]}. Weights are made once; each call allocates only temporaries, which the
 * caller frees (NDScope).
 */
final class DjlResnet18 implements DjlNet {
    private static final Shape POOL_K = new Shape(3, 3), POOL_S = new Shape(2, 2), POOL_P = new Shape(1, 1);

    private final Engine engine;
    private final Map<String, NDArray> w = new HashMap<>();
    /** Per-conv BN scale gamma / sqrt(var + eps) as [1, C, 1, 1]: the BN's derivative, precomputed. */
    private final Map<String, NDArray> bnScale = new HashMap<>();
    private final NDArray zero;
    private Probe probe = Probe.NONE;

    DjlResnet18(Engine engine, NDManager manager, NnParams params) {
        this(engine, manager, params, DataType.FLOAT32);
    }

    /** @param dtype FLOAT64 gives the self-check a float64 reference for its central differences */
    DjlResnet18(Engine engine, NDManager manager, NnParams params, DataType dtype) {
        this.engine = engine;
        for (var e : params.all().entrySet()) {
            w.put(e.getKey(), manager.create(e.getValue().data(), new Shape(e.getValue().shape())).toType(dtype, false));
        }
        for (Resnet18Spec.Conv c : Resnet18Spec.convs()) {
            String n = c.name() + ".bn.";
            bnScale.put(c.name(), w.get(n + "weight").div(w.get(n + "running_var").add(Resnet18Spec.BN_EPS).sqrt())
                    .reshape(1, c.out(), 1, 1));
        }
        zero = manager.create(0f).toType(dtype, false);
    }

    DjlResnet18 probe(Probe p) {
        this.probe = p;
        return this;
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray h = relu(convBn(x, Resnet18Spec.STEM));
        NDArray m = h;
        h = probe.at("maxpool 3/2", () -> m.getNDArrayInternal().maxPool(POOL_K, POOL_S, POOL_P, false));
        for (Resnet18Spec.Block b : Resnet18Spec.BLOCKS) {
            NDArray in = h;
            NDArray r = relu(convBn(in, b.conv1()));
            r = convBn(r, b.conv2());
            NDArray shortcut = b.down() == null ? in : convBn(in, b.down());
            NDArray a = r;
            h = relu(probe.at("add (residual)", () -> a.add(shortcut)));
        }
        NDArray f = h;
        h = probe.at("avgpool", () -> avgPool(f));
        NDArray g = h;
        return probe.at("fc", () -> g.getNDArrayInternal().linear(g, w.get("fc.weight"), w.get("fc.bias")).singletonOrThrow());
    }

    /**
     * Tangents propagated by hand beside the primal, layer by layer: conv and the average pool are
     * linear (the tangent goes through the same op without bias), BN in inference is the affine map
     * x·s + c (tangent ·s), ReLU passes the tangent where its output is positive, the residual add
     * adds tangents, and max pooling routes each window's tangent from the position PyTorch's
     * max_pool2d picks (the first maximum in window order: DJL exposes no pooling indices, so the
     * nine window offsets are scanned with strided slices of the padded input).
     */
    @Override
    public NDList jvpByHand(NDArray x, NDArray v) {
        NDArray[] h = stemJvp(x, v);
        for (Resnet18Spec.Block b : Resnet18Spec.BLOCKS) {
            NDArray[] r = reluJvp(convBnJvp(h, b.conv1()));
            r = convBnJvp(r, b.conv2());
            NDArray[] s = b.down() == null ? h : convBnJvp(h, b.down());
            NDArray[] a = r;
            h = reluJvp(probe.at("add (residual)", () -> new NDArray[] {a[0].add(s[0]), a[1].add(s[1])}));
        }
        NDArray[] f = h;
        NDArray[] p = probe.at("avgpool", () -> new NDArray[] {avgPool(f[0]), avgPool(f[1])});
        return probe.at("fc", () -> new NDList(
                p[0].getNDArrayInternal().linear(p[0], w.get("fc.weight"), w.get("fc.bias")).singletonOrThrow(),
                p[1].getNDArrayInternal().linear(p[1], w.get("fc.weight"), null).singletonOrThrow()));
    }

    /**
     * PyTorch's double-backward trick (as {@link DjlMlp#jvpDoubleBackward}): u requires grad,
     * g = Jᵀu by a backward that records its graph, J·v = d(g·v)/du by a second backward. Leaks
     * x.grad's graph in libtorch (see DjlMlp).
     */
    @Override
    public NDList jvpDoubleBackward(NDArray x, NDArray v) {
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

    /** vjp, one backward: [f(x), Jᵀ·u]. */
    @Override
    public NDList vjp(NDArray x, NDArray u) {
        try (GradientCollector ignored = engine.newGradientCollector()) {
            NDArray xi = x.duplicate();
            xi.setRequiresGradient(true);
            NDArray out = forward(xi);
            JniUtils.backward((PtNDArray) out, (PtNDArray) u, false, false);
            return new NDList(out, xi.getGradient());
        }
    }

    /** hvp of s(x) = 0.5·‖f(x)‖² by double backward: [s(x), H·v] (as {@link DjlMlp#hvp}). */
    @Override
    public NDList hvp(NDArray x, NDArray v) {
        try (GradientCollector ignored = engine.newGradientCollector()) {
            NDArray xi = x.duplicate();
            xi.setRequiresGradient(true);
            NDArray s = forward(xi).square().sum().mul(0.5f);
            JniUtils.backward((PtNDArray) s, (PtNDArray) s.onesLike(), true, true);
            NDArray g = xi.getGradient();
            NDArray gValue = g.stopGradient().duplicate();
            JniUtils.backward((PtNDArray) g, (PtNDArray) v, false, false);
            return new NDList(s.stopGradient(), xi.getGradient().stopGradient().sub(gValue));
        }
    }

    private NDArray[] stemJvp(NDArray x, NDArray v) {
        NDArray[] h = reluJvp(convBnJvp(new NDArray[] {x, v}, Resnet18Spec.STEM));
        return probe.at("maxpool 3/2", () -> maxPoolJvp(h[0], h[1]));
    }

    private NDArray convBn(NDArray x, Resnet18Spec.Conv c) {
        NDArray y = probe.at(c.kind(), () -> conv(x, c));
        String n = c.name() + ".bn.";
        return probe.at("batchnorm", () -> JniUtils.batchNorm((PtNDArray) y, (PtNDArray) w.get(n + "running_mean"),
                (PtNDArray) w.get(n + "running_var"), (PtNDArray) w.get(n + "weight"), (PtNDArray) w.get(n + "bias"),
                false, 0.1, Resnet18Spec.BN_EPS));
    }

    private NDArray[] convBnJvp(NDArray[] xt, Resnet18Spec.Conv c) {
        NDArray[] y = probe.at(c.kind(), () -> new NDArray[] {conv(xt[0], c), conv(xt[1], c)});
        String n = c.name() + ".bn.";
        return probe.at("batchnorm", () -> new NDArray[] {
                JniUtils.batchNorm((PtNDArray) y[0], (PtNDArray) w.get(n + "running_mean"), (PtNDArray) w.get(n + "running_var"),
                        (PtNDArray) w.get(n + "weight"), (PtNDArray) w.get(n + "bias"), false, 0.1, Resnet18Spec.BN_EPS),
                y[1].mul(bnScale.get(c.name()))});
    }

    private NDArray conv(NDArray x, Resnet18Spec.Conv c) {
        return x.getNDArrayInternal().convolution(x, w.get(c.name() + ".weight"), null, new Shape(c.stride(), c.stride()),
                new Shape(c.pad(), c.pad()), new Shape(1, 1), 1).singletonOrThrow();
    }

    /** adaptive_avg_pool2d(x, 1) flattened to [N, C], as torchvision's avgpool + flatten. */
    private static NDArray avgPool(NDArray x) {
        return x.getNDArrayInternal().globalAvgPool().reshape(x.getShape().get(0), x.getShape().get(1));
    }

    private NDArray relu(NDArray x) {
        return probe.at("relu", () -> x.getNDArrayInternal().relu());
    }

    private NDArray[] reluJvp(NDArray[] xt) {
        return probe.at("relu", () -> {
            NDArray y = xt[0].getNDArrayInternal().relu();
            return new NDArray[] {y, NDArrays.where(y.gt(0f), xt[1], zero)};
        });
    }

    /** max_pool2d(3, 2, 1) and its tangent: the tangent at the first window maximum (PyTorch's choice). */
    private static NDArray[] maxPoolJvp(NDArray x, NDArray t) {
        NDArray y = x.getNDArrayInternal().maxPool(POOL_K, POOL_S, POOL_P, false);
        long oh = y.getShape().get(2), ow = y.getShape().get(3);
        NDArray xp = x.pad(new Shape(1, 1, 1, 1), Double.NEGATIVE_INFINITY);
        NDArray tp = t.pad(new Shape(1, 1, 1, 1), 0);
        NDArray dy = null;
        NDArray taken = null;
        for (int ky = 0; ky < 3; ky++) {
            for (int kx = 0; kx < 3; kx++) {
                NDIndex at = new NDIndex(":, :, " + ky + ":" + (ky + 2 * oh - 1) + ":2, " + kx + ":" + (kx + 2 * ow - 1) + ":2");
                NDArray hit = xp.get(at).eq(y);
                NDArray ts = tp.get(at);
                if (dy == null) {
                    dy = NDArrays.where(hit, ts, ts.zerosLike());
                    taken = hit;
                } else {
                    NDArray first = hit.logicalAnd(taken.logicalNot());
                    dy = NDArrays.where(first, ts, dy);
                    taken = taken.logicalOr(hit);
                }
            }
        }
        return new NDArray[] {y, dy};
    }

}
