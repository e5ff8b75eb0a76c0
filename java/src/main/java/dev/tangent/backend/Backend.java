package dev.tangent.backend;

import dev.tangent.Device;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.lang.foreign.MemorySegment;

/**
 * The kernel contract: a handful of methods every device implements, on {@link Operand}s. Inputs
 * arrive validated (same device, shapes already broadcast by strided views, dtypes already
 * promoted, indices range-checked); outputs arrive allocated, of the result's shape and dtype.
 * Kernels never allocate tensors and never call back into the autograd layer; the caller holds
 * every operand's storage for the duration of the call.
 *
 * <p>Implementations must be safe to call from many threads at once on distinct outputs.
 */
public interface Backend {
    /** The device this backend computes on. */
    Device device();

    /** Uninitialised memory of {@code bytes} bytes on this device. */
    MemorySegment allocate(long bytes);

    /** Returns memory from {@link #allocate(long)}. */
    void free(MemorySegment segment, long bytes);

    /** out = op(x) element-wise; {@code x} has out's shape (possibly strided). */
    void unary(Prim op, Attrs.Scalars attrs, Operand x, Operand out);

    /**
     * The fused primal+tangent kernel of a unary primitive: y = op(x) and ty = op'(x)·t in one
     * pass (t has x's shape; y and ty are contiguous). Returns false, writing nothing, when this
     * backend has no fused kernel for the case; the caller then runs the primitive and its rule.
     */
    default boolean unaryJvp(Prim op, Attrs.Scalars attrs, Operand x, Operand t, Operand y, Operand ty) {
        return false;
    }

    /**
     * The fused primal+tangent kernel of ADD, SUB, MUL or DIV: c = a op b and its tangent tc in one
     * pass. a, c and tc have the result's shape; b has it too or repeats along the leading dims
     * (its shape is a suffix of c's); all contiguous; a null tangent is a zero. Returns false,
     * writing nothing, when this backend has no fused kernel for the case.
     */
    default boolean binaryJvp(Prim op, Operand a, Operand ta, Operand b, Operand tb, Operand c, Operand tc) {
        return false;
    }

    /**
     * A linear layer with its epilogue in one kernel: {@code y = act(x W + bias)} (x [M, K], W
     * [K, N], both possibly strided; bias null or a row of N values, any view whose last dim has
     * stride 1 and whose other dims have stride 0; act null or one of TANH, SIGMOID, GELU,
     * GELU_TANH; y [M, N] contiguous, same dtype throughout). Returns false, when this backend has
     * no such kernel for the case; y is then undefined and the caller computes the composition.
     */
    default boolean linear(Operand x, Operand w, Operand bias, Prim act, Operand y) {
        return false;
    }

    /**
     * The fused primal+tangent kernel of that layer for a constant W and bias:
     * {@code y = act(x W + bias)} and {@code dy = act'(x W + bias) · (dx W + x 0)} (dx like x; y,
     * dy [M, N] contiguous). The {@code x 0} term is PyTorch's for W's absent tangent: every
     * element of a row of dy is NaN when that row of x holds NaN or ±inf. Returns false when this
     * backend has no such kernel for the case (y and dy then undefined).
     */
    default boolean linearJvp(Operand x, Operand dx, Operand w, Operand bias, Prim act, Operand y, Operand dy) {
        return false;
    }

    /** out = op(a, b) element-wise; a and b are views of out's shape (stride 0 where broadcast). */
    void binary(Prim op, Operand a, Operand b, Operand out);

    /** out = mask ? a : b; all three are views of out's shape. */
    void where(Operand mask, Operand a, Operand b, Operand out);

    /** Reduces x into out, which has x's rank with size 1 on every reduced dim (keepdim form). */
    void reduce(Prim op, Operand x, Operand out);

    /** Softmax or log-softmax of x along {@code dim}. */
    void softmax(Prim op, Operand x, int dim, Operand out);

    /** out[b] = a[b] @ b[b]: a is [..., m, k], b is [..., k, n], both with out's batch shape (strided). */
    void matmul(Operand a, Operand b, Operand out);

    /** dst = src element-wise (same shape; any strides; dtype converted). */
    void copy(Operand src, Operand dst);

    /** Every element of out set to value. */
    void fill(Operand out, double value);

