// Two small operations fused into one kernel each: a shape-stable step's rotation of the new
// tokens' queries and keys with the cache write of their keys and values (four kernels otherwise),
// and the MLP's silu(gate) * up in every forward without autograd (two kernels and a temporary
// otherwise; it rounds once where the composed form rounds twice).

#include <cuda_runtime.h>

#include <cstdint>

#include "engine/kernels/elements.cuh"
#include "engine/kernels/fused_ops_launch.h"

namespace kvchain::kernels {
namespace {

// Grid batch * tokens * (heads + 2 * kv_heads), dim / 2 threads: one thread per rotated pair
// (i, i + dim/2), as transformers' x * cos + rotate_half(x) * sin with one rounding.
template <typename T>
__global__ void rotary_write_kernel(RotaryWriteArgs a) {
  const int all_heads = a.heads + 2 * a.kv_heads, half = a.dim / 2, i = threadIdx.x;
  const int row = blockIdx.x / all_heads, h = blockIdx.x % all_heads;
  const int b = row / a.tokens, t = row % a.tokens;
  const T* x = static_cast<const T*>(a.qkv) + static_cast<int64_t>(blockIdx.x) * a.dim;
  float x1 = to_float(x[i]), x2 = to_float(x[i + half]);
  T* out;
  if (h < a.heads) {
    out =
        static_cast<T*>(a.q_out) + ((static_cast<int64_t>(b) * a.heads + h) * a.tokens + t) * a.dim;
  } else {
    // A slot past the buffers would write over other memory: fail the launch instead.
    const int64_t slot = a.slots[t];
    if (slot < 0 || slot >= a.capacity) __trap();
    const bool key = h < a.heads + a.kv_heads;
    const int kv_head = key ? h - a.heads : h - a.heads - a.kv_heads;
    out = static_cast<T*>(key ? a.keys : a.values) + b * a.cache_batch_stride +
          kv_head * a.cache_head_stride + slot * a.dim;
  }
  if (h < a.heads + a.kv_heads) {
    const T* cos = static_cast<const T*>(a.cos) + static_cast<int64_t>(row) * a.dim;
    const T* sin = static_cast<const T*>(a.sin) + static_cast<int64_t>(row) * a.dim;
    const float r1 = x1 * to_float(cos[i]) - x2 * to_float(sin[i]);
    const float r2 = x2 * to_float(cos[i + half]) + x1 * to_float(sin[i + half]);
    x1 = r1;
    x2 = r2;
  }
  store(out + i, x1);
  store(out + i + half, x2);
}

// A grid-stride loop over groups of N elements of the output, which never straddle a row.
template <typename T, int N>
__global__ void silu_mul_kernel(SiluMulArgs a) {
  const int64_t groups = a.rows * a.width / N;
  for (int64_t g = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; g < groups;
       g += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = g * N / a.width, column = g * N % a.width;
    const T* gate = static_cast<const T*>(a.gate_up) + row * 2 * a.width + column;
    float x[N], up[N];
    load<N>(gate, x);
    load<N>(gate + a.width, up);
#pragma unroll
    for (int e = 0; e < N; ++e) x[e] = x[e] / (1.f + expf(-x[e])) * up[e];
    store<N>(static_cast<T*>(a.out) + row * a.width + column, x);
  }
}

template <typename T>
void launch_rotary(const RotaryWriteArgs& a) {
  const int blocks = a.batch * a.tokens * (a.heads + 2 * a.kv_heads);
  rotary_write_kernel<T><<<blocks, a.dim / 2, 0, static_cast<cudaStream_t>(a.stream)>>>(a);
}

template <typename T>
void launch_silu(const SiluMulArgs& a) {
  constexpr int kThreads = 256, kMaxBlocks = 4096;
  constexpr int kVector = 16 / static_cast<int>(sizeof(T));
  const bool vector = a.width % kVector == 0 && reinterpret_cast<uintptr_t>(a.gate_up) % 16 == 0 &&
                      reinterpret_cast<uintptr_t>(a.out) % 16 == 0;
  const int64_t groups = a.rows * a.width / (vector ? kVector : 1);
  const int blocks =
      static_cast<int>(groups / kThreads + 1 < kMaxBlocks ? groups / kThreads + 1 : kMaxBlocks);
  auto stream = static_cast<cudaStream_t>(a.stream);
  if (vector) {
    silu_mul_kernel<T, kVector><<<blocks, kThreads, 0, stream>>>(a);
  } else {
    silu_mul_kernel<T, 1><<<blocks, kThreads, 0, stream>>>(a);
  }
}

}  // namespace

const char* launch_rotary_write(const RotaryWriteArgs& args) {
  dispatch(args.type, [&](auto element) { launch_rotary<typename decltype(element)::type>(args); });
  return launch_error();
}

const char* launch_silu_mul(const SiluMulArgs& args) {
  dispatch(args.type, [&](auto element) { launch_silu<typename decltype(element)::type>(args); });
  return launch_error();
}

}  // namespace kvchain::kernels
