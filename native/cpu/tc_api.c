/* The exported functions: argument checks, then the kernels of the chosen code path. */
#if defined(__linux__)
#define _GNU_SOURCE /* sched_getcpu, CPU_SET, sched_setaffinity */
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tc_internal.h"

/* ------------------------------------------------------------------ code path choice */

static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    /* libgcc's checks include the OS's XSAVE support for the YMM/ZMM state. */
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}

static const tc_kernels *kernels_for(int isa) {
    switch (isa) {
    case TANGENT_CPU_ISA_SCALAR: return &tc_kernels_scalar;
    case TANGENT_CPU_ISA_AVX2: return cpu_has_avx2() ? &tc_kernels_avx2 : NULL;
    case TANGENT_CPU_ISA_AVX512: return cpu_has_avx512() ? &tc_kernels_avx512 : NULL;
    default: return NULL;
    }
}

static const tc_kernels *best_kernels(void) {
    /* TANGENT_CPU_ISA=scalar|avx2|avx512 picks a path (ignored when this CPU cannot run it). */
    const char *env = getenv("TANGENT_CPU_ISA");
    if (env != NULL) {
        const tc_kernels *k = NULL;
        if (strcmp(env, "scalar") == 0) k = kernels_for(TANGENT_CPU_ISA_SCALAR);
        else if (strcmp(env, "avx2") == 0) k = kernels_for(TANGENT_CPU_ISA_AVX2);
        else if (strcmp(env, "avx512") == 0) k = kernels_for(TANGENT_CPU_ISA_AVX512);
        if (k != NULL) return k;
    }
    if (cpu_has_avx512()) return &tc_kernels_avx512;
    if (cpu_has_avx2()) return &tc_kernels_avx2;
    return &tc_kernels_scalar;
}

static _Atomic(const tc_kernels *) g_kernels = NULL;

static const tc_kernels *kernels(void) {
    const tc_kernels *k = atomic_load_explicit(&g_kernels, memory_order_acquire);
    if (k == NULL) {
        /* Racing first calls all compute the same answer. */
        const tc_kernels *expected = NULL;
        k = best_kernels();
        if (!atomic_compare_exchange_strong(&g_kernels, &expected, k)) k = expected;
    }
    return k;
}

TANGENT_CPU_API int tangent_cpu_abi_version(void) { return TANGENT_CPU_ABI_VERSION; }

TANGENT_CPU_API const char *tangent_cpu_isa(void) { return kernels()->name; }

TANGENT_CPU_API int tangent_cpu_set_isa(int isa) {
    const tc_kernels *k;
    if (isa == TANGENT_CPU_ISA_AUTO) {
        k = best_kernels();
    } else {
        if (isa != TANGENT_CPU_ISA_SCALAR && isa != TANGENT_CPU_ISA_AVX2 && isa != TANGENT_CPU_ISA_AVX512)
            return TANGENT_CPU_ERR_OP;
        k = kernels_for(isa);
        if (k == NULL) return TANGENT_CPU_ERR_ISA;
    }
    atomic_store_explicit(&g_kernels, k, memory_order_release);
    return TANGENT_CPU_OK;
}

TANGENT_CPU_API const char *tangent_cpu_status_name(int status) {
    switch (status) {
    case TANGENT_CPU_OK: return "TANGENT_CPU_OK";
    case TANGENT_CPU_ERR_NULL: return "TANGENT_CPU_ERR_NULL";
    case TANGENT_CPU_ERR_SIZE: return "TANGENT_CPU_ERR_SIZE";
    case TANGENT_CPU_ERR_ALIAS: return "TANGENT_CPU_ERR_ALIAS";
    case TANGENT_CPU_ERR_OP: return "TANGENT_CPU_ERR_OP";
    case TANGENT_CPU_ERR_ALIGN: return "TANGENT_CPU_ERR_ALIGN";
    case TANGENT_CPU_ERR_ISA: return "TANGENT_CPU_ERR_ISA";
    case TANGENT_CPU_ERR_SYS: return "TANGENT_CPU_ERR_SYS";
    case TANGENT_CPU_NOT_PLACED: return "TANGENT_CPU_NOT_PLACED";
    default: return "unknown status";
    }
}

/* ------------------------------------------------------------------ argument checks */

/* A byte range [p, p + bytes). */
typedef struct {
    uintptr_t p;
    uintptr_t bytes;
} range;

static range rng(const void *p, int64_t elems, size_t size) {
    range r = {(uintptr_t)p, (uintptr_t)elems * size};
    return r;
}

