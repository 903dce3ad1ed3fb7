#include "engine/kernels/fused_ops.h"

#include "engine/io/error.h"

#ifdef KVCHAIN_CUDA_KERNELS
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "engine/kernels/fused_ops_launch.h"
#include "engine/kernels/tensor_checks.h"
#include "engine/torch_compat.h"
#endif

namespace kvchain::kernels {

#ifdef KVCHAIN_CUDA_KERNELS

namespace {

bool same_kind(const torch::Tensor& a, const torch::Tensor& b) {
  return a.device() == b.device() && a.scalar_type() == b.scalar_type() && !b.requires_grad();
}

// Runs `launch` on t's device, on the stream libtorch's own kernels there run on now (a graph
// capture's stream while one records); a CUDA error becomes an Error naming `what`. Without the
// device guard a tensor on a GPU other than the current one would get its kernel launched on the
// wrong device.
template <typename Args>
void launch_on(const torch::Tensor& t, Args& args, const char* (*launch)(const Args&),
               const char* what) {
  const c10::cuda::CUDAGuard device(t.device());
  args.stream = c10::cuda::getCurrentCUDAStream().stream();
  const std::string error = launch(args);
  if (!error.empty()) throw Error(std::string(what) + ": " + error);
}

}  // namespace

bool rotary_write_supports(const torch::Tensor& qkv, const torch::Tensor& cos,
                           const torch::Tensor& sin, const torch::Tensor& keys,
                           const torch::Tensor& values, const torch::Tensor& slots) {
  ElementType type;
  if (!qkv.is_cuda() || qkv.requires_grad() || !element_type(qkv.scalar_type(), &type) ||
      qkv.dim() != 4 || !qkv.is_contiguous() || !keys.defined() || keys.dim() != 4) {
    return false;
  }
  const auto b = qkv.size(0), t = qkv.size(1), dim = qkv.size(3);
  const auto kv_heads = keys.size(1), heads = qkv.size(2) - 2 * kv_heads;
  const auto table = std::vector<int64_t>{b, t, 1, dim};
  return dim % 2 == 0 && heads > 0 && same_kind(qkv, cos) && same_kind(qkv, sin) &&
         same_kind(qkv, keys) && same_kind(qkv, values) && cos.sizes() == table &&
         sin.sizes() == table && cos.is_contiguous() && sin.is_contiguous() && keys.dim() == 4 &&
         keys.size(0) == b && keys.size(3) == dim && values.sizes() == keys.sizes() &&
         keys.strides() == values.strides() && rows_contiguous(keys) && slots.is_cuda() &&
         slots.device() == qkv.device() && slots.scalar_type() == torch::kInt64 &&
         slots.numel() == t && slots.is_contiguous();
}

torch::Tensor rotary_write(const torch::Tensor& qkv, const torch::Tensor& cos,
                           const torch::Tensor& sin, const torch::Tensor& keys,
                           const torch::Tensor& values, const torch::Tensor& slots,
                           const torch::Tensor& q_out) {
  if (!rotary_write_supports(qkv, cos, sin, keys, values, slots)) {
    throw Error("rotary_write: these tensors need the composed RoPE and cache write");
  }
  const auto b = qkv.size(0), t = qkv.size(1), dim = qkv.size(3), kv_heads = keys.size(1);
  const auto heads = qkv.size(2) - 2 * kv_heads;
  const auto q_shape = std::vector<int64_t>{b, heads, t, dim};
  if (q_out.defined() &&
      (!same_kind(qkv, q_out) || q_out.sizes() != q_shape || q_out.stride(3) != 1)) {
    throw Error("rotary_write: q_out has shape " + c10::str(q_out.sizes()) + ", expected " +
                c10::str(q_shape) + " on qkv's device, in its type, with contiguous rows");
  }
  auto q = q_out.defined() ? q_out : torch::empty(q_shape, qkv.options());
  RotaryWriteArgs args{};
  element_type(qkv.scalar_type(), &args.type);
  args.qkv = qkv.data_ptr();
  args.cos = cos.data_ptr();
  args.sin = sin.data_ptr();
  args.q_out = q.data_ptr();
  args.keys = keys.data_ptr();
  args.values = values.data_ptr();
  args.slots = slots.data_ptr<int64_t>();
  args.batch = static_cast<int>(b);
  args.tokens = static_cast<int>(t);
  args.heads = static_cast<int>(heads);
  args.kv_heads = static_cast<int>(kv_heads);
  args.dim = static_cast<int>(dim);
  args.capacity = keys.size(2);
  args.cache_batch_stride = keys.stride(0);
  args.cache_head_stride = keys.stride(1);
  args.q_batch_stride = q.stride(0);
  args.q_head_stride = q.stride(1);
  args.q_token_stride = q.stride(2);
  launch_on(qkv, args, launch_rotary_write, "rotary_write");
  return q;
}

bool silu_mul_supports(const torch::Tensor& gate_up) {
  ElementType type;
  return gate_up.is_cuda() && !gate_up.requires_grad() &&
         element_type(gate_up.scalar_type(), &type) && gate_up.dim() >= 1 && gate_up.size(-1) > 0 &&
         gate_up.size(-1) % 2 == 0 && gate_up.is_contiguous();
}

torch::Tensor silu_mul(const torch::Tensor& gate_up) {
  if (!silu_mul_supports(gate_up)) throw Error("silu_mul: these tensors need silu() * up");
  auto sizes = gate_up.sizes().vec();
  const auto width = sizes.back() / 2;
  sizes.back() = width;
  auto out = torch::empty(sizes, gate_up.options());
  SiluMulArgs args{};
  element_type(gate_up.scalar_type(), &args.type);
  args.gate_up = gate_up.data_ptr();
  args.out = out.data_ptr();
  args.rows = gate_up.numel() / (2 * width);
  args.width = width;
  launch_on(gate_up, args, launch_silu_mul, "silu_mul");
  return out;
}

bool rms_norm_supports(const torch::Tensor& x, const torch::Tensor& weight) {
  ElementType type;
  const bool grad = torch::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad());
  // One block a row: a grid holds fewer than 2^31 of them.
  return x.is_cuda() && !grad && element_type(x.scalar_type(), &type) && x.dim() >= 1 &&
         x.numel() > 0 && x.numel() / x.size(-1) < (int64_t{1} << 31) && x.is_contiguous() &&
         weight.dim() == 1 && weight.size(0) == x.size(-1) && weight.is_contiguous() &&
         weight.device() == x.device() && weight.scalar_type() == x.scalar_type();
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  if (!rms_norm_supports(x, weight)) throw Error("rms_norm: these tensors need libtorch's RMSNorm");
  auto out = torch::empty(x.sizes(), x.options());
  RmsNormArgs args{};
  element_type(x.scalar_type(), &args.type);
  args.x = x.data_ptr();
  args.weight = weight.data_ptr();
  args.out = out.data_ptr();
  args.width = x.size(-1);
  args.rows = x.numel() / args.width;
  args.eps = static_cast<float>(eps);
  launch_on(x, args, launch_rms_norm, "rms_norm");
  return out;
}

