// Element-wise kernels' bodies: unary, binary, compare, where, fused jvp, bias+tanh, copy/cast,
// fill, arange. Each body is a grid-stride loop (any grid is correct). The contiguous variants
// move 16 bytes per thread per step when every pointer is 16-byte aligned, which is the case for
// whole cuMemAlloc'd buffers (256-byte aligned) and for views at offsets that are multiples of
// 4 floats / 2 doubles; otherwise they fall back to scalar accesses, still coalesced.
#pragma once

#include "tg_ops.cuh"

namespace tg {

// Runs f(index_type) with 32-bit index arithmetic when the iteration space allows it.
#define TG_DISPATCH_INDEX(numel, ...)                  \
  do {                                                 \
    if ((uint64_t)(numel) <= 0xffffffffull) {          \
      using IndexT = uint32_t;                         \
      __VA_ARGS__;                                          \
    } else {                                           \
      using IndexT = uint64_t;                         \
      __VA_ARGS__;                                          \
    }                                                  \
  } while (0)

// ---- unary ---------------------------------------------------------------------------------

template <typename T>
__device__ void unary_contig(const T* x, T* y, int64_t n, int op, T p0, T p1) {
  constexpr int N = Pack<T>::N;
  const int64_t tid = global_tid(), nth = global_threads();
  int64_t done = 0;
  if (aligned16(x) && aligned16(y)) {
    const int64_t nv = n / N;
    for (int64_t v = tid; v < nv; v += nth) {
      const Pack<T> px = reinterpret_cast<const Pack<T>*>(x)[v];
      Pack<T> py;
#pragma unroll
      for (int e = 0; e < N; ++e) py.v[e] = unary_fwd<T>(op, px.v[e], p0, p1);
      reinterpret_cast<Pack<T>*>(y)[v] = py;
    }
    done = nv * N;
  }
  for (int64_t i = done + tid; i < n; i += nth) y[i] = unary_fwd<T>(op, x[i], p0, p1);
}

template <typename T>
__device__ void unary_strided(const T* x, T* y, int op, T p0, T p1, const TgStrided& s) {
  TG_DISPATCH_INDEX(s.numel, {
    for (int64_t i = global_tid(); i < s.numel; i += global_threads()) {
      int64_t o, in[TG_MAX_INPUTS];
      strided_offsets<1, IndexT>(s, (IndexT)i, o, in);
      y[o] = unary_fwd<T>(op, x[in[0]], p0, p1);
    }
  });
}

template <typename T>
__device__ void unary_deriv_contig(const T* x, T* d, int64_t n, int op, T p0, T p1) {
  for (int64_t i = global_tid(); i < n; i += global_threads()) {
    const T xi = x[i];
    d[i] = unary_deriv<T>(op, xi, unary_fwd<T>(op, xi, p0, p1), p0, p1);
  }
}

// y = u(x), ydot = u'(x) * xdot in one pass: reads 2 arrays, writes 2, instead of the 4 reads
// and 3 writes (plus temporaries) of separate primal, derivative and multiply kernels.
template <typename T>
__device__ void jvp_unary_contig(const T* x, const T* xd, T* y, T* yd, int64_t n, int op, T p0,
                                 T p1) {
  constexpr int N = Pack<T>::N;
  const int64_t tid = global_tid(), nth = global_threads();
  int64_t done = 0;
  if (aligned16(x) && aligned16(xd) && aligned16(y) && aligned16(yd)) {
    const int64_t nv = n / N;
    for (int64_t v = tid; v < nv; v += nth) {
      const Pack<T> px = reinterpret_cast<const Pack<T>*>(x)[v];
      const Pack<T> pxd = reinterpret_cast<const Pack<T>*>(xd)[v];
      Pack<T> py, pyd;
#pragma unroll
      for (int e = 0; e < N; ++e) {
        const T yv = unary_fwd<T>(op, px.v[e], p0, p1);
        py.v[e] = yv;
        pyd.v[e] = unary_deriv<T>(op, px.v[e], yv, p0, p1) * pxd.v[e];
      }
      reinterpret_cast<Pack<T>*>(y)[v] = py;
      reinterpret_cast<Pack<T>*>(yd)[v] = pyd;
    }
    done = nv * N;
  }
  for (int64_t i = done + tid; i < n; i += nth) {
    const T xi = x[i];
    const T yv = unary_fwd<T>(op, xi, p0, p1);
    y[i] = yv;
    yd[i] = unary_deriv<T>(op, xi, yv, p0, p1) * xd[i];
  }
}

// ---- binary / compare / where ----------------------------------------------------------------

template <typename T>
__device__ void binary_contig(const T* a, const T* b, T* out, int64_t n, int op) {
  constexpr int N = Pack<T>::N;
  const int64_t tid = global_tid(), nth = global_threads();
  int64_t done = 0;
  if (aligned16(a) && aligned16(b) && aligned16(out)) {
    const int64_t nv = n / N;
    for (int64_t v = tid; v < nv; v += nth) {
      const Pack<T> pa = reinterpret_cast<const Pack<T>*>(a)[v];
      const Pack<T> pb = reinterpret_cast<const Pack<T>*>(b)[v];
      Pack<T> pc;
#pragma unroll
      for (int e = 0; e < N; ++e) pc.v[e] = binary_fwd<T>(op, pa.v[e], pb.v[e]);
      reinterpret_cast<Pack<T>*>(out)[v] = pc;
    }
    done = nv * N;
  }
  for (int64_t i = done + tid; i < n; i += nth) out[i] = binary_fwd<T>(op, a[i], b[i]);
}

template <typename T>
__device__ void binary_strided(const T* a, const T* b, T* out, int op, const TgStrided& s) {
  TG_DISPATCH_INDEX(s.numel, {
    for (int64_t i = global_tid(); i < s.numel; i += global_threads()) {
      int64_t o, in[TG_MAX_INPUTS];
      strided_offsets<2, IndexT>(s, (IndexT)i, o, in);
      out[o] = binary_fwd<T>(op, a[in[0]], b[in[1]]);
    }
  });
}

template <typename T>
__device__ void compare_contig(const T* a, const T* b, uint8_t* out, int64_t n, int op) {
  constexpr int N = Pack<T>::N;
  const int64_t tid = global_tid(), nth = global_threads();
  int64_t done = 0;
  // out + v*N is N-byte aligned whenever out is 16-byte aligned.
  if (aligned16(a) && aligned16(b) && aligned16(out)) {
    const int64_t nv = n / N;
    for (int64_t v = tid; v < nv; v += nth) {
      const Pack<T> pa = reinterpret_cast<const Pack<T>*>(a)[v];
      const Pack<T> pb = reinterpret_cast<const Pack<T>*>(b)[v];
      MaskPack<N> pc;
#pragma unroll
      for (int e = 0; e < N; ++e) pc.v[e] = compare_fwd<T>(op, pa.v[e], pb.v[e]);
      reinterpret_cast<MaskPack<N>*>(out)[v] = pc;
    }
    done = nv * N;
  }
  for (int64_t i = done + tid; i < n; i += nth) out[i] = compare_fwd<T>(op, a[i], b[i]);
}

template <typename T>
__device__ void compare_strided(const T* a, const T* b, uint8_t* out, int op,
                                const TgStrided& s) {
  TG_DISPATCH_INDEX(s.numel, {
    for (int64_t i = global_tid(); i < s.numel; i += global_threads()) {
      int64_t o, in[TG_MAX_INPUTS];
      strided_offsets<2, IndexT>(s, (IndexT)i, o, in);
      out[o] = compare_fwd<T>(op, a[in[0]], b[in[1]]);
    }
  });
}

template <typename T>
__device__ void where_contig(const uint8_t* c, const T* a, const T* b, T* out, int64_t n) {
  for (int64_t i = global_tid(); i < n; i += global_threads()) out[i] = c[i] ? a[i] : b[i];
}

template <typename T>
__device__ void where_strided(const uint8_t* c, const T* a, const T* b, T* out,
                              const TgStrided& s) {
  TG_DISPATCH_INDEX(s.numel, {
    for (int64_t i = global_tid(); i < s.numel; i += global_threads()) {
      int64_t o, in[TG_MAX_INPUTS];
      strided_offsets<3, IndexT>(s, (IndexT)i, o, in);
      out[o] = c[in[0]] ? a[in[1]] : b[in[2]];
    }
  });
}

// (a, ȧ, b, ḃ) -> (c, ċ). b (and ḃ) may be broadcast as a block of nb elements repeating along
// the flat index (b index = i mod nb): nb == n for same-shape operands, nb == 1 for a scalar,
// nb == trailing size for a row vector. A NULL tangent pointer means a zero tangent, so Java
// need not materialise zeros for an input that carries no tangent.
template <typename T>
__device__ void jvp_binary_contig(const T* a, const T* ad, const T* b, const T* bd, T* c, T* cd,
                                  int64_t n, int64_t nb, int op) {
  constexpr int N = Pack<T>::N;
  const int64_t tid = global_tid(), nth = global_threads();
  int64_t done = 0;
  if (nb == n && ad && bd && aligned16(a) && aligned16(ad) && aligned16(b) && aligned16(bd) &&
      aligned16(c) && aligned16(cd)) {
    const int64_t nv = n / N;
    for (int64_t v = tid; v < nv; v += nth) {
      const Pack<T> pa = reinterpret_cast<const Pack<T>*>(a)[v];
      const Pack<T> pad = reinterpret_cast<const Pack<T>*>(ad)[v];
      const Pack<T> pb = reinterpret_cast<const Pack<T>*>(b)[v];
      const Pack<T> pbd = reinterpret_cast<const Pack<T>*>(bd)[v];
      Pack<T> pc, pcd;
#pragma unroll
      for (int e = 0; e < N; ++e) {
        const T cv = binary_fwd<T>(op, pa.v[e], pb.v[e]);
        pc.v[e] = cv;
        pcd.v[e] = binary_jvp<T>(op, pa.v[e], pad.v[e], pb.v[e], pbd.v[e], cv);
      }
      reinterpret_cast<Pack<T>*>(c)[v] = pc;
      reinterpret_cast<Pack<T>*>(cd)[v] = pcd;
    }
    done = nv * N;
  }
  for (int64_t i = done + tid; i < n; i += nth) {
    const int64_t j = (nb == n) ? i : (nb == 1 ? 0 : i % nb);
    const T av = a[i], bv = b[j];
    const T adv = ad ? ad[i] : T(0), bdv = bd ? bd[j] : T(0);
    const T cv = binary_fwd<T>(op, av, bv);
    c[i] = cv;
    cd[i] = (ad && bd) ? binary_jvp<T>(op, av, adv, bv, bdv, cv)
                       : binary_jvp_one<T>(op, av, adv, ad != nullptr, bv, bdv, bd != nullptr, cv);
  }
}

// MLP layer epilogue after cuBLAS computed z = x·W (row-major m×n) and ż = ẋ·W (+ x·Ẇ):
// y = tanh(z + bias[col]), ẏ = (1 − y²)·ż. The bias is constant, so it adds no tangent term.
template <typename T>
__device__ void bias_tanh_jvp(int64_t m, int64_t n, const T* z, const T* zd, const T* bias, T* y,
                              T* yd) {
  constexpr int N = Pack<T>::N;
  const int64_t total = m * n;
  const int64_t tid = global_tid(), nth = global_threads();
  int64_t done = 0;
  if (n % N == 0 && aligned16(z) && aligned16(zd) && aligned16(bias) && aligned16(y) &&
      aligned16(yd)) {
    const int64_t nv = total / N;
    for (int64_t v = tid; v < nv; v += nth) {
      const int64_t col = (v * N) % n;  // n % N == 0: the pack stays in one row
      const Pack<T> pz = reinterpret_cast<const Pack<T>*>(z)[v];
      const Pack<T> pzd = reinterpret_cast<const Pack<T>*>(zd)[v];
      const Pack<T> pb = *reinterpret_cast<const Pack<T>*>(bias + col);
      Pack<T> py, pyd;
#pragma unroll
      for (int e = 0; e < N; ++e) {
        const T t = tanh(pz.v[e] + pb.v[e]);
        py.v[e] = t;
        pyd.v[e] = (T(1) - t * t) * pzd.v[e];
      }
      reinterpret_cast<Pack<T>*>(y)[v] = py;
      reinterpret_cast<Pack<T>*>(yd)[v] = pyd;
    }
    done = nv * N;
  }
  for (int64_t i = done + tid; i < total; i += nth) {
    const T t = tanh(z[i] + bias[i % n]);
    y[i] = t;
    yd[i] = (T(1) - t * t) * zd[i];
  }
}

// ---- copy / cast / fill / arange -----------------------------------------------------------

template <typename D, typename S>
__device__ __forceinline__ D convert(S v) {
  if constexpr (sizeof(D) == 1) {
    return (D)(v != S(0));  // to bool: nonzero (NaN included) is true, as PyTorch
  } else {
    return (D)v;
  }
}

template <typename S, typename D>
__device__ void copy_strided(const S* src, D* dst, const TgStrided& s) {
  TG_DISPATCH_INDEX(s.numel, {
    for (int64_t i = global_tid(); i < s.numel; i += global_threads()) {
      int64_t o, in[TG_MAX_INPUTS];
      strided_offsets<1, IndexT>(s, (IndexT)i, o, in);
      dst[o] = convert<D, S>(src[in[0]]);
    }
  });
}

template <typename S, typename D>
__device__ void cast_contig(const S* src, D* dst, int64_t n) {
  for (int64_t i = global_tid(); i < n; i += global_threads()) dst[i] = convert<D, S>(src[i]);
}

template <typename T>
__device__ void fill_contig(T* out, int64_t n, double value) {
  const T v = (T)value;
  for (int64_t i = global_tid(); i < n; i += global_threads()) out[i] = v;
}

template <typename T>
__device__ void arange_contig(T* out, int64_t n, double start, double step) {
  // PyTorch's CUDA arange computes start + i * step in the accumulate type (T here).
  const T a = (T)start, d = (T)step;
  for (int64_t i = global_tid(); i < n; i += global_threads()) out[i] = a + (T)i * d;
}

}  // namespace tg