static int overlap(range a, range b) {
    if (a.bytes == 0 || b.bytes == 0) return 0;
    return a.p < b.p + b.bytes && b.p < a.p + a.bytes;
}

/* An output may be exactly an input (same start and length) or overlap it not at all. */
static int overlap_partly(range out, range in) { return overlap(out, in) && !(out.p == in.p && out.bytes == in.bytes); }

static int misaligned(const void *p, size_t size) { return ((uintptr_t)p & (size - 1)) != 0; }

/* Largest element count whose bytes still fit in a pointer-sized range. */
#define TC_MAX_ELEMS(size) ((int64_t)(PTRDIFF_MAX / (ptrdiff_t)(size)))

static int valid_unary_op(int op) { return op >= TANGENT_CPU_SIN && op <= TANGENT_CPU_RELU; }

static int check_unary(int op, const void *x, const void *dx, const void *y, const void *dy, int64_t n, size_t size,
                       int jvp) {
    if (!valid_unary_op(op)) return TANGENT_CPU_ERR_OP;
    if (n < 0 || n > TC_MAX_ELEMS(size)) return TANGENT_CPU_ERR_SIZE;
    if (n == 0) return 1; /* nothing to do */
    if (x == NULL || y == NULL || (jvp && (dx == NULL || dy == NULL))) return TANGENT_CPU_ERR_NULL;
    if (misaligned(x, size) || misaligned(y, size) || (jvp && (misaligned(dx, size) || misaligned(dy, size))))
        return TANGENT_CPU_ERR_ALIGN;
    range rx = rng(x, n, size), ry = rng(y, n, size);
    if (overlap_partly(ry, rx)) return TANGENT_CPU_ERR_ALIAS;
    if (jvp) {
        range rdx = rng(dx, n, size), rdy = rng(dy, n, size);
        if (overlap_partly(ry, rdx) || overlap_partly(rdy, rx) || overlap_partly(rdy, rdx) || overlap(ry, rdy))
            return TANGENT_CPU_ERR_ALIAS;
    }
    return TANGENT_CPU_OK;
}

/* Checks a GEMV call; returns 1 for "nothing to do", 0 to run, < 0 for an error.
 * *ldw_out receives the effective row stride of W. */
static int check_gemv(const float *x, const float *dx, const float *w, const float *b, const float *y,
                      const float *dy, int64_t k, int64_t n, int64_t ldw, int flags, int jvp, int64_t *ldw_out) {
    if (flags & ~(TANGENT_CPU_GEMV_TRANS_W | TANGENT_CPU_GEMV_TANH)) return TANGENT_CPU_ERR_OP;
    int trans = (flags & TANGENT_CPU_GEMV_TRANS_W) != 0;
    if (k < 0 || n < 0 || ldw < 0) return TANGENT_CPU_ERR_SIZE;
    int64_t row = trans ? k : n;   /* length of a stored row of W */
    int64_t rows = trans ? n : k;  /* number of stored rows */
    if (ldw == 0) ldw = row;
    if (ldw < row) return TANGENT_CPU_ERR_SIZE;
    int64_t welems = 0;
    if (rows > 0 && row > 0) {
        int64_t t;
        if (__builtin_mul_overflow(rows - 1, ldw, &t) || __builtin_add_overflow(t, row, &welems)) return TANGENT_CPU_ERR_SIZE;
    }
    if (welems > TC_MAX_ELEMS(sizeof(float)) || k > TC_MAX_ELEMS(sizeof(float)) || n > TC_MAX_ELEMS(sizeof(float)))
        return TANGENT_CPU_ERR_SIZE;
    *ldw_out = ldw;
    if (n == 0) return 1;
    if (y == NULL || (jvp && dy == NULL)) return TANGENT_CPU_ERR_NULL;
    if (k > 0 && (x == NULL || w == NULL || (jvp && dx == NULL))) return TANGENT_CPU_ERR_NULL;
    if (misaligned(y, 4) || misaligned(x, 4) || misaligned(w, 4) || misaligned(b, 4) || misaligned(dx, 4) ||
        misaligned(dy, 4))
        return TANGENT_CPU_ERR_ALIGN;
    range ry = rng(y, n, 4), rdy = rng(jvp ? dy : NULL, jvp ? n : 0, 4);
    range rx = rng(x, k, 4), rdx = rng(jvp ? dx : NULL, jvp ? k : 0, 4), rw = rng(w, welems, 4);
    range rb = rng(b, b ? n : 0, 4);
    if (overlap(ry, rx) || overlap(ry, rdx) || overlap(ry, rw) || overlap(ry, rb) || overlap(ry, rdy) ||
        overlap(rdy, rx) || overlap(rdy, rdx) || overlap(rdy, rw) || overlap(rdy, rb))
        return TANGENT_CPU_ERR_ALIAS;
    return 0;
}

