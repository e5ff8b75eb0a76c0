package dev.tangent;

/** Zero-dimensional constants for scalar operands. */
final class Constants {
    private Constants() {}

    static Tensor scalar(double v, DType dtype, Device device) {
        Tensor t = Tensor.empty(new long[0], dtype, device);
        t.storage.backend().fill(t, v);
        return t;
    }
}
