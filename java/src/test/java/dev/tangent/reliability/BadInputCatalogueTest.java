package dev.tangent.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.backend.NativeMemory;
import dev.tangent.functional.Functional;
import dev.tangent.functional.FunctionalException;
import dev.tangent.functional.FunctionalException.Kind;
import dev.tangent.functional.GradCheck;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import dev.tangent.functional.JvpStrategy;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The bad-input catalogue of docs/RELIABILITY.md, one test per row: the exception type and the
 * message (fragments naming the op, the shapes or values at fault), or, for NaN/Inf inputs, the
 * IEEE result PyTorch gives. BadInputTest covers the basic shape/dim/index errors; this goes across
 * op families, the functional API, plans, devices and scopes. Every test also checks that the
 * failure leaves no native memory behind.
 */
class BadInputCatalogueTest {
    private static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
    private static final Class<IndexOutOfBoundsException> IOOBE = IndexOutOfBoundsException.class;
    private static final Class<IllegalStateException> ISE = IllegalStateException.class;
    private static final Class<FunctionalException> FE = FunctionalException.class;

    private long start;
    private Scope scope;
    private Tensor m23;

    @BeforeEach
    void open() throws InterruptedException {
        start = Memory.settledLiveBytes();
        scope = Scope.open();
        m23 = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
    }

    @AfterEach
    void closeAndCheckNothingLeaked() throws InterruptedException {
        scope.close();
        long end = Memory.settledLiveBytes();
        assertTrue(end <= start, "native bytes live: " + start + " before, " + end + " after");
    }

    static <T extends Throwable> T bad(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        String m = String.valueOf(e.getMessage());
        for (String f : fragments) {
            assertTrue(m.contains(f), "message should contain '" + f + "': " + m);
        }
        return e;
    }

    static Tensor d(double... v) {
        return Tensor.of(v, v.length);
    }

    static final double INF = Double.POSITIVE_INFINITY;
    static final double NAN = Double.NaN;

    // ------------------------------------------------------------------ functional API: v structure

