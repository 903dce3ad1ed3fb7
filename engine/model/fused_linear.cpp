#include "engine/model/fused_linear.h"

#include "engine/kernels/fused_ops.h"
#include "engine/kernels/vector_linear.h"

namespace kvchain {
namespace {

// The weight a fused kernel may multiply by in place of `linear`: undefined while autograd
// wants the layer or it has a bias.
torch::Tensor plain_weight(const torch::nn::Linear& linear) {
  if (torch::GradMode::is_enabled() || linear->bias.defined()) return {};
  return linear->weight;
}

// The sum can go inside the product, in place on `residual`.
bool in_place(const torch::Tensor& residual, const torch::Tensor& weight) {
  return weight.defined() && residual.is_contiguous();
}

}  // namespace

torch::Tensor norm_linear(const torch::Tensor& x, RMSNorm& norm, StackedLinear& linear) {
  const auto weight = linear.plain_weight();
  kernels::VectorInput input{x, kernels::VectorPrologue::kRmsNorm, norm.weight(), norm.eps()};
  if (kernels::vector_linear_supports(input, weight, {})) {
    return kernels::vector_linear(input, weight, {});
  }
  return linear.forward(norm.forward(x));
}

torch::Tensor add_linear(const torch::Tensor& residual, torch::nn::Linear& linear,
                         const torch::Tensor& x) {
  const auto weight = plain_weight(linear);
  if (!in_place(residual, weight)) return residual + linear->forward(x);
  const kernels::VectorInput input{x};
  if (kernels::vector_linear_supports(input, weight, residual)) {
    return kernels::vector_linear(input, weight, residual);
  }
  residual.view({-1, residual.size(-1)}).addmm_(x.reshape({-1, x.size(-1)}), weight.t());
  return residual;
}

torch::Tensor add_silu_linear(const torch::Tensor& residual, torch::nn::Linear& linear,
                              const torch::Tensor& gate_up) {
  const auto weight = plain_weight(linear);
  const kernels::VectorInput input{gate_up, kernels::VectorPrologue::kSiluMul};
  if (in_place(residual, weight) && kernels::vector_linear_supports(input, weight, residual)) {
    return kernels::vector_linear(input, weight, residual);
  }
  const auto width = gate_up.size(-1) / 2;
  auto hidden = kernels::silu_mul_supports(gate_up)
                    ? kernels::silu_mul(gate_up)
                    : torch::silu(gate_up.narrow(-1, 0, width)) * gate_up.narrow(-1, width, width);
  return add_linear(residual, linear, hidden);
}

}  // namespace kvchain
