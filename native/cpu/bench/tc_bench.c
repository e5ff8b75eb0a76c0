/*
 * tc_bench: times libtangent_cpu's kernels (1 thread; pin it with taskset), and oneDNN's
 * matmul / eltwise for comparison when built with -DTC_BENCH_DNNL (native/cpu/bench/run-bench.sh).
 *
 *   tc_bench [gemv] [eltwise] [bandwidth]      (default: all)
 *
 * Every figure is the median over 21 timed batches (each >= ~2 ms of calls) after a warm-up,
 * with the same operands every call (a layer's weights stay cached between calls, as in a
 * benchmark loop over one model).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tangent_cpu.h"

#ifdef TC_BENCH_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define BATCHES 21
typedef void (*bench_fn)(void *ctx);

/* Median seconds per call of fn(ctx). */
static double time_it(bench_fn fn, void *ctx) {
    /* calibrate: calls per ~2 ms batch */
    long calls = 1;
    for (;;) {
        double t0 = now_s();
        for (long i = 0; i < calls; i++) fn(ctx);
        double dt = now_s() - t0;
        if (dt > 2e-3 || calls > (1L << 24)) break;
        calls *= 2;
    }
    for (long i = 0; i < calls; i++) fn(ctx); /* warm-up */
    double t[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_s();
        for (long i = 0; i < calls; i++) fn(ctx);
        t[b] = (now_s() - t0) / calls;
    }
    qsort(t, BATCHES, sizeof t[0], cmp_d);
    return t[BATCHES / 2];
}

static void *xalloc(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float frand(void) { /* uniform in [-1, 1) */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 40) * (1.0 / (1 << 23)) - 1.0);
}
static float *frand_vec(int64_t n, float scale) {
    float *p = xalloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) p[i] = frand() * scale;
    return p;
}

/* ------------------------------------------------------------------ memory bandwidth */

typedef struct {
    const uint64_t *p;
    size_t n;
    uint64_t sink;
} bw_ctx;

static void bw_read(void *c) {
    bw_ctx *b = c;
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (size_t i = 0; i < b->n; i += 8) {
        a0 += b->p[i]; a1 += b->p[i + 1]; a2 += b->p[i + 2]; a3 += b->p[i + 3];
        a4 += b->p[i + 4]; a5 += b->p[i + 5]; a6 += b->p[i + 6]; a7 += b->p[i + 7];
    }
    b->sink += a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ a5 ^ a6 ^ a7;
}

static void bench_bandwidth(void) {
    printf("## read bandwidth (one core, 8-byte integer sum, vectorised)\n\n| buffer | GB/s |\n|---:|---:|\n");
    size_t sizes[] = {32u << 10, 1u << 20, 4u << 20, 16u << 20, 256u << 20};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        bw_ctx b = {xalloc(sizes[s]), sizes[s] / 8, 0};
        memset((void *)b.p, 1, sizes[s]);
        double t = time_it(bw_read, &b);
        printf("| %zu KiB | %.1f |\n", sizes[s] >> 10, sizes[s] / t * 1e-9);
        free((void *)b.p);
    }
    printf("\n");
}

/* ------------------------------------------------------------------ GEMV */

typedef struct {
    float *x, *dx, *w, *b, *y, *dy;
    int64_t k, n;
    int flags;
#ifdef TC_BENCH_DNNL
    dnnl_primitive_t prim;
    dnnl_stream_t stream;
    int nargs;
    dnnl_exec_arg_t args[4];
#endif
} gemv_ctx;

static void run_fwd(void *c) {
    gemv_ctx *g = c;
    if (tangent_cpu_gemv_f32(g->x, g->w, (g->flags & TANGENT_CPU_GEMV_TANH) ? g->b : NULL, g->y, g->k, g->n, 0,
                             g->flags) != 0)
        abort();
}
static void run_jvp(void *c) {
    gemv_ctx *g = c;
    if (tangent_cpu_gemv_jvp_f32(g->x, g->dx, g->w, (g->flags & TANGENT_CPU_GEMV_TANH) ? g->b : NULL, g->y, g->dy,
                                 g->k, g->n, 0, g->flags) != 0)
        abort();
}

