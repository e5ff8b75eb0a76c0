/*
 * tangent_cpu.h — the whole ABI of libtangent_cpu.so, Tangent's own CPU kernels for what oneDNN
 * lacks: the 2-right-hand-side matrix-vector product of a batch-1 jvp (W read once), and
 * vectorised transcendental element-wise ops with their fused primal+tangent forms.
 *
 * Conventions
 *  - Every kernel returns an int status: TANGENT_CPU_OK (0), or a negative TANGENT_CPU_ERR_*
 *    for bad arguments, in which case nothing was written. No kernel crashes on a NULL pointer
 *    or a size of 0: a size of 0 is a no-op that returns 0 (NULL pointers allowed then); a NULL
 *    pointer that would be read or written returns TANGENT_CPU_ERR_NULL. The caller must still
 *    pass buffers at least as long as the sizes say (the library cannot check lengths).
 *  - Sizes and strides are int64_t, in ELEMENTS. Pointers must be aligned to their element
 *    type (4 bytes for float, 8 for double); no further alignment is needed.
 *  - Single-threaded: each call runs on the calling thread only (the caller splits work).
 *    Every function is thread-safe; tangent_cpu_set_isa changes the process-wide choice.
 *  - float32/float64 results follow PyTorch's formulas, including at NaN, ±inf and ±0
 *    (native/cpu/README.md lists the values and the measured accuracy in ulps).
 *  - The code path (scalar, AVX2+FMA, AVX-512) is chosen once from the CPU's features;
 *    tangent_cpu_isa() names it.
 */
#ifndef TANGENT_CPU_H
#define TANGENT_CPU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(TANGENT_CPU_BUILD)
#define TANGENT_CPU_API __attribute__((visibility("default")))
#else
#define TANGENT_CPU_API
#endif

/* Bumped on any incompatible change of this header; tangent_cpu_abi_version() returns it. */
#define TANGENT_CPU_ABI_VERSION 4

/* Status codes. */
enum tangent_cpu_status {
    TANGENT_CPU_OK = 0,
    TANGENT_CPU_ERR_NULL = -1,      /* a pointer that must be read or written is NULL */
    TANGENT_CPU_ERR_SIZE = -2,      /* a size is negative, a stride too small, or bytes overflow */
    TANGENT_CPU_ERR_ALIAS = -3,     /* an output partly overlaps an input or another output */
    TANGENT_CPU_ERR_OP = -4,        /* unknown op code or flag bits */
    TANGENT_CPU_ERR_ALIGN = -5,     /* a pointer is not aligned to its element type */
    TANGENT_CPU_ERR_ISA = -6,       /* tangent_cpu_set_isa: that code path cannot run here */
    TANGENT_CPU_ERR_SYS = -7,       /* a system call failed; its errno is in *err (ENOSYS off Linux) */
    TANGENT_CPU_NOT_PLACED = 1      /* tangent_cpu_place_on_current_cpu: the caller's CPU is not one
                                       the thread may run on; nothing done (not an error) */
};

/* Bytes of a saved CPU mask (tangent_cpu_affinity_get/_set): room for 1024 CPUs. */
#define TANGENT_CPU_AFFINITY_BYTES 128

/* Code paths, for tangent_cpu_set_isa. */
enum tangent_cpu_isa_id {
    TANGENT_CPU_ISA_AUTO = 0,       /* the best one this CPU supports (the default) */
    TANGENT_CPU_ISA_SCALAR = 1,     /* portable C, SLEEF's scalar functions */
    TANGENT_CPU_ISA_AVX2 = 2,       /* AVX2 + FMA, SLEEF's avx2 functions */
    TANGENT_CPU_ISA_AVX512 = 3      /* AVX-512 F+DQ, SLEEF's avx512f functions */
};

/* Element-wise ops (explicit values: shared with Java, never ordinals).
 *   y = f(x); the jvp forms also give dy = f'(x) * dx, with PyTorch's formulas:
 *   SIN: cos(x) dx   COS: -sin(x) dx   EXP: y dx   LOG: dx / x   TANH: (1 - y^2) dx
 *   SIGMOID: y (1 - y) dx   ERF: 2/sqrt(pi) exp(-x^2) dx
 *   GELU (erf form, y = x/2 (1 + erf(x/sqrt 2))): (Phi(x) + x phi(x)) dx
 *   GELU_TANH (y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))): its exact derivative dx
 *   RELU (y = x < 0 ? 0 : x, so relu(NaN) = NaN and relu(-0) = -0, as PyTorch's clamp_min):
 *        dy = y <= 0 ? 0 : dx (PyTorch's threshold_backward: the tangent passes where y is NaN) */
