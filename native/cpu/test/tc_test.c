/*
 * tc_test: libtangent_cpu against long-double references, on every code path this CPU runs.
 *
 *   tc_test [points]     points per op, dtype and distribution (default: $TC_TEST_POINTS, else
 *                        1048576 = 2^20, i.e. 2 Mi points per op and dtype; ~40 s on one core)
 *
 * Element-wise: for each op, float32 and float64, `points` random bit patterns (every exponent:
 * subnormals, huge arguments, inf, NaN) plus `points` uniform in [-12, 12], plus a table of
 * special values checked exactly against PyTorch's results (NaN, +-inf, +-0). Accuracy is the
 * error in ulps of the target type against the exact value (long double), reported per op; the
 * tangent is compared with a floor of |dx| ulp(1) (its formula, PyTorch's, is evaluated from y
 * where y saturates). GEMV: many shapes, both layouts, strides, bias, tanh, against a double
 * reference with a rigorous rounding bound. Argument checks: NULL, size 0, overlap, alignment.
 * Prints "N passed, N failed" last; exits 1 on any failure.
 */
#define _GNU_SOURCE
#include <float.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>

#include "tangent_cpu.h"

static int g_pass, g_fail;
#define CHECK(cond, ...)                          \
    do {                                          \
        if (cond) {                               \
            g_pass++;                             \
        } else {                                  \
            g_fail++;                             \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                  \
            printf("\n");                         \
        }                                         \
    } while (0)

static uint64_t g_rng = 0x243F6A8885A308D3ull;
static uint64_t rnd64(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}
static double rnd_unit(void) { return (rnd64() >> 11) * (1.0 / 9007199254740992.0); } /* [0,1) */

/* ------------------------------------------------------------------ references (long double) */

typedef long double LD;
static const LD KAPPA = 0.044715L;
static const LD SQRT_2_PI = 0.797884560802865355879892119868763737L;
static const LD INV_SQRT2 = 0.707106781186547524400844362104849039L;
static const LD INV_SQRT_2PI = 0.398942280401432677939946059934381868L;
static const LD TWO_SQRTPI = 1.12837916709551257389615890312154517L;

static const char *op_name(int op) {
    static const char *n[] = {"?", "sin", "cos", "exp", "log", "tanh", "sigmoid", "erf", "gelu", "gelu_tanh", "relu"};
    return op >= 1 && op <= 10 ? n[op] : "?";
}

/* sigmoid(t) and sigmoid(t)(1 - sigmoid(t)) without cancellation */
static void ref_sigmoid(LD t, LD *s, LD *sd) {
    LD e = expl(-fabsl(t));
    LD r = 1 / (1 + e);
    *s = t >= 0 ? r : e * r;
    *sd = e * r * r;
}

/* y = f(x), d = f'(x), for finite x */
static void ref_f(int op, LD x, LD *y, LD *d) {
    switch (op) {
    case TANGENT_CPU_SIN: *y = sinl(x); *d = cosl(x); break;
    case TANGENT_CPU_COS: *y = cosl(x); *d = -sinl(x); break;
    case TANGENT_CPU_EXP: *y = expl(x); *d = *y; break;
    case TANGENT_CPU_LOG: *y = logl(x); *d = 1 / x; break;
    case TANGENT_CPU_TANH: *y = tanhl(x); {
            LD e = expl(-2 * fabsl(x));
            *d = 4 * e / ((1 + e) * (1 + e));
        }
        break;
    case TANGENT_CPU_SIGMOID: ref_sigmoid(x, y, d); break;
    case TANGENT_CPU_ERF: *y = erfl(x); *d = TWO_SQRTPI * expl(-x * x); break;
    case TANGENT_CPU_GELU: {
        LD cdf = erfcl(-x * INV_SQRT2) / 2;
        LD pdf = expl(-x * x / 2) * INV_SQRT_2PI;
        *y = x * cdf;
        *d = cdf + x * pdf;
        break;
    }
    case TANGENT_CPU_GELU_TANH: {
        LD u = SQRT_2_PI * (x + KAPPA * x * x * x), s, sd;
        ref_sigmoid(2 * u, &s, &sd);
        *y = x * s;
        *d = s + x * 2 * sd * SQRT_2_PI * (1 + 3 * KAPPA * x * x);
        break;
    }
    }
}

/* ulp of the target type at |r| (subnormal spacing at and below the smallest normal) */
static LD ulp_of(LD r, int dbl) {
    int mant = dbl ? 53 : 24, emin = dbl ? -1021 : -125;
    r = fabsl(r);
    int e;
    if (r == 0) e = emin;
    else {
        frexpl(r, &e);
        if (e < emin) e = emin;
    }
    return ldexpl(1.0L, e - mant);
}

/* ------------------------------------------------------------------ element-wise accuracy */

typedef struct {
    double y_core, y_all, dy_core, dy_all; /* max errors (ulps; dy: ulps with the |dx| ulp(1) floor) */
    double worst_y_x, worst_dy_x;
    long n;
} acc_stats;

/* Allowed error in ulps for y at x: a base plus, for gelu_tanh, the amplification of rounding
 * u = sqrt(2/pi) (x + 0.044715 x^3) by sigmoid(2u) in the negative tail (about 6 |u| ulps). */
static double tol_y(int op, LD x, int dbl) {
    static const double base[] = {0, 1.5, 1.5, 1.5, 1.5, 1.5, 3.5, 2, 4, 6};
    double t = base[op];
    if (!dbl && op == TANGENT_CPU_TANH) t = 3.5; /* SLEEF's u35 tanh for float32 */
    if (op == TANGENT_CPU_GELU && x < 0) t += 0.1 * (double)(x * x); /* erfc near underflow */
    if (op == TANGENT_CPU_GELU_TANH && x < 0) t += 8 * (double)fabsl(SQRT_2_PI * (x + KAPPA * x * x * x));
    return t;
}
static double tol_dy(int op, LD x, int dbl) {
    static const double base[] = {0, 2.5, 2.5, 2.5, 2.5, 6, 4, 4, 6, 8};
    double t = base[op];
    (void)dbl;
    if (op == TANGENT_CPU_GELU_TANH) t += 8 * (double)fabsl(SQRT_2_PI * (x + KAPPA * x * x * x));
    return t;
}

