#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "engine/kernels/element_type.h"

// What the tensor interfaces of kvchain's kernels check before handing raw pointers to a launch.

namespace kvchain::kernels {

// The kernels' element type for `type`; false when no kernel takes it.
inline bool element_type(torch::ScalarType type, ElementType* out) {
  switch (type) {
    case torch::kFloat32:
      *out = ElementType::kFloat32;
      return true;
    case torch::kBFloat16:
      *out = ElementType::kBFloat16;
      return true;
    case torch::kHalf:
      *out = ElementType::kFloat16;
      return true;
    default:
      return false;
  }
}

// A 4-d tensor whose last dimension is contiguous and whose rows follow each other.
inline bool rows_contiguous(const torch::Tensor& t) {
  return t.dim() == 4 && t.stride(3) == 1 && t.stride(2) == t.size(3);
}

// A tensor whose start and every stride but the last are multiples of 16 bytes: each row can be
// read in 16-byte loads.
inline bool aligned_16(const torch::Tensor& t) {
  if (reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 != 0) return false;
  for (int64_t d = 0; d + 1 < t.dim(); ++d) {
    if ((t.stride(d) * t.element_size()) % 16 != 0) return false;
  }
  return true;
}

}  // namespace kvchain::kernels
