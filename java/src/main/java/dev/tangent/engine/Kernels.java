package dev.tangent.engine;

import dev.tangent.Device;
import dev.tangent.Tensor;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * Runs a primitive on plain tensors: checks the arguments (naming the op and the shapes at fault),
 * infers the result's shape and dtype, allocates it and launches the backend kernel; views are
 * made without a kernel. One class per family does the work.
 */
public final class Kernels {
    private Kernels() {}

    /** {@code p(in)} on plain tensors (no forward mode, no tape). */
    public static Tensor run(Prim p, Attrs a, Tensor[] in) {
        TensorAccess acc = TensorAccess.get();
        Operand[] ops = new Operand[in.length];
        Device dev = null;
        for (int i = 0; i < in.length; i++) {
            Operand o = acc.value(in[i]);
            o.storage().checkAlive(p.opName());
            if (dev == null) {
                dev = o.device();
            } else if (!o.device().equals(dev) && p != Prim.TO_DEVICE) {
                throw new IllegalArgumentException(p.opName() + ": expected all tensors to be on the same device,"
                        + " but found at least two devices, " + dev + " and " + o.device());
            }
            ops[i] = o;
        }
        if (p.isComposite()) {
            return CompositeKernels.run(p, a, in[0]);
        }
        Operand out = switch (p.kind()) {
            case UNARY -> ElementwiseKernels.unary(p, (Attrs.Scalars) a, ops[0]);
            case BINARY, COMPARE -> ElementwiseKernels.binary(p, ops[0], ops[1]);
            case WHERE -> ElementwiseKernels.where(ops[0], ops[1], ops[2]);
            case REDUCE -> ReductionKernels.reduce(p, (Attrs.Dims) a, ops[0]);
            case SOFTMAX -> ReductionKernels.softmax(p, (Attrs.Dim) a, ops[0]);
            case MATMUL -> ReductionKernels.matmul(ops[0], ops[1]);
            case VIEW -> LayoutKernels.view(p, a, ops[0]);
            case CONV -> NnKernels.conv(p, a, ops);
            case POOL -> NnKernels.pool(p, a, ops[0]);
            case OTHER -> p == Prim.INDEX_SELECT || p == Prim.INDEX_ADD || p == Prim.GATHER || p == Prim.SCATTER_ADD
                    ? IndexKernels.run(p, a, ops) : LayoutKernels.other(p, a, ops);
        };
        return acc.plain(out);
    }
}
