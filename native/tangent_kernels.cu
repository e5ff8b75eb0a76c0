// Tangent's CUDA kernels: the ONE translation unit that cmake/ compiles into
// tangent_kernels.fatbin. Java loads that fatbin with cuModuleLoadData and looks the kernels up
// by name with cuModuleGetFunction, so every kernel is extern "C" (unmangled, stable names).
// The bodies are templates in the tg_*.cuh headers; this file only instantiates them per dtype.
// One translation unit (rather than -rdc and a device link) keeps the output a single plain
// module with no link step at load time. The ABI (names, parameter order, C types, the
// TgStrided layout, launch configuration) is specified in native/README.md; the self-test in
// native/test/ exercises it through the driver API exactly as Java does.

#include "tg_common.cuh"
#include "tg_ops.cuh"
#include "tg_elementwise.cuh"
#include "tg_rows.cuh"

using tg::RSum;
using tg::RProd;
using tg::RMax;
using tg::RMin;

// Version of this ABI, readable from Java with cuModuleGetGlobal("tg_abi_version") so a stale
// fatbin in a jar is detected instead of launching kernels with the wrong parameters. The same
// number is in the tag below, which Java reads from the fatbin's bytes before loading it (no GPU
// needed); both must equal FatbinAbi.VERSION. Version 2: the op codes are an explicit table
// (CudaOpCodes.java, checked against tg_ops.cuh) and the tag exists.
extern "C" __device__ const int tg_abi_version = 2;
extern "C" __device__ const char tg_abi_tag[] = "tangent-kernels-abi=2;";

#define TG_FLOAT_KERNELS(T, SFX)                                                                  \
  extern "C" __global__ void tg_unary_contig_##SFX(const T* x, T* y, long long n, int op,         \
                                                   double p0, double p1) {                        \
    tg::unary_contig<T>(x, y, n, op, (T)p0, (T)p1);                                               \
  }                                                                                               \
  extern "C" __global__ void tg_unary_strided_##SFX(const T* x, T* y, int op, double p0,          \
                                                    double p1, const TgStrided s) {               \
    tg::unary_strided<T>(x, y, op, (T)p0, (T)p1, s);                                              \
  }                                                                                               \
  extern "C" __global__ void tg_unary_deriv_contig_##SFX(const T* x, T* d, long long n, int op,   \
                                                         double p0, double p1) {                  \
    tg::unary_deriv_contig<T>(x, d, n, op, (T)p0, (T)p1);                                         \
  }                                                                                               \
  extern "C" __global__ void tg_jvp_unary_contig_##SFX(const T* x, const T* xdot, T* y, T* ydot,  \
                                                       long long n, int op, double p0,            \
                                                       double p1) {                               \
    tg::jvp_unary_contig<T>(x, xdot, y, ydot, n, op, (T)p0, (T)p1);                               \
  }                                                                                               \
  extern "C" __global__ void tg_binary_contig_##SFX(const T* a, const T* b, T* out, long long n,  \
                                                    int op) {                                     \
    tg::binary_contig<T>(a, b, out, n, op);                                                       \
  }                                                                                               \
  extern "C" __global__ void tg_binary_strided_##SFX(const T* a, const T* b, T* out, int op,      \
                                                     const TgStrided s) {                         \
    tg::binary_strided<T>(a, b, out, op, s);                                                      \
  }                                                                                               \
  extern "C" __global__ void tg_compare_contig_##SFX(const T* a, const T* b, unsigned char* out,  \
                                                     long long n, int op) {                       \
    tg::compare_contig<T>(a, b, out, n, op);                                                      \
  }                                                                                               \
  extern "C" __global__ void tg_compare_strided_##SFX(const T* a, const T* b, unsigned char* out, \
                                                      int op, const TgStrided s) {                \
    tg::compare_strided<T>(a, b, out, op, s);                                                     \
  }                                                                                               \
  extern "C" __global__ void tg_where_contig_##SFX(const unsigned char* cond, const T* a,         \
                                                   const T* b, T* out, long long n) {             \
    tg::where_contig<T>(cond, a, b, out, n);                                                      \
  }                                                                                               \
  extern "C" __global__ void tg_where_strided_##SFX(const unsigned char* cond, const T* a,        \
                                                    const T* b, T* out, const TgStrided s) {      \
    tg::where_strided<T>(cond, a, b, out, s);                                                     \
  }                                                                                               \
  extern "C" __global__ void tg_jvp_binary_contig_##SFX(const T* a, const T* adot, const T* b,    \
                                                        const T* bdot, T* c, T* cdot,             \
                                                        long long n, long long nb, int op) {      \
    tg::jvp_binary_contig<T>(a, adot, b, bdot, c, cdot, n, nb, op);                               \
  }                                                                                               \
  extern "C" __global__ void tg_bias_tanh_jvp_##SFX(long long m, long long n, const T* z,         \
                                                    const T* zdot, const T* bias, T* y,           \
                                                    T* ydot) {                                    \
    tg::bias_tanh_jvp<T>(m, n, z, zdot, bias, y, ydot);                                           \
  }                                                                                               \
  extern "C" __global__ void tg_arange_##SFX(T* out, long long n, double start, double step) {    \
    tg::arange_contig<T>(out, n, start, step);                                                    \
  }                                                                                               \
  extern "C" __global__ void tg_reduce_sum_##SFX(const T* x, T* out, long long m, long long k) {  \
    tg::reduce_rows<RSum, T>(x, out, m, k);                                                       \
  }                                                                                               \
  extern "C" __global__ void tg_reduce_prod_##SFX(const T* x, T* out, long long m, long long k) { \
    tg::reduce_rows<RProd, T>(x, out, m, k);                                                      \
  }                                                                                               \
  extern "C" __global__ void tg_reduce_amax_##SFX(const T* x, T* out, long long m, long long k) { \
    tg::reduce_rows<RMax, T>(x, out, m, k);                                                       \
  }                                                                                               \
  extern "C" __global__ void tg_reduce_amin_##SFX(const T* x, T* out, long long m, long long k) { \
    tg::reduce_rows<RMin, T>(x, out, m, k);                                                       \
  }                                                                                               \
  extern "C" __global__ void tg_reduce_partial_sum_##SFX(const T* x, T* partial, long long m,     \
                                                         long long k, long long chunks) {         \
    tg::reduce_partial<RSum, T>(x, partial, m, k, chunks);                                        \
  }                                                                                               \
  extern "C" __global__ void tg_reduce_partial_prod_##SFX(const T* x, T* partial, long long m,    \
                                                          long long k, long long chunks) {        \
    tg::reduce_partial<RProd, T>(x, partial, m, k, chunks);                                       \
  }                                                                                               \
  extern "C" __global__ void tg_reduce_partial_amax_##SFX(const T* x, T* partial, long long m,    \
                                                          long long k, long long chunks) {        \
    tg::reduce_partial<RMax, T>(x, partial, m, k, chunks);                                        \
  }                                                                                               \
  extern "C" __global__ void tg_reduce_partial_amin_##SFX(const T* x, T* partial, long long m,    \
                                                          long long k, long long chunks) {        \
    tg::reduce_partial<RMin, T>(x, partial, m, k, chunks);                                        \
  }                                                                                               \
  extern "C" __global__ void tg_softmax_##SFX(const T* x, T* y, long long m, long long k) {       \
    tg::softmax_rows<T, false, false>(x, nullptr, y, nullptr, m, k);                              \
  }                                                                                               \
  extern "C" __global__ void tg_log_softmax_##SFX(const T* x, T* y, long long m, long long k) {   \
    tg::softmax_rows<T, true, false>(x, nullptr, y, nullptr, m, k);                               \
  }                                                                                               \
  extern "C" __global__ void tg_softmax_jvp_##SFX(const T* x, const T* xdot, T* y, T* ydot,       \
                                                  long long m, long long k) {                     \
    tg::softmax_rows<T, false, true>(x, xdot, y, ydot, m, k);                                     \
  }                                                                                               \
  extern "C" __global__ void tg_log_softmax_jvp_##SFX(const T* x, const T* xdot, T* y, T* ydot,   \
                                                      long long m, long long k) {                 \
    tg::softmax_rows<T, true, true>(x, xdot, y, ydot, m, k);                                      \
  }