/* ------------------------------------------------------------------ kernels */

TANGENT_CPU_API int tangent_cpu_gemv_f32(const float *x, const float *w, const float *bias, float *y, int64_t k,
                                         int64_t n, int64_t ldw, int flags) {
    int64_t lw = 0;
    int s = check_gemv(x, NULL, w, bias, y, NULL, k, n, ldw, flags, 0, &lw);
    if (s != 0) return s > 0 ? TANGENT_CPU_OK : s;
    kernels()->gemv_f32(x, w, bias, y, k, n, lw, (flags & TANGENT_CPU_GEMV_TRANS_W) != 0, (flags & TANGENT_CPU_GEMV_TANH) != 0);
    return TANGENT_CPU_OK;
}

TANGENT_CPU_API int tangent_cpu_gemv_jvp_f32(const float *x, const float *dx, const float *w, const float *bias,
                                             float *y, float *dy, int64_t k, int64_t n, int64_t ldw, int flags) {
    int64_t lw = 0;
    int s = check_gemv(x, dx, w, bias, y, dy, k, n, ldw, flags, 1, &lw);
    if (s != 0) return s > 0 ? TANGENT_CPU_OK : s;
    kernels()->gemv_jvp_f32(x, dx, w, bias, y, dy, k, n, lw, (flags & TANGENT_CPU_GEMV_TRANS_W) != 0,
                            (flags & TANGENT_CPU_GEMV_TANH) != 0);
    return TANGENT_CPU_OK;
}

TANGENT_CPU_API int tangent_cpu_unary_f32(int op, const float *x, float *y, int64_t n) {
    int s = check_unary(op, x, NULL, y, NULL, n, sizeof(float), 0);
    if (s != 0) return s > 0 ? TANGENT_CPU_OK : s;
    kernels()->unary_f32(op, x, y, n);
    return TANGENT_CPU_OK;
}

TANGENT_CPU_API int tangent_cpu_unary_f64(int op, const double *x, double *y, int64_t n) {
    int s = check_unary(op, x, NULL, y, NULL, n, sizeof(double), 0);
    if (s != 0) return s > 0 ? TANGENT_CPU_OK : s;
    kernels()->unary_f64(op, x, y, n);
    return TANGENT_CPU_OK;
}

TANGENT_CPU_API int tangent_cpu_unary_jvp_f32(int op, const float *x, const float *dx, float *y, float *dy,
                                              int64_t n) {
    int s = check_unary(op, x, dx, y, dy, n, sizeof(float), 1);
    if (s != 0) return s > 0 ? TANGENT_CPU_OK : s;
    kernels()->unary_jvp_f32(op, x, dx, y, dy, n);
    return TANGENT_CPU_OK;
}

TANGENT_CPU_API int tangent_cpu_unary_jvp_f64(int op, const double *x, const double *dx, double *y, double *dy,
                                              int64_t n) {
    int s = check_unary(op, x, dx, y, dy, n, sizeof(double), 1);
    if (s != 0) return s > 0 ? TANGENT_CPU_OK : s;
    kernels()->unary_jvp_f64(op, x, dx, y, dy, n);
    return TANGENT_CPU_OK;
}

TANGENT_CPU_API int tangent_cpu_binary_f32(int op, const float *a, const float *b, float *y, int64_t n) {
    if (op < TANGENT_CPU_ADD || op > TANGENT_CPU_DIV) return TANGENT_CPU_ERR_OP;
    if (n < 0 || n > TC_MAX_ELEMS(sizeof(float))) return TANGENT_CPU_ERR_SIZE;
    if (n == 0) return TANGENT_CPU_OK;
    if (a == NULL || b == NULL || y == NULL) return TANGENT_CPU_ERR_NULL;
    if (misaligned(a, 4) || misaligned(b, 4) || misaligned(y, 4)) return TANGENT_CPU_ERR_ALIGN;
    range ra = rng(a, n, 4), rb = rng(b, n, 4), ry = rng(y, n, 4);
    if (overlap_partly(ry, ra) || overlap_partly(ry, rb)) return TANGENT_CPU_ERR_ALIAS;
    kernels()->binary_f32(op, a, b, y, n);
    return TANGENT_CPU_OK;
}