#ifdef TC_BENCH_DNNL
#define DNNL_CHECK(call)                                                        \
    do {                                                                        \
        dnnl_status_t s_ = (call);                                              \
        if (s_ != dnnl_success) {                                               \
            fprintf(stderr, "%s failed: %d\n", #call, (int)s_);                 \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

static dnnl_engine_t g_engine;
static dnnl_stream_t g_stream;

static void run_dnnl(void *c) {
    gemv_ctx *g = c;
    if (dnnl_primitive_execute(g->prim, g->stream, g->nargs, g->args) != dnnl_success) abort();
    dnnl_stream_wait(g->stream);
}

static dnnl_memory_t dnnl_mem(const dnnl_memory_desc_t md, void *p) {
    dnnl_memory_t m;
    DNNL_CHECK(dnnl_memory_create(&m, md, g_engine, p));
    return m;
}

/* oneDNN matmul of M rows [M,K] x W (row-major K x N, or stored N x K when trans), optional
 * bias + tanh post-op; src rows are x (and dx as row 2 when M = 2, contiguous buffer). */
static double dnnl_matmul_time(float *src, float *w, float *b, float *dst, int64_t m, int64_t k, int64_t n,
                               int trans, int bias_tanh) {
    dnnl_memory_desc_t smd, wmd, bmd = NULL, dmd;
    dnnl_dims_t sd = {m, k}, wd = {k, n}, bd = {1, n}, dd = {m, n};
    DNNL_CHECK(dnnl_memory_desc_create_with_tag(&smd, 2, sd, dnnl_f32, dnnl_ab));
    DNNL_CHECK(dnnl_memory_desc_create_with_tag(&wmd, 2, wd, dnnl_f32, trans ? dnnl_ba : dnnl_ab));
    DNNL_CHECK(dnnl_memory_desc_create_with_tag(&dmd, 2, dd, dnnl_f32, dnnl_ab));
    dnnl_primitive_attr_t attr;
    DNNL_CHECK(dnnl_primitive_attr_create(&attr));
    if (bias_tanh) {
        DNNL_CHECK(dnnl_memory_desc_create_with_tag(&bmd, 2, bd, dnnl_f32, dnnl_ab));
        dnnl_post_ops_t po;
        DNNL_CHECK(dnnl_post_ops_create(&po));
        DNNL_CHECK(dnnl_post_ops_append_eltwise(po, dnnl_eltwise_tanh, 0.f, 0.f));
        DNNL_CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
        dnnl_post_ops_destroy(po);
    }
    dnnl_primitive_desc_t pd;
    DNNL_CHECK(dnnl_matmul_primitive_desc_create(&pd, g_engine, smd, wmd, bmd, dmd, attr));
    gemv_ctx g;
    memset(&g, 0, sizeof g);
    DNNL_CHECK(dnnl_primitive_create(&g.prim, pd));
    g.stream = g_stream;
    g.args[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, dnnl_mem(smd, src)};
    g.args[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, dnnl_mem(wmd, w)};
    g.args[2] = (dnnl_exec_arg_t){DNNL_ARG_DST, dnnl_mem(dmd, dst)};
    g.nargs = 3;
    if (bias_tanh) g.args[g.nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, dnnl_mem(bmd, b)};
    double t = time_it(run_dnnl, &g);
    for (int i = 0; i < g.nargs; i++) dnnl_memory_destroy(g.args[i].memory);
    dnnl_primitive_destroy(g.prim);
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    dnnl_memory_desc_destroy(smd);
    dnnl_memory_desc_destroy(wmd);
    dnnl_memory_desc_destroy(dmd);
    if (bmd) dnnl_memory_desc_destroy(bmd);
    return t;
}
#endif

static void bench_gemv(void) {
    int64_t shapes[][2] = {{784, 1024}, {1024, 1024}, {1024, 10}};
    printf("## GEMV, float32, batch 1, 1 thread (%s); µs per call (GB/s of W read)\n\n", tangent_cpu_isa());
    printf("| K×N | W layout | fwd 1-RHS | jvp 2-RHS | jvp/fwd | fwd bias+tanh | jvp bias+tanh (fused) | fused jvp/fwd"
#ifdef TC_BENCH_DNNL
           " | oneDNN 1-row | oneDNN 1-row bias+tanh | oneDNN 2-row | fused jvp / oneDNN 1-row bias+tanh"
#endif
           " |\n|---|---|---:|---:|---:|---:|---:|---:"
#ifdef TC_BENCH_DNNL
           "|---:|---:|---:|---:"
#endif
           "|\n");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        for (int trans = 0; trans <= 1; trans++) {
            gemv_ctx g;
            memset(&g, 0, sizeof g);
            g.k = shapes[s][0];
            g.n = shapes[s][1];
            g.x = frand_vec(2 * g.k, 1.0f); /* x then dx: also oneDNN's 2-row source */
            g.dx = g.x + g.k;
            g.w = frand_vec(g.k * g.n, 1.0f / sqrtf((float)g.k));
            g.b = frand_vec(g.n, 0.1f);
            g.y = frand_vec(2 * g.n, 1.0f);
            g.dy = g.y + g.n;
            double wbytes = (double)g.k * g.n * 4;
            g.flags = trans ? TANGENT_CPU_GEMV_TRANS_W : 0;
            double f1 = time_it(run_fwd, &g), j2 = time_it(run_jvp, &g);
            g.flags |= TANGENT_CPU_GEMV_TANH;
            double ft = time_it(run_fwd, &g), jt = time_it(run_jvp, &g);
            printf("| %lld×%lld | %s | %.2f (%.0f) | %.2f (%.0f) | %.2f× | %.2f | %.2f | %.2f×", (long long)g.k,
                   (long long)g.n, trans ? "N×K (x @ w.T)" : "K×N (x @ w)", f1 * 1e6, wbytes / f1 * 1e-9, j2 * 1e6,
                   wbytes / j2 * 1e-9, j2 / f1, ft * 1e6, jt * 1e6, jt / ft);
#ifdef TC_BENCH_DNNL
            double d1 = dnnl_matmul_time(g.x, g.w, g.b, g.y, 1, g.k, g.n, trans, 0);
            double d1t = dnnl_matmul_time(g.x, g.w, g.b, g.y, 1, g.k, g.n, trans, 1);
            double d2 = dnnl_matmul_time(g.x, g.w, g.b, g.y, 2, g.k, g.n, trans, 0);
            printf(" | %.2f (%.0f) | %.2f | %.2f | %.2f×", d1 * 1e6, wbytes / d1 * 1e-9, d1t * 1e6, d2 * 1e6, jt / d1t);
#endif
            printf(" |\n");
            fflush(stdout);
            free(g.x);
            free(g.w);
            free(g.b);
            free(g.y);
        }
    }
    printf("\n");
}

/* ------------------------------------------------------------------ element-wise */

typedef struct {
    int op;
    float *x, *dx, *y, *dy;
    int64_t n;
#ifdef TC_BENCH_DNNL
    dnnl_primitive_t fwd, bwd;
    dnnl_exec_arg_t fargs[2], bargs[4];
    int nb;
#endif
} elt_ctx;

static void run_elt_fwd(void *c) {
    elt_ctx *e = c;
    if (tangent_cpu_unary_f32(e->op, e->x, e->y, e->n) != 0) abort();
}
static void run_elt_jvp(void *c) {
    elt_ctx *e = c;
    if (tangent_cpu_unary_jvp_f32(e->op, e->x, e->dx, e->y, e->dy, e->n) != 0) abort();
}

#ifdef TC_BENCH_DNNL
static void run_dnnl_elt_fwd(void *c) {
    elt_ctx *e = c;
    if (dnnl_primitive_execute(e->fwd, g_stream, 2, e->fargs) != dnnl_success) abort();
    dnnl_stream_wait(g_stream);
}
/* The jvp as Tangent's oneDNN path computes it: forward, then backward with diff_dst = dx. */
static void run_dnnl_elt_jvp(void *c) {
    elt_ctx *e = c;
    if (dnnl_primitive_execute(e->fwd, g_stream, 2, e->fargs) != dnnl_success) abort();
    if (dnnl_primitive_execute(e->bwd, g_stream, e->nb, e->bargs) != dnnl_success) abort();
    dnnl_stream_wait(g_stream);
}

static void dnnl_elt_times(elt_ctx *e, dnnl_alg_kind_t fwd_alg, dnnl_alg_kind_t bwd_alg, int use_dst, double *tf,
                           double *tj) {
    dnnl_memory_desc_t md;
    dnnl_dims_t d = {e->n};
    DNNL_CHECK(dnnl_memory_desc_create_with_tag(&md, 1, d, dnnl_f32, dnnl_a));
    dnnl_primitive_desc_t fpd, bpd;
    DNNL_CHECK(dnnl_eltwise_forward_primitive_desc_create(&fpd, g_engine, dnnl_forward_training, fwd_alg, md, md, 0.f,
                                                          0.f, NULL));
    DNNL_CHECK(dnnl_eltwise_backward_primitive_desc_create(&bpd, g_engine, bwd_alg, md, md, md, 0.f, 0.f, fpd, NULL));
    DNNL_CHECK(dnnl_primitive_create(&e->fwd, fpd));
    DNNL_CHECK(dnnl_primitive_create(&e->bwd, bpd));
    dnnl_memory_t mx = dnnl_mem(md, e->x), my = dnnl_mem(md, e->y), mdx = dnnl_mem(md, e->dx), mdy = dnnl_mem(md, e->dy);
    e->fargs[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, mx};
    e->fargs[1] = (dnnl_exec_arg_t){DNNL_ARG_DST, my};
    e->bargs[0] = (dnnl_exec_arg_t){use_dst ? DNNL_ARG_DST : DNNL_ARG_SRC, use_dst ? my : mx};
    e->bargs[1] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, mdx};
    e->bargs[2] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC, mdy};
    e->nb = 3;
    *tf = time_it(run_dnnl_elt_fwd, e);
    *tj = time_it(run_dnnl_elt_jvp, e);
    dnnl_memory_destroy(mx);
    dnnl_memory_destroy(my);
    dnnl_memory_destroy(mdx);
    dnnl_memory_destroy(mdy);
    dnnl_primitive_destroy(e->fwd);
    dnnl_primitive_destroy(e->bwd);
    dnnl_primitive_desc_destroy(fpd);
    dnnl_primitive_desc_destroy(bpd);
    dnnl_memory_desc_destroy(md);
}
#endif

