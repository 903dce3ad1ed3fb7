// Attention of a few new query rows over a KV cache, split over the keys ("flash decoding"):
// a first kernel runs through one range of the keys for every query row of one KV head (its
// query heads times the new tokens), a tile of keys at a time, and keeps an unnormalised partial
// output with its max and sum; a second combines the ranges. The cache is read once per KV head,
// the ranges fill the GPU even for one sequence, and a mask of any shape (FTHSS hides other
// members' prompts) costs one read per key and row.

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>

#include "engine/kernels/async_copy.cuh"
#include "engine/kernels/decode_attention_launch.h"
#include "engine/kernels/elements.cuh"

namespace kvchain::kernels {
namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
// Query rows a thread scores, and weighs values for, with each key or value it reads from
// shared memory: a decode step of Llama-3's 4 query heads per KV head is one group.
constexpr int kRowGroup = 4;
// Loads a thread issues before it stores any of them to shared memory, where a block reads a
// few values per thread from global memory: one latency for the batch, not one each.
constexpr int kLoadBatch = 4;

__device__ __forceinline__ float warp_max(float x) {
#pragma unroll
  for (int o = 16; o > 0; o /= 2) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}
__device__ __forceinline__ float warp_sum(float x) {
#pragma unroll
  for (int o = 16; o > 0; o /= 2) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}

// A tile: 16 KiB of keys and 16 KiB of values (64 keys of Llama's 128 bf16 dimensions), in
// shared memory with the block's query rows, their running output and the tile's scores.
template <typename T, int D>
struct Tile {
  static constexpr int kKeys = 16384 / (D * static_cast<int>(sizeof(T)));
  static constexpr int kVector = 16 / static_cast<int>(sizeof(T));  // elements per 16 bytes
  // Key rows are 16 bytes longer than a key, so that the threads of a warp, each reading its
  // own key 16 bytes at a time, hit different banks.
  static constexpr int kKeyStride = D + kVector;
  static constexpr int kPieces = D / kVector;

  __host__ __device__ static int padded_rows(int rows) {
    return (rows + kRowGroup - 1) / kRowGroup * kRowGroup;
  }
  static constexpr int kStageElements = kKeys * (kKeyStride + D);  // a tile's keys and values
  // Two stages of keys and values (the next tile arrives while this one is used); queries and
  // outputs [padded][D], scores [kKeys][padded], the rows' max, sum and rescaling, and which
  // keys some row sees.
  __host__ __device__ static size_t shared_bytes(int rows) {
    const int padded = padded_rows(rows);
    return sizeof(T) * 2 * kStageElements + sizeof(float) * (padded * (2 * D + kKeys + 3) + kKeys);
  }
};

// Grid (splits, batch * kv_heads), dynamic shared memory Tile::shared_bytes(rows). Row
// r = g * tokens + t of a KV head is query head kv_head * groups + g at new token t. Writes, per
// row, its range's sum_j exp(s_j - max) v_j, max and sum_j exp(s_j - max) to the workspace.
// Keys no row of the block sees are never scored and their values never weighed: whatever an
// unused slot holds (even NaN) cannot reach the output.
template <typename T, int D>
__global__ void __launch_bounds__(kThreads) split_kernel(DecodeAttentionArgs a) {
  using C = Tile<T, D>;
  const int groups = a.heads / a.kv_heads, rows = groups * a.tokens;
  const int padded = C::padded_rows(rows);
  extern __shared__ __align__(16) unsigned char shared[];
  T* stages = reinterpret_cast<T*>(shared);  // per stage: keys [kKeys][kKeyStride], values
  float* q_s = reinterpret_cast<float*>(stages + 2 * C::kStageElements);
  float* acc_s = q_s + padded * D;
  float* p_s = acc_s + padded * D;
  float* max_s = p_s + C::kKeys * padded;
  float* sum_s = max_s + padded;
  float* scale_s = sum_s + padded;
  int* seen_s = reinterpret_cast<int*>(scale_s + padded);

  const int split = blockIdx.x, bkv = blockIdx.y;
  const int b = bkv / a.kv_heads, kv_head = bkv % a.kv_heads;
  const int64_t kv_offset = b * a.kv_batch_stride + kv_head * a.kv_head_stride;
  const T* mask = static_cast<const T*>(a.mask);
  const int64_t mask_offset = b * a.mask_batch_stride + kv_head * groups * a.mask_head_stride;

  // q is [batch, heads, tokens, D]: a KV head's rows are consecutive. Padding rows are zero.
  const T* q = static_cast<const T*>(a.q) +
               (static_cast<int64_t>(b) * a.heads + kv_head * groups) * a.tokens * D;
  for (int first = threadIdx.x; first < padded * D / 8; first += kLoadBatch * kThreads) {
    Packed<8, T> loaded[kLoadBatch];
#pragma unroll
    for (int u = 0; u < kLoadBatch; ++u) {
      const int v = first + u * kThreads;
      if (v < rows * D / 8) loaded[u].load(q + v * 8);
    }
#pragma unroll
    for (int u = 0; u < kLoadBatch; ++u) {
      const int v = first + u * kThreads;
      if (v >= padded * D / 8) break;
      float x[8] = {};
      if (v < rows * D / 8) loaded[u].to_floats(x);
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        q_s[v * 8 + e] = x[e] * a.scale;
        acc_s[v * 8 + e] = 0.f;
      }
    }
  }
  for (int row = threadIdx.x; row < padded; row += kThreads) {
    max_s[row] = -INFINITY;
    sum_s[row] = 0.f;
  }

