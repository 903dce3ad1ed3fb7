#pragma once

#include <torch/torch.h>

#include <utility>

#include "engine/kernels/vector_linear_launch.h"

namespace kvchain::kernels {

// One row through a linear layer without bias (kernels/vector_linear.cu): weight [N, K] times
// the input vector, with what precedes and follows the product in a decode step done in the
// same kernel. Built when a CUDA toolkit sits next to a CUDA libtorch; without autograd only.
struct VectorInput {
  VectorInput(torch::Tensor x, VectorPrologue prologue = VectorPrologue::kAsIs,
              torch::Tensor norm_weight = {}, double eps = 0)
      : x(std::move(x)), prologue(prologue), norm_weight(std::move(norm_weight)), eps(eps) {}

  torch::Tensor x;  // one row: [..., K], or [..., 2K] for kSiluMul (gate first)
  VectorPrologue prologue;
  torch::Tensor norm_weight;  // kRmsNorm: [K], the norm's gain
  double eps;                 // kRmsNorm
};

// Whether vector_linear takes these tensors: on a CUDA device, float32, bfloat16 or float16
// throughout, contiguous, no gradient wanted, K elements fit in 48 KiB, rows 16-byte aligned.
// `residual` may be undefined.
bool vector_linear_supports(const VectorInput& input, const torch::Tensor& weight,
                            const torch::Tensor& residual);

// weight · prologue(x), [..., N] like x's leading dimensions; with `residual` ([..., N]) given,
// the sum is added to it in place and it is returned.
torch::Tensor vector_linear(const VectorInput& input, const torch::Tensor& weight,
                            const torch::Tensor& residual);

}  // namespace kvchain::kernels
