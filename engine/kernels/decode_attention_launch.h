#pragma once

#include <cstdint>

#include "engine/kernels/element_type.h"

// The launcher of kernels/decode_attention.cu, which nvcc compiles without libtorch's headers:
// raw pointers, element strides and the stream. decode_attention.h is the tensor interface.

namespace kvchain::kernels {

struct DecodeAttentionArgs {
  ElementType type;
  const void* q;  // [batch, heads, tokens, dim], contiguous
  const void* k;  // [batch, kv_heads, columns, dim] with the strides below; rows contiguous
  const void* v;  // as k
  // Additive, [batch|1, heads|1, tokens, columns] with the strides below, or null.
  const void* mask;
  void* out;         // [batch, heads, tokens, dim], contiguous
  float* workspace;  // plan_decode_attention() floats
  int batch, heads, kv_heads, tokens, dim, columns;
  int64_t kv_batch_stride, kv_head_stride;
  int64_t mask_batch_stride, mask_head_stride, mask_row_stride;
  float scale;
  int multiprocessors;  // of the device
  void* stream;         // cudaStream_t
  // Set by plan_decode_attention: how the keys are split over blocks.
  int splits, tiles_per_split, shared_bytes;
};

// Query rows (query heads per KV head times tokens) one launch takes at most.
constexpr int kDecodeAttentionMaxRows = 64;

// Splits the keys for the current device and sets *workspace_floats to what the launch needs.
// Returns "" on success, else the CUDA error's text.
const char* plan_decode_attention(DecodeAttentionArgs* args, int64_t* workspace_floats);
// Returns "" on success, else the CUDA error's text.
const char* launch_decode_attention(const DecodeAttentionArgs& args);

}  // namespace kvchain::kernels