bool add_linear_rms_norm_supports(const torch::Tensor& x, const torch::Tensor& weight,
                                  const torch::Tensor& residual, const torch::Tensor& norm_weight) {
  ElementType type;
  const bool grad =
      torch::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad() ||
                                        residual.requires_grad() || norm_weight.requires_grad());
  if (!x.is_cuda() || grad || !element_type(x.scalar_type(), &type) || x.dim() < 1 ||
      x.numel() == 0 || weight.dim() != 2 || residual.dim() < 1) {
    return false;
  }
  // Parameters may want gradients, which no-grad mode turns off: device and type only.
  auto alike = [&](const torch::Tensor& t) {
    return t.device() == x.device() && t.scalar_type() == x.scalar_type() && t.is_contiguous();
  };
  const auto k = x.size(-1), n = weight.size(0), rows = x.numel() / k;
  const bool halves = x.scalar_type() != torch::kFloat32;
  return (!halves || compat::kFloatProductOfHalves) && rows <= kMaxSplitRows && k % kSplits == 0 &&
         weight.size(1) == k && residual.size(-1) == n && residual.numel() == rows * n &&
         x.is_contiguous() && alike(weight) && alike(residual) && alike(norm_weight) &&
         norm_weight.dim() == 1 && norm_weight.size(0) == n;
}

