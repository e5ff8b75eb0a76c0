package dev.tangent.ops;

/**
 * The arithmetic the element-wise derivative formulas of {@link ElementwiseMath} are written in,
 * so that each formula exists once: the autograd rules instantiate it with tensors (differentiable
 * again), the Java kernels with blocks of doubles. Masks are values of the same type whose
 * elements are true/false (a bool tensor, or 1/0 in a block).
 */
public interface Algebra<T> {
    T add(T a, T b);

    T sub(T a, T b);

    T mul(T a, T b);

    T div(T a, T b);

    T add(T a, double c);

    T mul(T a, double c);

    /** {@code c - a}. */
    T rsub(double c, T a);

    T neg(T a);

    T sign(T a);

    T exp(T a);

    T sin(T a);

    T cos(T a);

    T sinh(T a);

    T cosh(T a);

    T tanh(T a);

    T sqrt(T a);

    T erf(T a);

    T sigmoid(T a);

    /** {@code a ** e} for a scalar exponent. */
    T pow(T a, double e);

    /** The mask {@code a > c}. */
    T gt(T a, double c);

    /** The mask {@code a < c}. */
    T lt(T a, double c);

    /** The mask {@code a >= c} (false at NaN). */
    T ge(T a, double c);

    /** The mask {@code a <= c} (false at NaN). */
    T le(T a, double c);

    /** {@code mask ? a : b} element-wise. */
    T where(T mask, T a, T b);

    /** {@code mask ? a : b} with a scalar {@code b}. */
    T where(T mask, T a, double b);

    /** {@code mask ? a : b} with a scalar {@code a}. */
    T where(T mask, double a, T b);
}
