#pragma once

#include <cstdint>

#include "engine/kernels/element_type.h"

// The launchers of kernels/fused_ops.cu, which nvcc compiles without libtorch's headers: raw
// pointers, element strides and the stream. fused_ops.h is the tensor interface.

namespace kvchain::kernels {

struct RotaryWriteArgs {
  ElementType type;
  const void* qkv;       // [batch, tokens, heads + 2 * kv_heads, dim], contiguous
  const void* cos;       // [batch, tokens, dim], contiguous
  const void* sin;       // as cos
  void* q_out;           // [batch, heads, tokens, dim] with the q strides below; rows contiguous
  void* keys;            // [batch, kv_heads, capacity, dim] with the strides below; rows contiguous
  void* values;          // as keys
  const int64_t* slots;  // on the device, [tokens]: the cache slot each token's key and value go to
  int batch, tokens, heads, kv_heads, dim;
  int64_t capacity, cache_batch_stride, cache_head_stride;
  int64_t q_batch_stride, q_head_stride, q_token_stride;
  void* stream;  // cudaStream_t
};

struct SiluMulArgs {
  ElementType type;
  const void* gate_up;  // [rows, 2 * width], contiguous
  void* out;            // [rows, width], contiguous
  int64_t rows, width;
  void* stream;  // cudaStream_t
};

struct RmsNormArgs {
  ElementType type;
  const void* x;       // [rows, width], contiguous
  const void* weight;  // [width]
  void* out;           // [rows, width], contiguous
  int64_t rows, width;
  float eps;
  void* stream;  // cudaStream_t
};

struct AddRmsNormArgs {
  ElementType type;
  const float* partials;  // [splits, rows, width], contiguous: partial sums of the product
  void* residual;         // [rows, width], contiguous; the product is added to it in place
  const void* weight;     // [width]
  void* out;              // [rows, width], contiguous: the RMSNorm of the sum
  int64_t rows, width;
  int splits;
  float eps;
  void* stream;  // cudaStream_t
};

struct ArgmaxArgs {
  ElementType type;
  const void* x;                // [n], contiguous
  unsigned long long* partial;  // [blocks]: each block's best (value, index) key
  int64_t* out;                 // [1]
  int64_t n;
  int blocks;
  void* stream;  // cudaStream_t
};

// Each returns "" on success, else the CUDA error's text.
const char* launch_rotary_write(const RotaryWriteArgs& args);
const char* launch_silu_mul(const SiluMulArgs& args);
const char* launch_rms_norm(const RmsNormArgs& args);
const char* launch_add_rms_norm(const AddRmsNormArgs& args);
const char* launch_argmax(const ArgmaxArgs& args);
// The blocks launch_argmax takes for n elements (the length of its partial array).
int argmax_blocks(int64_t n);

}  // namespace kvchain::kernels