    @Test
    void vTupleOfWrongLength() {
        FunctionalException e = bad(FE, () -> Functional.jvp((Tuple t) -> t.get(0).add(t.get(1)),
                Tuple.of(Tensor.ones(2), Tensor.ones(2)), Tuple.of(Tensor.ones(2))),
                "v is a tuple of invalid length: should be 2 but got 1");
        assertEquals(Kind.V_LENGTH_MISMATCH, e.kind());
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void vSingleTensorForATupleOfTwoInputs() {
        Function f = (Function<Tuple, Tensor>) t -> t.get(0).add(t.get(1));
        FunctionalException e = bad(FE, () -> Functional.jvp(f, (Value) Tuple.of(Tensor.ones(2), Tensor.ones(2)),
                (Value) Tensor.ones(2)), "invalid length: should be 2 but got 1");
        assertEquals(Kind.V_LENGTH_MISMATCH, e.kind());
    }

    @Test
    void vOfWrongShape() {
        FunctionalException e = bad(FE, () -> Functional.jvp((Tensor t) -> t.exp(), Tensor.ones(2, 3), Tensor.ones(3, 2)),
                "v has invalid size", "torch.Size([2, 3])", "torch.Size([3, 2])");
        assertEquals(Kind.V_SHAPE_MISMATCH, e.kind());
    }

    @Test
    void vOfWrongShapeInsideATuple() {
        bad(FE, () -> Functional.jvp((Tuple t) -> t.get(0).add(t.get(1)), Tuple.of(Tensor.ones(2), Tensor.ones(2)),
                Tuple.of(Tensor.ones(2), Tensor.ones(3))), "torch.Size([2])", "torch.Size([3])");
    }

    @Test
    void vOfAnotherDtypeIsCastToTheInputsDtype() {
        // PyTorch casts the tangent; the jvp of exp at 0 with v = 1 is exactly 1 in float64.
        JvpResult<Tensor> r = Functional.jvp((Tensor t) -> t.exp(), Tensor.zeros(DType.FLOAT64, 2), Tensor.ones(2));
        assertEquals(DType.FLOAT64, r.jvp().dtype());
        assertArrayEquals(new double[] {1, 1}, r.jvp().toDoubleArray());
    }

    @Test
    void vOmittedForAMultiElementInput() {
        FunctionalException e = bad(FE, () -> Functional.jvp((Tensor t) -> t.exp(), Tensor.ones(2), null),
                "v can only be None", "single element");
        assertEquals(Kind.V_NONE_MULTI_ELEMENT, e.kind());
    }

    @Test
    void inputsNull() {
        bad(FE, () -> Functional.jvp((Tensor t) -> t.exp(), null, Tensor.ones(1)), "inputs given to jvp", "is null");
    }

    @Test
    void functionNull() {
        bad(FE, () -> Functional.jvp((Function<Tensor, Tensor>) null, Tensor.ones(1), Tensor.ones(1)), "function", "null");
    }

    // ------------------------------------------------------------------ functional API: the user's function

    @Test
    void functionReturnsNullInEitherStrategy() {
        for (JvpStrategy s : JvpStrategy.values()) {
            FunctionalException e = bad(FE, () -> Functional.jvp((Tensor t) -> (Tensor) null, Tensor.ones(2),
                    Tensor.ones(2), false, false, s), "outputs of the user-provided function", "type null");
            assertEquals(Kind.OUTPUT_NOT_TENSOR, e.kind());
        }
    }

    @Test
    void functionReturnsANestedTuple() {
        bad(FE, () -> Functional.jvp((Tensor t) -> (Value) Tuple.of(t, Tuple.of(t)), Tensor.ones(2), Tensor.ones(2)),
                "value at index 1 has type Tuple");
    }

    @Test
    void functionThrowsHalfwayThroughTheJvp() {
        for (JvpStrategy s : JvpStrategy.values()) {
            IllegalStateException mine = new IllegalStateException("user failure");
            IllegalStateException e = assertThrows(ISE, () -> Functional.jvp((Tensor t) -> {
                Tensor h = t.exp().matmul(Tensor.ones(4, 4)).tanh(); // allocates first
                if (h.numel() > 0) {
                    throw mine;
                }
                return h;
            }, Tensor.rand(1, 4, 4), Tensor.ones(4, 4), false, false, s));
            assertSame(mine, e, "the user's exception propagates unchanged (" + s + ")");
        }
        // and the forward-mode level stack is intact: a later jvp still computes exp' = exp
        JvpResult<Tensor> r = Functional.jvp((Tensor t) -> t.exp(), Tensor.zeros(DType.FLOAT64, 1), Tensor.ones(DType.FLOAT64, 1));
        assertEquals(1.0, r.jvp().item());
    }

    @Test
    void functionThrowsAnError() {
        StackOverflowError mine = new StackOverflowError("deep user recursion");
        assertSame(mine, assertThrows(StackOverflowError.class,
                () -> Functional.jvp((Tensor t) -> { t.sin(); throw mine; }, Tensor.ones(2), Tensor.ones(2))));
    }

    @Test
    void strictModeWithAnIndependentOutput() {
        bad(FE, () -> Functional.jvp((Tensor t) -> Tensor.ones(2), Tensor.ones(2), Tensor.ones(2), false, true),
                "does not require gradients", "strict mode");
    }

    @Test
    void integerInputsUnderEveryStrategy() {
        for (JvpStrategy strategy : JvpStrategy.values()) {
            bad(IAE, () -> Functional.jvp((Tensor t) -> t.mul(2), Tensor.arange(3), Tensor.arange(3), false, false,
                    strategy), "jvp", "floating point", "int64");
        }
    }

    @Test
    void hvpOfANonScalarFunction() {
        bad(FE, () -> Functional.hvp((Tensor t) -> t.exp(), Tensor.ones(2), Tensor.ones(2)), "hvp", "single element");
    }

    @Test
    void gradCheckOnFloat32() {
        bad(IAE, () -> GradCheck.check((Tensor t) -> t.exp(), Tensor.ones(2)), "gradcheck", "float32", "float64");
    }

    // ------------------------------------------------------------------ closed scopes

    private static Tensor freed() {
        Tensor t;
        try (Scope s = Scope.open()) {
            t = Tensor.ones(4, 4);
        }
        return t;
    }

    @Test
    void inputFromAClosedScope() {
        Tensor x = freed();
        for (JvpStrategy s : JvpStrategy.values()) {
            bad(ISE, () -> Functional.jvp((Tensor t) -> t.exp(), x, Tensor.ones(4, 4), false, false, s),
                    "exp", "scope was closed", "freed", "Scope.keep");
        }
    }

    @Test
    void tangentFromAClosedScope() {
        bad(ISE, () -> Functional.jvp((Tensor t) -> t.exp(), Tensor.ones(4, 4), freed()), "scope was closed");
    }

    @Test
    void constantCapturedFromAClosedScope() {
        Tensor w = freed();
        bad(ISE, () -> Functional.jvp((Tensor t) -> t.mul(w), Tensor.ones(4, 4), Tensor.ones(4, 4)), "mul", "freed");
    }

    @Test
    void keepOnAClosedScope() {
        Scope s = Scope.open();
        s.close();
        bad(ISE, () -> s.keep(Tensor.ones(1)), "Scope.keep", "closed");
    }

    // ------------------------------------------------------------------ devices

    @Test
    void cudaTensorWhereCudaIsUnavailable() {
        org.junit.jupiter.api.Assumptions.assumeFalse(Device.cudaAvailable(), "CUDA is available here");
        IllegalStateException e = bad(ISE, () -> Tensor.ones(2).to(Device.cuda(0)), "cuda:0", "not available");
        assertTrue(e.getMessage().contains(Device.cudaUnavailableReason()), e.getMessage());
        bad(ISE, () -> Tensor.full(1, DType.FLOAT32, Device.cuda(0), 2), "cuda:0", "not available");
    }

    @Test
    void negativeDeviceIndex() {
        bad(IAE, () -> Device.cuda(-1), "Device.cuda", "-1");
    }

    // ------------------------------------------------------------------ compiled plans

    @Test
    void planCalledWithOtherShapesDtypesOrStructure() {
        try (JvpPlan<Tensor, Tensor> plan = JvpPlan.compile((Tensor t) -> t.exp().sum(1), Tensor.ones(4, 4))) {
            bad(IAE, () -> plan.apply(Tensor.ones(4, 5), Tensor.ones(4, 5)), "JvpPlan.apply", "inputs 0", "[4, 5]",
                    "[4, 4]", "compile another plan");
            bad(IAE, () -> plan.apply(Tensor.ones(4, 4), Tensor.ones(4, 5)), "v 0", "[4, 5]");
            bad(IAE, () -> plan.apply(Tensor.ones(DType.FLOAT64, 4, 4), Tensor.ones(DType.FLOAT64, 4, 4)), "float64", "float32");
            @SuppressWarnings({"unchecked", "rawtypes"})
            JvpPlan raw = plan;
            bad(IAE, () -> raw.apply(Tuple.of(Tensor.ones(4, 4)), Tuple.of(Tensor.ones(4, 4))),
                    "must be a single Tensor as compiled, got a Tuple of 1");
            bad(FE, () -> plan.apply(null, Tensor.ones(4, 4)), "JvpPlan.apply", "null");
            bad(ISE, () -> plan.apply(freed(), Tensor.ones(4, 4)), "JvpPlan.apply", "freed");
        }
    }

    @Test
    void planAfterClose() {
        JvpPlan<Tensor, Tensor> plan = JvpPlan.compile((Tensor t) -> t.exp().sum(1), Tensor.ones(4, 4));
        plan.close();
        bad(ISE, () -> plan.apply(Tensor.ones(4, 4), Tensor.ones(4, 4)), "JvpPlan", "closed");
        plan.close(); // idempotent
    }

    @Test
    void planOfAFunctionThatThrows() {
        IllegalStateException mine = new IllegalStateException("boom");
        assertSame(mine, assertThrows(ISE, () -> JvpPlan.compile((Tensor t) -> { t.exp(); throw mine; }, Tensor.ones(2))));
    }

    // ------------------------------------------------------------------ dtype and dims across op families

    @Test
    void indexTensorsMustBeInt64AcrossIndexingOps() {
        bad(IAE, () -> m23.gather(1, Tensor.ones(2, 1)), "gather", "int64", "float32");
        bad(IAE, () -> m23.indexSelect(0, Tensor.ones(1).gt(0)), "index_select", "bool");
    }

    @Test
    void floatOnlyOpsOnIntegerAndBoolTensors() {
        bad(IAE, () -> Tensor.arange(3).softmax(0), "softmax", "int64");
        bad(IAE, () -> m23.gt(2).matmul(m23.gt(2).T()), "matmul", "floating point", "bool");
        bad(IAE, () -> Tensor.arange(3).norm(), "norm", "int64");
    }

    @Test
    void dimOutOfRangeAcrossReductionsAndViews() {
        bad(IAE, () -> m23.logsumexp(3), "logsumexp", "dimension out of range", "[-2, 1]", "3");
        bad(IAE, () -> m23.var(4), "var", "[-2, 1]", "4");
        bad(IAE, () -> m23.norm(new int[] {2}, false), "norm", "dimension out of range", "2");
        bad(IAE, () -> m23.std(new int[] {-3}, true, false), "std", "[-2, 1]", "-3");
        bad(IAE, () -> m23.flatten(0, 3), "flatten", "3");
        bad(IAE, () -> m23.squeeze(3), "squeeze", "3");
        bad(IAE, () -> m23.permute(0, 2), "permute", "2");
        bad(IAE, () -> m23.gather(5, Tensor.of(new long[] {0}, 1, 1)), "gather", "5");
        bad(IAE, () -> m23.indexSelect(2, Tensor.arange(1)), "index_select", "2");
        bad(IAE, () -> m23.slice(3, 0, 1), "slice", "3");
    }

    @Test
    void reshapeAmbiguousOrIncompatible() {
        bad(IAE, () -> Tensor.zeros(0, 3).reshape(0, -1), "reshape", "[0, -1]", "size 0");
        bad(IAE, () -> Tensor.ones(3, 1).expand(3, 4).view(12), "view", "[12]", "[3, 4]", "stride [1, 0]", "reshape");
        bad(IAE, () -> m23.expand(2), "expand", "(1)", "(2)");
    }

    @Test
    void outOfRangeIndicesAtTheLimitsOfLong() {
        bad(IOOBE, () -> m23.indexSelect(1, Tensor.of(new long[] {Long.MAX_VALUE}, 1)), "index_select",
                String.valueOf(Long.MAX_VALUE), "size 3");
        bad(IOOBE, () -> m23.index(Tensor.of(new long[] {Long.MIN_VALUE}, 1)), "index", String.valueOf(Long.MIN_VALUE));
        bad(IOOBE, () -> Tensor.zeros(0, 3).select(0, 0), "select", "index 0", "size 0");
    }

    @Test
    void emptySliceAndEmptyReductions() {
        assertArrayEquals(new long[] {2, 0}, m23.slice(1, 2, 1).shape(), "start past end gives an empty slice, as in Python");
        bad(IAE, () -> Tensor.zeros(0).amax(), "amax", "non-zero size", "[0]");
        assertEquals(0.0, Tensor.zeros(DType.FLOAT64, 0).sum().item());
        assertTrue(Double.isNaN(Tensor.zeros(DType.FLOAT64, 0).mean().item()), "mean of nothing is nan");
    }

    // ------------------------------------------------------------------ NaN and Inf propagate as in PyTorch

    @Test
    void expAndLogAtTheEdges() {
        assertArrayEquals(new double[] {INF, 0, NAN}, d(INF, -INF, NAN).exp().toDoubleArray());
        assertArrayEquals(new double[] {NAN, -INF, INF}, d(-1, 0, INF).log().toDoubleArray());
        assertArrayEquals(new double[] {NAN, 0, 2}, d(-1, 0, 4).sqrt().toDoubleArray());
        assertArrayEquals(new double[] {INF, -INF, NAN}, d(1, -1, 0).div(0).toDoubleArray());
    }

    @Test
    void jvpThroughInfAndNan() {
        // d/dx exp = exp: inf·1, 0·1, nan; d/dx log = 1/x: -1, inf, 1; d/dx sqrt = 1/(2 sqrt x): nan, inf, 1/4
        assertArrayEquals(new double[] {INF, 0, NAN},
                Functional.jvp((Tensor t) -> t.exp(), d(INF, -INF, NAN), d(1, 1, 1)).jvp().toDoubleArray());
        assertArrayEquals(new double[] {-1, INF, 1},
                Functional.jvp((Tensor t) -> t.log(), d(-1, 0, 1), d(1, 1, 1)).jvp().toDoubleArray());
        assertArrayEquals(new double[] {NAN, INF, 0.25},
                Functional.jvp((Tensor t) -> t.sqrt(), d(-1, 0, 4), d(1, 1, 1)).jvp().toDoubleArray());
        for (JvpStrategy s : JvpStrategy.values()) {
            double j = Functional.jvp((Tensor t) -> t.tanh().sum(), Tensor.of(new float[] {Float.POSITIVE_INFINITY,
                    Float.NaN}, 2), Tensor.ones(2), false, false, s).jvp().item();
            assertTrue(Double.isNaN(j), "tanh'(inf) + tanh'(nan) = 0 + nan under " + s + ", got " + j);
        }
    }

    @Test
    void nanPropagatesThroughReductionsMaxAndMatmul() {
        assertTrue(Double.isNaN(d(1, NAN, 3).amax().item()), "amax with a nan is nan");
        assertArrayEquals(new double[] {NAN, NAN}, d(NAN, 1).maximum(d(0, NAN)).toDoubleArray());
        assertArrayEquals(new double[] {NAN, NAN, NAN}, d(INF, 1, 2).softmax(0).toDoubleArray(), "inf - inf: all nan, as PyTorch");
        float[] mm = Tensor.of(new float[] {Float.NaN, 1, 1, 1}, 2, 2).matmul(Tensor.ones(2, 2)).toFloatArray();
        assertTrue(Float.isNaN(mm[0]) && Float.isNaN(mm[1]) && mm[2] == 2 && mm[3] == 2, java.util.Arrays.toString(mm));
        assertArrayEquals(new double[] {NAN}, d(NAN).relu().toDoubleArray());
    }

    @Test
    void nanThroughOneDnnSizedWorkNeverCrashes() {
        // Large enough to cross the oneDNN cut-overs: nan/inf go through the native kernels too.
        float[] v = new float[8192];
        v[0] = Float.NaN;
        v[1] = Float.POSITIVE_INFINITY;
        v[2] = Float.NEGATIVE_INFINITY;
        Tensor x = Tensor.of(v, 64, 128);
        JvpResult<Tensor> r = Functional.jvp((Tensor t) -> t.tanh().matmul(Tensor.ones(128, 64)).sum(1), x,
                Tensor.ones(64, 128));
        float[] out = r.output().toFloatArray();
        float[] jvp = r.jvp().toFloatArray();
        assertTrue(Float.isNaN(out[0]) && Float.isNaN(jvp[0]), "row 0 holds the nan: " + out[0] + ", " + jvp[0]);
        for (int i = 1; i < out.length; i++) {
            assertEquals(0f, out[i], "tanh(0) = 0 on the rows without nan/inf");
            assertEquals(128f * 64f, jvp[i], "tanh'(0) = 1: 128 * 64 on the rows without nan/inf");
        }
    }

    @Test
    void absentTangentAddsNoNanTerm() {
        // PyTorch skips the term of an input with no tangent: d(2x) = 2 dx even at x = inf or nan, and
        // the jvp of mean is mean(v) whatever x holds.
        for (JvpStrategy s : JvpStrategy.values()) {
            assertArrayEquals(new double[] {2, 2}, Functional.jvp((Tensor t) -> t.mul(2), d(INF, NAN), d(1, 1),
                    false, false, s).jvp().toDoubleArray(), s.toString());
            assertArrayEquals(new double[] {0.5, 0.5}, Functional.jvp((Tensor t) -> t.div(2), d(INF, NAN), d(1, 1),
                    false, false, s).jvp().toDoubleArray(), s.toString());
            assertEquals(1.0, Functional.jvp((Tensor t) -> t.mean(), d(NAN, 1, 2), d(1, 1, 1), false, false, s)
                    .jvp().item(), s.toString());
        }
    }

    @Test
    void integerDivisionByZeroIsTrueDivision() {
        // PyTorch's `/` on int64 is true division: 0/0 = nan, 1/0 = inf, as float
        Tensor q = Tensor.arange(3).div(Tensor.zeros(DType.INT64, 3));
        assertTrue(q.dtype().isFloatingPoint());
        double[] r = q.toDoubleArray();
        assertTrue(Double.isNaN(r[0]) && r[1] == INF && r[2] == INF, java.util.Arrays.toString(r));
    }
}
