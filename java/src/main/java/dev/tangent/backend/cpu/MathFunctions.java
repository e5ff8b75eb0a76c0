package dev.tangent.backend.cpu;

import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/** Scalar definitions of the element-wise primitives, with PyTorch's formulas, in double precision. */
public final class MathFunctions {
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    private MathFunctions() {}

    /** The scalar function of a unary primitive with its attributes bound. */
    public static DoubleUnaryOperator unary(Prim p, Attrs a) {
        return switch (p) {
            case NEG -> x -> -x;
            case ABS -> Math::abs;
            case SIGN -> x -> x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x;
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
            case ASINH -> MathFunctions::asinh;
            case ACOSH -> MathFunctions::acosh;
            case ATANH -> MathFunctions::atanh;
            case ERF -> MathFunctions::erf;
            case SIGMOID -> MathFunctions::sigmoid;
            case RELU -> x -> x <= 0 ? 0 : x;
            case LEAKY_RELU -> {
                double s = a.real(0);
                yield x -> x > 0 ? x : x * s;
            }
            case ELU -> {
                double al = a.real(0);
                yield x -> x > 0 ? x : al * Math.expm1(x);
            }
            case GELU -> x -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> x -> 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
            case SILU -> x -> x * sigmoid(x);
            case SOFTPLUS -> {
                double beta = a.real(0);
                double thr = a.real(1);
                yield x -> x * beta > thr ? x : Math.log1p(Math.exp(x * beta)) / beta;
            }
            case CLAMP -> {
                double lo = a.real(0);
                double hi = a.real(1);
                yield x -> Double.isNaN(x) ? x : Math.min(Math.max(x, lo), hi);
            }
            case POW_SCALAR -> {
                double e = a.real(0);
                if (e == 2) {
                    yield x -> x * x;
                }
                yield x -> Math.pow(x, e);
            }
            default -> throw new IllegalArgumentException("not a unary primitive: " + p);
        };
    }

    /** The scalar function of a binary primitive (comparisons give 1 or 0). */
    public static DoubleBinaryOperator binary(Prim p) {
        return switch (p) {
            case ADD -> Double::sum;
            case SUB -> (x, y) -> x - y;
            case MUL -> (x, y) -> x * y;
            case DIV -> (x, y) -> x / y;
            case POW -> Math::pow;
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

    /** A scalar derivative f'(x), given x and y = f(x). */
    @FunctionalInterface
    public interface Derivative {
        double at(double x, double y);
    }

    /**
     * The derivative of a unary primitive, with the same formulas (and the same values at kinks
     * and NaN) as its jvp rule in {@code ForwardRules}; SIGN has none (its tangent is a zero).
     */
    public static Derivative derivative(Prim p, Attrs a) {
        return switch (p) {
            case NEG -> (x, y) -> -1;
            case ABS -> (x, y) -> x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x;
            case EXP -> (x, y) -> y;
            case EXPM1 -> (x, y) -> y + 1;
            case LOG -> (x, y) -> 1 / x;
            case LOG1P -> (x, y) -> 1 / (x + 1);
            case SQRT -> (x, y) -> 1 / (y * 2);
            case RSQRT -> (x, y) -> y * y * y * -0.5;
            case RECIPROCAL -> (x, y) -> -(y * y);
            case SQUARE -> (x, y) -> x * 2;
            case SIN -> (x, y) -> Math.cos(x);
            case COS -> (x, y) -> -Math.sin(x);
            case TAN -> (x, y) -> y * y + 1;
            case ASIN -> (x, y) -> 1 / Math.sqrt(1 - x * x);
            case ACOS -> (x, y) -> -1 / Math.sqrt(1 - x * x);
            case ATAN -> (x, y) -> 1 / (x * x + 1);
            case SINH -> (x, y) -> Math.cosh(x);
            case COSH -> (x, y) -> Math.sinh(x);
            case TANH -> (x, y) -> 1 - y * y;
            case ASINH -> (x, y) -> 1 / Math.sqrt(x * x + 1);
            case ACOSH -> (x, y) -> 1 / Math.sqrt(x * x - 1);
            case ATANH -> (x, y) -> 1 / (1 - x * x);
            case ERF -> (x, y) -> Math.exp(-(x * x)) * TWO_OVER_SQRT_PI;
            case SIGMOID -> (x, y) -> y * (1 - y);
            case RELU -> (x, y) -> x > 0 ? 1 : 0;
            case LEAKY_RELU -> {
                double s = a.real(0);
                yield (x, y) -> x > 0 ? 1 : s;
            }
            case ELU -> {
                double al = a.real(0);
                yield (x, y) -> x > 0 ? 1 : y + al;
            }
            case GELU -> (x, y) -> {
                double cdf = (erf(x / Math.sqrt(2)) + 1) * 0.5;
                double pdf = Math.exp(x * x * -0.5) / Math.sqrt(2 * Math.PI);
                return cdf + x * pdf;
            };
            case GELU_TANH -> (x, y) -> {
                double x2 = x * x;
                double th = Math.tanh((x + x2 * x * 0.044715) * SQRT_2_OVER_PI);
                double dinner = (x2 * (3 * 0.044715) + 1) * SQRT_2_OVER_PI;
                return (th + 1) * 0.5 + x * 0.5 * (1 - th * th) * dinner;
            };
            case SILU -> (x, y) -> {
                double s = sigmoid(x);
                return s * (x * (1 - s) + 1);
            };
            case SOFTPLUS -> {
                double beta = a.real(0);
                double thr = a.real(1);
                yield (x, y) -> x * beta > thr ? 1 : sigmoid(x * beta);
            }
            case CLAMP -> {
                double lo = a.real(0);
                double hi = a.real(1);
                yield (x, y) -> x < lo || x > hi ? 0 : 1;
            }
            case POW_SCALAR -> {
                double e = a.real(0);
                yield (x, y) -> Math.pow(x, e - 1) * e;
            }
            default -> throw new IllegalArgumentException("no derivative for " + p);
        };
    }

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
