// Shared definitions for Tangent's CUDA kernels: the by-value launch struct for strided
// (broadcasting) element-wise kernels, index arithmetic, and the warp/block reductions.
//
// Everything here is compiled into the single translation unit tangent_kernels.cu so that the
// fatbin Java loads with cuModuleLoadData is exactly one module (no device linking step).
// The byte layout of TgStrided is part of the ABI documented in native/README.md: Java builds
// it as a 368-byte little-endian buffer and passes a pointer to it in cuLaunchKernel's
// kernelParams. The static_asserts below pin that layout so a change here cannot silently
// break the Java side.
#pragma once

#include <cstdint>
#include <cuda_runtime.h>

#define TG_MAX_DIMS 8
#define TG_MAX_INPUTS 3

// Strided view of one element-wise launch. The iteration space is the OUTPUT's shape, walked
// in row-major order (last dim fastest). Each operand addresses element
//   base_ptr[off + sum_d coord[d] * stride[d]]
// with strides and offsets counted in ELEMENTS of that operand's type (not bytes).
// A broadcast dimension of an input has stride 0. Inputs are numbered by their position among
// the kernel's pointer parameters: unary x -> in 0; binary a -> in 0, b -> in 1;
// where(cond, a, b) -> cond in 0, a in 1, b in 2. Unused slots are ignored.
// Dims >= ndim are ignored (Java may leave them zero). ndim == 0 means a scalar (numel == 1).
struct TgStrided {
  int32_t ndim;                                   // offset   0
  int32_t pad0;                                   // offset   4 (must be 0; reserved)
  int64_t numel;                                  // offset   8: product of shape[0..ndim)
  int64_t shape[TG_MAX_DIMS];                     // offset  16
  int64_t stride_out[TG_MAX_DIMS];                // offset  80
  int64_t stride_in[TG_MAX_INPUTS][TG_MAX_DIMS];  // offset 144 (in0), 208 (in1), 272 (in2)
  int64_t off_out;                                // offset 336
  int64_t off_in[TG_MAX_INPUTS];                  // offset 344, 352, 360
};                                                // sizeof 368, alignof 8

static_assert(sizeof(TgStrided) == 368, "TgStrided size is ABI");
static_assert(alignof(TgStrided) == 8, "TgStrided alignment is ABI");
static_assert(offsetof(TgStrided, numel) == 8, "ABI");
static_assert(offsetof(TgStrided, shape) == 16, "ABI");
static_assert(offsetof(TgStrided, stride_out) == 80, "ABI");
static_assert(offsetof(TgStrided, stride_in) == 144, "ABI");
static_assert(offsetof(TgStrided, off_out) == 336, "ABI");
static_assert(offsetof(TgStrided, off_in) == 344, "ABI");