  const int first_tile = split * a.tiles_per_split;
  const int end_tile = min(first_tile + a.tiles_per_split, (a.columns + C::kKeys - 1) / C::kKeys);
  // A tile is requested whole, keys and values, straight into shared memory, and the next one
  // while this one is used: a long cache's decode waits on how many bytes are in flight, and
  // these hold no registers. Rows past the columns are zero-filled.
  const auto request = [&](int tile) {
    const int begin = tile * C::kKeys, count = min(C::kKeys, a.columns - begin);
    const T* keys = static_cast<const T*>(a.k) + kv_offset + static_cast<int64_t>(begin) * D;
    const T* values = static_cast<const T*>(a.v) + kv_offset + static_cast<int64_t>(begin) * D;
    T* k_to = stages + (tile - first_tile) % 2 * C::kStageElements;
    T* v_to = k_to + C::kKeys * C::kKeyStride;
    for (int i = threadIdx.x; i < C::kKeys * C::kPieces; i += kThreads) {
      const int row = i / C::kPieces, at = (i % C::kPieces) * C::kVector;
      const bool inside = row < count;
      const int64_t from = inside ? static_cast<int64_t>(row) * D + at : 0;
      copy_async_16(k_to + row * C::kKeyStride + at, keys + from, inside);
      copy_async_16(v_to + row * D + at, values + from, inside);
    }
  };
  if (first_tile < end_tile) request(first_tile);
  commit_copies();
  for (int tile = first_tile; tile < end_tile; ++tile) {
    const int begin = tile * C::kKeys, count = min(C::kKeys, a.columns - begin);
    const T* k_s = stages + (tile - first_tile) % 2 * C::kStageElements;
    const T* v_s = k_s + C::kKeys * C::kKeyStride;
    if (tile + 1 < end_tile) request(tile + 1);
    commit_copies();  // empty after the last tile: "all but the newest group" stays this tile

    // The mask, while the copies are in flight: the scores start from it.
    for (int first = threadIdx.x; first < C::kKeys * padded; first += kLoadBatch * kThreads) {
      float m[kLoadBatch];
#pragma unroll
      for (int u = 0; u < kLoadBatch; ++u) {
        const int i = first + u * kThreads, j = i / padded, row = i % padded;
        m[u] = -INFINITY;
        if (j < count && row < rows) {
          m[u] = mask == nullptr ? 0.f
                                 : to_float(mask[mask_offset + row / a.tokens * a.mask_head_stride +
                                                 row % a.tokens * a.mask_row_stride + begin + j]);
        }
      }
#pragma unroll
      for (int u = 0; u < kLoadBatch; ++u) {
        const int i = first + u * kThreads;
        if (i < C::kKeys * padded) p_s[i] = m[u];
      }
    }
    for (int j = threadIdx.x; j < C::kKeys; j += kThreads) seen_s[j] = 0;
    wait_copies<1>();
    __syncthreads();

    // Scores: a thread takes one key for a group of rows.
    for (int item = threadIdx.x; item < padded / kRowGroup * C::kKeys; item += kThreads) {
      const int j = item % C::kKeys, first = item / C::kKeys * kRowGroup;
      float* scores = p_s + j * padded + first;
      float s[kRowGroup];
      bool seen = false;
#pragma unroll
      for (int r = 0; r < kRowGroup; ++r) {
        s[r] = scores[r];
        seen |= s[r] != -INFINITY;
      }
      if (!seen) continue;
      seen_s[j] = 1;
      float dot[kRowGroup] = {};
      const T* key = k_s + j * C::kKeyStride;
#pragma unroll 4
      for (int d = 0; d < D; d += 8) {
        float k8[8];
        load<8>(key + d, k8);
#pragma unroll
        for (int r = 0; r < kRowGroup; ++r) {
          const float* query = q_s + (first + r) * D + d;
#pragma unroll
          for (int e = 0; e < 8; ++e) dot[r] += query[e] * k8[e];
        }
      }
#pragma unroll
      for (int r = 0; r < kRowGroup; ++r) {
        if (s[r] != -INFINITY) scores[r] = s[r] + dot[r];
      }
    }
    __syncthreads();

    // The running softmax: each row's new max, the tile's numerators, how much the output so far
    // shrinks, and the new sum. A warp per row.
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    for (int row = warp; row < padded; row += kWarps) {
      float m = -INFINITY;
      for (int j = lane; j < C::kKeys; j += 32) m = fmaxf(m, p_s[j * padded + row]);
      m = fmaxf(warp_max(m), max_s[row]);
      float sum = 0.f;
      for (int j = lane; j < C::kKeys; j += 32) {
        const float e = m == -INFINITY ? 0.f : __expf(p_s[j * padded + row] - m);
        p_s[j * padded + row] = e;
        sum += e;
      }
      sum = warp_sum(sum);
      if (lane == 0) {
        const float scale = max_s[row] == -INFINITY ? 0.f : __expf(max_s[row] - m);
        scale_s[row] = scale;
        sum_s[row] = sum_s[row] * scale + sum;
        max_s[row] = m;
      }
    }
    __syncthreads();

    // Weighted values: a thread takes one dimension for a group of rows. Every thread skips the
    // same keys, so that does not diverge.
    for (int item = threadIdx.x; item < padded / kRowGroup * D; item += kThreads) {
      const int d = item % D, first = item / D * kRowGroup;
      float acc[kRowGroup];
#pragma unroll
      for (int r = 0; r < kRowGroup; ++r) acc[r] = acc_s[(first + r) * D + d] * scale_s[first + r];
      for (int j = 0; j < count; ++j) {
        if (seen_s[j] == 0) continue;
        const float v = to_float(v_s[j * D + d]);
        const float4 p = *reinterpret_cast<const float4*>(p_s + j * padded + first);
        acc[0] += p.x * v;
        acc[1] += p.y * v;
        acc[2] += p.z * v;
        acc[3] += p.w * v;
      }
#pragma unroll
      for (int r = 0; r < kRowGroup; ++r) acc_s[(first + r) * D + d] = acc[r];
    }
    __syncthreads();
  }

