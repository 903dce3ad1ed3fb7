#include "engine/kernels/fused_ops.h"

#include "engine/io/error.h"

#ifdef KVCHAIN_CUDA_KERNELS
#include "engine/kernels/cuda_stream.h"
#include "engine/kernels/fused_ops_launch.h"
#include "engine/kernels/tensor_checks.h"
#endif

namespace kvchain::kernels {

#ifdef KVCHAIN_CUDA_KERNELS

namespace {

bool same_kind(const torch::Tensor& a, const torch::Tensor& b) {
  return a.device() == b.device() && a.scalar_type() == b.scalar_type() && !b.requires_grad();
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
  return dim % 2 == 0 && dim <= 2048 && heads > 0 && same_kind(qkv, cos) && same_kind(qkv, sin) &&
         same_kind(qkv, keys) && same_kind(qkv, values) && cos.sizes() == table &&
         sin.sizes() == table && cos.is_contiguous() && sin.is_contiguous() && keys.dim() == 4 &&
         keys.size(0) == b && keys.size(3) == dim && values.sizes() == keys.sizes() &&
         keys.strides() == values.strides() && rows_contiguous(keys) && slots.is_cuda() &&
         slots.device() == qkv.device() && slots.scalar_type() == torch::kInt64 &&
         slots.numel() == t && slots.is_contiguous();
}

torch::Tensor rotary_write(const torch::Tensor& qkv, const torch::Tensor& cos,
                           const torch::Tensor& sin, const torch::Tensor& keys,
                           const torch::Tensor& values, const torch::Tensor& slots) {
  if (!rotary_write_supports(qkv, cos, sin, keys, values, slots)) {
    throw Error("rotary_write: these tensors need the composed RoPE and cache write");
  }
  const auto b = qkv.size(0), t = qkv.size(1), dim = qkv.size(3), kv_heads = keys.size(1);
  const auto heads = qkv.size(2) - 2 * kv_heads;
  auto q = torch::empty({b, heads, t, dim}, qkv.options());
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
  args.stream = stream_of(qkv);
  const std::string error = launch_rotary_write(args);
  if (!error.empty()) throw Error("rotary_write: " + error);
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
  args.stream = stream_of(gate_up);
  const std::string error = launch_silu_mul(args);
  if (!error.empty()) throw Error("silu_mul: " + error);
  return out;
}

#else

bool rotary_write_supports(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                           const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) {
  return false;
}

torch::Tensor rotary_write(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                           const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) {
  throw Error("rotary_write: kvchain was built without its CUDA kernels");
}

bool silu_mul_supports(const torch::Tensor&) {
  return false;
}

torch::Tensor silu_mul(const torch::Tensor&) {
  throw Error("silu_mul: kvchain was built without its CUDA kernels");
}

#endif

}  // namespace kvchain::kernels
