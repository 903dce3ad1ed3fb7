// One query token's attention over a cache (flash decoding): the keys are split into chunks, a
// block per (chunk, KV head) reads its chunk once for all the query heads that share it, and a
// second kernel combines the chunks' softmax-weighted sums. SDPA's kernels tile queries by 16 or
// more, so a decode step's one row wastes their tiles and leaves most of a GPU's SMs idle over a
// long cache; masked slots (a cache's unused capacity, another member's prompt) are skipped
// without being read.

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "engine/kernels/elements.cuh"
#include "engine/kernels/fused_ops_launch.h"

namespace kvchain::kernels {
namespace {

constexpr int kThreads = 128, kWarps = kThreads / 32;
// Key rows each thread loads before using them: enough bytes in flight to keep HBM busy.
constexpr int kUnroll = 4;
constexpr int kMaxChunk = 256;
// Threads per element of a head that combine the chunks.
constexpr int kCombineParts = 4;

// The thread layout over key rows: `lanes` threads (a power of two up to 32) hold one 16-byte
// vector each of a row, and a pass covers kThreads / lanes rows.
template <typename T>
struct RowLayout {
  static constexpr int kVector = 16 / static_cast<int>(sizeof(T));
  int lanes, rows_per_pass, lane, row;
  __device__ explicit RowLayout(int dim)
      : lanes(dim / kVector),
        rows_per_pass(kThreads / lanes),
        lane(threadIdx.x % lanes),
        row(threadIdx.x / lanes) {}
};

__device__ __forceinline__ float* partial_sums(const DecodeAttentionArgs& a, int b, int split) {
  return a.partial + (static_cast<int64_t>(b) * a.splits + split) * a.heads * a.dim;
}

// Each chunk's running max and sum of exponentials per query head, after all the sums.
__device__ __forceinline__ float* partial_max(const DecodeAttentionArgs& a, int b, int split) {
  const int64_t sums = static_cast<int64_t>(a.batch) * a.splits * a.heads * a.dim;
  return a.partial + sums + (static_cast<int64_t>(b) * a.splits + split) * a.heads * 2;
}

// A softmax over part of the keys: its largest score and its exponentials' sum relative to it.
struct SoftmaxState {
  float largest, sum;
  // The factor that takes exponentials relative to `from` to relative to `to` (>= from).
  __device__ static float rescale(float from, float to) {
    return from == -INFINITY ? 0.f : expf(from - to);
  }
};

// Grid (splits, kv_heads, batch): one chunk of keys for the KV head's G query heads, with an
// online softmax per row of threads (keys and values load together, one round trip per pass),
// merged across the block at the end.
template <typename T, int G>
__global__ void __launch_bounds__(kThreads, 4)
    decode_attention_chunk_kernel(DecodeAttentionArgs a) {
  constexpr int N = RowLayout<T>::kVector;
  const RowLayout<T> layout(a.dim);
  const int split = blockIdx.x, kv_head = blockIdx.y, b = blockIdx.z;
  const int64_t start = static_cast<int64_t>(split) * a.chunk;
  const int n = static_cast<int>(min(static_cast<int64_t>(a.chunk), a.columns - start));
  const int64_t cache_offset = b * a.cache_batch_stride + kv_head * a.cache_head_stride;
  const T* keys = static_cast<const T*>(a.keys) + cache_offset + layout.lane * N;
  const T* values = static_cast<const T*>(a.values) + cache_offset + layout.lane * N;
  extern __shared__ float shared[];
  float* bias = shared;                 // [chunk]: the mask's
  float* warp_sums = shared + a.chunk;  // [kWarps][G][dim], then [kWarps][G] states
  auto* warp_states = reinterpret_cast<SoftmaxState*>(warp_sums + kWarps * G * a.dim);

  float q[G][N];
#pragma unroll
  for (int g = 0; g < G; ++g) {
    const int head = kv_head * G + g;
    load<N>(static_cast<const T*>(a.q) + (static_cast<int64_t>(b) * a.heads + head) * a.dim +
                layout.lane * N,
            q[g]);
#pragma unroll
    for (int e = 0; e < N; ++e) q[g][e] *= a.scale;
  }
  // The mask first, in one round trip: the loads of keys and values then wait on nothing.
  const T* mask =
      a.mask ? static_cast<const T*>(a.mask) + b * a.mask_batch_stride + start : nullptr;
  for (int i = threadIdx.x; i < n; i += kThreads) bias[i] = mask ? to_float(mask[i]) : 0.f;
  __syncthreads();

  SoftmaxState state[G];
  float sums[G][N];
#pragma unroll
  for (int g = 0; g < G; ++g) {
    state[g] = {-INFINITY, 0.f};
#pragma unroll
    for (int e = 0; e < N; ++e) sums[g][e] = 0.f;
  }
  for (int base = 0; base < n; base += layout.rows_per_pass * kUnroll) {
    Packed<N, T> key_rows[kUnroll], value_rows[kUnroll];
    float row_bias[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int i = base + u * layout.rows_per_pass + layout.row;
      row_bias[u] = i < n ? bias[i] : -INFINITY;
      if (row_bias[u] != -INFINITY) {
        key_rows[u].load(keys + (start + i) * a.dim);
        value_rows[u].load(values + (start + i) * a.dim);
      } else {
        key_rows[u] = Packed<N, T>{};
      }
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      float k[N], dot[G];
      key_rows[u].to_floats(k);
      // A row's lanes agree on whether it is live, and all lanes take part in the shuffles.
#pragma unroll
      for (int g = 0; g < G; ++g) {
        dot[g] = 0.f;
#pragma unroll
        for (int e = 0; e < N; ++e) dot[g] += q[g][e] * k[e];
        for (int offset = layout.lanes / 2; offset > 0; offset /= 2) {
          dot[g] += __shfl_xor_sync(0xffffffff, dot[g], offset);
        }
      }
      if (row_bias[u] == -INFINITY) continue;
      float v[N];
      value_rows[u].to_floats(v);
#pragma unroll
      for (int g = 0; g < G; ++g) {
        const float score = dot[g] + row_bias[u];
        const float largest = fmaxf(state[g].largest, score);
        const float kept = SoftmaxState::rescale(state[g].largest, largest);
        const float p = expf(score - largest);
        state[g] = {largest, state[g].sum * kept + p};
#pragma unroll
        for (int e = 0; e < N; ++e) sums[g][e] = sums[g][e] * kept + p * v[e];
      }
    }
  }

  // Across the rows of a warp by shuffles, then across the warps through shared memory.
  const int warp = threadIdx.x / 32, warp_lane = threadIdx.x % 32;
  for (int offset = layout.lanes; offset < 32; offset *= 2) {
#pragma unroll
    for (int g = 0; g < G; ++g) {
      const float other_largest = __shfl_xor_sync(0xffffffff, state[g].largest, offset);
      const float other_sum = __shfl_xor_sync(0xffffffff, state[g].sum, offset);
      const float largest = fmaxf(state[g].largest, other_largest);
      const float mine = SoftmaxState::rescale(state[g].largest, largest);
      const float theirs = SoftmaxState::rescale(other_largest, largest);
      state[g] = {largest, state[g].sum * mine + other_sum * theirs};
#pragma unroll
      for (int e = 0; e < N; ++e) {
        const float other = __shfl_xor_sync(0xffffffff, sums[g][e], offset);
        sums[g][e] = sums[g][e] * mine + other * theirs;
      }
    }
  }
  if (warp_lane < layout.lanes) {
#pragma unroll
    for (int g = 0; g < G; ++g) {
#pragma unroll
      for (int e = 0; e < N; ++e) {
        warp_sums[(warp * G + g) * a.dim + layout.lane * N + e] = sums[g][e];
      }
      if (warp_lane == 0) warp_states[warp * G + g] = state[g];
    }
  }
  __syncthreads();
  float* out = partial_sums(a, b, split) + kv_head * G * a.dim;
  float* stats = partial_max(a, b, split) + kv_head * G * 2;
  for (int i = threadIdx.x; i < G * a.dim; i += kThreads) {
    const int g = i / a.dim;
    float largest = -INFINITY;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) largest = fmaxf(largest, warp_states[w * G + g].largest);
    float total = 0.f, sum = 0.f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      const float scale = SoftmaxState::rescale(warp_states[w * G + g].largest, largest);
      total += scale * warp_sums[w * G * a.dim + i];
      sum += scale * warp_states[w * G + g].sum;
    }
    out[i] = total;
    if (i % a.dim == 0) {
      stats[g * 2] = largest;
      stats[g * 2 + 1] = sum;
    }
  }
}