TANGENT_CPU_API int tangent_cpu_sum_f32(const float *x, int64_t n, int64_t block, float *partials) {
    if (n < 0 || block <= 0 || n > TC_MAX_ELEMS(sizeof(float))) return TANGENT_CPU_ERR_SIZE;
    if (n == 0) return TANGENT_CPU_OK;
    if (x == NULL || partials == NULL) return TANGENT_CPU_ERR_NULL;
    if (misaligned(x, 4) || misaligned(partials, 4)) return TANGENT_CPU_ERR_ALIGN;
    int64_t blocks = (n - 1) / block + 1;
    if (overlap(rng(partials, blocks, 4), rng(x, n, 4))) return TANGENT_CPU_ERR_ALIAS;
    kernels()->sum_blocks_f32(x, n, block, partials);
    return TANGENT_CPU_OK;
}

/* ------------------------------------------------------------------ max pooling */

/* For each output position o along one axis, the taps k in [lo[o], hi[o]) whose input o s - p + k d
 * lies in [0, size). */
static void pool_taps(int64_t out, int64_t k, int64_t s, int64_t p, int64_t d, int64_t size, int64_t *lo, int64_t *hi) {
    for (int64_t o = 0; o < out; o++) {
        int64_t i0 = o * s - p, a = 0;
        while (a < k && i0 + a * d < 0) a++;
        int64_t b = a;
        while (b < k && i0 + b * d < size) b++;
        lo[o] = a;
        hi[o] = b;
    }
}

TANGENT_CPU_API int tangent_cpu_max_pool2d_f32(const float *x, const float *dx, float *y, float *dy,
                                               int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                               int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                                               int64_t pw, int64_t dh, int64_t dw) {
    if (planes < 0 || h < 0 || w < 0 || oh < 0 || ow < 0 || kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || ph < 0 ||
        pw < 0 || dh <= 0 || dw <= 0 || kh > (1 << 20) || kw > (1 << 20) || oh > (1 << 28) || ow > (1 << 28))
        return TANGENT_CPU_ERR_SIZE;
    int64_t in_plane, out_plane, nin, nout;
    if (__builtin_mul_overflow(h, w, &in_plane) || __builtin_mul_overflow(oh, ow, &out_plane) ||
        __builtin_mul_overflow(in_plane, planes, &nin) || __builtin_mul_overflow(out_plane, planes, &nout) ||
        nin > TC_MAX_ELEMS(sizeof(float)) || nout > TC_MAX_ELEMS(sizeof(float)))
        return TANGENT_CPU_ERR_SIZE;
    if (nout == 0) return TANGENT_CPU_OK;
    int jvp = dx != NULL || dy != NULL;
    if (y == NULL || (nin > 0 && x == NULL) || (jvp && (dy == NULL || (nin > 0 && dx == NULL))))
        return TANGENT_CPU_ERR_NULL;
    if (misaligned(x, 4) || misaligned(y, 4) || misaligned(dx, 4) || misaligned(dy, 4)) return TANGENT_CPU_ERR_ALIGN;
    range rx = rng(x, nin, 4), ry = rng(y, nout, 4), rdx = rng(dx, jvp ? nin : 0, 4), rdy = rng(dy, jvp ? nout : 0, 4);
    if (overlap(ry, rx) || overlap(ry, rdx) || overlap(ry, rdy) || overlap(rdy, rx) || overlap(rdy, rdx))
        return TANGENT_CPU_ERR_ALIAS;
    int64_t *t = malloc(sizeof(int64_t) * 2 * (size_t)(oh + ow));
    float *scratch = malloc(sizeof(float) * 2 * (size_t)(h > 0 ? h : 1) * (size_t)ow);
    if (t == NULL || scratch == NULL) {
        free(t);
        free(scratch);
        return TANGENT_CPU_ERR_SIZE;
    }
    int64_t *ylo = t, *yhi = t + oh, *xlo = t + 2 * oh, *xhi = t + 2 * oh + ow;
    pool_taps(oh, kh, sh, ph, dh, h, ylo, yhi);
    pool_taps(ow, kw, sw, pw, dw, w, xlo, xhi);
    kernels()->max_pool2d_f32(x, jvp ? dx : NULL, y, jvp ? dy : NULL, planes, h, w, oh, ow, kw, sh, sw, ph, pw, dh, dw,
                              ylo, yhi, xlo, xhi, scratch);
    free(scratch);
    free(t);
    return TANGENT_CPU_OK;
}

/* ------------------------------------------------------------------ thread placement */