enum tangent_cpu_unary_op {
    TANGENT_CPU_SIN = 1,
    TANGENT_CPU_COS = 2,
    TANGENT_CPU_EXP = 3,
    TANGENT_CPU_LOG = 4,
    TANGENT_CPU_TANH = 5,
    TANGENT_CPU_SIGMOID = 6,
    TANGENT_CPU_ERF = 7,
    TANGENT_CPU_GELU = 8,
    TANGENT_CPU_GELU_TANH = 9,
    TANGENT_CPU_RELU = 10
};

/* Flag bits of the matrix-vector products. */
enum tangent_cpu_gemv_flags {
    /* W is given transposed: N x K row-major (PyTorch's x @ w.T with w of shape [N, K]);
     * without it W is K x N row-major (x @ w). */
    TANGENT_CPU_GEMV_TRANS_W = 1,
    /* Epilogue: y = tanh(x W + bias) and, in the jvp, dy = (1 - y^2) * (dx W). */
    TANGENT_CPU_GEMV_TANH = 2
};

/* Binary element-wise ops (explicit values, as the unary ones). */
enum tangent_cpu_binary_op {
    TANGENT_CPU_ADD = 1,
    TANGENT_CPU_SUB = 2,
    TANGENT_CPU_MUL = 3,
    TANGENT_CPU_DIV = 4
};

/* TANGENT_CPU_ABI_VERSION of the library that was loaded (compare with the header's). */
TANGENT_CPU_API int tangent_cpu_abi_version(void);

/* The code path in use, e.g. "avx512", "avx2", "scalar" (a static string, never NULL). */
TANGENT_CPU_API const char *tangent_cpu_isa(void);

/* Chooses the code path for the whole process (tests, benchmarks): TANGENT_CPU_ISA_*.
 * Returns TANGENT_CPU_ERR_ISA (and changes nothing) when this CPU cannot run it,
 * TANGENT_CPU_ERR_OP for an unknown id. */
TANGENT_CPU_API int tangent_cpu_set_isa(int isa);

/* A static name for a status code ("TANGENT_CPU_ERR_NULL", ...; "unknown status" otherwise). */
TANGENT_CPU_API const char *tangent_cpu_status_name(int status);

/* Matrix-vector product of a row vector, the batch-1 forward of a linear layer:
 *   y[n] = x[k] W (+ bias[n]) (then tanh with TANGENT_CPU_GEMV_TANH).
 * W: k x n row-major, row j at w + j*ldw (ldw >= n), or with TANGENT_CPU_GEMV_TRANS_W n x k
 * row-major, row j at w + j*ldw (ldw >= k). ldw = 0 means dense (n, or k transposed).
 * bias may be NULL (no bias). y must not overlap x, w or bias. */
TANGENT_CPU_API int tangent_cpu_gemv_f32(const float *x, const float *w, const float *bias, float *y,
                                         int64_t k, int64_t n, int64_t ldw, int flags);

/* The jvp of the same layer with W constant, streaming W once for both right-hand sides:
 *   y = x W (+ bias),  dy = dx W;  with TANGENT_CPU_GEMV_TANH: y = tanh(x W + bias),
 *   dy = (1 - y^2) * (dx W). Arguments as tangent_cpu_gemv_f32; y and dy must not overlap
 * each other or any input. */
TANGENT_CPU_API int tangent_cpu_gemv_jvp_f32(const float *x, const float *dx, const float *w,
                                             const float *bias, float *y, float *dy,
                                             int64_t k, int64_t n, int64_t ldw, int flags);

/* y[i] = f(x[i]) for i < n, f = op (TANGENT_CPU_SIN, ...). y may be x (in place); a partial
 * overlap is TANGENT_CPU_ERR_ALIAS. */
TANGENT_CPU_API int tangent_cpu_unary_f32(int op, const float *x, float *y, int64_t n);
TANGENT_CPU_API int tangent_cpu_unary_f64(int op, const double *x, double *y, int64_t n);

/* Fused primal and tangent in one pass: y[i] = f(x[i]), dy[i] = f'(x[i]) * dx[i].
 * Each output may be exactly one of the inputs (in place) or overlap none of them; y and dy
 * must not overlap. */
TANGENT_CPU_API int tangent_cpu_unary_jvp_f32(int op, const float *x, const float *dx, float *y,
                                              float *dy, int64_t n);
