#pragma once

#include <torch/torch.h>

#include "engine/model/rms_norm.h"
#include "engine/model/stacked_linear.h"

namespace kvchain {

// A layer's linear projections with the operation before or after them. Without autograd, one
// row (a decode step's token) goes through kernels::vector_linear, one kernel each, where the
// composed form is two or three; anything else takes the composed form.

// linear(norm(x)).
torch::Tensor norm_linear(const torch::Tensor& x, RMSNorm& norm, StackedLinear& linear);

// residual + linear(x). Without autograd (and with no bias) the sum happens inside the matmul,
// in place on `residual` (a contiguous tensor the caller owns): one kernel instead of two.
torch::Tensor add_linear(const torch::Tensor& residual, torch::nn::Linear& linear,
                         const torch::Tensor& x);

// residual + linear(silu(gate) * up) for gate_up [..., 2F] (gate first), in place as add_linear.
torch::Tensor add_silu_linear(const torch::Tensor& residual, torch::nn::Linear& linear,
                              const torch::Tensor& gate_up);

}  // namespace kvchain
