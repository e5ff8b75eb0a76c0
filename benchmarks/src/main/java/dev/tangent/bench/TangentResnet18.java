package dev.tangent.bench;

import dev.tangent.Tensor;
import dev.tangent.nn.F;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link Resnet18Spec} in Tangent, through {@code dev.tangent.nn.F} as a PyTorch user writes
 * torchvision's forward with torch.nn.functional. Weights are unscoped tensors (freed by the GC),
 * made once; {@link #forward} allocates only in the caller's scope.
 */
final class TangentResnet18 implements TangentNet {
    private final Map<String, Tensor> w = new HashMap<>();
    private Probe probe = Probe.NONE;

    TangentResnet18(NnParams params) {
        for (var e : params.all().entrySet()) {
            w.put(e.getKey(), Tensor.of(e.getValue().data(), e.getValue().shape()));
        }
    }

    /** The profiler's hook: every layer call goes through {@code probe.at(kind, ...)}. */
    TangentResnet18 probe(Probe p) {
        this.probe = p;
        return this;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = convBn(x, Resnet18Spec.STEM);
        h = relu(h);
        Tensor m = h;
        h = probe.at("maxpool 3/2", () -> F.maxPool2d(m, 3, 2, 1));
        for (Resnet18Spec.Block b : Resnet18Spec.BLOCKS) {
            h = block(h, b);
        }
        Tensor f = h;
        h = probe.at("avgpool", () -> F.adaptiveAvgPool2d(f, 1).flatten(1, 3));
        Tensor g = h;
        return probe.at("fc", () -> F.linear(g, w.get("fc.weight"), w.get("fc.bias")));
    }

    private Tensor block(Tensor x, Resnet18Spec.Block b) {
        Tensor h = relu(convBn(x, b.conv1()));
        h = convBn(h, b.conv2());
        Tensor shortcut = b.down() == null ? x : convBn(x, b.down());
        Tensor a = h;
        return relu(probe.at("add (residual)", () -> a.add(shortcut)));
    }

    private Tensor convBn(Tensor x, Resnet18Spec.Conv c) {
        Tensor y = probe.at(c.kind(), () -> F.conv2d(x, w.get(c.name() + ".weight"), null, c.stride(), c.pad(), 1, 1));
        String n = c.name() + ".bn.";
        return probe.at("batchnorm", () -> F.batchNorm(y, w.get(n + "running_mean"), w.get(n + "running_var"),
                w.get(n + "weight"), w.get(n + "bias"), false, 0.1, Resnet18Spec.BN_EPS));
    }

    private Tensor relu(Tensor x) {
        return probe.at("relu", () -> F.relu(x));
    }
}