#if defined(__linux__)
_Static_assert(sizeof(cpu_set_t) <= TANGENT_CPU_AFFINITY_BYTES, "cpu_set_t fits a saved mask");

static int sys_failed(int32_t *err) {
    if (err != NULL) *err = errno;
    return TANGENT_CPU_ERR_SYS;
}

TANGENT_CPU_API int32_t tangent_cpu_thread_id(void) { return (int32_t)syscall(SYS_gettid); }

TANGENT_CPU_API int tangent_cpu_affinity_get(uint8_t *mask, int32_t *err) {
    if (mask == NULL) return TANGENT_CPU_ERR_NULL;
    memset(mask, 0, TANGENT_CPU_AFFINITY_BYTES);
    if (sched_getaffinity(0, TANGENT_CPU_AFFINITY_BYTES, (cpu_set_t *)(void *)mask) != 0) return sys_failed(err);
    return TANGENT_CPU_OK;
}

TANGENT_CPU_API int tangent_cpu_affinity_set(const uint8_t *mask, int32_t *err) {
    if (mask == NULL) return TANGENT_CPU_ERR_NULL;
    if (sched_setaffinity(0, TANGENT_CPU_AFFINITY_BYTES, (const cpu_set_t *)(const void *)mask) != 0)
        return sys_failed(err);
    return TANGENT_CPU_OK;
}

TANGENT_CPU_API int tangent_cpu_place_on_current_cpu(int32_t tid, const uint8_t *allowed, int32_t *err) {
    if (tid <= 0) return TANGENT_CPU_ERR_SIZE;
    int cpu = sched_getcpu();
    if (cpu < 0) return sys_failed(err);
    if (allowed != NULL && (cpu >= TANGENT_CPU_AFFINITY_BYTES * 8 || !(allowed[cpu / 8] & (1u << (cpu % 8)))))
        return TANGENT_CPU_NOT_PLACED;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity((pid_t)tid, sizeof one, &one) != 0) return sys_failed(err);
    return TANGENT_CPU_OK;
}

TANGENT_CPU_API int tangent_cpu_wait_policy_begin(int32_t *switched, int32_t *err) {
    if (switched == NULL) return TANGENT_CPU_ERR_NULL;
    *switched = 0;
    int policy = sched_getscheduler(0);
    if (policy < 0) return sys_failed(err);
    if ((policy & ~SCHED_RESET_ON_FORK) != SCHED_OTHER) return TANGENT_CPU_OK;
    struct sched_param p = {0};
    if (sched_setscheduler(0, SCHED_BATCH | (policy & SCHED_RESET_ON_FORK), &p) != 0) return sys_failed(err);
    *switched = 1;
    return TANGENT_CPU_OK;
}

TANGENT_CPU_API int tangent_cpu_wait_policy_end(int32_t switched, int32_t *err) {
    if (!switched) return TANGENT_CPU_OK;
    int policy = sched_getscheduler(0);
    if (policy < 0) return sys_failed(err);
    struct sched_param p = {0};
    if (sched_setscheduler(0, SCHED_OTHER | (policy & SCHED_RESET_ON_FORK), &p) != 0) return sys_failed(err);
    return TANGENT_CPU_OK;
}
#else
static int no_placement(int32_t *err) {
    if (err != NULL) *err = ENOSYS;
    return TANGENT_CPU_ERR_SYS;
}

TANGENT_CPU_API int32_t tangent_cpu_thread_id(void) { return -1; }

TANGENT_CPU_API int tangent_cpu_affinity_get(uint8_t *mask, int32_t *err) {
    return mask == NULL ? TANGENT_CPU_ERR_NULL : no_placement(err);
}

TANGENT_CPU_API int tangent_cpu_affinity_set(const uint8_t *mask, int32_t *err) {
    return mask == NULL ? TANGENT_CPU_ERR_NULL : no_placement(err);
}

TANGENT_CPU_API int tangent_cpu_place_on_current_cpu(int32_t tid, const uint8_t *allowed, int32_t *err) {
    (void)allowed;
    return tid <= 0 ? TANGENT_CPU_ERR_SIZE : no_placement(err);
}

TANGENT_CPU_API int tangent_cpu_wait_policy_begin(int32_t *switched, int32_t *err) {
    if (switched == NULL) return TANGENT_CPU_ERR_NULL;
    *switched = 0;
    return no_placement(err);
}

TANGENT_CPU_API int tangent_cpu_wait_policy_end(int32_t switched, int32_t *err) {
    return switched ? no_placement(err) : TANGENT_CPU_OK;
}
#endif
