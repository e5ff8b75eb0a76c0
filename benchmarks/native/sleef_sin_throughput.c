/*
 * SLEEF's float32 sin (1-ulp, AVX-512: Sleef_sinf16_u10avx512f, what libtangent_cpu uses) on data
 * that stays in L1: its arithmetic throughput, the compute floor of a sin pass, which no memory
 * layout can beat. ANALYSIS.md compares the element-wise forward with the floor built from it.
 *
 *   gcc -O2 -mavx512f benchmarks/native/sleef_sin_throughput.c -lsleef -o /tmp/sleef_sin_throughput
 *   taskset -c 1 /tmp/sleef_sin_throughput      # needs libsleef-dev and an AVX-512 CPU
 */
#include <immintrin.h>
#include <sleef.h>
#include <stdio.h>
#include <time.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(void) {
    static float in[1024] __attribute__((aligned(64)));
    static float out[1024] __attribute__((aligned(64)));
    for (int i = 0; i < 1024; i++) {
        in[i] = (i % 97) * 0.37f - 15.f;
    }
    double best = 1e30;
    for (int round = 0; round < 50; round++) {   /* least of 50 rounds of 2^20 elements */
        double t0 = now_ns();
        for (int rep = 0; rep < 1024; rep++) {
            for (int i = 0; i < 1024; i += 16) {
                _mm512_store_ps(out + i, Sleef_sinf16_u10avx512f(_mm512_load_ps(in + i)));
            }
        }
        double t = now_ns() - t0;
        best = t < best ? t : best;
    }
    printf("Sleef_sinf16_u10avx512f, 4 KiB in L1: %.3f ns/element; 2^20 elements %.1f us\n",
           best / (1024.0 * 1024), best / 1000);
    return out[5] > 2.f;   /* keeps the stores */
}