static void bench_eltwise(void) {
    const int64_t n = 1 << 20;
    struct {
        const char *name;
        int op;
        float scale;
    } ops[] = {{"sin", TANGENT_CPU_SIN, 10.f}, {"exp", TANGENT_CPU_EXP, 10.f}, {"tanh", TANGENT_CPU_TANH, 5.f},
               {"sigmoid", TANGENT_CPU_SIGMOID, 10.f}, {"gelu", TANGENT_CPU_GELU, 5.f}};
    const int isas[] = {TANGENT_CPU_ISA_SCALAR, TANGENT_CPU_ISA_AVX2, TANGENT_CPU_ISA_AVX512};
    printf("## element-wise float32, 2^20 elements, 1 thread; ns per element (forward / fused jvp)\n\n");
    printf("| op | scalar | avx2 | avx512"
#ifdef TC_BENCH_DNNL
           " | oneDNN fwd / fwd+bwd"
#endif
           " |\n|---|---:|---:|---:"
#ifdef TC_BENCH_DNNL
           "|---:"
#endif
           "|\n");
    elt_ctx e;
    memset(&e, 0, sizeof e);
    e.n = n;
    e.x = frand_vec(n, 1.f);
    e.dx = frand_vec(n, 1.f);
    e.y = frand_vec(n, 1.f);
    e.dy = frand_vec(n, 1.f);
    float *x0 = frand_vec(n, 1.f);
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        e.op = ops[o].op;
        for (int64_t i = 0; i < n; i++) e.x[i] = x0[i] * ops[o].scale;
        printf("| %s", ops[o].name);
        for (int i = 0; i < 3; i++) {
            if (tangent_cpu_set_isa(isas[i]) != 0) {
                printf(" | n/a");
                continue;
            }
            double tf = time_it(run_elt_fwd, &e), tj = time_it(run_elt_jvp, &e);
            printf(" | %.2f / %.2f", tf / n * 1e9, tj / n * 1e9);
        }
        tangent_cpu_set_isa(TANGENT_CPU_ISA_AUTO);
#ifdef TC_BENCH_DNNL
        {
            double tf, tj;
            int ok = 1;
            switch (ops[o].op) {
            case TANGENT_CPU_EXP: dnnl_elt_times(&e, dnnl_eltwise_exp, dnnl_eltwise_exp_use_dst_for_bwd, 1, &tf, &tj); break;
            case TANGENT_CPU_TANH: dnnl_elt_times(&e, dnnl_eltwise_tanh, dnnl_eltwise_tanh_use_dst_for_bwd, 1, &tf, &tj); break;
            case TANGENT_CPU_SIGMOID:
                dnnl_elt_times(&e, dnnl_eltwise_logistic, dnnl_eltwise_logistic_use_dst_for_bwd, 1, &tf, &tj);
                break;
            case TANGENT_CPU_GELU: dnnl_elt_times(&e, dnnl_eltwise_gelu_erf, dnnl_eltwise_gelu_erf, 0, &tf, &tj); break;
            default: ok = 0;
            }
            if (ok) printf(" | %.2f / %.2f", tf / n * 1e9, tj / n * 1e9);
            else printf(" | none (no %s in oneDNN)", ops[o].name);
        }
#endif
        printf(" |\n");
        fflush(stdout);
    }
    printf("\n");
}

int main(int argc, char **argv) {
    int all = argc < 2, gemv = all, elt = all, bw = all;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "gemv")) gemv = 1;
        else if (!strcmp(argv[i], "eltwise")) elt = 1;
        else if (!strcmp(argv[i], "bandwidth")) bw = 1;
        else {
            fprintf(stderr, "usage: tc_bench [gemv] [eltwise] [bandwidth]\n");
            return 2;
        }
    }
    printf("libtangent_cpu ABI %d, code path %s\n\n", tangent_cpu_abi_version(), tangent_cpu_isa());
#ifdef TC_BENCH_DNNL
    {
        const dnnl_version_t *v = dnnl_version();
        printf("oneDNN %d.%d.%d (cpu_runtime %u, isa as oneDNN reports with ONEDNN_VERBOSE=1)\n\n", v->major, v->minor,
               v->patch, v->cpu_runtime);
        DNNL_CHECK(dnnl_engine_create(&g_engine, dnnl_cpu, 0));
        DNNL_CHECK(dnnl_stream_create(&g_stream, g_engine, dnnl_stream_default_flags));
    }
#endif
    if (bw) bench_bandwidth();
    if (gemv) bench_gemv();
    if (elt) bench_eltwise();
    return 0;
}
