package dev.tangent.backend.cpu;

import dev.tangent.ops.Algebra;
import dev.tangent.ops.ElementwiseMath;

/**
 * {@link Algebra} on blocks of doubles, so the Java fused kernels evaluate the same jvp formulas
 * as the autograd rules ({@link ElementwiseMath#jvp}) a block at a time. Masks hold 1 or 0.
 */
final class BlockAlgebra implements Algebra<double[]> {
    static final BlockAlgebra INSTANCE = new BlockAlgebra(false);
    /**
     * For float32 blocks: every result rounded to float32, as the same formula on float32 tensors
     * (and PyTorch) rounds it, so intermediate overflow and underflow happen where they do there
     * (gelu_tanh's x^2 at |x| &gt; 1.8e19 makes its tangent NaN, as in PyTorch).
     */
    static final BlockAlgebra F32 = new BlockAlgebra(true);

    private final boolean f32;

    private BlockAlgebra(boolean f32) {
        this.f32 = f32;
    }

    private interface Op1 {
        double at(double a);
    }

    private interface Op2 {
        double at(double a, double b);
    }

    private double[] map(double[] a, Op1 f) {
        double[] r = new double[a.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = f.at(a[i]);
        }
        return round(r);
    }

    private double[] zip(double[] a, double[] b, Op2 f) {
        double[] r = new double[a.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = f.at(a[i], b[i]);
        }
        return round(r);
    }

    private double[] round(double[] r) {
        if (f32) {
            for (int i = 0; i < r.length; i++) {
                r[i] = (float) r[i];
            }
        }
        return r;
    }

    @Override
    public double[] add(double[] a, double[] b) {
        return zip(a, b, Double::sum);
    }

    @Override
    public double[] sub(double[] a, double[] b) {
        return zip(a, b, (x, y) -> x - y);
    }

    @Override
    public double[] mul(double[] a, double[] b) {
        return zip(a, b, (x, y) -> x * y);
    }

    @Override
    public double[] div(double[] a, double[] b) {
        return zip(a, b, (x, y) -> x / y);
    }

    @Override
    public double[] add(double[] a, double c) {
        return map(a, x -> x + c);
    }

    @Override
    public double[] mul(double[] a, double c) {
        return map(a, x -> x * c);
    }

    @Override
    public double[] rsub(double c, double[] a) {
        return map(a, x -> c - x);
    }

    @Override
    public double[] neg(double[] a) {
        return map(a, x -> -x);
    }

    @Override
    public double[] sign(double[] a) {
        return map(a, ElementwiseMath::sign);
    }

    @Override
    public double[] exp(double[] a) {
        return map(a, Math::exp);
    }

    @Override
    public double[] sin(double[] a) {
        return map(a, Math::sin);
    }

    @Override
    public double[] cos(double[] a) {
        return map(a, Math::cos);
    }

    @Override
    public double[] sinh(double[] a) {
        return map(a, Math::sinh);
    }

    @Override
    public double[] cosh(double[] a) {
        return map(a, Math::cosh);
    }

    @Override
    public double[] tanh(double[] a) {
        return map(a, Math::tanh);
    }

    @Override
    public double[] sqrt(double[] a) {
        return map(a, Math::sqrt);
    }

    @Override
    public double[] erf(double[] a) {
        return map(a, ElementwiseMath::erf);
    }

    @Override
    public double[] sigmoid(double[] a) {
        return map(a, ElementwiseMath::sigmoid);
    }

    @Override
    public double[] pow(double[] a, double e) {
        return map(a, x -> ElementwiseMath.powScalar(x, e));
    }

    @Override
    public double[] gt(double[] a, double c) {
        return map(a, x -> x > c ? 1 : 0);
    }

    @Override
    public double[] lt(double[] a, double c) {
        return map(a, x -> x < c ? 1 : 0);
    }

    @Override
    public double[] ge(double[] a, double c) {
        return map(a, x -> x >= c ? 1 : 0);
    }

    @Override
    public double[] le(double[] a, double c) {
        return map(a, x -> x <= c ? 1 : 0);
    }

    @Override
    public double[] where(double[] mask, double a, double[] b) {
        double[] r = new double[b.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = mask[i] != 0 ? a : b[i];
        }
        return r;
    }

    @Override
    public double[] where(double[] mask, double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = mask[i] != 0 ? a[i] : b[i];
        }
        return r;
    }

    @Override
    public double[] where(double[] mask, double[] a, double b) {
        double[] r = new double[a.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = mask[i] != 0 ? a[i] : b;
        }
        return r;
    }
}
