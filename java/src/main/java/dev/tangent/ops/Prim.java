package dev.tangent.ops;

import java.util.Locale;

/**
 * The one list of primitives. Every Tensor operation is one of these or a composition of them;
 * each differentiable primitive has one jvp rule and one vjp rule, side by side in its family's
 * rule class ({@code dev.tangent.engine.rules}), and each declares the type of its {@link Attrs}.
 */
public enum Prim {
    // unary element-wise (attrs: Scalars p0, p1 — slope, alpha, beta/threshold, min/max or exponent)
    NEG(Kind.UNARY), ABS(Kind.UNARY), SIGN(Kind.UNARY), EXP(Kind.UNARY), EXPM1(Kind.UNARY),
    LOG(Kind.UNARY), LOG1P(Kind.UNARY), SQRT(Kind.UNARY), RSQRT(Kind.UNARY), RECIPROCAL(Kind.UNARY),
    SQUARE(Kind.UNARY), SIN(Kind.UNARY), COS(Kind.UNARY), TAN(Kind.UNARY), ASIN(Kind.UNARY),
    ACOS(Kind.UNARY), ATAN(Kind.UNARY), SINH(Kind.UNARY), COSH(Kind.UNARY), TANH(Kind.UNARY),
    ASINH(Kind.UNARY), ACOSH(Kind.UNARY), ATANH(Kind.UNARY), ERF(Kind.UNARY), SIGMOID(Kind.UNARY),
    RELU(Kind.UNARY), LEAKY_RELU(Kind.UNARY), ELU(Kind.UNARY), GELU(Kind.UNARY), GELU_TANH(Kind.UNARY),
    SILU(Kind.UNARY), SOFTPLUS(Kind.UNARY), CLAMP(Kind.UNARY), POW_SCALAR(Kind.UNARY),
    // binary element-wise with broadcasting
    ADD(Kind.BINARY), SUB(Kind.BINARY), MUL(Kind.BINARY), DIV(Kind.BINARY), POW(Kind.BINARY),
    MAXIMUM(Kind.BINARY), MINIMUM(Kind.BINARY),
    // comparisons: bool masks, not differentiable
    GT(Kind.COMPARE), GE(Kind.COMPARE), LT(Kind.COMPARE), LE(Kind.COMPARE), EQ(Kind.COMPARE), NE(Kind.COMPARE),
    /** where(mask, a, b). */
    WHERE(Kind.WHERE),
    // reductions (attrs: Dims)
    SUM(Kind.REDUCE), PROD(Kind.REDUCE), AMAX(Kind.REDUCE), AMIN(Kind.REDUCE),
    // reductions computed by the kernels of others, whose rules are PyTorch's derivative formulas
    // (written from the result, so they overflow where PyTorch's do, not where a chain rule would)
    /** log(sum(exp(x))) over dims, shifted by the max (attrs: Dims); rules: logsumexp_backward/_jvp. */
    LOGSUMEXP(Kind.REDUCE),
    /** The 2-norm over dims, sqrt(sum(x²)) (attrs: Dims); rules: x·t / ‖x‖ and x / ‖x‖, 0 where ‖x‖ = 0. */
    NORM(Kind.REDUCE),
    /**
     * The variance over dims with a correction (attrs: Variance), float32 computed in float64 as
     * PyTorch's; rules: var_backward, 2 / (n - c) · g · (x - mean).
     */
    VAR(Kind.REDUCE),
    /**
     * The standard deviation, sqrt of the variance computed in float64 for float32 (attrs: Variance);
     * rules: std_backward, var_backward of g / (2 · std), 0 where std = 0.
     */
    STD(Kind.REDUCE),
    // softmax family over one dim (attrs: Dim)
    SOFTMAX(Kind.SOFTMAX), LOG_SOFTMAX(Kind.SOFTMAX),
    /** Batched matmul [..., m, k] @ [..., k, n] with broadcast batch dims. */
    MATMUL(Kind.MATMUL),
    // views: share storage
    RESHAPE(Kind.VIEW), PERMUTE(Kind.VIEW), EXPAND(Kind.VIEW), SLICE(Kind.VIEW),
    /** Copies a tensor into a slice of zeros of a larger shape (the transpose of SLICE). */
    SLICE_SCATTER(Kind.OTHER),
    /** A contiguous copy. */
    CONTIGUOUS(Kind.OTHER),
    /** dtype conversion. */
    CAST(Kind.OTHER),
    /** Copy to another device. */
    TO_DEVICE(Kind.OTHER),
    INDEX_SELECT(Kind.OTHER), INDEX_ADD(Kind.OTHER), GATHER(Kind.OTHER), SCATTER_ADD(Kind.OTHER),
    /** Concatenation of n tensors along a dim. */
    CAT(Kind.OTHER),
    // 2-d convolution (NCHW; attrs Conv or ConvGrad): the forward op and its two adjoints, each
    // bilinear, so their rules are written in each other
    /** conv2d(x, w), no bias. */
    CONV2D(Kind.CONV),
    /** The adjoint of conv2d in x: the input gradient given the output's, also conv_transpose2d. */
    CONV2D_INPUT_GRAD(Kind.CONV),
    /** The adjoint of conv2d in w: the weight gradient given x and the output's gradient. */
    CONV2D_WEIGHT_GRAD(Kind.CONV),
    // 2-d pooling (NCHW; attrs Pool or PoolGrad)
    MAX_POOL2D(Kind.POOL),
    /** The flat spatial index (h * W + w) of each max_pool2d window's maximum: int64, no derivative. */
    MAX_POOL2D_INDICES(Kind.POOL),
    AVG_POOL2D(Kind.POOL),
    /** The adjoint of avg_pool2d: the input gradient given the output's. */
    AVG_POOL2D_GRAD(Kind.POOL),
    // normalisation, one fused pass each (attrs LayerNorm, BatchNorm or GroupNorm: eps, and whether
    // weight and bias follow as inputs)
    /** layer_norm(x[, weight][, bias]) over the last {@code dims} dims; weight and bias have their shape. */
    LAYER_NORM(Kind.NORM),
    /**
     * The Jacobian of layer_norm without affine at x applied to g: inputs (x, g) of one shape. The
     * Jacobian is symmetric, so this is the vjp (g the normalised output's gradient) and the jvp
     * (g the input's tangent) alike, and, on [N, G, M] reshapes, group_norm's.
     */
    LAYER_NORM_GRAD(Kind.NORM),
    /** batch_norm in inference: (x [N, C, ...], running_mean [C], running_var [C][, weight [C]][, bias [C]]). */
    BATCH_NORM(Kind.NORM),
    /** group_norm(x [N, C, ...][, weight [C]][, bias [C]]) over {@code groups} channel groups. */
    GROUP_NORM(Kind.NORM);

