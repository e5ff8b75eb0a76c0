package dev.tangent.ops;

import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * The one table of element-wise math: for each unary primitive its scalar function f (what the
 * Java kernels compute) and its jvp f'(x)·t written once in an {@link Algebra} (what the rules
 * compute on tensors and the Java fused kernels on blocks of doubles), with PyTorch's formulas and
 * one-sided choices at kinks; and the scalar function of each binary primitive.
 */
public final class ElementwiseMath {
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    private static final double INV_SQRT_2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double GELU_KAPPA = 0.044715;

    private ElementwiseMath() {}

    /** The scalar function of a unary primitive with its parameters bound. */
    public static DoubleUnaryOperator unary(Prim p, Attrs.Scalars a) {
        return switch (p) {
            case NEG -> x -> -x;
            case ABS -> Math::abs;
            case SIGN -> ElementwiseMath::sign;
            case EXP -> Math::exp;
            case EXPM1 -> Math::expm1;
            case LOG -> Math::log;
            case LOG1P -> Math::log1p;
            case SQRT -> Math::sqrt;
            case RSQRT -> x -> 1.0 / Math.sqrt(x);
            case RECIPROCAL -> x -> 1.0 / x;
            case SQUARE -> x -> x * x;
            case SIN -> Math::sin;
            case COS -> Math::cos;
            case TAN -> Math::tan;
            case ASIN -> Math::asin;
            case ACOS -> Math::acos;
            case ATAN -> Math::atan;
            case SINH -> Math::sinh;
            case COSH -> Math::cosh;
            case TANH -> Math::tanh;
            case ASINH -> ElementwiseMath::asinh;
            case ACOSH -> ElementwiseMath::acosh;
            case ATANH -> ElementwiseMath::atanh;
            case ERF -> ElementwiseMath::erf;
            case SIGMOID -> ElementwiseMath::sigmoid;
            case RELU -> x -> x < 0 ? 0 : x; // relu(-0) = -0, relu(nan) = nan (PyTorch's clamp_min(x, 0))
            case LEAKY_RELU -> {
                double s = a.p0();
                yield x -> x > 0 ? x : x * s;
            }
            case ELU -> {
                double al = a.p0();
                yield x -> x > 0 ? x : al * Math.expm1(x);
            }
            case GELU -> x -> 0.5 * x * (1 + erf(x * INV_SQRT_2));
            case GELU_TANH -> x -> 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_KAPPA * x * x * x)));
            case SILU -> x -> x * sigmoid(x);
            case SOFTPLUS -> {
                double beta = a.p0();
                double thr = a.p1();
                yield x -> x * beta > thr ? x : Math.log1p(Math.exp(x * beta)) / beta;
            }
            case CLAMP -> {
                double lo = a.p0();
                double hi = a.p1();
                // C++'s std::min(std::max(x, lo), hi): the first operand wins ties, so clamp(-0, min=0) = -0
                yield x -> {
                    double v = x < lo ? lo : x;
                    return v > hi ? hi : v;
                };
            }
            case POW_SCALAR -> {
                double e = a.p0();
                yield x -> powScalar(x, e);
            }
            default -> throw new IllegalArgumentException("not a unary primitive: " + p);
        };
    }

    /**
     * The scalar function of a unary primitive for one dtype: as {@link #unary(Prim, Attrs.Scalars)},
     * except float32 gelu, which is PyTorch's float32 CPU gelu (oneDNN's gelu_erf): inf from x &gt;=
     * 2^127, where its x (1 + erf) overflows, and NaN at +inf.
     */
    public static DoubleUnaryOperator unary(Prim p, Attrs.Scalars a, dev.tangent.DType dt) {
        DoubleUnaryOperator f = unary(p, a);
        if (p == Prim.GELU && dt == dev.tangent.DType.FLOAT32) {
            return x -> x >= 0x1p127 ? (x == Double.POSITIVE_INFINITY ? Double.NaN : Double.POSITIVE_INFINITY)
                    : f.applyAsDouble(x);
        }
        return f;
    }

    /** False for the unary primitives whose tangent is always zero (sign). */
    public static boolean hasTangent(Prim p) {
        return p != Prim.SIGN;
    }

    /**
     * The tangent of {@code y = p(x)} for the input tangent {@code t}: f'(x)·t, with masks (not
     * multiplications by 0/1) where PyTorch selects, so an infinite or NaN tangent does not turn
     * into NaN there. Returns null when the tangent is identically zero (sign, pow with exponent 0).
     */
    public static <T> T jvp(Prim p, Attrs.Scalars a, Algebra<T> m, T x, T y, T t) {
        return switch (p) {
            case NEG -> m.neg(t);
            case ABS -> m.mul(t, m.sign(x));
            case SIGN -> null;
            case EXP -> m.mul(t, y);
            case EXPM1 -> m.mul(t, m.add(y, 1.0));
            case LOG -> m.div(t, x);
            case LOG1P -> m.div(t, m.add(x, 1.0));
            case SQRT -> m.div(t, m.mul(y, 2.0));
            case RSQRT -> m.mul(m.mul(t, m.pow(y, 3.0)), -0.5);
            case RECIPROCAL -> m.neg(m.mul(t, m.mul(y, y)));
            case SQUARE -> m.mul(t, m.mul(x, 2.0));
            case SIN -> m.mul(t, m.cos(x));
            case COS -> m.neg(m.mul(t, m.sin(x)));
            case TAN -> m.mul(t, m.add(m.mul(y, y), 1.0));
            case ASIN -> m.div(t, m.sqrt(m.rsub(1.0, m.mul(x, x))));
            case ACOS -> m.neg(m.div(t, m.sqrt(m.rsub(1.0, m.mul(x, x)))));
            case ATAN -> m.div(t, m.add(m.mul(x, x), 1.0));
            case SINH -> m.mul(t, m.cosh(x));
            case COSH -> m.mul(t, m.sinh(x));
            case TANH -> m.mul(t, m.rsub(1.0, m.mul(y, y)));
            case ASINH -> m.div(t, m.sqrt(m.add(m.mul(x, x), 1.0)));
            case ACOSH -> m.div(t, m.sqrt(m.add(m.mul(x, x), -1.0)));
            case ATANH -> m.div(t, m.rsub(1.0, m.mul(x, x)));
            case ERF -> m.mul(t, m.mul(m.exp(m.neg(m.mul(x, x))), TWO_OVER_SQRT_PI));
            case SIGMOID -> m.mul(t, m.mul(y, m.rsub(1.0, y)));
            // PyTorch's threshold_backward(t, y, 0): zero where y <= 0, so t passes at NaN
            case RELU -> m.where(m.le(y, 0.0), 0.0, t);
            case LEAKY_RELU -> m.where(m.gt(x, 0.0), t, m.mul(t, a.p0()));
            case ELU -> m.where(m.gt(x, 0.0), t, m.mul(t, m.add(y, a.p0())));
            case GELU -> {
                T cdf = m.mul(m.add(m.erf(m.mul(x, INV_SQRT_2)), 1.0), 0.5);
                T pdf = m.mul(m.exp(m.mul(m.mul(x, x), -0.5)), INV_SQRT_2PI);
                yield m.mul(t, m.add(cdf, m.mul(x, pdf)));
            }
            case GELU_TANH -> {
                T x2 = m.mul(x, x);
                T th = m.tanh(m.mul(m.add(x, m.mul(m.mul(x2, x), GELU_KAPPA)), SQRT_2_OVER_PI));
                T dinner = m.mul(m.add(m.mul(x2, 3 * GELU_KAPPA), 1.0), SQRT_2_OVER_PI);
                T d = m.add(m.mul(m.add(th, 1.0), 0.5), m.mul(m.mul(m.mul(x, 0.5), m.rsub(1.0, m.mul(th, th))), dinner));
                yield m.mul(t, d);
            }
            case SILU -> {
                T s = m.sigmoid(x);
                yield m.mul(t, m.mul(s, m.add(m.mul(x, m.rsub(1.0, s)), 1.0)));
            }
            case SOFTPLUS -> {
                T bx = m.mul(x, a.p0());
                yield m.where(m.gt(bx, a.p1()), t, m.mul(t, m.sigmoid(bx)));
            }
            // PyTorch: t where min <= x <= max, else 0 (0 at NaN)
            case CLAMP -> m.where(m.ge(x, a.p0()), m.where(m.le(x, a.p1()), t, 0.0), 0.0);
            case POW_SCALAR -> {
                double e = a.p0();
                yield e == 0 ? null : m.mul(t, m.mul(m.pow(x, e - 1), e));
            }
            default -> throw new IllegalArgumentException("no jvp rule for unary primitive " + p.opName());
        };
    }

    /** The scalar function of a binary or comparison primitive (comparisons give 1 or 0). */
    public static DoubleBinaryOperator binary(Prim p) {
        return switch (p) {
            case ADD -> Double::sum;
            case SUB -> (x, y) -> x - y;
            case MUL -> (x, y) -> x * y;
            case DIV -> (x, y) -> x / y;
            case POW -> ElementwiseMath::pow;
            case MAXIMUM -> Math::max;
            case MINIMUM -> Math::min;
            case GT -> (x, y) -> x > y ? 1 : 0;
            case GE -> (x, y) -> x >= y ? 1 : 0;
            case LT -> (x, y) -> x < y ? 1 : 0;
            case LE -> (x, y) -> x <= y ? 1 : 0;
            case EQ -> (x, y) -> x == y ? 1 : 0;
            case NE -> (x, y) -> x != y ? 1 : 0;
            default -> throw new IllegalArgumentException("not a binary primitive: " + p);
        };
    }

    /** PyTorch's sign: 1, -1, or 0 for ±0 and NaN. */
    public static double sign(double x) {
        return x > 0 ? 1 : x < 0 ? -1 : 0;
    }

    /**
     * C's pow (what PyTorch computes): as {@link Math#pow} except pow(1, y) = 1 and pow(-1, ±inf) = 1,
     * where Java gives NaN.
     */
    public static double pow(double x, double y) {
        if (x == 1 || (x == -1 && Double.isInfinite(y))) {
            return 1;
        }
        return Math.pow(x, y);
    }

    /**
     * x ** e with a scalar exponent as PyTorch computes it: the exponents it special-cases (2, 3,
     * 0.5, -0.5, -1, -2) by their direct forms, so pow(-0, 0.5) = -0 and pow(-inf, 0.5) = NaN as
     * sqrt gives, and C's pow otherwise.
     */
    public static double powScalar(double x, double e) {
        if (e == 2) {
            return x * x;
        }
        if (e == 3) {
            return x * x * x;
        }
        if (e == 0.5) {
            return Math.sqrt(x);
        }
        if (e == -0.5) {
            return 1.0 / Math.sqrt(x);
        }
        if (e == -1) {
            return 1.0 / x;
        }
        if (e == -2) {
            return 1.0 / (x * x);
        }
        return pow(x, e);
    }

    /** The logistic function, without overflow for large |x|. */
    public static double sigmoid(double x) {
        if (x >= 0) {
            return 1.0 / (1.0 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1.0 + e);
    }

    public static double asinh(double x) {
        double a = Math.abs(x);
        double r = Math.log1p(a + a * a / (1 + Math.sqrt(1 + a * a)));
        if (a > 1e150) {
            r = Math.log(a) + Math.log(2);
        }
        return Math.copySign(r, x);
    }

    public static double acosh(double x) {
        if (x < 1) {
            return Double.NaN;
        }
        if (x > 1e150) {
            return Math.log(x) + Math.log(2);
        }
        double t = x - 1;
        return Math.log1p(t + Math.sqrt(2 * t + t * t));
    }

    public static double atanh(double x) {
        return 0.5 * Math.log1p(2 * x / (1 - x));
    }

    /**
     * erf(x) to double precision: the everywhere-convergent series
     * erf(x) = 2/sqrt(pi) e^{-x^2} sum_n (2x^2)^n x / (2n+1)!!, whose terms are all positive
     * (no cancellation); |x| &gt;= 6 rounds to +-1.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        if (a >= 6) {
            return Math.copySign(1.0, x);
        }
        double x2 = a * a;
        double term = a;
        double sum = a;
        for (int n = 1; n < 500; n++) {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) {
                break;
            }
        }
        double r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
        return Math.copySign(Math.min(r, 1.0), x);
    }
}
