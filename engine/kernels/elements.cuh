#pragma once

// The element types of kvchain's kernels: a launch picks its instantiation from ElementType, and
// kernels read and write elements as float32, whose arithmetic they do, one scalar at a time or
// N consecutive ones in loads and stores of up to 16 bytes.

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "engine/kernels/element_type.h"

namespace kvchain::kernels {

template <typename T>
struct Element {
  using type = T;
};

// Calls f(Element<T>{}) with the CUDA type T of `type`.
template <typename F>
void dispatch(ElementType type, F&& f) {
  switch (type) {
    case ElementType::kFloat32:
      return f(Element<float>{});
    case ElementType::kBFloat16:
      return f(Element<__nv_bfloat16>{});
    case ElementType::kFloat16:
      return f(Element<__half>{});
  }
}

// What a launcher returns: "" when the launches went through, else the CUDA error's text.
inline const char* launch_error() {
  const cudaError_t error = cudaGetLastError();
  return error == cudaSuccess ? "" : cudaGetErrorString(error);
}

__device__ __forceinline__ float to_float(float x) {
  return x;
}
__device__ __forceinline__ float to_float(__nv_bfloat16 x) {
  return __bfloat162float(x);
}
__device__ __forceinline__ float to_float(__half x) {
  return __half2float(x);
}

template <typename T>
__device__ __forceinline__ T from_float(float x);
template <>
__device__ __forceinline__ float from_float<float>(float x) {
  return x;
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) {
  return __float2bfloat16(x);
}
template <>
__device__ __forceinline__ __half from_float<__half>(float x) {
  return __float2half(x);
}

template <typename T>
__device__ __forceinline__ void store(T* p, float x) {
  *p = from_float<T>(x);
}

template <int Bytes>
struct Raw;
template <>
struct Raw<2> {
  using type = unsigned short;
};
template <>
struct Raw<4> {
  using type = unsigned int;
};
template <>
struct Raw<8> {
  using type = uint2;
};
template <>
struct Raw<16> {
  using type = uint4;
};

// N consecutive elements as raw words of up to 16 bytes, so that they load in as few
// instructions as their alignment allows.
template <int N, typename T>
struct Packed {
  static constexpr int kBytes = N * static_cast<int>(sizeof(T));
  static constexpr int kStep = kBytes < 16 ? kBytes : 16;
  using R = typename Raw<kStep>::type;
  R raw[kBytes / kStep];

  // From p, aligned to N elements or 16 bytes.
  __device__ __forceinline__ void load(const T* p) {
#pragma unroll
    for (int i = 0; i < kBytes / kStep; ++i) raw[i] = reinterpret_cast<const R*>(p)[i];
  }
  __device__ __forceinline__ void to_floats(float* out) const {
    const T* elements = reinterpret_cast<const T*>(raw);
#pragma unroll
    for (int i = 0; i < N; ++i) out[i] = to_float(elements[i]);
  }
};

// N consecutive elements from p as floats (p aligned as for Packed::load).
template <int N, typename T>
__device__ __forceinline__ void load(const T* p, float* out) {
  Packed<N, T> packed;
  packed.load(p);
  packed.to_floats(out);
}

// N floats to consecutive elements at p (aligned as for load).
template <int N, typename T>
__device__ __forceinline__ void store(T* p, const float* in) {
  constexpr int kBytes = N * static_cast<int>(sizeof(T));
  constexpr int kStep = kBytes < 16 ? kBytes : 16;
  using R = typename Raw<kStep>::type;
  R raw[kBytes / kStep];
  T* elements = reinterpret_cast<T*>(raw);
#pragma unroll
  for (int i = 0; i < N; ++i) elements[i] = from_float<T>(in[i]);
#pragma unroll
  for (int i = 0; i < kBytes / kStep; ++i) reinterpret_cast<R*>(p)[i] = raw[i];
}

}  // namespace kvchain::kernels