    /**
     * True for the primitives whose kernel is a composition of other primitives' kernels (run on
     * plain tensors, so on every backend) while their derivative rules are their own.
     */
    public boolean isComposite() {
        return this == LOGSUMEXP || this == NORM || this == VAR || this == STD;
    }

    /** Families with a common kernel signature. */
    public enum Kind { UNARY, BINARY, COMPARE, WHERE, REDUCE, SOFTMAX, MATMUL, VIEW, OTHER, CONV, POOL, NORM }

    private final Kind kind;
    private final String opName;

    Prim(Kind kind) {
        this.kind = kind;
        this.opName = name().toLowerCase(Locale.ROOT);
    }

    public Kind kind() {
        return kind;
    }

    /** The attribute type this primitive takes. */
    public Class<? extends Attrs> attrsType() {
        return switch (this) {
            case RESHAPE, EXPAND -> Attrs.Shape.class;
            case PERMUTE -> Attrs.Permutation.class;
            case SLICE -> Attrs.Slice.class;
            case SLICE_SCATTER -> Attrs.SliceScatter.class;
            case SUM, PROD, AMAX, AMIN, LOGSUMEXP, NORM -> Attrs.Dims.class;
            case VAR, STD -> Attrs.Variance.class;
            case SOFTMAX, LOG_SOFTMAX, INDEX_SELECT, GATHER, CAT -> Attrs.Dim.class;
            case INDEX_ADD, SCATTER_ADD -> Attrs.Scatter.class;
            case CAST -> Attrs.Cast.class;
            case TO_DEVICE -> Attrs.Transfer.class;
            case CONV2D -> Attrs.Conv.class;
            case CONV2D_INPUT_GRAD, CONV2D_WEIGHT_GRAD -> Attrs.ConvGrad.class;
            case MAX_POOL2D, MAX_POOL2D_INDICES, AVG_POOL2D -> Attrs.Pool.class;
            case AVG_POOL2D_GRAD -> Attrs.PoolGrad.class;
            case LAYER_NORM, LAYER_NORM_GRAD -> Attrs.LayerNorm.class;
            case BATCH_NORM -> Attrs.BatchNorm.class;
            case GROUP_NORM -> Attrs.GroupNorm.class;
            default -> kind == Kind.UNARY ? Attrs.Scalars.class : Attrs.None.class;
        };
    }

    /** PyTorch-style lower-case name used in messages, e.g. {@code log_softmax}. */
    public String opName() {
        return opName; // every kernel launch names its op: computed once, not per call
    }
}
