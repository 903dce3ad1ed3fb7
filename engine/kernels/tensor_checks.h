#pragma once

#include <torch/torch.h>

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

}  // namespace kvchain::kernels
