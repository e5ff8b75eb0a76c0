// Row kernels: reductions and (log_)softmax over the innermost contiguous dimension of an
// m × k row-major block. Java permutes the reduced dims last and makes them contiguous, so this
// one shape covers every `dim=` argument.
//
// Rows of k <= TG_WARP_ROW_MAX elements go warp-per-row (8 rows per 256-thread block, shuffles
// only); longer rows block-per-row (shuffles + one shared-memory exchange). The choice depends
// only on k, so it is uniform over the grid. For few long rows (m small, k large) a single block
// per row would leave most SMs idle: reduce_partial splits each row into `chunks` pieces that
// separate blocks reduce into a scratch buffer, then the ordinary row kernel reduces the m ×
// chunks partials. Two launches, no atomics, deterministic results.
#pragma once

#include "tg_ops.cuh"

namespace tg {

// Thread-local reduction of row[tid], row[tid + nth], ... (< len), with one accumulator per
// packet lane so N loads are independent. 16-byte loads when the row start is aligned.
template <typename R, typename T>
__device__ __forceinline__ T accumulate(const T* row, int64_t len, int tid, int nth) {
  constexpr int N = Pack<T>::N;
  T acc[N];
#pragma unroll
  for (int e = 0; e < N; ++e) acc[e] = R::template identity<T>();
  int64_t done = 0;
  if (aligned16(row)) {
    const int64_t nv = len / N;
    const Pack<T>* p = reinterpret_cast<const Pack<T>*>(row);
    for (int64_t v = tid; v < nv; v += nth) {
      const Pack<T> q = p[v];
#pragma unroll
      for (int e = 0; e < N; ++e) acc[e] = R::template combine<T>(acc[e], q.v[e]);
    }
    done = nv * N;
  }
  for (int64_t i = done + tid; i < len; i += nth) acc[0] = R::template combine<T>(acc[0], row[i]);
#pragma unroll
  for (int e = 1; e < N; ++e) acc[0] = R::template combine<T>(acc[0], acc[e]);
  return acc[0];
}

template <typename R, typename T, bool BLOCK>
__device__ void reduce_rows_impl(const T* x, T* out, int64_t m, int64_t k) {
  const RowGroup<BLOCK> g;
  for (int64_t r = g.first_row; r < m; r += g.row_step) {
    T acc = accumulate<R, T>(x + r * k, k, g.tid, g.nthreads);
    acc = g.template all_reduce<R, T>(acc);
    if (g.tid == 0) out[r] = acc;
  }
}

template <typename R, typename T>
__device__ void reduce_rows(const T* x, T* out, int64_t m, int64_t k) {
  if (k <= TG_WARP_ROW_MAX) reduce_rows_impl<R, T, false>(x, out, m, k);
  else reduce_rows_impl<R, T, true>(x, out, m, k);
}

// First pass of the split reduction: block b (grid-stride over m*chunks) reduces piece
// c = b mod chunks of row r = b / chunks into partial[b]. Piece length is ceil(k / chunks)
// rounded up to 16 bytes of elements so every piece starts aligned when the row does; trailing
// pieces may be empty and then hold the identity.
template <typename R, typename T>
__device__ void reduce_partial(const T* x, T* partial, int64_t m, int64_t k, int64_t chunks) {
  constexpr int N = Pack<T>::N;
  int64_t cs = (k + chunks - 1) / chunks;
  cs = (cs + N - 1) / N * N;
  const int64_t total = m * chunks;
  for (int64_t b = blockIdx.x; b < total; b += gridDim.x) {
    const int64_t r = b / chunks, c = b - r * chunks;
    const int64_t begin = c * cs;
    const int64_t end = begin + cs < k ? begin + cs : k;
    const int64_t len = end > begin ? end - begin : 0;
    T acc = accumulate<R, T>(x + r * k + begin, len, threadIdx.x, blockDim.x);
    acc = block_all_reduce<R, T>(acc);
    if (threadIdx.x == 0) partial[b] = acc;
  }
}

// ---- softmax ---------------------------------------------------------------------------------
// Passes over the row: max, sum of exp(x - max), then write. Rows are re-read from memory (L2
// holds them for the sizes MLP heads use); PyTorch's formulas: softmax = exp(x - max) / sum,
// log_softmax = x - max - log(sum). The jvp versions add the Σ softmax·ẋ pass:
//   softmax:     ẏ = y ⊙ (ẋ − Σ y ẋ)        log_softmax: ẏ = ẋ − Σ softmax(x) ẋ
template <typename T, bool BLOCK, bool LOG, bool JVP>
__device__ void softmax_impl(const T* x, const T* xd, T* y, T* yd, int64_t m, int64_t k) {
  const RowGroup<BLOCK> g;
  for (int64_t r = g.first_row; r < m; r += g.row_step) {
    const T* xr = x + r * k;
    T* yr = y + r * k;
    const T mx = g.template all_reduce<RMax, T>(accumulate<RMax, T>(xr, k, g.tid, g.nthreads));
    T s = T(0);
    for (int64_t i = g.tid; i < k; i += g.nthreads) s += exp(xr[i] - mx);
    s = g.template all_reduce<RSum, T>(s);
    const T lse = log(s);
    T dot = T(0);
    if (JVP) {
      const T* xdr = xd + r * k;
      for (int64_t i = g.tid; i < k; i += g.nthreads) dot += exp(xr[i] - mx) / s * xdr[i];
      dot = g.template all_reduce<RSum, T>(dot);
    }
    for (int64_t i = g.tid; i < k; i += g.nthreads) {
      const T xi = xr[i];
      T yi;
      if (LOG) yi = xi - mx - lse;
      else yi = exp(xi - mx) / s;
      yr[i] = yi;
      if (JVP) {
        const T xdi = xd[r * k + i];
        yd[r * k + i] = LOG ? xdi - dot : yi * (xdi - dot);
      }
    }
  }
}

template <typename T, bool LOG, bool JVP>
__device__ void softmax_rows(const T* x, const T* xd, T* y, T* yd, int64_t m, int64_t k) {
  if (k <= TG_WARP_ROW_MAX) softmax_impl<T, false, LOG, JVP>(x, xd, y, yd, m, k);
  else softmax_impl<T, true, LOG, JVP>(x, xd, y, yd, m, k);
}

}  // namespace tg