TANGENT_CPU_API int tangent_cpu_unary_jvp_f64(int op, const double *x, const double *dx, double *y,
                                              double *dy, int64_t n);

/* y[i] = a[i] op b[i] for i < n (TANGENT_CPU_ADD, ...), float32, one IEEE operation each. y may
 * be a or b (in place); a partial overlap is ERR_ALIAS. */
TANGENT_CPU_API int tangent_cpu_binary_f32(int op, const float *a, const float *b, float *y, int64_t n);

/* partials[j] = the float32 sum of x[j * block, min((j + 1) * block, n)) for j < ceil(n / block):
 * a fixed order per block (four vector accumulators in a 4-level cascade, see tc_stream.inc), so
 * a caller that splits the blocks between threads gets the same partials on any number of
 * threads. block > 0; partials must not overlap x. Summing the partials with block >= their count
 * gives the total. */
TANGENT_CPU_API int tangent_cpu_sum_f32(const float *x, int64_t n, int64_t block, float *partials);

/* 2-d max pooling of `planes` contiguous h x w float32 planes (N * C of an NCHW tensor) into
 * oh x ow planes, with PyTorch's max_pool2d semantics: output (i, j) is the maximum over the taps
 * (i sh - ph + a dh, j sw - pw + b dw), 0 <= a < kh, 0 <= b < kw, that lie inside the plane,
 * scanned row by row; among equal values (+0 and -0 included) the first tap wins, and a NaN
 * wins over everything, the last NaN seen. A window with no tap inside gives -inf (and 0).
 * With dx (then dy too), also the jvp: dy = dx at each window's winning tap. dx and dy may both
 * be NULL. Outputs must not overlap the inputs or each other. */
TANGENT_CPU_API int tangent_cpu_max_pool2d_f32(const float *x, const float *dx, float *y, float *dy,
                                               int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                               int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                                               int64_t pw, int64_t dh, int64_t dw);

/* Thread placement (ABI 4), for the hand-over of a core slot (Java's ThreadBudget): the thread
 * that releases a slot restricts the thread it is about to wake to the CPU it runs on itself, so
 * that the scheduler does not queue the wakee behind the other busy core; the wakee, once running,
 * puts back the mask it saved before it slept. Optionally it sleeps as SCHED_BATCH, so that its
 * wake-up does not preempt the releaser on that CPU. Linux only: elsewhere each returns
 * TANGENT_CPU_ERR_SYS with *err = ENOSYS. err may be NULL; it is written only on ERR_SYS. */

/* The calling thread's kernel thread id (gettid), or -1 off Linux. */
TANGENT_CPU_API int32_t tangent_cpu_thread_id(void);

/* The calling thread's CPU mask into mask[0 .. TANGENT_CPU_AFFINITY_BYTES) (sched_getaffinity). */
TANGENT_CPU_API int tangent_cpu_affinity_get(uint8_t *mask, int32_t *err);

/* Sets the calling thread's CPU mask from mask[0 .. TANGENT_CPU_AFFINITY_BYTES) (sched_setaffinity). */
TANGENT_CPU_API int tangent_cpu_affinity_set(const uint8_t *mask, int32_t *err);

/* Restricts thread tid (a thread id of this process) to the one CPU the caller is running on
 * now. allowed (NULL: no check) is the thread's own mask, as tangent_cpu_affinity_get saved it:
 * when the caller's CPU is not in it, nothing is done and TANGENT_CPU_NOT_PLACED returned, so an
 * application's own pinning is respected. TANGENT_CPU_ERR_SIZE for tid <= 0, ERR_SYS when the
 * kernel refuses (e.g. ESRCH: no such thread, EINVAL: that CPU is outside the thread's cpuset). */
TANGENT_CPU_API int tangent_cpu_place_on_current_cpu(int32_t tid, const uint8_t *allowed, int32_t *err);

/* While the caller waits to be woken: if its policy is SCHED_OTHER, switches it to SCHED_BATCH
 * (same nice value), whose wake-up does not preempt the thread running on its CPU (the thread
 * that woke it finishes its time slice's work first), and sets *switched = 1; under any other
 * policy it changes nothing and sets *switched = 0. switched must not be NULL. */
TANGENT_CPU_API int tangent_cpu_wait_policy_begin(int32_t *switched, int32_t *err);

/* Ends tangent_cpu_wait_policy_begin: back to SCHED_OTHER when switched != 0, else nothing. */
TANGENT_CPU_API int tangent_cpu_wait_policy_end(int32_t switched, int32_t *err);

#ifdef __cplusplus
}
#endif

#endif /* TANGENT_CPU_H */
