/* Internal: the table of kernels one code path provides. Arguments arrive validated by tc_api.c
 * (non-NULL where read or written, sizes > 0, no partial overlap, ldw >= the row length). */
#ifndef TC_INTERNAL_H
#define TC_INTERNAL_H

#include <stdint.h>

#include "tangent_cpu.h"

#define TC_HIDDEN __attribute__((visibility("hidden")))

typedef struct tc_kernels {
    const char *name;
    /* y = x W (+b) [tanh]; trans: W is n x k. */
    void (*gemv_f32)(const float *x, const float *w, const float *b, float *y, int64_t k, int64_t n,
                     int64_t ldw, int trans, int tanh_epilogue);
    void (*gemv_jvp_f32)(const float *x, const float *dx, const float *w, const float *b, float *y,
                         float *dy, int64_t k, int64_t n, int64_t ldw, int trans, int tanh_epilogue);
    void (*unary_f32)(int op, const float *x, float *y, int64_t n);
    void (*unary_f64)(int op, const double *x, double *y, int64_t n);
    void (*unary_jvp_f32)(int op, const float *x, const float *dx, float *y, float *dy, int64_t n);
    void (*unary_jvp_f64)(int op, const double *x, const double *dx, double *y, double *dy, int64_t n);
    void (*binary_f32)(int op, const float *a, const float *b, float *y, int64_t n);
    void (*sum_blocks_f32)(const float *x, int64_t n, int64_t block, float *partials);
    /* tc_pool.inc; scratch: 2 h ow floats. */
    void (*max_pool2d_f32)(const float *x, const float *dx, float *y, float *dy, int64_t planes, int64_t h,
                           int64_t w, int64_t oh, int64_t ow, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                           int64_t pw, int64_t dh, int64_t dw, const int64_t *ylo, const int64_t *yhi,
                           const int64_t *xlo, const int64_t *xhi, float *scratch);
} tc_kernels;

TC_HIDDEN extern const tc_kernels tc_kernels_scalar;
TC_HIDDEN extern const tc_kernels tc_kernels_avx2;
TC_HIDDEN extern const tc_kernels tc_kernels_avx512;

/* Constants shared by every code path (PyTorch's). */
#define TC_M_SQRT1_2 0.70710678118654752440        /* 1/sqrt(2) */
#define TC_M_2_SQRTPI 1.12837916709551257390       /* 2/sqrt(pi) */
#define TC_M_1_SQRT2PI 0.39894228040143267794      /* 1/sqrt(2 pi) */
#define TC_M_SQRT_2_PI 0.79788456080286535588      /* sqrt(2/pi) */
#define TC_GELU_KAPPA 0.044715

#endif
