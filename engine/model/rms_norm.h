#pragma once

#include <torch/torch.h>

namespace kvchain {

class RMSNorm : public torch::nn::Module {
 public:
  RMSNorm(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  const torch::Tensor& weight() const { return weight_; }
  double eps() const { return eps_; }

 private:
  double eps_;
  torch::Tensor weight_;
};

// The residual stream after a sublayer: the sum itself, and its RMSNorm, the next sublayer's
// input.
struct NormedSum {
  torch::Tensor sum;
  torch::Tensor normed;
};

// residual + linear(x) and its RMSNorm by `norm`: a sublayer's return to the residual stream
// and the norm before the next one, for x and residual [B,T,*]. Without autograd the sum may be
// made in place on `residual` (see add_linear); for a few rows on a GPU both happen in a split
// product and one kernel (kernels::add_linear_rms_norm).
NormedSum add_linear_norm(const torch::Tensor& residual, torch::nn::Linear& linear,
                          const torch::Tensor& x, RMSNorm& norm);

}  // namespace kvchain
