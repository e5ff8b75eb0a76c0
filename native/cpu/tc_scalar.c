/* Portable code path: the shared kernel bodies with 1-lane "vectors" and SLEEF's scalar
 * functions. Built for the x86-64 baseline (the compiler may still use SSE2). */
#include <sleef.h>

#include "tc_internal.h"

/* ---- float32 ---- */
#define T float
#define V float
#define VN 1
#define SFX f32_scalar
#define V_LOAD(p) (*(p))
#define V_STORE(p, v) (*(p) = (v))
#define V_LOADN(p, n) ((void)(n), *(p))
#define V_STOREN(p, v, n) ((void)(n), *(p) = (v))
#define V_SET1(c) (c)
#define V_ZERO() 0.0f
#define V_ADD(a, b) ((a) + (b))
#define V_SUB(a, b) ((a) - (b))
#define V_MUL(a, b) ((a) * (b))
#define V_DIV(a, b) ((a) / (b))
/* Plain multiply-add: the x86-64 baseline has no FMA instruction (libm's fmaf would be slow). */
#define V_FMA(a, b, c) ((a) * (b) + (c))
#define V_FNMA(a, b, c) ((c) - (a) * (b))
#define V_FNMA(a, b, c) ((c) - (a) * (b))
/* libm's fmaf (exact, in software where the CPU has no FMA): only for error terms */
#define V_FMA_EXACT(a, b, c) __builtin_fmaf((a), (b), (c))
#define V_ABS(a) __builtin_fabsf(a)
#define V_NEG(a) (-(a))
#define V_GE0_SEL(x, a, b) ((x) >= 0 ? (a) : (b))
#define V_HSUM(v) (v)
#define V_SINCOS(a, s, c) do { Sleef_float2 sc_ = Sleef_sincosf_u10(a); (s) = sc_.x; (c) = sc_.y; } while (0)
#define V_SIN(a) Sleef_sinf_u10(a)
#define V_COS(a) Sleef_cosf_u10(a)
#define V_EXP(a) Sleef_expf_u10(a)
#define V_LOG(a) Sleef_logf_u10(a)
#define V_TANH(a) Sleef_tanhf_u35(a)
#define V_ERF(a) Sleef_erff_u10(a)
#define V_ERFC(a) Sleef_erfcf_u15(a)
#define TC_GEMV 1
#define TR_RF 4
#define TR_RJ 4
#define RM_SMALL 0
#include "tc_template.inc"
#undef T
#undef V
#undef SFX
#undef V_ZERO
#undef V_ABS
#undef V_FMA_EXACT
#undef V_SINCOS
#undef V_SIN
#undef V_COS
#undef V_EXP
#undef V_LOG
#undef V_TANH
#undef V_ERF
#undef V_ERFC
#undef TC_GEMV

/* ---- float64 ---- */
#define T double
#define V double
#define SFX f64_scalar
#define V_ZERO() 0.0
#define V_ABS(a) __builtin_fabs(a)
#define V_FMA_EXACT(a, b, c) __builtin_fma((a), (b), (c))
#define V_SINCOS(a, s, c) do { Sleef_double2 sc_ = Sleef_sincos_u10(a); (s) = sc_.x; (c) = sc_.y; } while (0)
#define V_SIN(a) Sleef_sin_u10(a)
#define V_COS(a) Sleef_cos_u10(a)
#define V_EXP(a) Sleef_exp_u10(a)
#define V_LOG(a) Sleef_log_u10(a)
#define V_TANH(a) Sleef_tanh_u10(a)
#define V_ERF(a) Sleef_erf_u10(a)
#define V_ERFC(a) Sleef_erfc_u15(a)
#include "tc_template.inc"

#define TC_POOL_NAME max_pool2d_f32_scalar
#include "tc_pool.inc"
#undef TC_POOL_NAME

const tc_kernels tc_kernels_scalar = {
    "scalar",
    gemv_f32_scalar,
    gemv_jvp_f32_scalar,
    unary_f32_scalar,
    unary_f64_scalar,
    unary_jvp_f32_scalar,
    unary_jvp_f64_scalar,
    binary_f32_scalar,
    sum_blocks_f32_scalar,
    max_pool2d_f32_scalar,
};
