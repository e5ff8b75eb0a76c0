// Scalar math of every element-wise op: the primal u(x) and its jvp u'(x)·ẋ.
//
// The formulas follow PyTorch's CUDA kernels and the jvp/backward formulas of
// tools/autograd/derivatives.yaml, term for term where that is cheap, so Tangent's results stay
// within the golden tolerances (f64 1e-10, f32 1e-5) and special values (NaN, ±0, ±inf) behave
// the same. The op codes are ABI (native/README.md): append new codes, never renumber.
#pragma once

#include "tg_common.cuh"

namespace tg {

enum UnaryOp : int {
  U_NEG = 0, U_ABS = 1, U_SIGN = 2, U_EXP = 3, U_EXPM1 = 4, U_LOG = 5, U_LOG1P = 6,
  U_SQRT = 7, U_RSQRT = 8, U_RECIPROCAL = 9, U_SQUARE = 10, U_SIN = 11, U_COS = 12,
  U_TAN = 13, U_ASIN = 14, U_ACOS = 15, U_ATAN = 16, U_SINH = 17, U_COSH = 18, U_TANH = 19,
  U_ASINH = 20, U_ACOSH = 21, U_ATANH = 22, U_ERF = 23, U_SIGMOID = 24, U_RELU = 25,
  U_LEAKY_RELU = 26,  // p0 = negative_slope
  U_ELU = 27,         // p0 = alpha (scale = input_scale = 1)
  U_GELU = 28,        // erf form
  U_GELU_TANH = 29,   // approximate='tanh'
  U_SILU = 30,
  U_SOFTPLUS = 31,    // p0 = beta, p1 = threshold
  U_CLAMP = 32,       // p0 = min, p1 = max (pass -inf / +inf for a missing bound)
  U_POW_SCALAR = 33,  // p0 = exponent
  U_AFFINE = 34,      // y = x * p0 + p1 (scalar mul/add/sub/rsub without a separate buffer)
  U_COUNT = 35
};

enum BinaryOp : int {
  B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_POW = 4, B_MAXIMUM = 5, B_MINIMUM = 6,
  B_COUNT = 7
};

enum CompareOp : int { C_GT = 0, C_GE = 1, C_LT = 2, C_LE = 3, C_EQ = 4, C_NE = 5, C_COUNT = 6 };

// 1/sqrt(2), 2/sqrt(pi), sqrt(2) as in PyTorch's <c10/util/MathConstants.h>.
#define TG_SQRT1_2 0.70710678118654752440
#define TG_2_SQRTPI 1.12837916709551257390
#define TG_SQRT2 1.41421356237309504880

template <typename T>
__device__ __forceinline__ T sigmoid_of(T x) {
  return T(1) / (T(1) + exp(-x));
}

template <typename T>
__device__ __forceinline__ T unary_fwd(int op, T x, T p0, T p1) {
  switch (op) {
    case U_NEG: return -x;
    case U_ABS: return fabs(x);
    case U_SIGN: return T((T(0) < x) - (x < T(0)));  // sign(0) = 0, sign(NaN) = 0 as PyTorch
    case U_EXP: return exp(x);
    case U_EXPM1: return expm1(x);
    case U_LOG: return log(x);
    case U_LOG1P: return log1p(x);
    case U_SQRT: return sqrt(x);
    case U_RSQRT: return rsqrt(x);
    case U_RECIPROCAL: return T(1) / x;
    case U_SQUARE: return x * x;
    case U_SIN: return sin(x);
    case U_COS: return cos(x);
    case U_TAN: return tan(x);
    case U_ASIN: return asin(x);
    case U_ACOS: return acos(x);
    case U_ATAN: return atan(x);
    case U_SINH: return sinh(x);
    case U_COSH: return cosh(x);
    case U_TANH: return tanh(x);
    case U_ASINH: return asinh(x);
    case U_ACOSH: return acosh(x);
    case U_ATANH: return atanh(x);
    case U_ERF: return erf(x);
    case U_SIGMOID: return sigmoid_of(x);
    case U_RELU: return (x != x) ? x : (x > T(0) ? x : T(0));  // clamp_min(0): NaN stays NaN
    case U_LEAKY_RELU: return x > T(0) ? x : x * p0;
    case U_ELU: return x > T(0) ? x : p0 * expm1(x);
    case U_GELU: return T(0.5) * x * (T(1) + erf(x * T(TG_SQRT1_2)));
    case U_GELU_TANH: {
      const T kBeta = T(TG_SQRT2 * TG_2_SQRTPI * 0.5), kKappa = T(0.044715);
      const T inner = kBeta * (x + kKappa * x * x * x);
      return T(0.5) * x * (T(1) + tanh(inner));
    }
    case U_SILU: return x / (T(1) + exp(-x));
    case U_SOFTPLUS: return (x * p0) > p1 ? x : log1p(exp(x * p0)) / p0;
    case U_CLAMP: return nan_min(nan_max(x, p0), p1);  // min(max(x, lo), hi): lo > hi gives hi
    case U_POW_SCALAR:
      // PyTorch's pow_tensor_scalar special-cases these exponents (exact, faster).
      if (p0 == T(2)) return x * x;
      if (p0 == T(3)) return x * x * x;
      if (p0 == T(0.5)) return sqrt(x);
      if (p0 == T(-0.5)) return rsqrt(x);
      if (p0 == T(-1)) return T(1) / x;
      if (p0 == T(-2)) return T(1) / (x * x);
      return pow(x, p0);
    case U_AFFINE: return x * p0 + p1;
    default: return x * T(NAN);  // unknown op: poison the output rather than fail silently
  }
}

// d/dx u(x), given x and y = u(x) (several PyTorch formulas are written in terms of the
// result). Points of non-differentiability take PyTorch's one-sided choice.
template <typename T>
__device__ __forceinline__ T unary_deriv(int op, T x, T y, T p0, T p1) {
  switch (op) {
    case U_NEG: return T(-1);
    case U_ABS: return T((T(0) < x) - (x < T(0)));  // sgn(x); 0 at 0
    case U_SIGN: return T(0);
    case U_EXP: return y;
    case U_EXPM1: return y + T(1);
    case U_LOG: return T(1) / x;
    case U_LOG1P: return T(1) / (x + T(1));
    case U_SQRT: return T(1) / (T(2) * y);
    case U_RSQRT: return T(-0.5) * y * y * y;
    case U_RECIPROCAL: return -(y * y);
    case U_SQUARE: return T(2) * x;
    case U_SIN: return cos(x);
    case U_COS: return -sin(x);
    case U_TAN: return T(1) + y * y;
    case U_ASIN: return rsqrt(-x * x + T(1));
    case U_ACOS: return -rsqrt(-x * x + T(1));
    case U_ATAN: return T(1) / (x * x + T(1));
    case U_SINH: return cosh(x);
    case U_COSH: return sinh(x);
    case U_TANH: return T(1) - y * y;
    case U_ASINH: return rsqrt(x * x + T(1));
    case U_ACOSH: return rsqrt(x * x - T(1));
    case U_ATANH: return T(1) / (T(1) - x * x);
    case U_ERF: return T(TG_2_SQRTPI) * exp(-(x * x));
    case U_SIGMOID: return (T(1) - y) * y;
    case U_RELU: return y <= T(0) ? T(0) : T(1);  // threshold_backward(grad, result, 0): NaN passes
    case U_LEAKY_RELU: return x > T(0) ? T(1) : p0;
    case U_ELU: return x <= T(0) ? p0 * exp(x) : T(1);  // elu_backward, is_result=false
    case U_GELU: {
      const T kAlpha = T(TG_2_SQRTPI * TG_SQRT1_2 * 0.5);
      const T cdf = T(0.5) * (T(1) + erf(x * T(TG_SQRT1_2)));
      const T pdf = exp(T(-0.5) * x * x) * kAlpha;
      return cdf + x * pdf;
    }
    case U_GELU_TANH: {
      const T kBeta = T(TG_SQRT2 * TG_2_SQRTPI * 0.5), kKappa = T(0.044715);
      const T x_sq = x * x, x_cube = x_sq * x;
      const T inner = kBeta * (x + kKappa * x_cube);
      const T tanh_inner = tanh(inner);
      const T left = T(0.5) * x, right = T(1) + tanh_inner;
      const T left_derivative = T(0.5) * right;
      const T right_derivative =
          left * (T(1) - tanh_inner * tanh_inner) * kBeta * (T(1) + T(3) * kKappa * x_sq);
      return left_derivative + right_derivative;
    }
    case U_SILU: {
      const T s = sigmoid_of(x);
      return s * (T(1) + x * (T(1) - s));
    }
    case U_SOFTPLUS: {
      if ((x * p0) > p1) return T(1);
      const T z = exp(x * p0);
      return z / (z + T(1));
    }
    case U_CLAMP: return (x >= p0 && x <= p1) ? T(1) : T(0);
    case U_POW_SCALAR:
      if (p0 == T(0)) return T(0);  // pow_backward: exponent 0 gives a zero gradient
      return p0 * pow(x, p0 - T(1));
    case U_AFFINE: return p0;
    default: return T(NAN);
  }
}

template <typename T>
__device__ __forceinline__ T binary_fwd(int op, T a, T b) {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_POW: return pow(a, b);
    case B_MAXIMUM: return nan_max(a, b);
    case B_MINIMUM: return nan_min(a, b);
    default: return T(NAN);
  }
}