// Grid (heads, batch), kCombineParts threads per element of a head: the chunks' sums rescaled
// to the largest running max, over their rescaled sums of exponentials. One warp first turns
// the chunks' maxima into scales; then each thread sums a share of the chunks, its loads
// independent of each other (a loop over all chunks in one thread waits on each in turn).
template <typename T>
__global__ void decode_attention_combine_kernel(DecodeAttentionArgs a) {
  const int head = blockIdx.x, b = blockIdx.y;
  extern __shared__ float scales[];  // [splits], then the parts' sums [kCombineParts][dim]
  __shared__ float weight;
  if (threadIdx.x < 32) {
    float largest = -INFINITY;
    for (int s = threadIdx.x; s < a.splits; s += 32) {
      largest = fmaxf(largest, partial_max(a, b, s)[head * 2]);
    }
    for (int offset = 16; offset > 0; offset /= 2) {
      largest = fmaxf(largest, __shfl_xor_sync(0xffffffff, largest, offset));
    }
    float sum = 0.f;
    for (int s = threadIdx.x; s < a.splits; s += 32) {
      const float* stats = partial_max(a, b, s) + head * 2;
      const float scale = stats[0] == -INFINITY ? 0.f : expf(stats[0] - largest);
      scales[s] = scale;
      sum += scale * stats[1];
    }
    for (int offset = 16; offset > 0; offset /= 2) {
      sum += __shfl_xor_sync(0xffffffff, sum, offset);
    }
    if (threadIdx.x == 0) weight = sum;
  }
  __syncthreads();
  const int d = threadIdx.x % a.dim, part = threadIdx.x / a.dim;
  float total = 0.f;
#pragma unroll 4
  for (int s = part; s < a.splits; s += kCombineParts) {
    total += scales[s] * partial_sums(a, b, s)[head * a.dim + d];
  }
  float* parts = scales + a.splits;
  parts[part * a.dim + d] = total;
  __syncthreads();
  if (part != 0) return;
  for (int p = 1; p < kCombineParts; ++p) total += parts[p * a.dim + d];
  // A row that may see nothing gets 0 / 0, as SDPA gives it.
  store(static_cast<T*>(a.out) + (static_cast<int64_t>(b) * a.heads + head) * a.dim + d,
        total / weight);
}

