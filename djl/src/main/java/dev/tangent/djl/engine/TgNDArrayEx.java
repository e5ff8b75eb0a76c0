package dev.tangent.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDArrayIndexer;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.recurrent.RNN;
import ai.djl.util.RandomUtils;
import dev.tangent.DType;
import dev.tangent.Tensor;
import dev.tangent.nn.Activations;
import dev.tangent.nn.F;
import dev.tangent.nn.Norm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * DJL's neural-network operations (what {@code Linear}, {@code Conv1d/2d}, {@code BatchNorm},
 * {@code LayerNorm}, {@code Pool}, {@code Embedding}, {@code Dropout} and {@code Activation} call)
 * on Tangent's {@code dev.tangent.nn.F}. Results belong to the manager of the array this belongs to,
 * as in DJL's engines.
 */
public final class TgNDArrayEx implements NDArrayEx {
    private final TgNDArray array;

    TgNDArrayEx(TgNDArray array) {
        this.array = array;
    }

    private TgNDArray op(Supplier<Tensor> f, NDArray... inputs) {
        return Exec.run(array.resultManager(), null, f, inputs);
    }

    private NDList one(Supplier<Tensor> f, NDArray... inputs) {
        return new NDList(op(f, inputs));
    }

    private static Tensor of(NDArray a) {
        return TgNDArray.of(a);
    }

    @Override
    public NDArray getArray() {
        return array;
    }

    // ------------------------------------------------------------------ reverse operators

    @Override
    public NDArray rdivi(NDArray b) {
        return array.inPlace(b.div(array));
    }

    @Override
    public NDArray rmodi(NDArray b) {
        return array.inPlace(b.mod(array));
    }

    @Override
    public NDArray rpowi(Number n) {
        return array.inPlace(rpow(n));
    }

    // ------------------------------------------------------------------ activations

    @Override public NDArray relu() { return op(() -> array.t().relu(), array); }
    @Override public NDArray sigmoid() { return op(() -> array.t().sigmoid(), array); }
    @Override public NDArray tanh() { return op(() -> array.t().tanh(), array); }
    @Override public NDArray softPlus() { return op(() -> array.t().softplus(), array); }
    @Override public NDArray softSign() { return op(() -> Activations.softsign(array.t()), array); }
    @Override public NDArray leakyRelu(float alpha) { return op(() -> array.t().leakyRelu(alpha), array); }
    @Override public NDArray elu(float alpha) { return op(() -> array.t().elu(alpha), array); }
    @Override public NDArray selu() { return op(() -> Activations.selu(array.t()), array); }
    @Override public NDArray gelu() { return op(() -> array.t().gelu(), array); }

    // ------------------------------------------------------------------ pooling

    private static long[] pair(Shape s, String what, String op) {
        long[] v = s.getShape();
        if (v.length == 1) {
            return new long[] {1, v[0]};
        }
        if (v.length == 2) {
            return v;
        }
        throw Fallback.unsupported("NDArrayEx." + op + " with a " + v.length + "-d " + what, " (1-d and 2-d are)");
    }

    private static void checkPoolInput(Tensor x, int spatial, String op) {
        if (x.dim() != spatial + 2) {
            throw new IllegalArgumentException(op + ": expected a " + (spatial + 2) + "-D input [N, C, ...] for a "
                    + spatial + "-d kernel, got " + Arrays.toString(x.shape()));
        }
    }

    private static Tensor as2d(Tensor x, int spatial) {
        return spatial == 1 ? x.unsqueeze(2) : x;
    }

    private static Tensor from2d(Tensor y, int spatial) {
        return spatial == 1 ? y.squeeze(2) : y;
    }

    @Override
    public NDArray maxPool(Shape kernelShape, Shape stride, Shape padding, boolean ceilMode) {
        int sp = kernelShape.dimension();
        long[] k = pair(kernelShape, "kernel", "maxPool");
        long[] s = pair(stride, "stride", "maxPool");
        long[] p = pair(padding, "padding", "maxPool");
        if (sp == 1) {
            p = new long[] {0, p[1]};
        }
        long[] pp = p;
        return op(() -> {
            Tensor x = array.t();
            checkPoolInput(x, sp, "maxPool");
            return from2d(F.maxPool2d(as2d(x, sp), k, s, pp, new long[] {1, 1}, ceilMode), sp);
        }, array);
    }

    @Override
    public NDArray globalMaxPool() {
        return op(() -> {
            Tensor x = array.t();
            return x.reshape(x.size(0), x.size(1), -1).amax(2);
        }, array);
    }