TG_FLOAT_KERNELS(float, f32)
TG_FLOAT_KERNELS(double, f64)

// fill works for the mask dtype too (value != 0 is NOT applied: Java passes 0 or 1).
#define TG_FILL_KERNEL(T, SFX)                                                                    \
  extern "C" __global__ void tg_fill_##SFX(T* out, long long n, double value) {                   \
    tg::fill_contig<T>(out, n, value);                                                            \
  }
TG_FILL_KERNEL(float, f32)
TG_FILL_KERNEL(double, f64)
TG_FILL_KERNEL(unsigned char, u8)

// Copy / cast between every pair of {f32, f64, u8}: strided (any layout, broadcasting reads)
// and contiguous. Casts to u8 produce a bool mask (nonzero -> 1).
#define TG_COPY_KERNELS(S, SS, D, DS)                                                             \
  extern "C" __global__ void tg_copy_strided_##SS##_##DS(const S* src, D* dst,                    \
                                                         const TgStrided s) {                     \
    tg::copy_strided<S, D>(src, dst, s);                                                          \
  }                                                                                               \
  extern "C" __global__ void tg_cast_contig_##SS##_##DS(const S* src, D* dst, long long n) {      \
    tg::cast_contig<S, D>(src, dst, n);                                                           \
  }
TG_COPY_KERNELS(float, f32, float, f32)
TG_COPY_KERNELS(float, f32, double, f64)
TG_COPY_KERNELS(float, f32, unsigned char, u8)
TG_COPY_KERNELS(double, f64, float, f32)
TG_COPY_KERNELS(double, f64, double, f64)
TG_COPY_KERNELS(double, f64, unsigned char, u8)
TG_COPY_KERNELS(unsigned char, u8, float, f32)
TG_COPY_KERNELS(unsigned char, u8, double, f64)
TG_COPY_KERNELS(unsigned char, u8, unsigned char, u8)