    /** out = x.index_select(dim, index); index is 1-D int64 with values in range. */
    void indexSelect(Operand x, int dim, Operand index, Operand out);

    /** out.index_add_(dim, index, src) in place; out is contiguous. */
    void indexAdd(Operand out, int dim, Operand index, Operand src);

    /** out = x.gather(dim, index); index has out's shape, values in range. */
    void gather(Operand x, int dim, Operand index, Operand out);

    /** out.scatter_add_(dim, index, src) in place; out is contiguous. */
    void scatterAdd(Operand out, int dim, Operand index, Operand src);

    /**
     * out = conv2d(x, w): x [N, C, H, W], w [O, C / groups, kh, kw], out [N, O, oh, ow] (contiguous);
     * x and w may be strided.
     */
    void conv2d(Attrs.Conv a, Operand x, Operand w, Operand out);

    /**
     * out = conv2d(in, w), then {@code conv2d(x, 0)} added to out's last {@code x.size(0)} images:
     * the term PyTorch's forward AD adds for a weight without a tangent, NaN at each output position
     * whose receptive field (the group's input channels) holds a NaN or ±inf of x, zero elsewhere.
     * x is the primal input, {@code in} x's tangent or x and its tangent stacked along the batch.
     * Returns false, writing nothing, where this backend has no such kernel (the caller then
     * computes the term with tensor operations). Shapes as {@link #conv2d}.
     */
    default boolean conv2dAbsentWeightTangent(Attrs.Conv a, Operand in, Operand w, Operand x, Operand out) {
        return false;
    }

    /** gx = conv2d's input gradient for the output gradient g (also conv_transpose2d); gx contiguous. */
    void conv2dInputGrad(Attrs.Conv a, Operand g, Operand w, Operand gx);

    /** gw = conv2d's weight gradient for input x and output gradient g; gw contiguous. */
    void conv2dWeightGrad(Attrs.Conv a, Operand x, Operand g, Operand gw);

    /**
     * out = max_pool2d(x) (NaN wins, as in PyTorch; padded positions never do); when
     * {@code indices} is not null it receives each maximum's flat spatial index h * W + w (int64).
     * Either output may be null; those given are contiguous.
     */
    void maxPool2d(Attrs.Pool a, Operand x, Operand out, Operand indices);

    /**
     * out = max_pool2d(x) and tout = t at each window's maximum (its jvp for the input tangent t)
     * in one kernel, or false, writing nothing, where this backend has none for the case (the
     * caller then runs the indices and a gather). All four contiguous.
     */
    default boolean maxPool2dJvp(Attrs.Pool a, Operand x, Operand t, Operand out, Operand tout) {
        return false;
    }

    /** out = avg_pool2d(x), PyTorch's divisor rules (count_include_pad, divisor override); out contiguous. */
    void avgPool2d(Attrs.Pool a, Operand x, Operand out);

    /** gx = avg_pool2d's input gradient for the output gradient g; gx contiguous. */
    void avgPool2dGrad(Attrs.Pool a, Operand g, Operand gx);

    /**
     * Normalisation (a {@link Prim.Kind#NORM} primitive): {@code out = op(in)}, the inputs in the
     * primitive's order — LAYER_NORM (x[, weight][, bias]), LAYER_NORM_GRAD (x, g), BATCH_NORM
     * (x, running_mean, running_var[, weight][, bias]), GROUP_NORM (x[, weight][, bias]) — all
     * contiguous and of one floating dtype; out contiguous, of x's shape.
     */
    void norm(Prim op, Attrs a, Operand[] in, Operand out);

    /** Copies {@code bytes} from host memory into this device's storage at {@code dstOffsetBytes}. */
    void copyFromHost(MemorySegment host, Storage dst, long dstOffsetBytes, long bytes);

    /** Copies {@code bytes} of this device's storage at {@code srcOffsetBytes} into host memory. */
    void copyToHost(Storage src, long srcOffsetBytes, MemorySegment host, long bytes);

    /**
     * Records {@code kernels} (a traced sequence that has just run once on the calling thread) as
     * one replayable unit, e.g. a CUDA graph; null when this device cannot (the caller then runs
     * the kernels one by one). The result replays on the calling thread only, and when it is
     * {@link AutoCloseable} the caller closes it once it is no longer replayed.
     */
    default Runnable capture(Runnable[] kernels) {
        return null;
    }
}