    @Override
    public NDArray avgPool(Shape kernelShape, Shape stride, Shape padding, boolean ceilMode, boolean countIncludePad) {
        int sp = kernelShape.dimension();
        long[] k = pair(kernelShape, "kernel", "avgPool");
        long[] s = pair(stride, "stride", "avgPool");
        long[] p = pair(padding, "padding", "avgPool");
        if (sp == 1) {
            p = new long[] {0, p[1]};
        }
        long[] pp = p;
        return op(() -> {
            Tensor x = array.t();
            checkPoolInput(x, sp, "avgPool");
            return from2d(F.avgPool2d(as2d(x, sp), k, s, pp, ceilMode, countIncludePad, 0), sp);
        }, array);
    }

    @Override
    public NDArray globalAvgPool() {
        return op(() -> {
            Tensor x = array.t();
            return x.reshape(x.size(0), x.size(1), -1).mean(2);
        }, array);
    }

    @Override
    public NDArray lpPool(float normType, Shape kernelShape, Shape stride, Shape padding, boolean ceilMode) {
        if (padding.size() != 0) {
            throw new IllegalArgumentException("padding is not supported for lpPool");
        }
        int sp = kernelShape.dimension();
        long[] k = pair(kernelShape, "kernel", "lpPool");
        long[] s = pair(stride, "stride", "lpPool");
        return op(() -> {
            Tensor x = array.t();
            checkPoolInput(x, sp, "lpPool");
            // PyTorch's lp_pool: (sign(a) relu(|a|) * k)^(1/p) with a the average of x^p
            Tensor a = F.avgPool2d(as2d(x, sp).pow(normType), k, s, new long[] {0, 0}, ceilMode, true, 0);
            Tensor y = a.sign().mul(a.abs().relu()).mul((double) (k[0] * k[1])).pow(1.0 / normType);
            return from2d(y, sp);
        }, array);
    }

    @Override
    public NDArray globalLpPool(float normType) {
        return op(() -> {
            Tensor x = array.t();
            return x.reshape(x.size(0), x.size(1), -1).pow(normType).sum(2).pow(1.0 / normType);
        }, array);
    }

    // ------------------------------------------------------------------ layers

    @Override
    public NDList convolution(NDArray input, NDArray weight, NDArray bias, Shape stride, Shape padding,
            Shape dilation, int groups) {
        int sp = weight.getShape().dimension() - 2;
        return one(() -> {
            Tensor x = of(input);
            Tensor w = of(weight);
            Tensor b = of(bias);
            if (sp == 1 && (x.dim() == 2 || x.dim() == 3) && w.dim() == 3) {
                Tensor y = F.conv2d(x.unsqueeze(-2), w.unsqueeze(2), b, new long[] {1, stride.get(0)},
                        new long[] {0, padding.get(0)}, new long[] {1, dilation.get(0)}, groups);
                return y.squeeze(-2);
            }
            if (sp == 1) {
                return F.conv1d(x, w, b, stride.get(0), padding.get(0), dilation.get(0), groups);
            }
            if (sp == 2) {
                return F.conv2d(x, w, b, stride.getShape(), padding.getShape(), dilation.getShape(), groups);
            }
            throw Fallback.unsupported("NDArrayEx.convolution with a " + sp + "-d kernel", " (1-d and 2-d are)");
        }, input, weight, bias);
    }

    @Override
    public NDList deconvolution(NDArray input, NDArray weight, NDArray bias, Shape stride, Shape padding,
            Shape outPadding, Shape dilation, int groups) {
        int sp = weight.getShape().dimension() - 2;
        return one(() -> {
            Tensor x = of(input);
            Tensor w = of(weight);
            Tensor b = of(bias);
            if (sp == 1) {
                Tensor y = F.convTranspose2d(x.unsqueeze(2), w.unsqueeze(2), b, new long[] {1, stride.get(0)},
                        new long[] {0, padding.get(0)}, new long[] {0, outPadding.get(0)}, groups,
                        new long[] {1, dilation.get(0)});
                return y.squeeze(2);
            }
            if (sp == 2) {
                return F.convTranspose2d(x, w, b, stride.getShape(), padding.getShape(), outPadding.getShape(), groups,
                        dilation.getShape());
            }
            throw Fallback.unsupported("NDArrayEx.deconvolution with a " + sp + "-d kernel", " (1-d and 2-d are)");
        }, input, weight, bias);
    }

    @Override
    public NDList linear(NDArray input, NDArray weight, NDArray bias) {
        return one(() -> F.linear(of(input), of(weight), of(bias)), input, weight, bias);
    }

    @Override
    public NDList embedding(NDArray input, NDArray weight, SparseFormat sparseFormat) {
        if (sparseFormat != SparseFormat.DENSE) {
            throw Fallback.unsupported("NDArrayEx.embedding with " + sparseFormat, " (dense is)");
        }
        return one(() -> Norm.embedding(of(input).toLong(), of(weight)), input, weight);
    }