  const int64_t slot = (static_cast<int64_t>(bkv) * a.splits + split) * rows;
  for (int i = threadIdx.x; i < rows * D; i += kThreads) a.workspace[slot * D + i] = acc_s[i];
  const int64_t stats = static_cast<int64_t>(a.batch) * a.kv_heads * a.splits * rows * D;
  for (int row = threadIdx.x; row < rows; row += kThreads) {
    a.workspace[stats + 2 * (slot + row)] = max_s[row];
    a.workspace[stats + 2 * (slot + row) + 1] = sum_s[row];
  }
}

// Grid (batch * heads * tokens), kThreads threads: rescales every split's partial of one row to
// the global max and sums. A thread reads four dimensions of every kSlices-th split; the slices
// are added at the end, so that many splits' loads are in flight at once.
template <typename T, int D>
__global__ void __launch_bounds__(kThreads) combine_kernel(DecodeAttentionArgs a) {
  constexpr int kLanes = D / 4, kSlices = kThreads / kLanes;
  const int index = blockIdx.x;  // [batch, heads, tokens] flattened
  const int t = index % a.tokens, h = index / a.tokens % a.heads, b = index / a.tokens / a.heads;
  const int groups = a.heads / a.kv_heads, rows = groups * a.tokens;
  const int64_t first_slot = static_cast<int64_t>(b * a.kv_heads + h / groups) * a.splits * rows +
                             h % groups * a.tokens + t;
  // Split c's partial at c * rows * D, its max and sum at 2 * c * rows.
  const float* partials = a.workspace + first_slot * D;
  const float* stats = a.workspace +
                       static_cast<int64_t>(a.batch) * a.kv_heads * a.splits * rows * D +
                       2 * first_slot;

  __shared__ float max_s[kWarps];
  __shared__ float4 numerator_s[kSlices][kLanes];
  __shared__ float denominator_s[kSlices];
  float m = -INFINITY;
  for (int c = threadIdx.x; c < a.splits; c += kThreads) m = fmaxf(m, stats[2 * c * rows]);
  m = warp_max(m);
  if (threadIdx.x % 32 == 0) max_s[threadIdx.x / 32] = m;
  __syncthreads();
  m = max_s[0];
#pragma unroll
  for (int w = 1; w < kWarps; ++w) m = fmaxf(m, max_s[w]);

  const int slice = threadIdx.x / kLanes, lane = threadIdx.x % kLanes;
  float4 numerator = {0.f, 0.f, 0.f, 0.f};
  float denominator = 0.f;
  if (m != -INFINITY) {
#pragma unroll 4
    for (int c = slice; c < a.splits; c += kSlices) {
      // A split whose rows saw nothing has a zero partial and sum: its weight needs no branch.
      const float split_max = stats[2 * c * rows];
      const float w = split_max == -INFINITY ? 0.f : __expf(split_max - m);
      const float4 partial = *reinterpret_cast<const float4*>(
          partials + static_cast<int64_t>(c) * rows * D + 4 * lane);
      denominator += w * stats[2 * c * rows + 1];
      numerator.x += w * partial.x;
      numerator.y += w * partial.y;
      numerator.z += w * partial.z;
      numerator.w += w * partial.w;
    }
  }
  numerator_s[slice][lane] = numerator;
  if (lane == 0) denominator_s[slice] = denominator;
  __syncthreads();
  if (threadIdx.x >= D) return;
  const int d = threadIdx.x;
  float total = 0.f, weight = 0.f;
#pragma unroll
  for (int s = 0; s < kSlices; ++s) {
    total += reinterpret_cast<const float*>(&numerator_s[s][0])[d];
    weight += denominator_s[s];
  }
  T* out = static_cast<T*>(a.out) + static_cast<int64_t>(index) * D;
  store(out + d, weight > 0.f ? total / weight : 0.f);
}