template <typename T>
__device__ __forceinline__ uint8_t compare_fwd(int op, T a, T b) {
  switch (op) {
    case C_GT: return a > b;
    case C_GE: return a >= b;
    case C_LT: return a < b;
    case C_LE: return a <= b;
    case C_EQ: return a == b;
    case C_NE: return a != b;
    default: return 0;
  }
}

// ċ for c = a (op) b, from PyTorch's derivatives.yaml 'result:' formulas.
template <typename T>
__device__ __forceinline__ T binary_jvp(int op, T a, T ad, T b, T bd, T c) {
  switch (op) {
    case B_ADD: return ad + bd;
    case B_SUB: return ad - bd;
    case B_MUL: return bd * a + ad * b;          // other_t * self_p + self_t * other_p
    case B_DIV: return (ad - bd * c) / b;        // (self_t - other_t * result) / other_p
    case B_POW: {
      // pow_backward_self + pow_backward_exponent with their zero masks.
      const T ds = (b == T(0)) ? T(0) : b * pow(a, b - T(1));
      const T de = (a == T(0) && b >= T(0)) ? T(0) : c * log(a);
      return ds * ad + de * bd;
    }
    case B_MAXIMUM: {
      const T w = (a == b) ? T(0.5) : (a > b ? T(1) : T(0));
      return bd + w * (ad - bd);
    }
    case B_MINIMUM: {
      const T w = (a == b) ? T(0.5) : (a < b ? T(1) : T(0));
      return bd + w * (ad - bd);
    }
    default: return T(NAN);
  }
}

// binary_jvp when one operand has no tangent (a symbolic zero): its term is left out rather than
// multiplied by 0, so an infinite partial derivative does not turn into 0·inf = NaN.
template <typename T>
__device__ __forceinline__ T binary_jvp_one(int op, T a, T ad, bool has_a, T b, T bd, bool has_b, T c) {
  switch (op) {
    case B_MUL: return (has_b ? bd * a : T(0)) + (has_a ? ad * b : T(0));
    case B_DIV: return (has_a ? ad / b : T(0)) - (has_b ? bd * c / b : T(0));
    case B_POW: {
      const T ds = has_a ? ((b == T(0)) ? T(0) : b * pow(a, b - T(1))) * ad : T(0);
      const T de = has_b ? ((a == T(0) && b >= T(0)) ? T(0) : c * log(a)) * bd : T(0);
      return ds + de;
    }
    default: return binary_jvp<T>(op, a, ad, b, bd, c);
  }
}

}  // namespace tg
