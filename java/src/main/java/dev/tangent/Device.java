package dev.tangent;

import java.util.Objects;

/**
 * Where a tensor's storage lives: the CPU (native memory) or a CUDA device.
 *
 * <p>Instances are values: {@code Device.cpu().equals(Device.cpu())}.
 */
public final class Device {
    /** The kind of device. */
    public enum Type { CPU, CUDA }

    private static final Device CPU = new Device(Type.CPU, 0);

    private final Type type;
    private final int index;

    private Device(Type type, int index) {
        this.type = type;
        this.index = index;
    }

    /** The host CPU. */
    public static Device cpu() {
        return CPU;
    }

    /** CUDA device {@code index} (0-based). Whether it exists is checked when it is first used. */
    public static Device cuda(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("Device.cuda: index must be >= 0, got " + index);
        }
        return new Device(Type.CUDA, index);
    }

    /** True when CUDA devices can be used here (driver, GPU and kernels present). Never throws. */
    public static boolean cudaAvailable() {
        return dev.tangent.backend.cuda.Cuda.isAvailable();
    }

    /** Why CUDA cannot be used here (e.g. no driver, no GPU, kernels not built), or null when it can. */
    public static String cudaUnavailableReason() {
        return dev.tangent.backend.cuda.Cuda.unavailableReason();
    }

    /** Number of usable CUDA devices (0 when CUDA is unavailable). */
    public static int cudaDeviceCount() {
        return dev.tangent.backend.cuda.Cuda.deviceCount();
    }

    /** The kind of device. */
    public Type type() {
        return type;
    }

    /** The device index (0 for the CPU). */
    public int index() {
        return index;
    }

    /** True for the CPU. */
    public boolean isCpu() {
        return type == Type.CPU;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.type == type && d.index == index;
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, index);
    }

    /** PyTorch's spelling: {@code cpu} or {@code cuda:0}. */
    @Override
    public String toString() {
        return type == Type.CPU ? "cpu" : "cuda:" + index;
    }
}
