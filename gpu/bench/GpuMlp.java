import dev.tangent.Device;
import dev.tangent.Tensor;
import java.util.function.Function;

/** The GPU checks' MLP 784-1024-1024-10 (tanh), fixed seeds, its weights on {@code dev}. */
final class GpuMlp {
    private GpuMlp() {}

    static Function<Tensor, Tensor> on(Device dev) {
        Tensor w1 = Tensor.randn(1, 784, 1024).mul(1 / Math.sqrt(784)).to(dev);
        Tensor b1 = Tensor.randn(2, 1024).mul(0.01).to(dev);
        Tensor w2 = Tensor.randn(3, 1024, 1024).mul(1 / Math.sqrt(1024)).to(dev);
        Tensor b2 = Tensor.randn(4, 1024).mul(0.01).to(dev);
        Tensor w3 = Tensor.randn(5, 1024, 10).mul(1 / Math.sqrt(1024)).to(dev);
        Tensor b3 = Tensor.randn(6, 10).mul(0.01).to(dev);
        return t -> t.matmul(w1).add(b1).tanh().matmul(w2).add(b2).tanh().matmul(w3).add(b3);
    }
}
