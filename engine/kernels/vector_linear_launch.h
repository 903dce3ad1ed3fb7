#pragma once

#include <cstdint>

#include "engine/kernels/element_type.h"

// The launcher of kernels/vector_linear.cu, which nvcc compiles without libtorch's headers.
// vector_linear.h is the tensor interface.

namespace kvchain::kernels {

// What the kernel makes of its input vector before the product.
enum class VectorPrologue {
  kAsIs,     // x [k]
  kRmsNorm,  // x [k] normalised by its root mean square, scaled by norm_weight [k]
  kSiluMul,  // silu(x[:k]) * x[k:] for x [2k]
};

struct VectorLinearArgs {
  ElementType type;
  VectorPrologue prologue;
  const void* x;            // contiguous, 16-byte aligned
  const void* norm_weight;  // [k] for kRmsNorm, contiguous, 16-byte aligned
  float eps;
  const void* weight;    // [n, k], contiguous, 16-byte aligned rows
  const void* residual;  // [n] added to the product, or null; may be `out` itself
  void* out;             // [n]
  int64_t n, k;
  void* stream;  // cudaStream_t
};

// Returns "" on success, else the CUDA error's text.
const char* launch_vector_linear(const VectorLinearArgs& args);

}  // namespace kvchain::kernels
