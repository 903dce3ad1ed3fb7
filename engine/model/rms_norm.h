#pragma once

#include <torch/torch.h>

namespace kvchain {

// transformers' LlamaRMSNorm (compat::rms_norm). A decode step folds it into the projection
// after it (norm_linear), which reads the gain and epsilon.
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

}  // namespace kvchain
