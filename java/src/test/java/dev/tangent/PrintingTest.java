package dev.tangent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * toString() as PyTorch prints (default print options: precision 4, threshold 1000, edge items 3,
 * line width 80). Every expectation is what {@code repr(torch.tensor(...))} gives for the same data,
 * following torch/_tensor_str.py.
 */
class PrintingTest {
    private Scope scope;

    @BeforeEach
    void open() {
        scope = Scope.open();
    }

    @AfterEach
    void close() {
        scope.close();
    }

    static Tensor f32(double... v) {
        return Tensor.of(v, DType.FLOAT32, v.length);
    }

    static Tensor f64(double... v) {
        return Tensor.vector(v);
    }

    @Test
    void fixedPointFloats() {
        assertEquals("tensor([6.3090, 4.6742, 7.9114, 8.2106])", f32(6.3090, 4.6742, 7.9114, 8.2106).toString());
        assertEquals("tensor([1.5000, 2.0000], dtype=torch.float64)", f64(1.5, 2).toString());
        assertEquals("tensor([-0.5000,  2.2500])", f32(-0.5, 2.25).toString());
        assertEquals("tensor([1.5000,    nan])", f32(1.5, Double.NaN).toString());
        // non-finite values are padded to the finite elements' width
        assertEquals("tensor([  -inf, 0.5000])", f32(Double.NEGATIVE_INFINITY, 0.5).toString());
    }

    @Test
    void twoAndThreeDimsUseTheContinuationIndent() {
        assertEquals("tensor([[1.5000, 2.2500],\n        [3.0000, 4.0000]])",
                Tensor.of(new double[] {1.5, 2.25, 3, 4}, DType.FLOAT32, 2, 2).toString());
        assertEquals("tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])",
                Tensor.arange(0, 8, 1, DType.FLOAT32).reshape(2, 2, 2).toString());
        // a transposed view prints its logical order
        assertEquals("tensor([[1, 3],\n        [2, 4]])", Tensor.of(new long[] {1, 2, 3, 4}, 2, 2).T().toString());
    }

    @Test
    void integerValuedFloats() {
        assertEquals("tensor([1., 2.])", f32(1, 2).toString());
        assertEquals("tensor([-1.,  2.])", f32(-1, 2).toString());
        assertEquals("tensor([0., 0.])", Tensor.zeros(2).toString());
        assertEquals("tensor([1., inf])", f32(1, Double.POSITIVE_INFINITY).toString());
        assertEquals("tensor([  0., 100.])", f32(0, 100).toString());
        assertEquals("tensor([1., 2.], dtype=torch.float64)", f64(1, 2).toString());
    }

    @Test
    void integersAndBools() {
        assertEquals("tensor([0, 1, 2])", Tensor.arange(3).toString());
        assertEquals("tensor([ -1, 100])", Tensor.of(new long[] {-1, 100}, 2).toString());
        assertEquals("tensor([ True, False])", f32(1, -1).gt(0).toString());
        assertEquals("tensor([[ True, False],\n        [False,  True]])",
                Tensor.of(new double[] {1, 0, 0, 1}, DType.BOOL, 2, 2).toString());
        assertEquals("tensor([True, True])", f32(1, 2).gt(0).toString());
    }

    @Test
    void scalars() {
        assertEquals("tensor(3.5000)", Tensor.scalar(3.5f).toString());
        assertEquals("tensor(2.5000, dtype=torch.float64)", Tensor.scalar(2.5).toString());
        assertEquals("tensor(0.)", Tensor.scalar(0f).toString());
        assertEquals("tensor(-3.)", Tensor.scalar(-3f).toString());
        assertEquals("tensor(5)", Tensor.scalar(5, DType.INT64).toString());
        assertEquals("tensor(True)", Tensor.scalar(1f).gt(0).toString());
        assertEquals("tensor(1.0000e-05)", Tensor.scalar(1e-5).toFloat().toString());
    }