/* Runs op on n points (x, dx given as long doubles) at the active code path and checks each. */
static void check_points(int op, int dbl, const LD *xs, const LD *dxs, long n, acc_stats *st, int *bad_shown) {
    size_t es = dbl ? 8 : 4;
    void *x = malloc(n * es), *dx = malloc(n * es), *y = malloc(n * es), *dy = malloc(n * es), *y1 = malloc(n * es);
    for (long i = 0; i < n; i++) {
        if (dbl) { ((double *)x)[i] = (double)xs[i]; ((double *)dx)[i] = (double)dxs[i]; }
        else { ((float *)x)[i] = (float)xs[i]; ((float *)dx)[i] = (float)dxs[i]; }
    }
    int s1 = dbl ? tangent_cpu_unary_jvp_f64(op, x, dx, y, dy, n) : tangent_cpu_unary_jvp_f32(op, x, dx, y, dy, n);
    int s2 = dbl ? tangent_cpu_unary_f64(op, x, y1, n) : tangent_cpu_unary_f32(op, x, y1, n);
    CHECK(s1 == 0 && s2 == 0, "%s status %d %d", op_name(op), s1, s2);
    long differ = 0;
    for (long i = 0; i < n; i++) {
        double a = dbl ? ((double *)y)[i] : ((float *)y)[i], b = dbl ? ((double *)y1)[i] : ((float *)y1)[i];
        if (isnan(a) && isnan(b)) continue;
        /* sin/cos: the jvp's sincos may round 1 ulp away from sin/cos alone; others: bitwise */
        if (op == TANGENT_CPU_SIN || op == TANGENT_CPU_COS ? !(fabsl((LD)a - b) <= ulp_of(a, dbl))
                                                           : memcmp((char *)y + i * es, (char *)y1 + i * es, es) != 0)
            differ++;
    }
    CHECK(differ == 0, "%s %s [%s]: forward and jvp primal differ at %ld points", op_name(op), dbl ? "f64" : "f32",
          tangent_cpu_isa(), differ);
    long bad = 0;
    for (long i = 0; i < n; i++) {
        LD xv = dbl ? ((double *)x)[i] : ((float *)x)[i];
        LD dxv = dbl ? ((double *)dx)[i] : ((float *)dx)[i];
        LD gy = dbl ? ((double *)y)[i] : ((float *)y)[i];
        LD gd = dbl ? ((double *)dy)[i] : ((float *)dy)[i];
        if (!isfinite(xv) || !isfinite(dxv)) continue; /* specials are checked exactly elsewhere */
        /* PyTorch's overflows, reproduced (see tc_template.inc): float32 gelu is inf from 2^127;
         * gelu_tanh's tangent is NaN where x^2 overflows. */
        if (op == TANGENT_CPU_GELU && !dbl && xv >= 0x1p127L) {
            CHECK(isinf(gy) && gy > 0, "gelu f32 (x=%Lg) = %Lg, want inf", xv, gy);
            continue;
        }
        if (op == TANGENT_CPU_GELU_TANH && isinf(dbl ? (LD)((double)xv * (double)xv) : (LD)((float)xv * (float)xv))) {
            CHECK(isnan(gd), "gelu_tanh' (x=%Lg) = %Lg, want NaN", xv, gd);
            continue;
        }
        LD ry, rd;
        ref_f(op, xv, &ry, &rd);
        rd *= dxv;
        LD ryT = dbl ? (LD)(double)ry : (LD)(float)ry; /* the reference rounded: overflow -> inf */
        int core = fabsl(xv) <= 4;
        /* primal */
        double ey;
        if (isnan(ry)) ey = isnan(gy) ? 0 : INFINITY;
        else if (isinf(ryT)) ey = gy == ryT ? 0 : (isinf(gy) ? INFINITY : (double)(fabsl(gy - ry) / ulp_of(ry, dbl)));
        else ey = isfinite(gy) ? (double)(fabsl(gy - ry) / ulp_of(ry, dbl)) : INFINITY;
        /* tangent: ulps of the reference, floored at |dx| ulp(1) */
        double ed;
        /* exp's tangent is dx * y (PyTorch's): where y rounds up to inf, so does dy */
        if (op == TANGENT_CPU_EXP && isinf(gy) && isinf(gd) && signbit(gd) == signbit(rd)) rd = gd;
        LD rdT = dbl ? (LD)(double)rd : (LD)(float)rd;
        if (isnan(rd)) ed = isnan(gd) ? 0 : INFINITY;
        else if (isinf(rdT)) ed = gd == rdT ? 0 : (isinf(gd) ? INFINITY : (double)(fabsl(gd - rd) / ulp_of(rd, dbl)));
        else {
            LD fl = fabsl(dxv) * ulp_of(1, dbl);
            LD u = ulp_of(rd, dbl);
            ed = isfinite(gd) ? (double)(fabsl(gd - rd) / (u > fl ? u : fl)) : INFINITY;
        }
        /* log of a negative number, and the like: NaN required */
        if (ey > st->y_all) { st->y_all = ey; st->worst_y_x = (double)xv; }
        if (ed > st->dy_all) { st->dy_all = ed; st->worst_dy_x = (double)xv; }
        if (core && ey > st->y_core) st->y_core = ey;
        if (core && ed > st->dy_core) st->dy_core = ed;
        int ok = ey <= tol_y(op, xv, dbl) && ed <= tol_dy(op, xv, dbl);
        if (!ok) {
            bad++;
            if (*bad_shown < 5) {
                (*bad_shown)++;
                printf("  %s %s [%s] x=%.17Lg dx=%.9Lg: y=%.17Lg (ref %.17Lg, %.2f ulp) dy=%.17Lg (ref %.17Lg, %.2f)\n",
                       op_name(op), dbl ? "f64" : "f32", tangent_cpu_isa(), xv, dxv, gy, ry, ey, gd, rd, ed);
            }
        }
    }
    CHECK(bad == 0, "%s %s [%s]: %ld of %ld points beyond the tolerance", op_name(op), dbl ? "f64" : "f32",
          tangent_cpu_isa(), bad, n);
    st->n += n;
    free(x); free(dx); free(y); free(dy); free(y1);
}

