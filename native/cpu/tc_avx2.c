/* AVX2 + FMA code path: 8 floats / 4 doubles a vector, SLEEF's avx2 functions, maskload /
 * maskstore for the tails. Compiled with -mavx2 -mfma only here; tc_api.c calls it only on a
 * CPU (and OS) that supports those. */
#include <immintrin.h>
#include <sleef.h>

#include "tc_internal.h"

/* Prefetch distance of the streaming loops (tc_template.inc), bytes. */
#define TC_PF 2048

static inline __m256i tc_mask8(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline __m256i tc_mask4(int64_t n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
}
static inline float tc_hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* ---- float32 ---- */
#define T float
#define V __m256
#define VN 8
#define SFX f32_avx2
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps((p), (v))
#define V_LOADN(p, n) _mm256_maskload_ps((p), tc_mask8(n))
#define V_STOREN(p, v, n) _mm256_maskstore_ps((p), tc_mask8(n), (v))
#define V_SET1(c) _mm256_set1_ps(c)
#define V_ZERO() _mm256_setzero_ps()
#define V_ADD(a, b) _mm256_add_ps((a), (b))
#define V_SUB(a, b) _mm256_sub_ps((a), (b))
#define V_MUL(a, b) _mm256_mul_ps((a), (b))
#define V_DIV(a, b) _mm256_div_ps((a), (b))
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define V_FNMA(a, b, c) _mm256_fnmadd_ps((a), (b), (c))
#define V_FMA_EXACT(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define V_ABS(a) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (a))
#define V_NEG(a) _mm256_xor_ps((a), _mm256_set1_ps(-0.0f))
#define V_GE0_SEL(x, a, b) _mm256_blendv_ps((b), (a), _mm256_cmp_ps((x), _mm256_setzero_ps(), _CMP_GE_OQ))
#define V_HSUM(v) tc_hsum8(v)
#define V_SINCOS(a, s, c) do { Sleef___m256_2 sc_ = Sleef_sincosf8_u10avx2(a); (s) = sc_.x; (c) = sc_.y; } while (0)
#define V_SIN(a) Sleef_sinf8_u10avx2(a)
#define V_COS(a) Sleef_cosf8_u10avx2(a)
#define V_EXP(a) Sleef_expf8_u10avx2(a)
#define V_LOG(a) Sleef_logf8_u10avx2(a)
#define V_TANH(a) Sleef_tanhf8_u35avx2(a) /* 3.5 ulp, 3x faster than u10 */
#define V_ERF(a) Sleef_erff8_u10avx2(a)
#define V_ERFC(a) Sleef_erfcf8_u15avx2(a)
#define TC_GEMV 1
#define TR_RF 8
#define TR_RJ 4
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
#define V __m256d
#define VN 4
#define SFX f64_avx2
#define V_LOAD(p) _mm256_loadu_pd(p)
#define V_STORE(p, v) _mm256_storeu_pd((p), (v))
#define V_LOADN(p, n) _mm256_maskload_pd((p), tc_mask4(n))
#define V_STOREN(p, v, n) _mm256_maskstore_pd((p), tc_mask4(n), (v))
#define V_SET1(c) _mm256_set1_pd(c)
#define V_ZERO() _mm256_setzero_pd()
#define V_ADD(a, b) _mm256_add_pd((a), (b))
#define V_SUB(a, b) _mm256_sub_pd((a), (b))
#define V_MUL(a, b) _mm256_mul_pd((a), (b))
#define V_DIV(a, b) _mm256_div_pd((a), (b))
#define V_FMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define V_FNMA(a, b, c) _mm256_fnmadd_pd((a), (b), (c))
#define V_FMA_EXACT(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define V_ABS(a) _mm256_andnot_pd(_mm256_set1_pd(-0.0), (a))
#define V_NEG(a) _mm256_xor_pd((a), _mm256_set1_pd(-0.0))
#define V_GE0_SEL(x, a, b) _mm256_blendv_pd((b), (a), _mm256_cmp_pd((x), _mm256_setzero_pd(), _CMP_GE_OQ))
#define V_SINCOS(a, s, c) do { Sleef___m256d_2 sc_ = Sleef_sincosd4_u10avx2(a); (s) = sc_.x; (c) = sc_.y; } while (0)
#define V_SIN(a) Sleef_sind4_u10avx2(a)
#define V_COS(a) Sleef_cosd4_u10avx2(a)
#define V_EXP(a) Sleef_expd4_u10avx2(a)
#define V_LOG(a) Sleef_logd4_u10avx2(a)
#define V_TANH(a) Sleef_tanhd4_u10avx2(a)
#define V_ERF(a) Sleef_erfd4_u10avx2(a)
#define V_ERFC(a) Sleef_erfcd4_u15avx2(a)
#include "tc_template.inc"

#define TC_POOL_NAME max_pool2d_f32_avx2
#include "tc_pool.inc"
#undef TC_POOL_NAME

const tc_kernels tc_kernels_avx2 = {
    "avx2",
    gemv_f32_avx2,
    gemv_jvp_f32_avx2,
    unary_f32_avx2,
    unary_f64_avx2,
    unary_jvp_f32_avx2,
    unary_jvp_f64_avx2,
    binary_f32_avx2,
    sum_blocks_f32_avx2,
    max_pool2d_f32_avx2,
};
