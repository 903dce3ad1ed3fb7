#pragma once

#include <cstdint>

#include "engine/kernels/element_type.h"

// The launcher of kernels/decode_attention.cu, which nvcc compiles without libtorch's headers:
// raw pointers, element strides and the stream. decode_attention.h is the tensor interface.

namespace kvchain::kernels {

struct DecodeAttentionArgs {
  ElementType type;
  const void* q;     // [batch, heads, dim], contiguous
  const void* k;     // [batch, kv_heads, columns, dim] with the strides below; rows contiguous
  const void* v;     // as k
  const void* mask;  // additive, [batch|1, heads|1, columns] with the strides below, or null
  void* out;         // [batch, heads, dim], contiguous
  float* workspace;  // decode_attention_workspace() floats
  int batch, heads, kv_heads, dim, columns;
  int64_t kv_batch_stride, kv_head_stride;
  int64_t mask_batch_stride, mask_head_stride;
  float scale;
  void* stream;  // cudaStream_t
};

// Floats of workspace a call with these sizes needs.
int64_t decode_attention_workspace(int batch, int heads, int columns, int dim);
// Returns "" on success, else the CUDA error's text.
const char* launch_decode_attention(const DecodeAttentionArgs& args);

}  // namespace kvchain::kernels
