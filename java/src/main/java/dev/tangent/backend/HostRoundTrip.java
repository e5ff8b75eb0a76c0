package dev.tangent.backend;

import java.lang.foreign.MemorySegment;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The one place memory crosses between a device and the host: device-to-device transfers through
 * host memory, and running a CPU kernel on host copies of device operands (for the ops a device's
 * own kernels lack). Host staging memory is allocated and freed here, never left to a scope.
 */
public final class HostRoundTrip {
    private HostRoundTrip() {}

    /**
     * Copies the elements of {@code src} (contiguous) into {@code dst} (contiguous, same dtype and
     * size) on any two devices.
     */
    public static void transfer(Operand src, Operand dst) {
        long bytes = src.numel() * src.dtype().byteSize();
        if (bytes == 0) {
            return;
        }
        if (src.device().isCpu()) {
            dst.backend().copyFromHost(src.storage().segment().asSlice(src.byteOffset(), bytes), dst.storage(),
                    dst.byteOffset(), bytes);
        } else if (dst.device().isCpu()) {
            src.backend().copyToHost(src.storage(), src.byteOffset(), dst.storage().segment().asSlice(dst.byteOffset(),
                    bytes), bytes);
        } else {
            Storage host = Storage.allocate(Backends.cpu(), bytes);
            try {
                Operand h = Operand.contiguous(host, src.dtype(), src.shape());
                transfer(src, h);
                transfer(h, dst);
            } finally {
                host.free();
            }
        }
    }

    /**
     * Runs {@code cpuOp} on host copies of {@code operands} (whole storages, so views keep their
     * layout) and copies back the storages of the operands flagged in {@code written}. Operands
     * that share a storage share its host copy.
     */
    public static void run(Operand[] operands, boolean[] written, Consumer<Operand[]> cpuOp) {
        Map<Storage, Storage> copies = new IdentityHashMap<>();
        try {
            Operand[] h = new Operand[operands.length];
            for (int i = 0; i < operands.length; i++) {
                Operand o = operands[i];
                Storage host = copies.get(o.storage());
                if (host == null) {
                    host = Storage.allocate(Backends.cpu(), o.storage().byteSize());
                    copies.put(o.storage(), host);
                    copyStorage(o.storage(), host, true);
                }
                h[i] = new Operand(host, o.dtype(), o.shape(), o.strides(), o.offset());
            }
            cpuOp.accept(h);
            for (int i = 0; i < operands.length; i++) {
                if (written[i]) {
                    copyStorage(operands[i].storage(), copies.get(operands[i].storage()), false);
                }
            }
        } finally {
            for (Storage s : copies.values()) {
                s.free();
            }
        }
    }

    private static void copyStorage(Storage device, Storage host, boolean toHost) {
        long bytes = device.byteSize();
        if (bytes == 0) {
            return;
        }
        MemorySegment h = host.segment();
        if (toHost) {
            device.backend().copyToHost(device, 0, h, bytes);
        } else {
            device.backend().copyFromHost(h, device, 0, bytes);
        }
    }
}