    @Override
    public NDList prelu(NDArray input, NDArray alpha) {
        return one(() -> {
            Tensor x = of(input);
            return Tensor.where(x.ge(0.0), x, x.mul(of(alpha)));
        }, input, alpha);
    }

    @Override
    public NDList dropout(NDArray input, float rate, boolean training) {
        long seed = RandomUtils.RANDOM.nextLong();
        return one(() -> F.dropout(of(input), rate, training, seed), input);
    }

    @Override
    public NDList layerNorm(NDArray input, Shape normalizedShape, NDArray gamma, NDArray beta, float eps) {
        return one(() -> Norm.layerNorm(of(input), normalizedShape.getShape(), of(gamma), of(beta), eps),
                input, gamma, beta);
    }

    @Override
    public NDList batchNorm(NDArray input, NDArray runningMean, NDArray runningVar, NDArray gamma, NDArray beta,
            int axis, float momentum, float eps, boolean training) {
        Tensor[] stats = new Tensor[2];
        NDList out = one(() -> {
            Tensor x = of(input);
            int a = axis < 0 ? axis + x.dim() : axis;
            Tensor xs = a == 1 ? x : x.transpose(1, a);
            // DJL's momentum weighs the running value; PyTorch's (and Tangent's) the batch's
            dev.tangent.nn.BatchNormResult r = Norm.batchNorm(xs, of(runningMean), of(runningVar), of(gamma), of(beta),
                    training, 1.0 - momentum, eps);
            if (training) {
                stats[0] = r.runningMean();
                stats[1] = r.runningVar();
            }
            return a == 1 ? r.output() : r.output().transpose(1, a);
        }, input, runningMean, runningVar, gamma, beta);
        if (training && runningMean instanceof TgNDArray && stats[0] != null) {
            // PyTorch updates the running statistics in place when training; so do we (values only)
            TgNDArray rm = (TgNDArray) runningMean;
            TgNDArray rv = (TgNDArray) runningVar;
            Tensor m = stats[0];
            Tensor v = stats[1];
            rm.intern(Exec.run(rm.resultManager(), null, () -> dev.tangent.autograd.ForwardAD.plain(m).detach().clone()));
            rv.intern(Exec.run(rv.resultManager(), null, () -> dev.tangent.autograd.ForwardAD.plain(v).detach().clone()));
        }
        return out;
    }

    // ------------------------------------------------------------------ arrays

    @Override
    public NDArrayIndexer getIndexer(NDManager manager) {
        return new TgNDArrayIndexer(manager instanceof TgNDManager ? (TgNDManager) manager : array.resultManager());
    }

    @Override
    public NDArray where(NDArray condition, NDArray other) {
        return Exec.run(array.resultManager(), null, () -> {
            Tensor c = of(condition);
            return Tensor.where(c.dtype() == DType.BOOL ? c : c.ne(0), array.t(), of(other));
        }, array, condition, other);
    }

    private List<Tensor> withHead(NDList arrays) {
        List<Tensor> all = new ArrayList<>();
        all.add(array.t());
        for (NDArray a : arrays) {
            all.add(of(a));
        }
        return all;
    }

    private NDArray[] inputs(NDList arrays) {
        NDArray[] in = new NDArray[arrays.size() + 1];
        in[0] = array;
        for (int i = 0; i < arrays.size(); i++) {
            in[i + 1] = arrays.get(i);
        }
        return in;
    }

    @Override
    public NDArray stack(NDList arrays, int axis) {
        return op(() -> Tensor.stack(withHead(arrays), axis), inputs(arrays));
    }

    @Override
    public NDArray concat(NDList arrays, int axis) {
        return op(() -> {
            List<Tensor> all = withHead(arrays);
            return all.size() == 1 ? all.get(0).clone() : Tensor.cat(all, axis);
        }, inputs(arrays));
    }

    // ------------------------------------------------------------------ not implemented (strict)

    private UnsupportedOperationException optimizer(String name) {
        return Fallback.unsupported("NDArrayEx." + name, " (optimizer updates: the Tangent engine is for inference and"
                + " differentiation; train with the PyTorch engine and load the .params)");
    }

    @Override
    @Unimplemented
    public void adadeltaUpdate(NDList inputs, NDList weights, float weightDecay, float rescaleGrad, float clipGrad,
            float rho, float epsilon) {
        throw optimizer("adadeltaUpdate");
    }

    @Override
    @Unimplemented
    public void adagradUpdate(NDList inputs, NDList weights, float learningRate, float weightDecay,
            float rescaleGrad, float clipGrad, float epsilon) {
        throw optimizer("adagradUpdate");
    }