static LD random_bits(int dbl) {
    if (dbl) {
        uint64_t b = rnd64();
        double d;
        memcpy(&d, &b, 8);
        return d;
    }
    uint32_t b = (uint32_t)(rnd64() >> 32);
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static void accuracy(long points, int isa_mask) {
    const int isas[] = {TANGENT_CPU_ISA_SCALAR, TANGENT_CPU_ISA_AVX2, TANGENT_CPU_ISA_AVX512};
    LD *xs = malloc(2 * points * sizeof(LD)), *dxs = malloc(2 * points * sizeof(LD));
    printf("element-wise accuracy, %ld points per op and dtype (half random bit patterns, half uniform in [-12, 12]);\n"
           "errors in ulps: y exact ulps; dy ulps floored at |dx| ulp(1); core = |x| <= 4\n\n", 2 * points);
    printf("| op | dtype | path | y core | y all | dy core | dy all | worst y at x | worst dy at x |\n");
    printf("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (int dbl = 0; dbl <= 1; dbl++) {
        for (int op = TANGENT_CPU_SIN; op <= TANGENT_CPU_GELU_TANH; op++) {
            for (long i = 0; i < points; i++) {
                xs[i] = random_bits(dbl);
                xs[points + i] = (rnd_unit() * 2 - 1) * 12;
                if (op == TANGENT_CPU_LOG) xs[points + i] = fabsl(xs[points + i]) * (i & 1 ? 1 : 1e-3L);
                dxs[i] = dxs[points + i] = rnd_unit() * 4 - 2;
            }
            for (int k = 0; k < 3; k++) {
                if (!(isa_mask & (1 << k)) || tangent_cpu_set_isa(isas[k]) != 0) continue;
                acc_stats st;
                memset(&st, 0, sizeof st);
                int shown = 0;
                check_points(op, dbl, xs, dxs, 2 * points, &st, &shown);
                printf("| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.6g | %.6g |\n", op_name(op), dbl ? "f64" : "f32",
                       tangent_cpu_isa(), st.y_core, st.y_all, st.dy_core, st.dy_all, st.worst_y_x, st.worst_dy_x);
                fflush(stdout);
            }
        }
    }
    tangent_cpu_set_isa(TANGENT_CPU_ISA_AUTO);
    printf("\n");
    free(xs);
    free(dxs);
}

/* ------------------------------------------------------------------ special values */

static int same(double got, double want) { /* bitwise-equal sign of zero, NaN == NaN */
    if (isnan(want)) return isnan(got);
    if (got != want) return 0;
    return got != 0 || signbit(got) == signbit(want);
}

static void specials(int isa_mask) {
    const double inf = INFINITY, nan = NAN;
    /* {op, x, y, dy at dx = 1} as PyTorch (and Tangent's Java kernels) compute them */
    struct { int op; double x, y, d; } t[] = {
        {TANGENT_CPU_SIN, 0.0, 0.0, 1}, {TANGENT_CPU_SIN, -0.0, -0.0, 1}, {TANGENT_CPU_SIN, inf, nan, nan},
        {TANGENT_CPU_SIN, -inf, nan, nan}, {TANGENT_CPU_SIN, nan, nan, nan},
        {TANGENT_CPU_COS, 0.0, 1, -0.0}, {TANGENT_CPU_COS, -0.0, 1, 0.0}, {TANGENT_CPU_COS, inf, nan, nan},
        {TANGENT_CPU_COS, nan, nan, nan},
        {TANGENT_CPU_EXP, -inf, 0, 0}, {TANGENT_CPU_EXP, inf, inf, inf}, {TANGENT_CPU_EXP, 0.0, 1, 1},
        {TANGENT_CPU_EXP, -0.0, 1, 1}, {TANGENT_CPU_EXP, nan, nan, nan}, {TANGENT_CPU_EXP, 1000, inf, inf},
        {TANGENT_CPU_EXP, -1000, 0, 0},
        {TANGENT_CPU_LOG, 0.0, -inf, inf}, {TANGENT_CPU_LOG, -0.0, -inf, -inf}, {TANGENT_CPU_LOG, -1, nan, -1},
        {TANGENT_CPU_LOG, inf, inf, 0}, {TANGENT_CPU_LOG, -inf, nan, -0.0}, {TANGENT_CPU_LOG, 1, 0, 1},
        {TANGENT_CPU_LOG, nan, nan, nan},
        {TANGENT_CPU_TANH, 0.0, 0.0, 1}, {TANGENT_CPU_TANH, -0.0, -0.0, 1}, {TANGENT_CPU_TANH, inf, 1, 0},
        {TANGENT_CPU_TANH, -inf, -1, 0}, {TANGENT_CPU_TANH, nan, nan, nan}, {TANGENT_CPU_TANH, 50, 1, 0},
        {TANGENT_CPU_SIGMOID, -inf, 0, 0}, {TANGENT_CPU_SIGMOID, inf, 1, 0}, {TANGENT_CPU_SIGMOID, 0.0, 0.5, 0.25},
        {TANGENT_CPU_SIGMOID, -0.0, 0.5, 0.25}, {TANGENT_CPU_SIGMOID, nan, nan, nan},
        {TANGENT_CPU_ERF, 0.0, 0.0, 1.1283791670955126}, {TANGENT_CPU_ERF, -0.0, -0.0, 1.1283791670955126},
        {TANGENT_CPU_ERF, inf, 1, 0}, {TANGENT_CPU_ERF, -inf, -1, 0}, {TANGENT_CPU_ERF, nan, nan, nan},
        /* gelu: x/2 (1 + erf(x/sqrt2)) is -inf * 0 = NaN at -inf (float64; float32 is NaN at +inf
         * too, as PyTorch's float32 gelu, checked below); the tangent Phi + x phi is inf * 0 = NaN
         * at both infinities. */
        {TANGENT_CPU_GELU, 0.0, 0.0, 0.5}, {TANGENT_CPU_GELU, -0.0, -0.0, 0.5}, {TANGENT_CPU_GELU, inf, inf, nan},
        {TANGENT_CPU_GELU, -inf, nan, nan}, {TANGENT_CPU_GELU, nan, nan, nan},
        {TANGENT_CPU_GELU_TANH, 0.0, 0.0, 0.5}, {TANGENT_CPU_GELU_TANH, -0.0, -0.0, 0.5},
        {TANGENT_CPU_GELU_TANH, inf, inf, nan}, {TANGENT_CPU_GELU_TANH, -inf, nan, nan},
        {TANGENT_CPU_GELU_TANH, nan, nan, nan},
        /* relu: -0 stays -0, NaN stays NaN and passes its tangent (threshold_backward: y <= 0 is false) */
        {TANGENT_CPU_RELU, 0.0, 0.0, 0.0}, {TANGENT_CPU_RELU, -0.0, -0.0, 0.0}, {TANGENT_CPU_RELU, inf, inf, 1},
        {TANGENT_CPU_RELU, -inf, 0.0, 0.0}, {TANGENT_CPU_RELU, nan, nan, 1}, {TANGENT_CPU_RELU, -1, 0.0, 0.0},
        {TANGENT_CPU_RELU, 2.5, 2.5, 1},
    };
    const int isas[] = {TANGENT_CPU_ISA_SCALAR, TANGENT_CPU_ISA_AVX2, TANGENT_CPU_ISA_AVX512};
    size_t nt = sizeof t / sizeof t[0];
    for (int k = 0; k < 3; k++) {
        if (!(isa_mask & (1 << k)) || tangent_cpu_set_isa(isas[k]) != 0) continue;
        for (size_t i = 0; i < nt; i++) {
            /* each value alone and inside a full vector of ordinary values (lane independence) */
            for (int pos = 0; pos < 2; pos++) {
                int n = pos ? 37 : 1, at = pos ? 21 : 0;
                float xf[37], df[37], yf[37], dyf[37];
                double xd[37], dd[37], yd[37], dyd[37];
                for (int j = 0; j < n; j++) { xf[j] = 0.25f; xd[j] = 0.25; df[j] = 1; dd[j] = 1; }
                xf[at] = (float)t[i].x;
                xd[at] = t[i].x;
                CHECK(tangent_cpu_unary_jvp_f32(t[i].op, xf, df, yf, dyf, n) == 0, "status");
                CHECK(tangent_cpu_unary_jvp_f64(t[i].op, xd, dd, yd, dyd, n) == 0, "status");
                double wy = t[i].y, wd = t[i].d;
                if (t[i].op == TANGENT_CPU_ERF && t[i].x == 0) {
                    CHECK(same(dyf[at], (float)wd), "erf'(0) f32 %.9g", dyf[at]);
                    CHECK(same(yf[at], wy) && same(yd[at], wy), "erf(%g)", t[i].x);
                    CHECK(fabs(dyd[at] - wd) <= 2e-16, "erf'(0) f64 %.17g", dyd[at]);
                    continue;
                }
                if (t[i].op == TANGENT_CPU_GELU && t[i].x == INFINITY) {
                    CHECK(isnan(yf[at]) && isnan(dyf[at]), "gelu f32 (inf): y=%g dy=%g, want NaN NaN", yf[at], dyf[at]);
                    CHECK(same(yd[at], wy) && same(dyd[at], wd), "gelu f64 (inf): y=%g dy=%g", yd[at], dyd[at]);
                    continue;
                }
                CHECK(same(yf[at], (float)wy) && same(dyf[at], (float)wd), "[%s] %s f32 (x=%g): y=%g dy=%g, want %g %g",
                      tangent_cpu_isa(), op_name(t[i].op), t[i].x, yf[at], dyf[at], wy, wd);
                CHECK(same(yd[at], wy) && same(dyd[at], wd), "[%s] %s f64 (x=%g): y=%g dy=%g, want %g %g",
                      tangent_cpu_isa(), op_name(t[i].op), t[i].x, yd[at], dyd[at], wy, wd);
            }
        }
        /* NaN tangent propagates through a finite derivative; a NaN dx stays NaN */
        for (int op = TANGENT_CPU_SIN; op <= TANGENT_CPU_GELU_TANH; op++) {
            float x = 0.5f, dx = NAN, y, dy;
            double xd = 0.5, dxd = NAN, yd, dyd;
            tangent_cpu_unary_jvp_f32(op, &x, &dx, &y, &dy, 1);
            tangent_cpu_unary_jvp_f64(op, &xd, &dxd, &yd, &dyd, 1);
            CHECK(isnan(dy) && isnan(dyd) && !isnan(y) && !isnan(yd), "[%s] %s: NaN dx", tangent_cpu_isa(), op_name(op));
        }
    }
    tangent_cpu_set_isa(TANGENT_CPU_ISA_AUTO);
}

/* ------------------------------------------------------------------ GEMV */

static void gemv_case(int64_t k, int64_t n, int64_t ldw, int flags, int use_bias) {
    int trans = flags & TANGENT_CPU_GEMV_TRANS_W, th = flags & TANGENT_CPU_GEMV_TANH;
    int64_t rows = trans ? n : k, row = trans ? k : n, lw = ldw ? ldw : row;
    size_t wel = rows ? (size_t)((rows - 1) * lw + row) : 0;
    float *x = malloc((k + 1) * 4), *dx = malloc((k + 1) * 4), *w = malloc((wel + 1) * 4), *b = malloc((n + 1) * 4);
    float *y = malloc((n + 1) * 4), *dy = malloc((n + 1) * 4), *y1 = malloc((n + 1) * 4);
    for (int64_t i = 0; i < k; i++) { x[i] = (float)(rnd_unit() * 2 - 1); dx[i] = (float)(rnd_unit() * 2 - 1); }
    for (size_t i = 0; i < wel; i++) w[i] = (float)((rnd_unit() * 2 - 1) / sqrt((double)(k ? k : 1)));
    for (int64_t j = 0; j < n; j++) b[j] = (float)(rnd_unit() - 0.5);
    for (int64_t j = 0; j <= n; j++) y[j] = dy[j] = y1[j] = 12345.f; /* a guard past the end */
    const float *bb = use_bias ? b : NULL;
    int s1 = tangent_cpu_gemv_jvp_f32(x, dx, w, bb, y, dy, k, n, ldw, flags);
    int s2 = tangent_cpu_gemv_f32(x, w, bb, y1, k, n, ldw, flags);
    CHECK(s1 == 0 && s2 == 0, "gemv status %d %d", s1, s2);
    CHECK(y[n] == 12345.f && dy[n] == 12345.f && y1[n] == 12345.f, "gemv wrote past n");
    double maxe = 0;
    int ok = 1;
    for (int64_t j = 0; j < n; j++) {
        double s = use_bias ? b[j] : 0, ds = 0, mag = fabs(s), dmag = 0;
        for (int64_t i = 0; i < k; i++) {
            double wv = trans ? w[j * lw + i] : w[i * lw + j];
            s += (double)x[i] * wv;
            ds += (double)dx[i] * wv;
            mag += fabs((double)x[i] * wv);
            dmag += fabs((double)dx[i] * wv);
        }
        /* |float sum - exact| <= (k + 1) u sum|terms| for any order, with or without FMA */
        double u = ldexp(1, -24), ey = (k + 2) * u * mag, ed = (k + 2) * u * dmag;
        double ry = s, rd = ds;
        if (th) {
            ry = tanh(s);
            rd = (1 - ry * ry) * ds;
            ed = ed + 2 * (ey + 5 * u) * fabs(ds) + 4 * u * fabs(ds); /* d/dy of (1-y^2) ds, plus rounding */
            ey = ey + 5 * u;                                /* tanh (float32: 3.5 ulp) plus its argument's error */
        }
        double e1 = fabs(y[j] - ry), e2 = fabs(dy[j] - rd), e3 = fabs(y1[j] - ry);
        if (!(e1 <= ey + 1e-30 && e3 <= ey + 1e-30 && e2 <= ed + 1e-30)) {
            if (ok)
                printf("  gemv k=%lld n=%lld ldw=%lld flags=%d bias=%d [%s] j=%lld: y %.9g %.9g ref %.9g (tol %.3g); dy %.9g ref %.9g (tol %.3g)\n",
                       (long long)k, (long long)n, (long long)ldw, flags, use_bias, tangent_cpu_isa(), (long long)j, y[j],
                       y1[j], ry, ey, dy[j], rd, ed);
            ok = 0;
        }
        if (e1 > maxe) maxe = e1;
    }
    CHECK(ok, "gemv k=%lld n=%lld ldw=%lld flags=%d bias=%d [%s]", (long long)k, (long long)n, (long long)ldw, flags,
          use_bias, tangent_cpu_isa());
    free(x); free(dx); free(w); free(b); free(y); free(dy); free(y1);
}

static void gemv_tests(int isa_mask) {
    const int64_t ks[] = {0, 1, 2, 3, 5, 8, 9, 15, 16, 17, 31, 33, 64, 100, 784};
    const int64_t ns[] = {1, 2, 3, 7, 8, 10, 16, 17, 24, 32, 33, 47, 100, 1024, 1100};
    const int isas[] = {TANGENT_CPU_ISA_SCALAR, TANGENT_CPU_ISA_AVX2, TANGENT_CPU_ISA_AVX512};
    for (int q = 0; q < 3; q++) {
        if (!(isa_mask & (1 << q)) || tangent_cpu_set_isa(isas[q]) != 0) continue;
        int before = g_fail;
        for (size_t a = 0; a < sizeof ks / sizeof ks[0]; a++)
            for (size_t c = 0; c < sizeof ns / sizeof ns[0]; c++)
                for (int flags = 0; flags < 4; flags++) {
                    if (ks[a] * ns[c] > 200000 && flags != 0 && flags != 1) continue;
                    int64_t row = flags & 1 ? ks[a] : ns[c];
                    gemv_case(ks[a], ns[c], 0, flags, (int)((a + c) & 1));
                    gemv_case(ks[a], ns[c], row + 3, flags, (int)((a + c + 1) & 1));
                }
        gemv_case(1024, 1024, 0, 0, 1);
        gemv_case(1024, 1024, 0, TANGENT_CPU_GEMV_TRANS_W | TANGENT_CPU_GEMV_TANH, 1);
        gemv_case(1024, 10, 0, TANGENT_CPU_GEMV_TANH, 1);
        gemv_case(3, 3000, 0, 0, 1); /* several column blocks */
        printf("gemv [%s]: %s\n", tangent_cpu_isa(), g_fail == before ? "ok" : "FAILED");
    }
    tangent_cpu_set_isa(TANGENT_CPU_ISA_AUTO);
}

/* ------------------------------------------------------------------ max pooling */

/* The definition (tangent_cpu.h): each window scanned row by row from its first tap; a tap wins
 * when it compares greater or is NaN. Bits compared, so ties (+0/-0) and NaN payloads count. */
static void pool_ref(const float *x, const float *dx, float *y, float *dy, int64_t planes, int64_t h, int64_t w,
                     int64_t oh, int64_t ow, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                     int64_t dh, int64_t dw) {
    for (int64_t p = 0; p < planes; p++)
        for (int64_t i = 0; i < oh; i++)
            for (int64_t j = 0; j < ow; j++) {
                float best = -INFINITY, db = 0.0f;
                int first = 1;
                for (int64_t a = 0; a < kh; a++)
                    for (int64_t b = 0; b < kw; b++) {
                        int64_t r = i * sh - ph + a * dh, c = j * sw - pw + b * dw;
                        if (r < 0 || r >= h || c < 0 || c >= w) continue;
                        float v = x[(p * h + r) * w + c];
                        if (first || v > best || v != v) {
                            best = v;
                            db = dx[(p * h + r) * w + c];
                        }
                        first = 0;
                    }
                y[(p * oh + i) * ow + j] = best;
                dy[(p * oh + i) * ow + j] = db;
            }
}

static void pool_tests(int isa_mask) {
    /* kh kw sh sw ph pw dh dw h w */
    static const int64_t g[][10] = {
        {3, 3, 2, 2, 1, 1, 1, 1, 11, 70}, {3, 3, 1, 1, 1, 1, 1, 1, 6, 53}, {2, 3, 3, 3, 0, 1, 1, 1, 8, 100},
        {3, 3, 1, 2, 1, 1, 2, 2, 9, 41},  {2, 2, 2, 2, 0, 0, 1, 1, 8, 9},  {1, 1, 1, 1, 0, 0, 1, 1, 3, 37},
        {3, 2, 1, 2, 1, 0, 1, 1, 7, 90},  {5, 5, 2, 2, 2, 2, 1, 1, 12, 67}};
    const int isas[] = {TANGENT_CPU_ISA_SCALAR, TANGENT_CPU_ISA_AVX2, TANGENT_CPU_ISA_AVX512};
    const float special[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1.0f, 2.0f};
    uint64_t s = 12345;
    for (size_t c = 0; c < sizeof g / sizeof g[0]; c++) {
        int64_t planes = 3, h = g[c][8], w = g[c][9];
        int64_t oh = (h + 2 * g[c][4] - g[c][6] * (g[c][0] - 1) - 1) / g[c][2] + 1;
        int64_t ow = (w + 2 * g[c][5] - g[c][7] * (g[c][1] - 1) - 1) / g[c][3] + 1;
        int64_t n = planes * h * w, m = planes * oh * ow;
        float *x = malloc(4 * n), *dx = malloc(4 * n), *y = malloc(4 * m), *dy = malloc(4 * m), *ey = malloc(4 * m),
              *edy = malloc(4 * m);
        for (int64_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(s >> 33);
            x[i] = r % 16 == 0 ? special[(r >> 4) % 8] : (float)((int)((r >> 8) % 7) - 3); /* many ties */
            dx[i] = (float)i;
        }
        pool_ref(x, dx, ey, edy, planes, h, w, oh, ow, g[c][0], g[c][1], g[c][2], g[c][3], g[c][4], g[c][5], g[c][6],
                 g[c][7]);
        for (int q = 0; q < 3; q++) {
            if (!(isa_mask & (1 << q)) || tangent_cpu_set_isa(isas[q]) != 0) continue;
            for (int jvp = 0; jvp < 2; jvp++) {
                int rc = tangent_cpu_max_pool2d_f32(x, jvp ? dx : NULL, y, jvp ? dy : NULL, planes, h, w, oh, ow,
                                                    g[c][0], g[c][1], g[c][2], g[c][3], g[c][4], g[c][5], g[c][6],
                                                    g[c][7]);
                int ok = rc == 0 && !memcmp(y, ey, 4 * m) && (!jvp || !memcmp(dy, edy, 4 * m));
                CHECK(ok, "max_pool2d geometry %zu jvp %d [%s]: rc %d", c, jvp, tangent_cpu_isa(), rc);
            }
        }
        tangent_cpu_set_isa(TANGENT_CPU_ISA_AUTO);
        free(x); free(dx); free(y); free(dy); free(ey); free(edy);
    }
    printf("max_pool2d: checked against the window scan on every code path\n");
}

/* ------------------------------------------------------------------ ABI and argument checks */

static void abi_tests(void) {
    CHECK(tangent_cpu_abi_version() == TANGENT_CPU_ABI_VERSION, "abi version");
    const char *isa = tangent_cpu_isa();
    CHECK(isa && (!strcmp(isa, "avx512") || !strcmp(isa, "avx2") || !strcmp(isa, "scalar")), "isa %s", isa);
    CHECK(tangent_cpu_set_isa(99) == TANGENT_CPU_ERR_OP, "set_isa 99");
    CHECK(tangent_cpu_set_isa(TANGENT_CPU_ISA_SCALAR) == 0 && !strcmp(tangent_cpu_isa(), "scalar"), "set scalar");
    CHECK(tangent_cpu_set_isa(TANGENT_CPU_ISA_AUTO) == 0 && !strcmp(tangent_cpu_isa(), isa), "set auto");
    CHECK(!strcmp(tangent_cpu_status_name(TANGENT_CPU_ERR_ALIAS), "TANGENT_CPU_ERR_ALIAS"), "status name");
    CHECK(!strcmp(tangent_cpu_status_name(12345), "unknown status"), "status name unknown");

    float a[64], b[64], c[64], d[64];
    for (int i = 0; i < 64; i++) a[i] = b[i] = (float)i / 64;
    /* element-wise */
    CHECK(tangent_cpu_unary_f32(TANGENT_CPU_SIN, NULL, NULL, 0) == 0, "n=0 with NULL");
    CHECK(tangent_cpu_unary_jvp_f32(TANGENT_CPU_SIN, NULL, NULL, NULL, NULL, 0) == 0, "jvp n=0 with NULL");
    CHECK(tangent_cpu_unary_f32(TANGENT_CPU_SIN, NULL, c, 4) == TANGENT_CPU_ERR_NULL, "NULL x");
    CHECK(tangent_cpu_unary_f64(TANGENT_CPU_SIN, (double *)a, NULL, 4) == TANGENT_CPU_ERR_NULL, "NULL y");
    CHECK(tangent_cpu_unary_jvp_f32(TANGENT_CPU_SIN, a, NULL, c, d, 4) == TANGENT_CPU_ERR_NULL, "NULL dx");
    CHECK(tangent_cpu_unary_jvp_f64(TANGENT_CPU_SIN, NULL, NULL, NULL, NULL, 3) == TANGENT_CPU_ERR_NULL, "NULLs");
    CHECK(tangent_cpu_unary_f32(TANGENT_CPU_SIN, a, c, -1) == TANGENT_CPU_ERR_SIZE, "n<0");
    CHECK(tangent_cpu_unary_f32(TANGENT_CPU_SIN, a, c, INT64_MAX) == TANGENT_CPU_ERR_SIZE, "n huge");
    CHECK(tangent_cpu_unary_f32(0, a, c, 4) == TANGENT_CPU_ERR_OP, "op 0");
    CHECK(tangent_cpu_unary_f32(TANGENT_CPU_RELU + 1, NULL, NULL, 0) == TANGENT_CPU_ERR_OP, "op past the last");
    CHECK(tangent_cpu_unary_f32(TANGENT_CPU_SIN, (float *)((char *)a + 1), c, 4) == TANGENT_CPU_ERR_ALIGN, "align");
    CHECK(tangent_cpu_unary_f64(TANGENT_CPU_SIN, (double *)a, (double *)(a + 1), 4) == TANGENT_CPU_ERR_ALIGN ||
              ((uintptr_t)(a + 1) & 7) == 0, "align f64");
    CHECK(tangent_cpu_unary_f32(TANGENT_CPU_SIN, a, a + 1, 8) == TANGENT_CPU_ERR_ALIAS, "partial overlap");
    CHECK(tangent_cpu_unary_jvp_f32(TANGENT_CPU_SIN, a, b, c, c + 2, 8) == TANGENT_CPU_ERR_ALIAS, "y/dy overlap");
    CHECK(tangent_cpu_unary_jvp_f32(TANGENT_CPU_SIN, a, b, c, c, 8) == TANGENT_CPU_ERR_ALIAS, "y == dy");
    /* in place equals out of place, bitwise, on every op */
    for (int op = TANGENT_CPU_SIN; op <= TANGENT_CPU_RELU; op++) {
        float x[61], dx[61], y[61], dy[61];
        for (int i = 0; i < 61; i++) { x[i] = (float)(i - 30) / 7.f; dx[i] = 1.f + i; }
        tangent_cpu_unary_jvp_f32(op, x, dx, y, dy, 61);
        int s = tangent_cpu_unary_jvp_f32(op, x, dx, x, dx, 61);
        CHECK(s == 0 && !memcmp(x, y, sizeof x) && !memcmp(dx, dy, sizeof dx), "%s in place", op_name(op));
    }
    /* GEMV */
    float y[8], dy[8], w[64];
    for (int i = 0; i < 64; i++) w[i] = 1;
    CHECK(tangent_cpu_gemv_f32(NULL, NULL, NULL, NULL, 4, 0, 0, 0) == 0, "gemv n=0");
    CHECK(tangent_cpu_gemv_jvp_f32(NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0) == 0, "gemv jvp 0x0");
    CHECK(tangent_cpu_gemv_f32(a, w, NULL, NULL, 4, 4, 0, 0) == TANGENT_CPU_ERR_NULL, "gemv NULL y");
    CHECK(tangent_cpu_gemv_f32(NULL, w, NULL, y, 4, 4, 0, 0) == TANGENT_CPU_ERR_NULL, "gemv NULL x");
    CHECK(tangent_cpu_gemv_jvp_f32(a, NULL, w, NULL, y, dy, 4, 4, 0, 0) == TANGENT_CPU_ERR_NULL, "gemv NULL dx");
    CHECK(tangent_cpu_gemv_jvp_f32(a, b, w, NULL, y, NULL, 4, 4, 0, 0) == TANGENT_CPU_ERR_NULL, "gemv NULL dy");
    CHECK(tangent_cpu_gemv_f32(a, w, NULL, y, -1, 4, 0, 0) == TANGENT_CPU_ERR_SIZE, "gemv k<0");
    CHECK(tangent_cpu_gemv_f32(a, w, NULL, y, 4, 4, 3, 0) == TANGENT_CPU_ERR_SIZE, "gemv ldw < n");
    CHECK(tangent_cpu_gemv_f32(a, w, NULL, y, 4, 2, 3, TANGENT_CPU_GEMV_TRANS_W) == TANGENT_CPU_ERR_SIZE, "ldw < k");
    CHECK(tangent_cpu_gemv_f32(a, w, NULL, y, INT64_MAX / 2, 4, INT64_MAX / 2, 0) == TANGENT_CPU_ERR_SIZE, "overflow");
    CHECK(tangent_cpu_gemv_f32(a, w, NULL, y, 4, 4, 0, 4) == TANGENT_CPU_ERR_OP, "gemv flags");
    CHECK(tangent_cpu_gemv_f32(a, w, NULL, w + 8, 4, 4, 0, 0) == TANGENT_CPU_ERR_ALIAS, "gemv y in w");
    CHECK(tangent_cpu_gemv_f32(a, w, NULL, a + 2, 4, 4, 0, 0) == TANGENT_CPU_ERR_ALIAS, "gemv y over x");
    CHECK(tangent_cpu_gemv_jvp_f32(a, b, w, NULL, y, y + 2, 4, 4, 0, 0) == TANGENT_CPU_ERR_ALIAS, "gemv y over dy");
    CHECK(tangent_cpu_gemv_f32(a, (float *)((char *)w + 2), NULL, y, 4, 4, 0, 0) == TANGENT_CPU_ERR_ALIGN, "gemv align");
    /* k = 0: y = tanh(bias), dy = 0 */
    float bias[3] = {0.5f, -1.f, 0.f};
    CHECK(tangent_cpu_gemv_jvp_f32(NULL, NULL, NULL, bias, y, dy, 0, 3, 0, TANGENT_CPU_GEMV_TANH) == 0 &&
              fabsf(y[0] - tanhf(0.5f)) < 1e-7f && fabsf(y[1] - tanhf(-1.f)) < 1e-7f && y[2] == 0 && dy[0] == 0 &&
              dy[1] == 0 && dy[2] == 0, "gemv k=0");
}

/* Binary ops bitwise against C's float arithmetic (specials, in place, every tail); sums against a
 * long double bound, block splits against one block, argument checks. */
static void stream_tests(int isa_mask) {
    const int isas[] = {TANGENT_CPU_ISA_SCALAR, TANGENT_CPU_ISA_AVX2, TANGENT_CPU_ISA_AVX512};
    const float sp[] = {0.f, -0.f, 1.f, -2.5f, INFINITY, -INFINITY, NAN, FLT_MAX, 1e-45f, 3.f};
    enum { N = 1000 };
    float *a = malloc(N * 4), *b = malloc(N * 4), *y = malloc(N * 4), *x = malloc((1 << 18) * 4), part[64];
    for (int q = 0; q < 3; q++) {
        if (!(isa_mask & (1 << q)) || tangent_cpu_set_isa(isas[q]) != 0) continue;
        int before = g_fail;
        for (int op = TANGENT_CPU_ADD; op <= TANGENT_CPU_DIV; op++)
            for (int n = 0; n <= 70; n += (n < 40 ? 1 : 29)) {
                for (int i = 0; i < n; i++) {
                    a[i] = i < 10 ? sp[i] : (float)(rnd_unit() * 8 - 4);
                    b[i] = i >= 5 && i < 15 ? sp[i - 5] : (float)(rnd_unit() * 8 - 4);
                }
                y[n] = 42.f; /* a guard past the end */
                CHECK(tangent_cpu_binary_f32(op, a, b, y, n) == 0 && y[n] == 42.f, "binary op %d n %d", op, n);
                int bad = 0;
                for (int i = 0; i < n; i++) {
                    float w = op == TANGENT_CPU_ADD ? a[i] + b[i] : op == TANGENT_CPU_SUB ? a[i] - b[i]
                            : op == TANGENT_CPU_MUL ? a[i] * b[i] : a[i] / b[i];
                    bad += !(isnan(w) ? isnan(y[i]) : memcmp(&w, &y[i], 4) == 0);
                }
                CHECK(bad == 0, "binary op %d n %d [%s]: %d elements differ from C's", op, n, tangent_cpu_isa(), bad);
                memcpy(y, a, (size_t)n * 4);
                float *z = malloc((size_t)(n + 1) * 4);
                tangent_cpu_binary_f32(op, a, b, z, n);
                CHECK(tangent_cpu_binary_f32(op, y, b, y, n) == 0 && !memcmp(y, z, (size_t)n * 4), "binary in place");
                free(z);
            }
        /* sums: the bound (n + 2) 2^-24 sum|x| of any order; splits into blocks add up to the same */
        for (int n = 1; n <= (1 << 18); n = n < 300 ? n + 1 : n * 3) {
            LD exact = 0, mag = 0;
            for (int i = 0; i < n; i++) { x[i] = (float)(rnd_unit() * 2 - 0.7); exact += x[i]; mag += fabsl(x[i]); }
            float s1;
            CHECK(tangent_cpu_sum_f32(x, n, n, &s1) == 0, "sum n %d", n);
            CHECK(fabsl(s1 - exact) <= (n + 2) * mag / 16777216.0L, "sum n %d [%s]: %g vs %Lg", n, tangent_cpu_isa(), s1, exact);
            int64_t blk = n / 7 + 1, nb = (n - 1) / blk + 1;
            if (nb <= 64) {
                float s2;
                CHECK(tangent_cpu_sum_f32(x, n, blk, part) == 0 && tangent_cpu_sum_f32(part, nb, nb, &s2) == 0, "blocks");
                for (int j = 0; j < nb; j++) {
                    float t;
                    tangent_cpu_sum_f32(x + j * blk, j == nb - 1 ? n - j * blk : blk, blk, &t);
                    CHECK(memcmp(&t, &part[j], 4) == 0, "block %d of n %d", j, n);
                }
                CHECK(fabsl(s2 - exact) <= (n + 2) * mag / 16777216.0L, "blocked sum n %d", n);
            }
        }
        float s;
        x[0] = 1.f; x[1] = NAN; x[2] = 2.f;
        CHECK(tangent_cpu_sum_f32(x, 3, 3, &s) == 0 && isnan(s), "sum with NaN");
        for (int i = 0; i < 100; i++) x[i] = i == 77 ? -INFINITY : 1.f;
        CHECK(tangent_cpu_sum_f32(x, 100, 100, &s) == 0 && s == -INFINITY, "sum with -inf");
        for (int i = 0; i < 100; i++) x[i] = FLT_MAX;
        CHECK(tangent_cpu_sum_f32(x, 100, 100, &s) == 0 && s == INFINITY, "float32 overflow to inf");
        for (int i = 0; i < 37; i++) x[i] = -0.f;
        CHECK(tangent_cpu_sum_f32(x, 37, 37, &s) == 0 && s == 0 && !signbit(s), "sum of -0s is +0");
        printf("binary, sum [%s]: %s\n", tangent_cpu_isa(), g_fail == before ? "ok" : "FAILED");
    }
    tangent_cpu_set_isa(TANGENT_CPU_ISA_AUTO);
    CHECK(tangent_cpu_binary_f32(0, a, b, y, 4) == TANGENT_CPU_ERR_OP && tangent_cpu_binary_f32(5, a, b, y, 4) ==
              TANGENT_CPU_ERR_OP, "binary op codes");
    CHECK(tangent_cpu_binary_f32(TANGENT_CPU_ADD, a, NULL, y, 4) == TANGENT_CPU_ERR_NULL, "binary NULL");
    CHECK(tangent_cpu_binary_f32(TANGENT_CPU_ADD, a, b, a + 1, 4) == TANGENT_CPU_ERR_ALIAS, "binary overlap");
    CHECK(tangent_cpu_binary_f32(TANGENT_CPU_ADD, a, b, y, -1) == TANGENT_CPU_ERR_SIZE, "binary n<0");
    CHECK(tangent_cpu_sum_f32(x, 4, 0, part) == TANGENT_CPU_ERR_SIZE, "sum block 0");
    CHECK(tangent_cpu_sum_f32(x, 4, 1, x + 2) == TANGENT_CPU_ERR_ALIAS, "sum partials overlap x");
    CHECK(tangent_cpu_sum_f32(NULL, 0, 1, NULL) == 0, "sum n=0");
    free(a); free(b); free(y); free(x);
}

/* Thread placement (ABI 4): a round trip of the caller's own mask and policy, and the argument checks. */
static void placement_tests(void) {
    int before = g_fail;
    uint8_t saved[TANGENT_CPU_AFFINITY_BYTES], again[TANGENT_CPU_AFFINITY_BYTES];
    int32_t err = 0;
    int32_t tid = tangent_cpu_thread_id();
    CHECK(tid > 0, "thread id %d", tid);
    CHECK(tangent_cpu_affinity_get(saved, &err) == 0, "affinity_get errno %d", err);
    uint8_t none0[TANGENT_CPU_AFFINITY_BYTES] = {0};
    CHECK(tangent_cpu_place_on_current_cpu(tid, none0, &err) == TANGENT_CPU_NOT_PLACED, "a CPU outside allowed: not placed");
    CHECK(tangent_cpu_place_on_current_cpu(tid, saved, &err) == 0, "place self errno %d", err);
    CHECK(tangent_cpu_affinity_get(again, &err) == 0, "affinity_get errno %d", err);
    int bits = 0;
    for (int i = 0; i < TANGENT_CPU_AFFINITY_BYTES; i++) bits += __builtin_popcount(again[i]);
    CHECK(bits == 1, "placed on one CPU, mask has %d", bits);
    CHECK(tangent_cpu_affinity_set(saved, &err) == 0, "affinity_set errno %d", err);
    CHECK(tangent_cpu_affinity_get(again, &err) == 0 && memcmp(saved, again, sizeof saved) == 0, "mask restored");
    uint8_t none[TANGENT_CPU_AFFINITY_BYTES] = {0};
    err = 0;
    CHECK(tangent_cpu_affinity_set(none, &err) == TANGENT_CPU_ERR_SYS && err == EINVAL, "empty mask: ERR_SYS, EINVAL (%d)", err);
    CHECK(tangent_cpu_affinity_set(none, NULL) == TANGENT_CPU_ERR_SYS, "err may be NULL");
    CHECK(tangent_cpu_affinity_get(NULL, &err) == TANGENT_CPU_ERR_NULL, "NULL mask");
    CHECK(tangent_cpu_affinity_set(NULL, &err) == TANGENT_CPU_ERR_NULL, "NULL mask");
    CHECK(tangent_cpu_place_on_current_cpu(0, NULL, &err) == TANGENT_CPU_ERR_SIZE, "tid 0");
    CHECK(tangent_cpu_place_on_current_cpu((1 << 22) + 12345, NULL, &err) == TANGENT_CPU_ERR_SYS && err == ESRCH,
          "no such thread: ESRCH (%d)", err);
    int32_t switched = -1;
    CHECK(tangent_cpu_wait_policy_begin(&switched, &err) == 0 && switched == 1, "SCHED_OTHER -> BATCH (%d)", switched);
    CHECK(sched_getscheduler(0) == SCHED_BATCH, "batch while waiting");
    int32_t again_switched = -1;
    CHECK(tangent_cpu_wait_policy_begin(&again_switched, &err) == 0 && again_switched == 0, "batch already: left alone");
    CHECK(tangent_cpu_wait_policy_end(switched, &err) == 0 && sched_getscheduler(0) == SCHED_OTHER, "back to OTHER");
    CHECK(tangent_cpu_wait_policy_end(0, &err) == 0 && sched_getscheduler(0) == SCHED_OTHER, "nothing to undo");
    CHECK(tangent_cpu_wait_policy_begin(NULL, &err) == TANGENT_CPU_ERR_NULL, "NULL switched");
    CHECK(strcmp(tangent_cpu_status_name(TANGENT_CPU_ERR_SYS), "TANGENT_CPU_ERR_SYS") == 0, "status name");
    printf("placement: %s\n", g_fail == before ? "ok" : "FAILED");
}

int main(int argc, char **argv) {
    const char *env = getenv("TC_TEST_POINTS");
    long points = argc > 1 ? atol(argv[1]) : env ? atol(env) : (1L << 20);
    if (points < 16) points = 16;
    int isa_mask = 1; /* scalar always; the vector paths where the CPU has them */
    if (tangent_cpu_set_isa(TANGENT_CPU_ISA_AVX2) == 0) isa_mask |= 2;
    if (tangent_cpu_set_isa(TANGENT_CPU_ISA_AVX512) == 0) isa_mask |= 4;
    tangent_cpu_set_isa(TANGENT_CPU_ISA_AUTO);
    printf("libtangent_cpu ABI %d, default path %s, testing:%s%s%s\n\n", tangent_cpu_abi_version(), tangent_cpu_isa(),
           " scalar", isa_mask & 2 ? " avx2" : "", isa_mask & 4 ? " avx512" : "");
    abi_tests();
    placement_tests();
    specials(isa_mask);
    gemv_tests(isa_mask);
    stream_tests(isa_mask);
    pool_tests(isa_mask);
    accuracy(points, isa_mask);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
