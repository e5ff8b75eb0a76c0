package dev.tangent.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpStrategy;
import dev.tangent.reliability.Memory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad arguments to {@link F} (torch.nn.functional): wrong ranks, channels that do not divide into
 * groups, windows larger than the padded input, negative padding, zero stride, out-of-range
 * indices and targets, mismatched normalized shapes and parameter sizes. Each gets
 * {@link IllegalArgumentException} (or {@link IndexOutOfBoundsException} for an index) whose
 * message names the op and the shapes at fault — also when the call runs inside a jvp — and leaves
 * no native memory behind: {@link Tangent#liveBytes()} is back to its value once the test's
 * {@link Scope} closes (the pattern of reliability/BadInputCatalogueTest).
 */
class NnBadInputTest {
    private static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
    private static final Class<IndexOutOfBoundsException> IOOBE = IndexOutOfBoundsException.class;

    private long start;
    private Scope scope;

    @BeforeEach
    void open() throws InterruptedException {
        start = Memory.settledLiveBytes();
        scope = Scope.open();
    }

    @AfterEach
    void closeAndCheckNothingLeaked() throws InterruptedException {
        scope.close();
        long end = Memory.settledLiveBytes();
        assertTrue(end <= start, "native bytes live: " + start + " before, " + end + " after");
    }

    /** The call throws {@code type} with every fragment in its message; returns the exception. */
    static <T extends Throwable> T bad(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        String m = String.valueOf(e.getMessage());
        for (String f : fragments) {
            assertTrue(m.contains(f), "message should contain '" + f + "': " + m);
        }
        return e;
    }

    /** As {@link #bad}, and the same inside a jvp of both strategies (the error reaches the caller unchanged). */
    static <T extends Throwable> void badAlsoInJvp(Class<T> type, Tensor x, java.util.function.Function<Tensor, Tensor> f,
            String... fragments) {
        bad(type, () -> f.apply(x), fragments);
        for (JvpStrategy s : JvpStrategy.values()) {
            bad(type, () -> Functional.jvp(f, x, Tensor.onesLike(x), false, false, s), fragments);
        }
    }

    static Tensor r(long... shape) {
        return Tensor.random(1, true, DType.FLOAT64, shape);
    }

    // ------------------------------------------------------------------ wrong ranks

    @Test
    void conv2dOfA2dInput() {
        badAlsoInJvp(IAE, r(5, 5), x -> F.conv2d(x, r(2, 1, 3, 3)), "conv2d", "3-D", "4-D", "[5, 5]");
    }

    @Test
    void conv2dWithA3dWeight() {
        bad(IAE, () -> F.conv2d(r(1, 3, 5, 5), r(2, 3, 3)), "conv2d", "4-D weight", "[2, 3, 3]");
    }

    @Test
    void conv1dOfA4dInput() {
        bad(IAE, () -> F.conv1d(r(1, 3, 5, 5), r(2, 3, 3)), "conv1d", "2-D", "3-D", "[1, 3, 5, 5]");
    }

    @Test
    void convTranspose2dOfA3dInput() {
        bad(IAE, () -> F.convTranspose2d(r(3, 4, 4), r(3, 2, 3, 3), null, 1, 0), "conv_transpose2d", "[3, 4, 4]",
                "[3, 2, 3, 3]");
    }

    @Test
    void poolingOfWrongRanks() {
        badAlsoInJvp(IAE, r(6, 6), x -> F.maxPool2d(x, 2), "max_pool2d", "3-D or 4-D", "[6, 6]");
        bad(IAE, () -> F.avgPool2d(r(1, 1, 1, 6, 6), 2), "avg_pool2d", "[1, 1, 1, 6, 6]");
        bad(IAE, () -> F.maxPool1d(r(1, 2, 3, 8), 2), "max_pool1d", "[1, 2, 3, 8]");
        bad(IAE, () -> F.adaptiveAvgPool2d(r(6), 2), "adaptive_avg_pool2d", "[6]");
    }

    @Test
    void normalisationOfWrongRanks() {
        bad(IAE, () -> F.batchNorm(r(4), r(4), r(4).abs(), null, null), "batch_norm", "[4]");
        bad(IAE, () -> F.groupNorm(r(4), 2, null, null), "group_norm", "[4]");
        bad(IAE, () -> F.layerNorm(r(3, 4), 2, 3, 4), "layer_norm", "[2, 3, 4]", "[3, 4]");
    }

    @Test
    void linearOfWrongRanksAndSizes() {
        bad(IAE, () -> F.linear(r(3, 5), r(2, 4, 5)), "linear", "[2, 4, 5]");
        bad(IAE, () -> F.linear(r(3, 5), r(4, 6)), "linear", "[3, 5]", "[4, 6]");
        bad(IAE, () -> F.linear(Tensor.scalar(1.0), r(4, 1)), "linear", "[]");
    }

    @Test
    void embeddingWithA1dWeightOrFloatIndices() {
        bad(IAE, () -> F.embedding(Tensor.of(new long[] {0, 1}, 2), r(5)), "embedding", "2-D weight", "[5]");
        bad(IAE, () -> F.embedding(Tensor.of(new double[] {0, 1}, 2), r(5, 3)), "embedding", "Long", "float64");
    }

    @Test
    void attentionOfWrongRanksAndMasks() {
        bad(IAE, () -> F.scaledDotProductAttention(r(4), r(3, 4), r(3, 2)), "scaled_dot_product_attention", "[4]",
                "[3, 4]", "[3, 2]");
        bad(IAE, () -> F.scaledDotProductAttention(r(2, 4), r(3, 5), r(3, 2)), "scaled_dot_product_attention", "[2, 4]",
                "[3, 5]");
        bad(IAE, () -> F.scaledDotProductAttention(r(2, 4), r(3, 4), r(3, 2), r(2, 4), false, Double.NaN),
                "scaled_dot_product_attention", "attn_mask", "[2, 3]", "[2, 4]");
        bad(IAE, () -> F.scaledDotProductAttention(r(2, 4), r(3, 4), r(3, 2), Tensor.of(new long[] {1, 0, 1}, 3), false,
                Double.NaN), "scaled_dot_product_attention", "attn_mask", "int64");
        bad(IAE, () -> F.scaledDotProductAttention(r(2, 4), r(3, 4), r(3, 2), r(2, 3), true, Double.NaN),
                "scaled_dot_product_attention", "is_causal");
    }

    @Test
    void crossEntropyOfWrongRanks() {
        bad(IAE, () -> F.crossEntropy(Tensor.scalar(1.0), Tensor.of(new long[] {0}, 1)), "cross_entropy", "[]");
        bad(IAE, () -> F.crossEntropy(r(4, 5), Tensor.of(new long[] {0, 1, 2}, 3)), "cross_entropy", "[4]", "[4, 5]",
                "[3]");
        bad(IAE, () -> F.crossEntropy(r(4, 5), r(4, 4)), "cross_entropy", "probabilities", "[4, 5]", "[4, 4]");
        bad(IAE, () -> F.crossEntropy(r(4, 5), Tensor.of(new long[] {0, 1, 2, 3}, 4), r(4), -100, "mean"),
                "cross_entropy", "weight", "[5]", "[4]");
        bad(IAE, () -> F.crossEntropy(r(4, 5), Tensor.of(new long[] {0, 1, 2, 3}, 4), "avg"), "cross_entropy", "avg");
    }

    @Test
    void mseLossOfDifferentShapes() {
        bad(IAE, () -> F.mseLoss(r(4, 3), r(3, 4)), "mse_loss", "[4, 3]", "[3, 4]");
    }

    // ------------------------------------------------------------------ groups

    @Test
    void conv2dInputChannelsNotMatchingGroups() {
        // groups 3 with a weight [6, 1, 3, 3] wants 3 input channels; 4 given
        badAlsoInJvp(IAE, r(1, 4, 5, 5), x -> F.conv2d(x, r(6, 1, 3, 3), null, 1, 1, 1, 3), "conv2d", "groups=3",
                "[6, 1, 3, 3]", "[1, 4, 5, 5]", "4 channels");
    }

    @Test
    void conv2dOutputChannelsNotDivisibleByGroups() {
        bad(IAE, () -> F.conv2d(r(1, 4, 5, 5), r(3, 2, 3, 3), null, 1, 1, 1, 2), "conv2d", "out channels 3",
                "[3, 2, 3, 3]", "groups=2");
    }

    @Test
    void conv2dWithZeroGroups() {
        bad(IAE, () -> F.conv2d(r(1, 4, 5, 5), r(2, 4, 3, 3), null, 1, 1, 1, 0), "conv2d", "groups=0", "[1, 4, 5, 5]");
    }

    @Test
    void groupNormChannelsNotDivisibleByGroups() {
        badAlsoInJvp(IAE, r(2, 6, 3), x -> F.groupNorm(x, 4, null, null), "group_norm", "divisible by num_groups",
                "[2, 6, 3]", "num_groups=4");
        bad(IAE, () -> F.groupNorm(r(2, 6, 3), 0, null, null), "group_norm", "num_groups=0");
    }

    // ------------------------------------------------------------------ windows and geometry

    @Test
    void conv2dKernelLargerThanThePaddedInput() {
        badAlsoInJvp(IAE, r(1, 2, 4, 4), x -> F.conv2d(x, r(3, 2, 7, 7), null, 1, 1, 1, 1), "conv2d",
                "kernel size 7", "padded input size 6", "[1, 2, 4, 4]", "[3, 2, 7, 7]");
        // dilation makes a 3-wide kernel 5 wide
        bad(IAE, () -> F.conv2d(r(1, 2, 4, 4), r(3, 2, 3, 3), null, 1, 0, 2, 1), "conv2d", "dilated to 5",
                "[1, 2, 4, 4]");
    }

    @Test
    void poolingKernelLargerThanThePaddedInput() {
        badAlsoInJvp(IAE, r(1, 2, 3, 3), x -> F.maxPool2d(x, 5), "max_pool2d", "kernel size 5",
                "padded input size 3", "[1, 2, 3, 3]");
        bad(IAE, () -> F.avgPool2d(r(1, 2, 3, 3), 4, 1, 0, false, true), "avg_pool2d", "kernel size 4", "[1, 2, 3, 3]");
        bad(IAE, () -> F.maxPool1d(r(1, 2, 3), 4), "max_pool2d", "kernel size 4", "[1, 2, 1, 3]");
    }

    @Test
    void poolingPaddingLargerThanHalfTheKernel() {
        bad(IAE, () -> F.maxPool2d(r(1, 1, 6, 6), 2, 2, 2), "max_pool2d", "pad should be at most half", "pad=2",
                "kernel_size=2", "[1, 1, 6, 6]");
    }

    @Test
    void negativePadding() {
        badAlsoInJvp(IAE, r(1, 2, 5, 5), x -> F.conv2d(x, r(3, 2, 3, 3), null, 1, -1, 1, 1), "conv2d",
                "padding non-negative", "padding [-1, -1]", "[1, 2, 5, 5]", "[3, 2, 3, 3]");
        bad(IAE, () -> F.maxPool2d(r(1, 2, 5, 5), 3, 1, -1), "max_pool2d", "padding [-1, -1]", "[1, 2, 5, 5]");
        bad(IAE, () -> F.avgPool2d(r(1, 2, 5, 5), 3, 1, -1, false, true), "avg_pool2d", "padding [-1, -1]",
                "[1, 2, 5, 5]");
        bad(IAE, () -> F.conv1d(r(1, 2, 5), r(3, 2, 3), null, 1, -2, 1, 1), "conv2d", "padding [0, -2]");
    }

    @Test
    void zeroStride() {
        badAlsoInJvp(IAE, r(1, 2, 5, 5), x -> F.conv2d(x, r(3, 2, 3, 3), null, 0, 1, 1, 1), "conv2d",
                "stride [0, 0]", "[1, 2, 5, 5]", "[3, 2, 3, 3]");
        bad(IAE, () -> F.maxPool2d(r(1, 2, 5, 5), 2, 0, 0), "max_pool2d", "stride [0, 0]", "[1, 2, 5, 5]");
        bad(IAE, () -> F.avgPool2d(r(1, 2, 5, 5), 2, 0, 0, false, true), "avg_pool2d", "stride [0, 0]");
        bad(IAE, () -> F.maxPool1d(r(1, 2, 5), 2, 0, 0, 1, false), "max_pool2d", "stride [1, 0]");
        bad(IAE, () -> F.convTranspose2d(r(1, 3, 4, 4), r(3, 2, 3, 3), null, 0, 0), "conv_transpose2d", "stride [0, 0]",
                "[1, 3, 4, 4]", "[3, 2, 3, 3]");
    }

    @Test
    void geometryArraysOfTheWrongLength() {
        bad(IAE, () -> F.conv2d(r(1, 2, 5, 5), r(3, 2, 3, 3), null, new long[] {1}, new long[] {0, 0},
                new long[] {1, 1}, 1), "conv2d", "2 entries", "[1]");
        bad(IAE, () -> F.maxPool2d(r(1, 2, 5, 5), new long[] {2, 2, 2}, new long[] {2, 2}, new long[] {0, 0},
                new long[] {1, 1}, false), "max_pool2d", "2 entries", "[2, 2, 2]");
    }

    @Test
    void adaptivePoolingToANonPositiveSize() {
        bad(IAE, () -> F.adaptiveAvgPool2d(r(1, 2, 5, 5), 0, 2), "adaptive_avg_pool2d", "(0, 2)");
    }

    // ------------------------------------------------------------------ indices and targets

    @Test
    void embeddingIndexOutOfRange() {
        Tensor w = r(5, 4);
        IndexOutOfBoundsException e = bad(IOOBE, () -> F.embedding(Tensor.of(new long[] {0, 5, 1}, 3), w), "embedding",
                "index 5", "5 rows", "[5, 4]");
        assertTrue(e.getMessage().startsWith("embedding:"), e.getMessage());
        bad(IOOBE, () -> F.embedding(Tensor.of(new long[] {-1}, 1), w), "embedding", "index -1", "[5, 4]");
        for (JvpStrategy s : JvpStrategy.values()) {
            bad(IOOBE, () -> Functional.jvp((Tensor t) -> F.embedding(Tensor.of(new long[] {7}, 1), t), w,
                    Tensor.onesLike(w), false, false, s), "embedding", "index 7");
        }
    }

    @Test
    void crossEntropyTargetOutOfRange() {
        Tensor z = r(3, 4);
        badAlsoInJvp(IOOBE, z, t -> F.crossEntropy(t, Tensor.of(new long[] {0, 4, 1}, 3)), "cross_entropy",
                "Target 4 is out of bounds", "4 classes", "[3, 4]");
        bad(IOOBE, () -> F.crossEntropy(z, Tensor.of(new long[] {0, -1, 1}, 3)), "cross_entropy", "Target -1",
                "[3, 4]");
        // -100 is PyTorch's ignore_index, not out of range; with another ignore_index it is
        bad(IOOBE, () -> F.crossEntropy(z, Tensor.of(new long[] {0, -100, 1}, 3), null, 2, "mean"), "cross_entropy",
                "Target -100", "ignore_index 2");
        bad(IOOBE, () -> F.crossEntropy(r(4), Tensor.scalar(4.0, DType.INT64)), "cross_entropy", "Target 4", "[4]");
    }

    @Test
    void crossEntropyTargetOfANonFloatTypeOtherThanInt64() {
        bad(IAE, () -> F.crossEntropy(r(3, 4), Tensor.of(new double[] {0, 1, 1}, DType.BOOL, 3)), "cross_entropy",
                "int64", "bool");
    }

    // ------------------------------------------------------------------ normalized shapes and parameter sizes

    @Test
    void layerNormShapeNotMatchingTheTrailingDims() {
        badAlsoInJvp(IAE, r(2, 3, 4), x -> F.layerNorm(x, 3), "layer_norm", "normalized_shape=[3]", "[*, 3]",
                "[2, 3, 4]");
        bad(IAE, () -> F.layerNorm(r(2, 3, 4), 4, 3), "layer_norm", "normalized_shape=[4, 3]", "[2, 3, 4]");
        bad(IAE, () -> F.layerNorm(r(2, 3, 4), new long[0], null, null, 1e-5), "layer_norm", "normalized_shape=[]");
    }

    @Test
    void layerNormWeightOrBiasOfTheWrongShape() {
        bad(IAE, () -> F.layerNorm(r(2, 3, 4), new long[] {4}, r(3), null, 1e-5), "layer_norm", "[4]", "[3]");
        bad(IAE, () -> F.layerNorm(r(2, 3, 4), new long[] {3, 4}, null, r(4), 1e-5), "layer_norm", "[3, 4]", "[4]");
    }

    @Test
    void biasOfTheWrongSize() {
        badAlsoInJvp(IAE, r(1, 2, 5, 5), x -> F.conv2d(x, r(3, 2, 3, 3), r(4)), "conv2d", "bias", "[3]", "[4]");
        bad(IAE, () -> F.convTranspose2d(r(1, 3, 4, 4), r(3, 2, 3, 3), r(3), 1, 0), "conv_transpose2d", "bias", "[2]",
                "[3]");
        bad(IAE, () -> F.conv1d(r(1, 2, 6), r(3, 2, 3), r(2), 1, 0, 1, 1), "conv2d", "bias", "[3]", "[2]");
        badAlsoInJvp(IAE, r(3, 5), x -> F.linear(x, r(4, 5), r(3)), "linear", "bias [3]", "[3, 4]", "[4, 5]");
        bad(IAE, () -> F.linear(r(3, 5), r(4, 5), r(2, 4)), "linear", "bias [2, 4]", "[3, 4]");
        bad(IAE, () -> F.batchNorm(r(2, 3, 4), r(3), r(3).abs(), r(3), r(2)), "batch_norm", "bias", "[3]", "[2]");
        bad(IAE, () -> F.groupNorm(r(2, 4, 3), 2, r(4), r(2)), "group_norm", "bias", "[4]", "[2]");
    }

    @Test
    void batchNormStatisticsAndWeightOfTheWrongSize() {
        bad(IAE, () -> F.batchNorm(r(2, 3, 4), r(4), r(3).abs(), null, null), "batch_norm", "running_mean", "[3]", "[4]");
        bad(IAE, () -> F.batchNorm(r(2, 3, 4), r(3), r(3, 1).abs(), null, null), "batch_norm", "running_var", "[3, 1]");
        bad(IAE, () -> F.batchNorm(r(2, 3, 4), r(3), r(3).abs(), r(2), null), "batch_norm", "weight", "[3]", "[2]");
        bad(IAE, () -> F.batchNorm(r(2, 3), null, null, null, null), "batch_norm", "running_mean and running_var");
        bad(IAE, () -> F.batchNormTraining(r(1, 3), null, null, null, null, 0.1, 1e-5), "batch_norm",
                "more than 1 value per channel", "[1, 3]");
        bad(IAE, () -> F.groupNorm(r(2, 4, 3), 2, r(3), null), "group_norm", "weight", "[4]", "[3]");
    }

    // ------------------------------------------------------------------ dropout

    @Test
    void dropoutProbabilityOutOfRangeOrNoSeed() {
        bad(IAE, () -> F.dropout(r(3), 1.5, true, 1), "dropout", "between 0 and 1", "1.5");
        bad(IAE, () -> F.dropout(r(3), -0.1, false), "dropout", "-0.1");
        bad(IAE, () -> F.dropout(r(3), 0.5, true), "dropout", "seed");
    }

    @Test
    void hardtanhWithMinAboveMax() {
        bad(IAE, () -> F.hardtanh(r(3), 1, -1), "hardtanh", "min_val", "max_val");
    }

    /** A failure inside a scope leaves exactly what the scope made: nothing once it closes. */
    @Test
    void aFailingModelLeavesNothingBehind() throws InterruptedException {
        long before = Tangent.liveBytes();
        try (Scope inner = Scope.open()) {
            Tensor x = r(2, 3, 8, 8);
            Tensor h = F.relu(F.conv2d(x, r(4, 3, 3, 3), r(4), 1, 1, 1, 1));
            bad(IAE, () -> F.conv2d(F.maxPool2d(h, 2), r(5, 3, 3, 3)), "conv2d", "[2, 4, 4, 4]", "[5, 3, 3, 3]");
            assertTrue(Tangent.liveBytes() > before, "the scope holds the model's tensors until it closes");
        }
        long after = Tangent.liveBytes();
        assertTrue(after <= before, "closing the scope freed everything, the failed call included: " + before
                + " bytes before, " + after + " after");
    }
}