torch::Tensor add_linear_rms_norm(const torch::Tensor& x, const torch::Tensor& weight,
                                  const torch::Tensor& residual, const torch::Tensor& norm_weight,
                                  double eps) {
  if (!add_linear_rms_norm_supports(x, weight, residual, norm_weight)) {
    throw Error("add_linear_rms_norm: these tensors need addmm and RMSNorm");
  }
  const auto k = x.size(-1), n = weight.size(0), rows = x.numel() / k, part = k / kSplits;
  // Split j of the product is x[:, jP:(j+1)P] times weight[:, jP:(j+1)P]^T: strided views, no
  // copies.
  const auto parts = compat::bmm_float32(x.view({rows, kSplits, part}).transpose(0, 1),
                                         weight.view({n, kSplits, part}).permute({1, 2, 0}));
  auto out = torch::empty(residual.sizes(), residual.options());
  AddRmsNormArgs args{};
  element_type(x.scalar_type(), &args.type);
  args.partials = parts.data_ptr<float>();
  args.residual = residual.data_ptr();
  args.weight = norm_weight.data_ptr();
  args.out = out.data_ptr();
  args.rows = rows;
  args.width = n;
  args.splits = static_cast<int>(kSplits);
  args.eps = static_cast<float>(eps);
  launch_on(x, args, launch_add_rms_norm, "add_linear_rms_norm");
  // Written through a raw pointer: counted as addmm_'s in-place write would be.
  residual.unsafeGetTensorImpl()->bump_version();
  return out;
}

bool argmax_supports(const torch::Tensor& x) {
  ElementType type;
  return x.is_cuda() && element_type(x.scalar_type(), &type) && x.numel() > 0 &&
         x.numel() < (int64_t{1} << 32) && x.is_contiguous();
}

torch::Tensor argmax(const torch::Tensor& x) {
  if (!argmax_supports(x)) throw Error("argmax: these tensors need libtorch's argmax");
  ArgmaxArgs args{};
  element_type(x.scalar_type(), &args.type);
  args.n = x.numel();
  args.blocks = argmax_blocks(args.n);
  const auto options = x.options().dtype(torch::kInt64);
  auto partial = torch::empty({args.blocks}, options);
  auto out = torch::empty({1}, options);
  args.x = x.data_ptr();
  args.partial = reinterpret_cast<unsigned long long*>(partial.data_ptr<int64_t>());
  args.out = out.data_ptr<int64_t>();
  launch_on(x, args, launch_argmax, "argmax");
  return out;
}

#else

bool rotary_write_supports(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                           const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) {
  return false;
}

torch::Tensor rotary_write(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                           const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                           const torch::Tensor&) {
  throw Error("rotary_write: kvchain was built without its CUDA kernels");
}

bool silu_mul_supports(const torch::Tensor&) {
  return false;
}

torch::Tensor silu_mul(const torch::Tensor&) {
  throw Error("silu_mul: kvchain was built without its CUDA kernels");
}

bool rms_norm_supports(const torch::Tensor&, const torch::Tensor&) {
  return false;
}

torch::Tensor rms_norm(const torch::Tensor&, const torch::Tensor&, double) {
  throw Error("rms_norm: kvchain was built without its CUDA kernels");
}

bool add_linear_rms_norm_supports(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                                  const torch::Tensor&) {
  return false;
}

torch::Tensor add_linear_rms_norm(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                                  const torch::Tensor&, double) {
  throw Error("add_linear_rms_norm: kvchain was built without its CUDA kernels");
}

bool argmax_supports(const torch::Tensor&) {
  return false;
}

torch::Tensor argmax(const torch::Tensor&) {
  throw Error("argmax: kvchain was built without its CUDA kernels");
}

#endif

}  // namespace kvchain::kernels
