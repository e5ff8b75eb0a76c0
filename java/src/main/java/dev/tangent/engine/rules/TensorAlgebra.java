package dev.tangent.engine.rules;

import dev.tangent.Tensor;
import dev.tangent.ops.Algebra;

/** {@link Algebra} on tensors: the element-wise jvp formulas as Tensor programs (differentiable again). */
final class TensorAlgebra implements Algebra<Tensor> {
    static final TensorAlgebra INSTANCE = new TensorAlgebra();

    private TensorAlgebra() {}

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return a.add(b);
    }

    @Override
    public Tensor sub(Tensor a, Tensor b) {
        return a.sub(b);
    }

    @Override
    public Tensor mul(Tensor a, Tensor b) {
        return a.mul(b);
    }

    @Override
    public Tensor div(Tensor a, Tensor b) {
        return a.div(b);
    }

    @Override
    public Tensor add(Tensor a, double c) {
        return a.add(c);
    }

    @Override
    public Tensor mul(Tensor a, double c) {
        return a.mul(c);
    }

    @Override
    public Tensor rsub(double c, Tensor a) {
        return a.rsub(c);
    }

    @Override
    public Tensor neg(Tensor a) {
        return a.neg();
    }

    @Override
    public Tensor sign(Tensor a) {
        return a.sign();
    }

    @Override
    public Tensor exp(Tensor a) {
        return a.exp();
    }

    @Override
    public Tensor sin(Tensor a) {
        return a.sin();
    }

    @Override
    public Tensor cos(Tensor a) {
        return a.cos();
    }

    @Override
    public Tensor sinh(Tensor a) {
        return a.sinh();
    }

    @Override
    public Tensor cosh(Tensor a) {
        return a.cosh();
    }

    @Override
    public Tensor tanh(Tensor a) {
        return a.tanh();
    }

    @Override
    public Tensor sqrt(Tensor a) {
        return a.sqrt();
    }

    @Override
    public Tensor erf(Tensor a) {
        return a.erf();
    }

    @Override
    public Tensor sigmoid(Tensor a) {
        return a.sigmoid();
    }

    @Override
    public Tensor pow(Tensor a, double e) {
        return a.pow(e);
    }

    @Override
    public Tensor gt(Tensor a, double c) {
        return a.gt(c);
    }

    @Override
    public Tensor lt(Tensor a, double c) {
        return a.lt(c);
    }

    @Override
    public Tensor ge(Tensor a, double c) {
        return a.ge(c);
    }

    @Override
    public Tensor le(Tensor a, double c) {
        return a.le(c);
    }

    @Override
    public Tensor where(Tensor mask, double a, Tensor b) {
        return Tensor.where(mask, Tensor.full(a, b.dtype(), b.device()), b);
    }

    @Override
    public Tensor where(Tensor mask, Tensor a, Tensor b) {
        return Tensor.where(mask, a, b);
    }

    @Override
    public Tensor where(Tensor mask, Tensor a, double b) {
        return Tensor.where(mask, a, b);
    }
}
