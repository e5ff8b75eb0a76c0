package dev.tangent;

import dev.tangent.autograd.Node;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * Tangent's own bridge between its packages (autograd rules, functional API, backends) and the
 * tensor internals. Not part of the public API: signatures may change without notice.
 */
public final class Internal {
    private Internal() {}

    /** Applies a primitive through forward mode, the tape and the backend. */
    public static Tensor apply(Prim p, Attrs a, Tensor... in) {
        return Dispatch.apply(p, a, in);
    }

    /** primal + eps_level * tangent (tangent fitted to the primal's shape and dtype; null: primal). */
    public static Tensor dual(int level, Tensor primal, Tensor tangent) {
        return Dispatch.makeDual(level, primal, tangent);
    }

    /** The forward-mode level of t (0 for a plain tensor). */
    public static int level(Tensor t) {
        return t.level;
    }

    /** t without its level-{@code level} tangent (t itself if it has none at that level). */
    public static Tensor primalAt(Tensor t, int level) {
        return t.level == level ? t.primal : t;
    }

    /** t's tangent at {@code level}, or null (a symbolic zero). */
    public static Tensor tangentAt(Tensor t, int level) {
        return t.level == level ? t.tangent : null;
    }

    /** An uninitialised contiguous tensor registered with the current scope. */
    public static Tensor empty(long[] shape, DType dtype, Device device) {
        return Tensor.empty(shape, dtype, device);
    }

    /** A view of t's storage with another layout (no checks: the caller guarantees bounds). */
    public static Tensor view(Tensor t, long[] shape, long[] strides, long offset) {
        return new Tensor(t.storage, shape, strides, offset, t.dtype);
    }

    /** The shape array itself (no copy; callers must not modify it). */
    public static long[] shapeRef(Tensor t) {
        return t.shape;
    }

    /** The strides array itself (no copy; callers must not modify it). */
    public static long[] stridesRef(Tensor t) {
        return t.strides;
    }

    /** Sets the tape node of a freshly made tensor and marks it as requiring grad. */
    public static void setGradFn(Tensor t, Node n) {
        t.gradFn = n;
        t.requiresGrad = true;
    }

    /** A 0-dim constant of this dtype on this device. */
    public static Tensor scalar(double v, DType dtype, Device device) {
        return Constants.scalar(v, dtype, device);
    }

    /** The rank-preserving squeeze used by reductions (dims sorted ascending). */
    public static Tensor squeezeDims(Tensor t, int[] sortedDims) {
        return t.squeezeDims(sortedDims);
    }

    /** Starts (non-null) or stops (null) tracing kernel launches on this thread; returns the previous trace. */
    public static java.util.List<Runnable> trace(java.util.List<Runnable> trace) {
        return Compute.trace(trace);
    }

    /** Moves every storage of {@code scope} to {@code owner}, who must free them (see {@link dev.tangent.backend.Storage#free()}). */
    public static java.util.List<dev.tangent.backend.Storage> release(Scope scope, Object owner) {
        return scope.release(owner);
    }

    /** The fused unary kernel on plain tensors: {f(x), f'(x)·t}, or null when the backend has none. */
    public static Tensor[] unaryJvp(Prim p, Attrs a, Tensor x, Tensor t) {
        return Compute.unaryJvp(p, a, x, t);
    }
}
