#pragma once

// The element types kvchain's CUDA kernels take; the launch headers name them without libtorch.

namespace kvchain::kernels {

enum class ElementType { kFloat32, kBFloat16, kFloat16 };

}  // namespace kvchain::kernels
