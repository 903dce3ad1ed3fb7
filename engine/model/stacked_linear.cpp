#include "engine/model/stacked_linear.h"

namespace kvchain {
namespace {

// Whether `part` is the rows of `stacked` starting at row `row`.
bool is_rows_of(const torch::Tensor& part, const torch::Tensor& stacked, int64_t row) {
  if (!stacked.defined() || part.scalar_type() != stacked.scalar_type() ||
      part.device() != stacked.device() || !part.is_contiguous()) {
    return false;
  }
  const auto row_bytes = static_cast<int64_t>(part.numel() / part.size(0) * part.element_size());
  return part.data_ptr() == static_cast<const char*>(stacked.data_ptr()) + row * row_bytes;
}

}  // namespace

StackedLinear::StackedLinear(std::vector<torch::nn::Linear> parts) : parts_(std::move(parts)) {}

bool StackedLinear::weights_need_grad() const {
  return torch::GradMode::is_enabled() && parts_.front()->weight.requires_grad();
}

bool StackedLinear::stacked() const {
  int64_t row = 0;
  for (const auto& part : parts_) {
    if (!is_rows_of(part->weight, weight_, row)) return false;
    if (part->bias.defined() && !is_rows_of(part->bias, bias_, row)) return false;
    row += part->weight.size(0);
  }
  return true;
}

void StackedLinear::stack() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> weights, biases;
  for (const auto& part : parts_) {
    weights.push_back(part->weight);
    if (part->bias.defined()) biases.push_back(part->bias);
  }
  weight_ = torch::cat(weights, 0);
  bias_ = biases.empty() ? torch::Tensor() : torch::cat(biases, 0);
  int64_t row = 0;
  for (auto& part : parts_) {
    const auto rows = part->weight.size(0);
    part->weight.set_data(weight_.narrow(0, row, rows));
    if (part->bias.defined()) part->bias.set_data(bias_.narrow(0, row, rows));
    row += rows;
  }
}

torch::Tensor StackedLinear::forward(const torch::Tensor& x) {
  if (weights_need_grad()) {
    std::vector<torch::Tensor> outputs;
    for (auto& part : parts_) outputs.push_back(part->forward(x));
    return torch::cat(outputs, -1);
  }
  if (!stacked()) stack();
  return torch::linear(x, weight_, bias_);
}

torch::Tensor add_linear(const torch::Tensor& residual, torch::nn::Linear& linear,
                         const torch::Tensor& x) {
  if (torch::GradMode::is_enabled() || linear->bias.defined() || !residual.is_contiguous()) {
    return residual + linear->forward(x);
  }
  residual.view({-1, residual.size(-1)}).addmm_(x.reshape({-1, x.size(-1)}), linear->weight.t());
  return residual;
}

}  // namespace kvchain
