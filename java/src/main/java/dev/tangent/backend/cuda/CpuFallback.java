package dev.tangent.backend.cuda;

import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * The ops Tangent's CUDA kernels do not cover (int64 and bool arithmetic, int64 casts, layouts of
 * more than 8 non-mergeable dims), run by the CPU backend on host copies of the operands' storages.
 * Correct but synchronizing: fine for index bookkeeping, not for hot float paths (which never come
 * here). Stateless; thread-safe.
 */
final class CpuFallback {
    private CpuFallback() {}

    static void unary(CudaBackend be, Prim op, Attrs attrs, Tensor x, Tensor out) {
        be.host(new Tensor[] {x, out}, new boolean[] {false, true}, h -> Backends.cpu().unary(op, attrs, h[0], h[1]));
    }

    static void binary(CudaBackend be, Prim op, Tensor a, Tensor b, Tensor out) {
        be.host(new Tensor[] {a, b, out}, new boolean[] {false, false, true},
                h -> Backends.cpu().binary(op, h[0], h[1], h[2]));
    }

    static void where(CudaBackend be, Tensor mask, Tensor a, Tensor b, Tensor out) {
        be.host(new Tensor[] {mask, a, b, out}, new boolean[] {false, false, false, true},
                h -> Backends.cpu().where(h[0], h[1], h[2], h[3]));
    }

    static void reduce(CudaBackend be, Prim op, Tensor x, Tensor out) {
        be.host(new Tensor[] {x, out}, new boolean[] {false, true}, h -> Backends.cpu().reduce(op, h[0], h[1]));
    }

    static void copy(CudaBackend be, Tensor src, Tensor dst) {
        be.host(new Tensor[] {src, dst}, new boolean[] {false, true}, h -> Backends.cpu().copy(h[0], h[1]));
    }

    static void fill(CudaBackend be, Tensor out, double value) {
        be.host(new Tensor[] {out}, new boolean[] {true}, h -> Backends.cpu().fill(h[0], value));
    }
}
