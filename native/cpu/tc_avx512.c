/* AVX-512 (F + DQ) code path: 16 floats / 8 doubles a vector, SLEEF's avx512f functions,
 * masked loads and stores for the tails. Compiled with -mavx512f -mavx512dq -mfma only here;
 * tc_api.c calls it only on a CPU (and OS) that supports those. */
#include <immintrin.h>
#include <sleef.h>

#include "tc_internal.h"

/* Prefetch distance of the streaming loops (tc_template.inc), bytes. */
#define TC_PF 2048

/* ---- float32 ---- */
#define T float
#define V __m512
#define VN 16
#define SFX f32_avx512
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps((p), (v))
#define V_LOADN(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1u), (p))
#define V_STOREN(p, v, n) _mm512_mask_storeu_ps((p), (__mmask16)((1u << (n)) - 1u), (v))
#define V_SET1(c) _mm512_set1_ps(c)
#define V_ZERO() _mm512_setzero_ps()
#define V_ADD(a, b) _mm512_add_ps((a), (b))
#define V_SUB(a, b) _mm512_sub_ps((a), (b))
#define V_MUL(a, b) _mm512_mul_ps((a), (b))
#define V_DIV(a, b) _mm512_div_ps((a), (b))
#define V_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define V_FNMA(a, b, c) _mm512_fnmadd_ps((a), (b), (c))
#define V_FMA_EXACT(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define V_ABS(a) _mm512_andnot_ps(_mm512_set1_ps(-0.0f), (a))
#define V_NEG(a) _mm512_xor_ps((a), _mm512_set1_ps(-0.0f))
#define V_GE0_SEL(x, a, b) _mm512_mask_blend_ps(_mm512_cmp_ps_mask((x), _mm512_setzero_ps(), _CMP_GE_OQ), (b), (a))
#define V_HSUM(v) _mm512_reduce_add_ps(v)
#define V_SINCOS(a, s, c) do { Sleef___m512_2 sc_ = Sleef_sincosf16_u10avx512f(a); (s) = sc_.x; (c) = sc_.y; } while (0)
#define V_SIN(a) Sleef_sinf16_u10avx512f(a)
#define V_COS(a) Sleef_cosf16_u10avx512f(a)
#define V_EXP(a) Sleef_expf16_u10avx512f(a)
#define V_LOG(a) Sleef_logf16_u10avx512f(a)
#define V_TANH(a) Sleef_tanhf16_u35avx512f(a) /* 3.5 ulp, 3x faster than u10 */
#define V_ERF(a) Sleef_erff16_u10avx512f(a)
#define V_ERFC(a) Sleef_erfcf16_u15avx512f(a)
#define TC_GEMV 1
#define TR_RF 8
#define TR_RJ 8
#define RM_SMALL 2
#include "tc_template.inc"
#undef T
#undef V
#undef VN
#undef SFX
#undef V_LOAD
#undef V_STORE
#undef V_LOADN
#undef V_STOREN
#undef V_SET1
#undef V_ZERO
#undef V_ADD
#undef V_SUB
#undef V_MUL
#undef V_DIV
#undef V_FMA
#undef V_FNMA
#undef V_FMA_EXACT
#undef V_ABS
#undef V_NEG
#undef V_GE0_SEL
#undef V_HSUM
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
#define V __m512d
#define VN 8
#define SFX f64_avx512
#define V_LOAD(p) _mm512_loadu_pd(p)
#define V_STORE(p, v) _mm512_storeu_pd((p), (v))
#define V_LOADN(p, n) _mm512_maskz_loadu_pd((__mmask8)((1u << (n)) - 1u), (p))
#define V_STOREN(p, v, n) _mm512_mask_storeu_pd((p), (__mmask8)((1u << (n)) - 1u), (v))
#define V_SET1(c) _mm512_set1_pd(c)
#define V_ZERO() _mm512_setzero_pd()
#define V_ADD(a, b) _mm512_add_pd((a), (b))
#define V_SUB(a, b) _mm512_sub_pd((a), (b))
#define V_MUL(a, b) _mm512_mul_pd((a), (b))
#define V_DIV(a, b) _mm512_div_pd((a), (b))
#define V_FMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define V_FNMA(a, b, c) _mm512_fnmadd_pd((a), (b), (c))
#define V_FMA_EXACT(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define V_ABS(a) _mm512_andnot_pd(_mm512_set1_pd(-0.0), (a))
#define V_NEG(a) _mm512_xor_pd((a), _mm512_set1_pd(-0.0))
#define V_GE0_SEL(x, a, b) _mm512_mask_blend_pd(_mm512_cmp_pd_mask((x), _mm512_setzero_pd(), _CMP_GE_OQ), (b), (a))
#define V_HSUM(v) _mm512_reduce_add_pd(v)
#define V_SINCOS(a, s, c) do { Sleef___m512d_2 sc_ = Sleef_sincosd8_u10avx512f(a); (s) = sc_.x; (c) = sc_.y; } while (0)
#define V_SIN(a) Sleef_sind8_u10avx512f(a)
#define V_COS(a) Sleef_cosd8_u10avx512f(a)
#define V_EXP(a) Sleef_expd8_u10avx512f(a)
#define V_LOG(a) Sleef_logd8_u10avx512f(a)
#define V_TANH(a) Sleef_tanhd8_u10avx512f(a)
#define V_ERF(a) Sleef_erfd8_u10avx512f(a)
#define V_ERFC(a) Sleef_erfcd8_u15avx512f(a)
#include "tc_template.inc"

#define TC_POOL_NAME max_pool2d_f32_avx512
#include "tc_pool.inc"
#undef TC_POOL_NAME

const tc_kernels tc_kernels_avx512 = {
    "avx512",
    gemv_f32_avx512,
    gemv_jvp_f32_avx512,
    unary_f32_avx512,
    unary_f64_avx512,
    unary_jvp_f32_avx512,
    unary_jvp_f64_avx512,
    binary_f32_avx512,
    sum_blocks_f32_avx512,
    max_pool2d_f32_avx512,
};