template <typename T, int D>
int64_t plan(DecodeAttentionArgs* a) {
  using C = Tile<T, D>;
  const size_t bytes = C::shared_bytes(a->heads / a->kv_heads * a->tokens);
  // Past 48 KiB a kernel must ask for its shared memory; the setting is per device, so it is
  // made at every call (it is not a stream operation, so graph capture allows it).
  if (bytes > 48 * 1024 &&
      cudaFuncSetAttribute(split_kernel<T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           static_cast<int>(bytes)) != cudaSuccess) {
    return -1;
  }
  int resident = 0;
  if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident, split_kernel<T, D>, kThreads,
                                                    bytes) != cudaSuccess) {
    return -1;
  }
  // As many splits as fill the GPU once, each a whole number of tiles: a few tiles per block
  // keep the combine short, and one wave leaves no SM idle at the end.
  const int tiles = (a->columns + C::kKeys - 1) / C::kKeys;
  const int wanted =
      std::max(1, std::max(resident, 1) * a->multiprocessors / std::max(1, a->batch * a->kv_heads));
  a->tiles_per_split = (tiles + wanted - 1) / wanted;
  a->splits = (tiles + a->tiles_per_split - 1) / a->tiles_per_split;
  a->shared_bytes = static_cast<int>(bytes);
  return static_cast<int64_t>(a->batch) * a->heads * a->tokens * a->splits * (D + 2);
}

template <typename T, int D>
void launch(const DecodeAttentionArgs& a) {
  auto stream = static_cast<cudaStream_t>(a.stream);
  split_kernel<T, D><<<dim3(a.splits, a.batch * a.kv_heads), kThreads, a.shared_bytes, stream>>>(a);
  combine_kernel<T, D><<<a.batch * a.heads * a.tokens, kThreads, 0, stream>>>(a);
}

}  // namespace

const char* plan_decode_attention(DecodeAttentionArgs* args, int64_t* workspace_floats) {
  *workspace_floats = -1;
  dispatch(args->type, [&](auto element) {
    using T = typename decltype(element)::type;
    if (args->dim == 64) *workspace_floats = plan<T, 64>(args);
    if (args->dim == 128) *workspace_floats = plan<T, 128>(args);
  });
  return launch_error();
}

const char* launch_decode_attention(const DecodeAttentionArgs& args) {
  dispatch(args.type, [&](auto element) {
    using T = typename decltype(element)::type;
    if (args.dim == 64) launch<T, 64>(args);
    if (args.dim == 128) launch<T, 128>(args);
  });
  return launch_error();
}

}  // namespace kvchain::kernels