    @Override
    @Unimplemented
    public void adamUpdate(NDList inputs, NDList weights, float learningRate, float learningRateBiasCorrection,
            float weightDecay, float rescaleGrad, float clipGrad, float beta1, float beta2, float epsilon,
            boolean lazyUpdate, boolean adamw) {
        throw optimizer("adamUpdate");
    }

    @Override
    @Unimplemented
    public void nagUpdate(NDList inputs, NDList weights, float learningRate, float weightDecay, float rescaleGrad,
            float clipGrad, float momentum) {
        throw optimizer("nagUpdate");
    }

    @Override
    @Unimplemented
    public void rmspropUpdate(NDList inputs, NDList weights, float learningRate, float weightDecay,
            float rescaleGrad, float clipGrad, float rho, float momentum, float epsilon, boolean centered) {
        throw optimizer("rmspropUpdate");
    }

    @Override
    @Unimplemented
    public void sgdUpdate(NDList inputs, NDList weights, float learningRate, float weightDecay, float rescaleGrad,
            float clipGrad, float momentum, boolean lazyUpdate) {
        throw optimizer("sgdUpdate");
    }

    @Override
    @Unimplemented
    public NDList rnn(NDArray input, NDArray state, NDList params, boolean hasBiases, int numLayers,
            RNN.Activation activation, double dropRate, boolean training, boolean bidirectional, boolean batchFirst) {
        throw Fallback.unsupported("NDArrayEx.rnn", " (recurrent layers)");
    }

    @Override
    @Unimplemented
    public NDList gru(NDArray input, NDArray state, NDList params, boolean hasBiases, int numLayers,
            double dropRate, boolean training, boolean bidirectional, boolean batchFirst) {
        throw Fallback.unsupported("NDArrayEx.gru", " (recurrent layers)");
    }

    @Override
    @Unimplemented
    public NDList lstm(NDArray input, NDList states, NDList params, boolean hasBiases, int numLayers,
            double dropRate, boolean training, boolean bidirectional, boolean batchFirst) {
        throw Fallback.unsupported("NDArrayEx.lstm", " (recurrent layers)");
    }

    @Override
    @Unimplemented
    public NDArray interpolation(long[] size, int mode, boolean alignCorners) {
        return Fallback.call("NDArrayEx.interpolation(long[], int, boolean)", array,
                a -> a.getNDArrayInternal().interpolation(size, mode, alignCorners));
    }

    @Override
    @Unimplemented
    public NDArray resize(int width, int height, int interpolation) {
        return Fallback.call("NDArrayEx.resize(int, int, int)", array,
                a -> a.getNDArrayInternal().resize(width, height, interpolation));
    }

    @Override
    @Unimplemented
    public NDArray randomFlipLeftRight() {
        return Fallback.call("NDArrayEx.randomFlipLeftRight()", array, a -> a.getNDArrayInternal().randomFlipLeftRight());
    }

    @Override
    @Unimplemented
    public NDArray randomFlipTopBottom() {
        return Fallback.call("NDArrayEx.randomFlipTopBottom()", array, a -> a.getNDArrayInternal().randomFlipTopBottom());
    }

    @Override
    @Unimplemented
    public NDArray randomBrightness(float brightness) {
        return Fallback.call("NDArrayEx.randomBrightness(float)", array,
                a -> a.getNDArrayInternal().randomBrightness(brightness));
    }

    @Override
    @Unimplemented
    public NDArray randomHue(float hue) {
        return Fallback.call("NDArrayEx.randomHue(float)", array, a -> a.getNDArrayInternal().randomHue(hue));
    }

    @Override
    @Unimplemented
    public NDArray randomColorJitter(float brightness, float contrast, float saturation, float hue) {
        return Fallback.call("NDArrayEx.randomColorJitter(float, float, float, float)", array,
                a -> a.getNDArrayInternal().randomColorJitter(brightness, contrast, saturation, hue));
    }

    @Override
    @Unimplemented
    public NDList multiBoxTarget(NDList inputs, float iouThreshold, float ignoreThreshold, float negativeMiningRatio,
            float negativeMiningThreshold, int minNegativeSamples) {
        throw Fallback.unsupported("NDArrayEx.multiBoxTarget", " (object detection)");
    }

    @Override
    @Unimplemented
    public NDList multiBoxPrior(List<Float> sizes, List<Float> ratios, List<Float> steps, List<Float> offsets,
            boolean clip) {
        throw Fallback.unsupported("NDArrayEx.multiBoxPrior", " (object detection)");
    }

    @Override
    @Unimplemented
    public NDList multiBoxDetection(NDList inputs, boolean clip, float threshold, int backgroundId,
            float nmsThreshold, boolean forceSuppress, int nmsTopK) {
        throw Fallback.unsupported("NDArrayEx.multiBoxDetection", " (object detection)");
    }
}