namespace tg {

// Grid-stride loops everywhere: any grid size is correct, the grid only tunes occupancy. That
// lets Java cap the grid (e.g. at a multiple of the SM count) without reasoning about coverage.
__device__ __forceinline__ int64_t global_tid() {
  return (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t global_threads() {
  return (int64_t)gridDim.x * blockDim.x;
}

// Offsets of output and the first NIN inputs for linear output index i. IndexT is uint32_t when
// numel < 2^32 (32-bit division is several times cheaper than 64-bit on the GPU) else uint64_t.
// The loop is unrolled over the compile-time maximum so the struct's arrays are read straight
// from the kernel parameter bank with constant indices (a runtime index would make the compiler
// copy the struct to local memory).
template <int NIN, typename IndexT>
__device__ __forceinline__ void strided_offsets(const TgStrided& s, IndexT i, int64_t& o,
                                                int64_t (&in)[TG_MAX_INPUTS]) {
  o = s.off_out;
#pragma unroll
  for (int k = 0; k < NIN; ++k) in[k] = s.off_in[k];
#pragma unroll
  for (int d = TG_MAX_DIMS - 1; d >= 0; --d) {
    if (d < s.ndim) {
      IndexT extent = (IndexT)s.shape[d];
      IndexT q = i / extent;
      int64_t c = (int64_t)(i - q * extent);
      i = q;
      o += c * s.stride_out[d];
#pragma unroll
      for (int k = 0; k < NIN; ++k) in[k] += c * s.stride_in[k][d];
    }
  }
}

// 16-byte packet of T (float: 4 lanes, double: 2 lanes). alignas makes the compiler emit one
// 128-bit load/store (LDG.E.128) per packet.
template <typename T>
struct alignas(16) Pack {
  static constexpr int N = 16 / sizeof(T);
  T v[N];
};
template <int N>
struct alignas(N) MaskPack {
  uint8_t v[N];
};

__device__ __forceinline__ bool aligned16(const void* p) {
  return ((uintptr_t)p & 15u) == 0;
}

// ---- reductions ----------------------------------------------------------------------------
// NaN-propagating max/min with PyTorch's rule: the result is NaN if either operand is NaN.
template <typename T>
__device__ __forceinline__ T nan_max(T a, T b) {
  if (a != a) return a;
  if (b != b) return b;
  return a > b ? a : b;
}
template <typename T>
__device__ __forceinline__ T nan_min(T a, T b) {
  if (a != a) return a;
  if (b != b) return b;
  return a < b ? a : b;
}

struct RSum {
  template <typename T> __device__ static T identity() { return T(0); }
  template <typename T> __device__ static T combine(T a, T b) { return a + b; }
};
struct RProd {
  template <typename T> __device__ static T identity() { return T(1); }
  template <typename T> __device__ static T combine(T a, T b) { return a * b; }
};
struct RMax {
  template <typename T> __device__ static T identity() { return -INFINITY; }
  template <typename T> __device__ static T combine(T a, T b) { return nan_max(a, b); }
};
struct RMin {
  template <typename T> __device__ static T identity() { return INFINITY; }
  template <typename T> __device__ static T combine(T a, T b) { return nan_min(a, b); }
};

template <typename R, typename T>
__device__ __forceinline__ T warp_reduce(T v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = R::template combine<T>(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;  // every lane holds the result (xor butterfly)
}

// Reduce v over the whole block and return the result to EVERY thread (each warp reduces the
// per-warp partials itself, so no broadcast slot and no extra barrier is needed). Requires
// blockDim.x to be a multiple of 32 (full-mask shuffles) and <= 1024. The leading barrier makes
// back-to-back calls safe: a fast warp cannot overwrite a slot a slow warp is still reading.
template <typename R, typename T>
__device__ __forceinline__ T block_all_reduce(T v) {
  __shared__ double slots_storage[32];
  T* slots = reinterpret_cast<T*>(slots_storage);
  v = warp_reduce<R, T>(v);
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
  __syncthreads();
  if (lane == 0) slots[wid] = v;
  __syncthreads();
  T r = lane < nw ? slots[lane] : R::template identity<T>();
  return warp_reduce<R, T>(r);
}

// A "row group": the threads that cooperate on one row. WARP mode: the 32 lanes of a warp own a
// row (short rows: no shared memory, no barriers, 8 rows in flight per 256-thread block). BLOCK
// mode: the whole block owns a row (long rows). all_reduce hands the result to every thread of
// the group so softmax can reuse the row max / row sum without another pass through memory.
template <bool BLOCK>
struct RowGroup {
  int tid, nthreads;
  int64_t first_row, row_step;
  __device__ RowGroup() {
    if (BLOCK) {
      tid = threadIdx.x;
      nthreads = blockDim.x;
      first_row = blockIdx.x;
      row_step = gridDim.x;
    } else {
      const int wpb = blockDim.x >> 5;
      tid = threadIdx.x & 31;
      nthreads = 32;
      first_row = (int64_t)blockIdx.x * wpb + (threadIdx.x >> 5);
      row_step = (int64_t)gridDim.x * wpb;
    }
  }
  template <typename R, typename T>
  __device__ __forceinline__ T all_reduce(T v) const {
    return BLOCK ? block_all_reduce<R, T>(v) : warp_reduce<R, T>(v);
  }
};

// Rows of at most this many elements are handled warp-per-row; longer rows block-per-row.
// Java's grid formula (README) mirrors this constant.
#define TG_WARP_ROW_MAX 256

}  // namespace tg
