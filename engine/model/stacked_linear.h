#pragma once

#include <torch/torch.h>

#include <vector>

namespace kvchain {

// Linear layers that read the same input (attention's q, k and v; the MLP's gate and up). Their
// parameters keep the checkpoint's names and shapes, but while no gradient is wanted for them
// they are views into one stacked matrix, which is multiplied once: a decode step then runs
// one matrix-vector product instead of two or three small ones.
class StackedLinear {
 public:
  explicit StackedLinear(std::vector<torch::nn::Linear> parts);

  // The parts' outputs side by side: [..., sum of their out_features].
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool weights_need_grad() const;
  // Whether every part's parameters still live in the stacked storage (a move to another
  // device or dtype gives each parameter storage of its own again).
  bool stacked() const;
  void stack();

  std::vector<torch::nn::Linear> parts_;
  torch::Tensor weight_, bias_;
};

// residual + linear(x). Without autograd (and with no bias) the sum happens inside the matmul,
// in place on `residual` (a contiguous tensor the caller owns): one kernel instead of two.
torch::Tensor add_linear(const torch::Tensor& residual, torch::nn::Linear& linear,
                         const torch::Tensor& x);

}  // namespace kvchain