template <typename T, int G>
void launch_groups(const DecodeAttentionArgs& a) {
  auto stream = static_cast<cudaStream_t>(a.stream);
  const dim3 grid(a.splits, a.kv_heads, a.batch);
  decode_attention_chunk_kernel<T, G>
      <<<grid, kThreads, decode_attention_shared_bytes(a.chunk, G, a.dim), stream>>>(a);
  const int combine_bytes = (a.splits + kCombineParts * a.dim) * static_cast<int>(sizeof(float));
  decode_attention_combine_kernel<T>
      <<<dim3(a.heads, a.batch), kCombineParts * a.dim, combine_bytes, stream>>>(a);
}

template <typename T>
void launch_decode(const DecodeAttentionArgs& a) {
  switch (a.heads / a.kv_heads) {
    case 1:
      return launch_groups<T, 1>(a);
    case 2:
      return launch_groups<T, 2>(a);
    case 4:
      return launch_groups<T, 4>(a);
    case 8:
      return launch_groups<T, 8>(a);
  }
}

}  // namespace

int decode_attention_shared_bytes(int64_t chunk, int groups, int dim) {
  const int64_t floats = chunk + kWarps * groups * (dim + 2);
  return static_cast<int>(floats * sizeof(float));
}

DecodeAttentionPlan decode_attention_plan(int device, int64_t columns, int batch_kv_heads, int dim,
                                          int element_bytes) {
  int sms = 0;
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  // About four blocks an SM, in chunks of whole unrolled passes of up to kMaxChunk rows.
  const int64_t pass = kUnroll * kThreads / (dim * element_bytes / 16);
  const int64_t wanted = (4 * (sms > 0 ? sms : 1) + batch_kv_heads - 1) / batch_kv_heads;
  int64_t chunk = (columns + wanted - 1) / wanted;
  chunk = (chunk + pass - 1) / pass * pass;
  if (chunk > kMaxChunk) chunk = kMaxChunk;
  if (chunk < pass) chunk = pass;
  return {chunk, static_cast<int>((columns + chunk - 1) / chunk)};
}

const char* launch_decode_attention(const DecodeAttentionArgs& args) {
  dispatch(args.type, [&](auto element) { launch_decode<typename decltype(element)::type>(args); });
  return launch_error();
}

}  // namespace kvchain::kernels
