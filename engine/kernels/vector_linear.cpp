#include "engine/kernels/vector_linear.h"

#include "engine/io/error.h"

#ifdef KVCHAIN_CUDA_KERNELS
#include "engine/kernels/cuda_stream.h"
#include "engine/kernels/tensor_checks.h"
#endif

namespace kvchain::kernels {

#ifdef KVCHAIN_CUDA_KERNELS

namespace {

// (Gradients need not be checked per tensor: supports() wants autograd off altogether, under
// which a model's parameters still say requires_grad.)
bool aligned_like(const torch::Tensor& t, const torch::Tensor& like) {
  return t.defined() && t.device() == like.device() && t.scalar_type() == like.scalar_type() &&
         t.is_contiguous() && reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0;
}

}  // namespace

bool vector_linear_supports(const VectorInput& input, const torch::Tensor& weight,
                            const torch::Tensor& residual) {
  ElementType type;
  const auto& x = input.x;
  if (!weight.defined() || !weight.is_cuda() || weight.dim() != 2 ||
      !element_type(weight.scalar_type(), &type) || !aligned_like(weight, weight) ||
      !aligned_like(x, weight) || x.dim() < 1 || torch::GradMode::is_enabled()) {
    return false;
  }
  const int64_t n = weight.size(0), k = weight.size(1);
  const int64_t row_bytes = k * static_cast<int64_t>(weight.element_size());
  const int64_t width = input.prologue == VectorPrologue::kSiluMul ? 2 * k : k;
  if (k == 0 || row_bytes % 16 != 0 || row_bytes > 48 * 1024 || x.numel() != width) return false;
  if (input.prologue == VectorPrologue::kRmsNorm &&
      !(aligned_like(input.norm_weight, weight) && input.norm_weight.numel() == k)) {
    return false;
  }
  // The output is written while blocks still read the input: they must not share memory.
  return !residual.defined() ||
         (aligned_like(residual, weight) && residual.numel() == n && !residual.is_alias_of(x));
}

torch::Tensor vector_linear(const VectorInput& input, const torch::Tensor& weight,
                            const torch::Tensor& residual) {
  if (!vector_linear_supports(input, weight, residual)) {
    throw Error("vector_linear: these tensors need the composed linear layer");
  }
  auto sizes = input.x.sizes().vec();
  sizes.back() = weight.size(0);
  auto out = residual.defined() ? residual : torch::empty(sizes, weight.options());
  VectorLinearArgs args{};
  element_type(weight.scalar_type(), &args.type);
  args.prologue = input.prologue;
  args.x = input.x.data_ptr();
  args.norm_weight =
      input.prologue == VectorPrologue::kRmsNorm ? input.norm_weight.data_ptr() : nullptr;
  args.eps = static_cast<float>(input.eps);
  args.weight = weight.data_ptr();
  args.residual = residual.defined() ? residual.data_ptr() : nullptr;
  args.out = out.data_ptr();
  args.n = weight.size(0);
  args.k = weight.size(1);
  args.stream = stream_of(weight);
  const std::string error = launch_vector_linear(args);
  if (!error.empty()) throw Error("vector_linear: " + error);
  return out;
}

#else

bool vector_linear_supports(const VectorInput&, const torch::Tensor&, const torch::Tensor&) {
  return false;
}

torch::Tensor vector_linear(const VectorInput&, const torch::Tensor&, const torch::Tensor&) {
  throw Error("vector_linear: kvchain was built without its CUDA kernels");
}

#endif

}  // namespace kvchain::kernels