    @Test
    void scientificNotation() {
        assertEquals("tensor([1.0000e-05, 1.0000e+05])", f32(1e-5, 1e5).toString());
        assertEquals("tensor([-1.0000e-05,  1.0000e+05])", f32(-1e-5, 1e5).toString());
        // integer-valued floats switch to scientific above a 1000x range or 1e8
        assertEquals("tensor([1.0000e+00, 1.0000e+04])", f32(1, 10000).toString());
        assertEquals("tensor([   1., 1000.])", f32(1, 1000).toString());
        assertEquals("tensor([1.0000e+09])", f32(1e9).toString());
        assertEquals("tensor([5.0000e-05])", f32(5e-5).toString());
        assertEquals("tensor([1.2346e+20, 1.0000e+00], dtype=torch.float64)", f64(1.23456e20, 1).toString());
        assertEquals("tensor([1.0000e-100,  1.0000e+00], dtype=torch.float64)", f64(1e-100, 1).toString());
        assertEquals("tensor([0.0000e+00, 1.0000e-05, 1.0000e+00])", f32(0, 1e-5, 1).toString());
    }

    @Test
    void roundingIsPythonsHalfEvenOnTheExactBinaryValue() {
        // 0.03125 is an exact tie: Python rounds it to even (0.0312) where Java's %.4f gives 0.0313.
        assertEquals("tensor([0.0312, 1.0000], dtype=torch.float64)", f64(0.03125, 1).toString());
        assertEquals("tensor([0.0938, 1.0000], dtype=torch.float64)", f64(0.09375, 1).toString());
        assertEquals("tensor([1.2346e+04, 1.0000e+00], dtype=torch.float64)", f64(12345.5, 1).toString());
    }

    @Test
    void emptyTensors() {
        assertEquals("tensor([])", Tensor.zeros(0).toString());
        assertEquals("tensor([], size=(0, 3))", Tensor.zeros(0, 3).toString());
        assertEquals("tensor([], dtype=torch.float64)", Tensor.zeros(DType.FLOAT64, 0).toString());
        assertEquals("tensor([], dtype=torch.int64)", Tensor.arange(0).toString());
        assertEquals("tensor([], size=(2, 0), dtype=torch.int64)", Tensor.zeros(DType.INT64, 2, 0).toString());
    }

    @Test
    void longRowsWrapAtEightyColumns() {
        double[] half = new double[10];
        java.util.Arrays.fill(half, 0.5);
        assertEquals("tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000,\n"
                + "        0.5000])", f32(half).toString());
        // the dtype suffix moves to its own line when the row is long
        assertEquals("tensor([0.0000, 0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000],\n"
                + "       dtype=torch.float64)", Tensor.arange(0, 8, 1, DType.FLOAT64).div(10).toString());
    }

    @Test
    void summariesAboveAThousandElements() {
        assertEquals("tensor([   0,    1,    2,  ...,  998,  999, 1000])", Tensor.arange(1001).toString());
        assertEquals("tensor([[0., 0.],\n        [0., 0.],\n        [0., 0.],\n        ...,\n"
                + "        [0., 0.],\n        [0., 0.],\n        [0., 0.]])", Tensor.zeros(1001, 2).toString());
        // the format is chosen on the printed elements only: the hidden 0.5 does not matter
        double[] v = new double[1001];
        java.util.Arrays.fill(v, 1);
        v[500] = 0.5;
        Tensor x = f32(v);
        assertEquals("tensor([1., 1., 1.,  ..., 1., 1., 1.])", x.toString());
    }

    @Test
    void gradientAndTangentSuffixes() {
        Tensor x = f32(1, 2).setRequiresGrad(true);
        assertEquals("tensor([1., 2.], requires_grad=True)", x.toString());
        assertEquals("tensor([2., 4.], grad_fn=<MulBackward0>)", x.mul(2).toString());
        assertEquals("tensor([2., 3.], grad_fn=<AddBackward0>)", x.add(1).toString());
        assertEquals("tensor([2.7183, 7.3891], grad_fn=<ExpBackward0>)", x.exp().toString());
        assertEquals("tensor([1.5000, 2.0000], dtype=torch.float64, requires_grad=True)",
                f64(1.5, 2).setRequiresGrad(true).toString());
        assertEquals("tensor([1., 2.])", x.detach().toString());
        // forward-mode duals print their tangent, as torch.autograd.forward_ad does
        Tensor dual = dev.tangent.autograd.ForwardAD.makeDual(f32(1, 2), f32(3, 4), 1);
        assertEquals("tensor([1., 2.], tangent=tensor([3., 4.]))", dual.toString());
    }
}
