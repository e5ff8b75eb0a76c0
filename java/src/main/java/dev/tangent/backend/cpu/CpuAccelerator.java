package dev.tangent.backend.cpu;

import dev.tangent.Tensor;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * Native kernels the CPU backend offers work to first (oneDNN). Each method returns true when it
 * computed the result, false to let the Java kernel do it (unsupported dtype, layout or a size
 * below the measured cut-over). Arguments are as in {@link dev.tangent.backend.Backend}.
 */
public interface CpuAccelerator {
    boolean unary(Prim op, Attrs attrs, Tensor x, Tensor out);

    boolean binary(Prim op, Tensor a, Tensor b, Tensor out);

    /** y = op(x), ty = op'(x)·t (see {@link dev.tangent.backend.Backend#unaryJvp}). */
    default boolean unaryJvp(Prim op, Attrs attrs, Tensor x, Tensor t, Tensor y, Tensor ty) {
        return false;
    }

    boolean reduce(Prim op, Tensor x, Tensor out);

    boolean softmax(Prim op, Tensor x, int dim, Tensor out);

    boolean matmul(Tensor a, Tensor b, Tensor out);

    /** A one-line description (library, version, ISA) for logs and reports. */
    String description();
}
