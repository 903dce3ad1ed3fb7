// Small operations of a forward in one kernel each: a shape-stable step's rotation of the new
// tokens' queries and keys with the cache write of their keys and values (four kernels otherwise),
// the MLP's silu(gate) * up in every forward without autograd (two kernels and a temporary
// otherwise; it rounds once where the composed form rounds twice), RMSNorm, whose one-row
// form libtorch's kernel runs slowly, and the sum of a split product's parts with the residual
// and the next RMSNorm (cuBLAS's own split-K reduction and the norm otherwise).

#include <cuda_runtime.h>

#include <cstdint>
#include <initializer_list>

#include "engine/kernels/elements.cuh"
#include "engine/kernels/fused_ops_launch.h"

namespace kvchain::kernels {
namespace {

// A thread per N consecutive rotated pairs (i, i + dim/2) of one token's head, as transformers'
// x * cos + rotate_half(x) * sin with one rounding: a prefill's threads read and write whole
// 16-byte words, several times faster over a long prefill than a block per head reading
// two-byte elements (measured in bench/README.md, "kvchain's own kernels").
template <typename T, int N>
__global__ void rotary_write_kernel(RotaryWriteArgs a) {
  const int all_heads = a.heads + 2 * a.kv_heads, half = a.dim / 2, lanes = half / N;
  const int64_t unit = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (unit >= static_cast<int64_t>(a.batch) * a.tokens * all_heads * lanes) return;
  const int i = static_cast<int>(unit % lanes) * N;
  const int64_t head_row = unit / lanes, row = head_row / all_heads;
  const int h = static_cast<int>(head_row % all_heads);
  const int b = static_cast<int>(row / a.tokens), t = static_cast<int>(row % a.tokens);
  const T* x = static_cast<const T*>(a.qkv) + head_row * a.dim;
  float x1[N], x2[N];
  load<N>(x + i, x1);
  load<N>(x + i + half, x2);
  T* out;
  if (h < a.heads) {
    out = static_cast<T*>(a.q_out) + b * a.q_batch_stride + h * a.q_head_stride +
          t * a.q_token_stride;
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
    const T* cos = static_cast<const T*>(a.cos) + row * a.dim;
    const T* sin = static_cast<const T*>(a.sin) + row * a.dim;
    float c1[N], c2[N], s1[N], s2[N];
    load<N>(cos + i, c1);
    load<N>(cos + i + half, c2);
    load<N>(sin + i, s1);
    load<N>(sin + i + half, s2);
#pragma unroll
    for (int e = 0; e < N; ++e) {
      const float r1 = x1[e] * c1[e] - x2[e] * s1[e];
      x2[e] = x2[e] * c2[e] + x1[e] * s2[e];
      x1[e] = r1;
    }
  }
  store<N>(out + i, x1);
  store<N>(out + i + half, x2);
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

// `combine` over every thread's `value` in the block, returned to all of them: across each warp,
// then across the warps' results. For blocks of whole warps, once per kernel (a second call
// would race on the shared result).
template <typename V, typename Combine>
__device__ V block_reduce(V value, V identity, Combine combine) {
  __shared__ V warps[32];
  __shared__ V result;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int offset = 16; offset > 0; offset /= 2) {
    value = combine(value, __shfl_xor_sync(0xffffffff, value, offset));
  }
  if (lane == 0) warps[warp] = value;
  __syncthreads();
  if (warp == 0) {
    value = lane < (blockDim.x + 31) / 32 ? warps[lane] : identity;
    for (int offset = 16; offset > 0; offset /= 2) {
      value = combine(value, __shfl_xor_sync(0xffffffff, value, offset));
    }
    if (lane == 0) result = value;
  }
  __syncthreads();
  return result;
}

struct Sum {
  __device__ float operator()(float a, float b) const { return a + b; }
};

struct Larger {
  __device__ unsigned long long operator()(unsigned long long a, unsigned long long b) const {
    return a > b ? a : b;
  }
};

// Whether N elements a thread (16 bytes) can be loaded and stored as words: rows of `width`
// elements, N to a word, starting at 16-byte-aligned addresses.
template <int N>
bool vectorizable(int64_t width, std::initializer_list<const void*> rows) {
  if (width % N != 0) return false;
  for (const void* p : rows) {
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;
  }
  return true;
}

// The end of a block's RMSNorm of row x, given each thread's sum of squares of its elements:
// out = (x * scale rounded to T) * weight, as transformers' Llama rounds it, N elements a thread
// at a time. Once per kernel, as block_reduce.
template <typename T, int N>
__device__ void write_rms_norm(const T* x, const T* weight, T* out, int64_t width, float squares,
                               float eps) {
  const float scale = rsqrtf(block_reduce(squares, 0.f, Sum()) / static_cast<float>(width) + eps);
  for (int64_t c = threadIdx.x * N; c < width; c += static_cast<int64_t>(blockDim.x) * N) {
    float v[N], w[N];
    load<N>(x + c, v);
    load<N>(weight + c, w);
#pragma unroll
    for (int e = 0; e < N; ++e) v[e] = to_float(from_float<T>(v[e] * scale)) * w[e];
    store<N>(out + c, v);
  }
}

// One block a row, N elements a thread at a time. The row is read twice: its second read comes
// from the L1 cache.
template <typename T, int N>
__global__ void rms_norm_kernel(RmsNormArgs a) {
  const T* x = static_cast<const T*>(a.x) + blockIdx.x * a.width;
  const T* weight = static_cast<const T*>(a.weight);
  T* out = static_cast<T*>(a.out) + blockIdx.x * a.width;
  const int64_t step = static_cast<int64_t>(blockDim.x) * N;
  float squares = 0.f;
  for (int64_t c = threadIdx.x * N; c < a.width; c += step) {
    float v[N];
    load<N>(x + c, v);
#pragma unroll
    for (int e = 0; e < N; ++e) squares += v[e] * v[e];
  }
  write_rms_norm<T, N>(x, weight, out, a.width, squares, a.eps);
}

// One block a row, N elements a thread at a time: the parts' sum rounded to T (a linear layer's
// output), added to the residual and rounded again, as transformers adds them; then the RMSNorm
// of the new residual, whose second read is each thread's own writes.
template <typename T, int N>
__global__ void add_rms_norm_kernel(AddRmsNormArgs a) {
  const int64_t row = blockIdx.x * a.width, split_stride = a.rows * a.width;
  T* residual = static_cast<T*>(a.residual) + row;
  const T* weight = static_cast<const T*>(a.weight);
  T* out = static_cast<T*>(a.out) + row;
  const int64_t step = static_cast<int64_t>(blockDim.x) * N;
  float squares = 0.f;
  for (int64_t c = threadIdx.x * N; c < a.width; c += step) {
    float sum[N], part[N], v[N];
    load<N>(a.partials + row + c, sum);
    for (int s = 1; s < a.splits; ++s) {
      load<N>(a.partials + s * split_stride + row + c, part);
#pragma unroll
      for (int e = 0; e < N; ++e) sum[e] += part[e];
    }
    load<N>(residual + c, v);
#pragma unroll
    for (int e = 0; e < N; ++e) {
      v[e] = to_float(from_float<T>(v[e] + to_float(from_float<T>(sum[e]))));
      squares += v[e] * v[e];
    }
    store<N>(residual + c, v);
  }
  write_rms_norm<T, N>(residual, weight, out, a.width, squares, a.eps);
}

// A (value, index) pair as one integer whose order is theirs: larger values first, then lower
// indices; NaN above everything.
__device__ __forceinline__ unsigned long long argmax_key(float value, int64_t index) {
  unsigned int bits = __float_as_uint(value);
  if ((bits << 1) == 0u) bits = 0u;  // -0 equals +0, as torch::argmax compares them
  bits = isnan(value) ? 0xffffffffu : (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
  return (static_cast<unsigned long long>(bits) << 32) |
         (0xffffffffu - static_cast<unsigned int>(index));
}

constexpr int kArgmaxThreads = 256, kArgmaxMaxBlocks = 256;

// Each block's best key over a grid-stride share of x.
template <typename T>
__global__ void argmax_partial_kernel(ArgmaxArgs a) {
  const T* x = static_cast<const T*>(a.x);
  unsigned long long key = 0;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < a.n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    key = Larger()(key, argmax_key(to_float(x[i]), i));
  }
  key = block_reduce(key, 0ull, Larger());
  if (threadIdx.x == 0) a.partial[blockIdx.x] = key;
}

__global__ void argmax_final_kernel(ArgmaxArgs a) {
  unsigned long long key = 0;
  for (int i = threadIdx.x; i < a.blocks; i += blockDim.x) key = Larger()(key, a.partial[i]);
  key = block_reduce(key, 0ull, Larger());
  if (threadIdx.x == 0) *a.out = 0xffffffffu - static_cast<unsigned int>(key & 0xffffffffu);
}

// Launches a kernel's 16-byte instantiation when `vector`, else its one-element one.
template <typename Args>
void launch_either(bool vector, void (*vector_kernel)(Args), void (*scalar_kernel)(Args),
                   unsigned blocks, unsigned threads, const Args& a) {
  (vector ? vector_kernel
          : scalar_kernel)<<<blocks, threads, 0, static_cast<cudaStream_t>(a.stream)>>>(a);
}

// For a block a row of `width` elements: a thread per group up to 1,024, in whole warps.
unsigned row_threads(int64_t width, bool vector, int vector_size) {
  const int64_t groups = width / (vector ? vector_size : 1);
  return static_cast<unsigned>(groups >= 1024 ? 1024 : (groups + 31) / 32 * 32);
}

template <typename T>
constexpr int kVector = 16 / static_cast<int>(sizeof(T));

template <typename T>
void launch_rotary(const RotaryWriteArgs& a) {
  constexpr int kThreads = 256;
  // Whole words: half a head in words, every row and stride a multiple of a word.
  const bool vector =
      vectorizable<kVector<T>>(a.dim / 2, {a.qkv, a.cos, a.sin, a.q_out, a.keys, a.values}) &&
      a.q_batch_stride % kVector<T> == 0 && a.q_head_stride % kVector<T> == 0 &&
      a.q_token_stride % kVector<T> == 0 && a.cache_batch_stride % kVector<T> == 0 &&
      a.cache_head_stride % kVector<T> == 0;
  const int64_t units = static_cast<int64_t>(a.batch) * a.tokens * (a.heads + 2 * a.kv_heads) *
                        (a.dim / 2 / (vector ? kVector<T> : 1));
  launch_either(vector, rotary_write_kernel<T, kVector<T>>, rotary_write_kernel<T, 1>,
                static_cast<unsigned>((units + kThreads - 1) / kThreads), kThreads, a);
}

template <typename T>
void launch_silu(const SiluMulArgs& a) {
  constexpr int kThreads = 256, kMaxBlocks = 4096;
  const bool vector = vectorizable<kVector<T>>(a.width, {a.gate_up, a.out});
  const int64_t groups = a.rows * a.width / (vector ? kVector<T> : 1);
  const int blocks =
      static_cast<int>(groups / kThreads + 1 < kMaxBlocks ? groups / kThreads + 1 : kMaxBlocks);
  launch_either(vector, silu_mul_kernel<T, kVector<T>>, silu_mul_kernel<T, 1>, blocks, kThreads, a);
}

template <typename T>
void launch_rms(const RmsNormArgs& a) {
  const bool vector = vectorizable<kVector<T>>(a.width, {a.x, a.weight, a.out});
  launch_either(vector, rms_norm_kernel<T, kVector<T>>, rms_norm_kernel<T, 1>,
                static_cast<unsigned>(a.rows), row_threads(a.width, vector, kVector<T>), a);
}

template <typename T>
void launch_add_rms(const AddRmsNormArgs& a) {
  const bool vector = vectorizable<kVector<T>>(a.width, {a.partials, a.residual, a.weight, a.out});
  launch_either(vector, add_rms_norm_kernel<T, kVector<T>>, add_rms_norm_kernel<T, 1>,
                static_cast<unsigned>(a.rows), row_threads(a.width, vector, kVector<T>), a);
}

template <typename T>
void launch_argmax_of(const ArgmaxArgs& a) {
  auto stream = static_cast<cudaStream_t>(a.stream);
  argmax_partial_kernel<T><<<a.blocks, kArgmaxThreads, 0, stream>>>(a);
  argmax_final_kernel<<<1, kArgmaxThreads, 0, stream>>>(a);
}

}  // namespace

int argmax_blocks(int64_t n) {
  const int64_t blocks = (n + kArgmaxThreads - 1) / kArgmaxThreads;
  return static_cast<int>(blocks < kArgmaxMaxBlocks ? blocks : kArgmaxMaxBlocks);
}

const char* launch_rotary_write(const RotaryWriteArgs& args) {
  dispatch(args.type, [&](auto element) { launch_rotary<typename decltype(element)::type>(args); });
  return launch_error();
}

const char* launch_silu_mul(const SiluMulArgs& args) {
  dispatch(args.type, [&](auto element) { launch_silu<typename decltype(element)::type>(args); });
  return launch_error();
}

const char* launch_argmax(const ArgmaxArgs& args) {
  dispatch(args.type,
           [&](auto element) { launch_argmax_of<typename decltype(element)::type>(args); });
  return launch_error();
}

const char* launch_rms_norm(const RmsNormArgs& args) {
  dispatch(args.type, [&](auto element) { launch_rms<typename decltype(element)::type>(args); });
  return launch_error();
}

const char* launch_add_rms_norm(const AddRmsNormArgs& args) {
  dispatch(args.type,
           [&](auto element) { launch_add_rms<typename decltype(element)::type>(args); });
  return launch_error();
}

}  // namespace kvchain::kernels
