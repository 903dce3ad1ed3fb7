#include "engine/kernels/decode_attention.h"

#include <cmath>

#include "engine/io/error.h"

#ifdef KVCHAIN_CUDA_KERNELS
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include "engine/kernels/cuda_stream.h"
#include "engine/kernels/decode_attention_launch.h"
#include "engine/kernels/tensor_checks.h"
#endif

namespace kvchain::kernels {

#ifdef KVCHAIN_CUDA_KERNELS

bool decode_attention_supports(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& mask) {
  ElementType type;
  // No autograd: a gradient wanted through any input needs the composed path.
  const bool grad = q.requires_grad() || k.requires_grad() || v.requires_grad() ||
                    (mask.defined() && mask.requires_grad());
  if (grad || !q.is_cuda() || q.dim() != 4 || !element_type(q.scalar_type(), &type) ||
      k.dim() != 4 || k.size(1) == 0 || q.size(1) % k.size(1) != 0) {
    return false;
  }
  const auto b = q.size(0), heads = q.size(1), tokens = q.size(2), dim = q.size(3);
  const auto columns = k.size(2);
  const bool shapes = (dim == 64 || dim == 128) && tokens >= 1 &&
                      heads / k.size(1) * tokens <= kDecodeAttentionMaxRows && columns >= 1 &&
                      k.size(0) == b && k.size(3) == dim && v.sizes() == k.sizes() &&
                      rows_contiguous(k) && rows_contiguous(v) && k.strides() == v.strides() &&
                      aligned_16(k) && aligned_16(v) && k.scalar_type() == q.scalar_type() &&
                      v.scalar_type() == q.scalar_type();
  if (!shapes || !mask.defined()) return shapes;
  return mask.scalar_type() == q.scalar_type() && mask.device() == q.device() && mask.dim() == 4 &&
         (mask.size(0) == 1 || mask.size(0) == b) && (mask.size(1) == 1 || mask.size(1) == heads) &&
         mask.size(2) == tokens && mask.size(3) == columns && mask.stride(3) == 1;
}

torch::Tensor decode_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& mask) {
  if (!decode_attention_supports(q, k, v, mask)) {
    throw Error("decode_attention: these tensors need the general attention path");
  }
  const auto b = q.size(0), heads = q.size(1), tokens = q.size(2), dim = q.size(3);
  const auto columns = k.size(2);
  const c10::cuda::CUDAGuard guard(q.device());
  auto query = q.contiguous();
  auto out = torch::empty({b, heads, tokens, dim}, q.options());
  DecodeAttentionArgs args{};
  element_type(q.scalar_type(), &args.type);
  args.q = query.data_ptr();
  args.k = k.data_ptr();
  args.v = v.data_ptr();
  args.mask = mask.defined() ? mask.data_ptr() : nullptr;
  args.out = out.data_ptr();
  args.batch = static_cast<int>(b);
  args.heads = static_cast<int>(heads);
  args.kv_heads = static_cast<int>(k.size(1));
  args.tokens = static_cast<int>(tokens);
  args.dim = static_cast<int>(dim);
  args.columns = static_cast<int>(columns);
  args.kv_batch_stride = k.stride(0);
  args.kv_head_stride = k.stride(1);
  args.mask_batch_stride = mask.defined() && mask.size(0) > 1 ? mask.stride(0) : 0;
  args.mask_head_stride = mask.defined() && mask.size(1) > 1 ? mask.stride(1) : 0;
  args.mask_row_stride = mask.defined() ? mask.stride(2) : 0;
  args.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dim)));
  args.multiprocessors = at::cuda::getDeviceProperties(q.device().index())->multiProcessorCount;
  args.stream = stream_of(q);
  int64_t floats = 0;
  const std::string planned = plan_decode_attention(&args, &floats);
  if (!planned.empty()) throw Error("decode_attention: " + planned);
  auto workspace = torch::empty({floats}, q.options().dtype(torch::kFloat32));
  args.workspace = workspace.data_ptr<float>();
  const std::string error = launch_decode_attention(args);
  if (!error.empty()) throw Error("decode_attention: " + error);
  return out;
}

#else

bool decode_attention_supports(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                               const torch::Tensor&) {
  return false;
}

torch::Tensor decode_attention(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                               const torch::Tensor&) {
  throw Error("decode_attention: kvchain was built without its CUDA kernels");
}

#endif

}  // namespace kvchain::kernels
