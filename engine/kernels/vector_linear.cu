// One row through a linear layer, as a decode step has it: a matrix-vector product that streams
// the weight from memory once, with the operation before it (RMSNorm, or the MLP's SiLU·up) and
// the residual add after it done in the same kernel. Each block builds the input vector in
// shared memory, then each warp reduces whole weight rows against it with 16-byte loads, several
// in flight per lane, so that the weight reads keep the memory busy.

#include <cuda_runtime.h>

#include <cstdint>

#include "engine/kernels/elements.cuh"
#include "engine/kernels/vector_linear_launch.h"

namespace kvchain::kernels {
namespace {

// How the weight is read; the product uses kStreaming (tests/gpu/vector_linear_probe.cu times
// the others).
enum class Load { kStreaming, kReadOnly, kVolatile };

// A weight read that goes past L1 (no other warp reads its lines) and has L2 fetch the next
// bytes of the row with it.
template <Load L>
__device__ __forceinline__ uint4 load_weight(const uint4* p) {
  uint4 r;
  if constexpr (L == Load::kReadOnly) {
    r = __ldg(p);
  } else if constexpr (L == Load::kVolatile) {
    asm volatile("ld.global.nc.L1::no_allocate.L2::256B.v4.u32 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r.x), "=r"(r.y), "=r"(r.z), "=r"(r.w)
                 : "l"(p));
  } else {
    asm("ld.global.nc.L1::no_allocate.L2::256B.v4.u32 {%0, %1, %2, %3}, [%4];"
        : "=r"(r.x), "=r"(r.y), "=r"(r.z), "=r"(r.w)
        : "l"(p));
  }
  return r;
}

template <typename T>
__device__ __forceinline__ float dot(const uint4& a, const uint4& b) {
  constexpr int kN = 16 / sizeof(T);
  const T* x = reinterpret_cast<const T*>(&a);
  const T* y = reinterpret_cast<const T*>(&b);
  float sum = 0.f;
#pragma unroll
  for (int i = 0; i < kN; ++i) sum = fmaf(to_float(x[i]), to_float(y[i]), sum);
  return sum;
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

template <int Warps>
__device__ float block_sum(float v) {
  __shared__ float partial[Warps];
  v = warp_sum(v);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
  __syncthreads();
  float sum = 0.f;
#pragma unroll
  for (int w = 0; w < Warps; ++w) sum += partial[w];
  return sum;
}

// The input vector, after the prologue, in `x` (shared memory), rounded to T as the separate
// operation would leave it.
template <typename T, int Warps>
__device__ void build_input(const VectorLinearArgs& a, T* x) {
  constexpr int kN = 16 / sizeof(T), kStride = Warps * 32 * kN;
  const T* in = static_cast<const T*>(a.x);
  const int k = static_cast<int>(a.k);
  if (a.prologue == VectorPrologue::kRmsNorm) {
    float squares = 0.f;
    for (int i = threadIdx.x * kN; i < k; i += kStride) {
      float v[kN];
      load<kN>(in + i, v);
#pragma unroll
      for (int e = 0; e < kN; ++e) squares = fmaf(v[e], v[e], squares);
    }
    const float scale = rsqrtf(block_sum<Warps>(squares) / k + a.eps);
    const T* gain = static_cast<const T*>(a.norm_weight);
    for (int i = threadIdx.x * kN; i < k; i += kStride) {
      float v[kN], g[kN];
      load<kN>(in + i, v);
      load<kN>(gain + i, g);
#pragma unroll
      for (int e = 0; e < kN; ++e) v[e] = v[e] * scale * g[e];
      store<kN>(x + i, v);
    }
  } else if (a.prologue == VectorPrologue::kSiluMul) {
    for (int i = threadIdx.x * kN; i < k; i += kStride) {
      float gate[kN], up[kN];
      load<kN>(in + i, gate);
      load<kN>(in + k + i, up);
#pragma unroll
      for (int e = 0; e < kN; ++e) gate[e] = gate[e] / (1.f + expf(-gate[e])) * up[e];
      store<kN>(x + i, gate);
    }
  } else {
    for (int i = threadIdx.x * kN; i < k; i += kStride) {
      *reinterpret_cast<uint4*>(x + i) = *reinterpret_cast<const uint4*>(in + i);
    }
  }
  __syncthreads();
}

template <Load L, int Loads>
__device__ __forceinline__ void load_group(const uint4* w, int base, int chunks, uint4* loaded) {
#pragma unroll
  for (int u = 0; u < Loads; ++u) {
    if (base + u * 32 < chunks) loaded[u] = load_weight<L>(w + base + u * 32);
  }
}

template <typename T, int Loads>
__device__ __forceinline__ float dot_group(const uint4* loaded, const uint4* x, int base,
                                           int chunks) {
  float sum = 0.f;
#pragma unroll
  for (int u = 0; u < Loads; ++u) {
    if (base + u * 32 < chunks) sum += dot<T>(loaded[u], x[base + u * 32]);
  }
  return sum;
}

// Each warp walks its rows (a grid-stride over them) a group of `Loads` 16-byte loads a lane at
// a time, and issues the next group's loads before it multiplies the current one, so that its
// loads are always in flight; the first are issued before the input is built, which they do
// not depend on. `x` takes k elements of dynamic shared memory.
template <typename T, int Warps, int Loads, Load L>
__global__ void __launch_bounds__(Warps * 32) vector_linear_kernel(VectorLinearArgs a) {
  extern __shared__ uint4 shared[];
  constexpr int kN = 16 / sizeof(T), kGroup = 32 * Loads;
  const int chunks = static_cast<int>(a.k / kN), lane = threadIdx.x % 32;
  const int groups = (chunks + kGroup - 1) / kGroup;
  const int64_t first_row = static_cast<int64_t>(blockIdx.x) * Warps + threadIdx.x / 32;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * Warps;
  const int64_t rows = first_row < a.n ? (a.n - first_row + stride - 1) / stride : 0;
  const int64_t steps = rows * groups;
  const T* weight = static_cast<const T*>(a.weight);
  const auto load_step = [&](int64_t step, uint4* into) {
    const int64_t row = first_row + step / groups * stride;
    const int base = lane + static_cast<int>(step % groups) * kGroup;
    load_group<L, Loads>(reinterpret_cast<const uint4*>(weight + row * a.k), base, chunks, into);
  };
  uint4 current[Loads], next[Loads];
  if (steps > 0) load_step(0, current);
  build_input<T, Warps>(a, reinterpret_cast<T*>(shared));
  const T* residual = static_cast<const T*>(a.residual);
  float sum = 0.f;
  for (int64_t step = 0; step < steps; ++step) {
    if (step + 1 < steps) load_step(step + 1, next);
    const int group = static_cast<int>(step % groups);
    sum += dot_group<T, Loads>(current, shared, lane + group * kGroup, chunks);
    if (group == groups - 1) {
      sum = warp_sum(sum);
      if (lane == 0) {
        const int64_t row = first_row + step / groups * stride;
        if (residual != nullptr) sum += to_float(residual[row]);
        store(static_cast<T*>(a.out) + row, sum);
      }
      sum = 0.f;
    }
#pragma unroll
    for (int u = 0; u < Loads; ++u) current[u] = next[u];
  }
}

int multiprocessors() {
  static const int count = [] {
    int device = 0, value = 0;
    cudaGetDevice(&device);
    cudaDeviceGetAttribute(&value, cudaDevAttrMultiProcessorCount, device);
    return value > 0 ? value : 1;
  }();
  return count;
}

// Every block builds the input vector again: with at most `blocks_per_sm` blocks an SM, a wide
// layer's warps take several rows each and its blocks read the input from L2 about a thousand
// times rather than several thousand.
template <typename T, int Warps, int Loads, Load L>
void launch_variant(const VectorLinearArgs& a, int blocks_per_sm) {
  const int64_t row_blocks = (a.n + Warps - 1) / Warps;
  const int64_t most = static_cast<int64_t>(multiprocessors()) * blocks_per_sm;
  const int blocks = static_cast<int>(row_blocks < most ? row_blocks : most);
  const size_t shared = static_cast<size_t>(a.k) * sizeof(T);
  vector_linear_kernel<T, Warps, Loads, L>
      <<<blocks, Warps * 32, shared, static_cast<cudaStream_t>(a.stream)>>>(a);
}

}  // namespace

const char* launch_vector_linear(const VectorLinearArgs& args) {
  dispatch(args.type, [&](auto element) {
    launch_variant<typename decltype(element)::type, 8, 8, Load::kStreaming>(args, 8);
  });
  return launch_error();
}

}  // namespace kvchain::kernels
