#include "engine/model/rms_norm.h"

#include "engine/kernels/fused_ops.h"
#include "engine/model/stacked_linear.h"
#include "engine/torch_compat.h"

namespace kvchain {

RMSNorm::RMSNorm(int64_t dim, double eps) : eps_(eps) {
  weight_ = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RMSNorm::forward(const torch::Tensor& x) {
  if (kernels::rms_norm_supports(x, weight_)) return kernels::rms_norm(x, weight_, eps_);
  return compat::rms_norm(x, weight_, eps_);
}

NormedSum add_linear_norm(const torch::Tensor& residual, torch::nn::Linear& linear,
                          const torch::Tensor& x, RMSNorm& norm) {
  if (!linear->bias.defined() &&
      kernels::add_linear_rms_norm_supports(x, linear->weight, residual, norm.weight())) {
    auto normed =
        kernels::add_linear_rms_norm(x, linear->weight, residual, norm.weight(), norm.eps());
    return {residual, normed};
  }
  auto sum = add_linear(residual, linear, x);
  return {sum, norm.forward(sum)};
}

}  // namespace kvchain
