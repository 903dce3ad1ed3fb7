#include "engine/kernels/decode_attention.h"

#include <cmath>

#include "engine/io/error.h"

#ifdef KVCHAIN_CUDA_KERNELS
#include <c10/cuda/CUDAStream.h>

#include "engine/kernels/decode_attention_launch.h"
#include "engine/kernels/tensor_checks.h"
#endif

namespace kvchain::kernels {

#ifdef KVCHAIN_CUDA_KERNELS

bool decode_attention_supports(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& mask) {
  ElementType type;
  if (!q.is_cuda() || q.dim() != 4 || q.size(2) != 1 || !element_type(q.scalar_type(), &type)) {
    return false;
  }
  const auto b = q.size(0), heads = q.size(1), dim = q.size(3), columns = k.size(2);
  const auto groups = heads / k.size(1);
  const bool shapes = (dim == 64 || dim == 128) && heads % k.size(1) == 0 &&
                      (groups == 1 || groups == 2 || groups == 4 || groups == 8) &&
                      k.size(0) == b && k.size(3) == dim && v.sizes() == k.sizes() &&
                      rows_contiguous(k) && rows_contiguous(v) && k.strides() == v.strides() &&
                      aligned_16(k) && aligned_16(v) && k.scalar_type() == q.scalar_type() &&
                      v.scalar_type() == q.scalar_type();
  if (!shapes || !mask.defined()) return shapes;
  return mask.scalar_type() == q.scalar_type() && mask.dim() == 4 &&
         (mask.size(0) == 1 || mask.size(0) == b) && (mask.size(1) == 1 || mask.size(1) == heads) &&
         mask.size(2) == 1 && mask.size(3) == columns && mask.stride(3) == 1;
}

torch::Tensor decode_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& mask) {
  if (!decode_attention_supports(q, k, v, mask)) {
    throw Error("decode_attention: these tensors need the general attention path");
  }
  const auto b = q.size(0), heads = q.size(1), dim = q.size(3), columns = k.size(2);
  auto query = q.reshape({b, heads, dim}).contiguous();
  auto out = torch::empty({b, heads, 1, dim}, q.options());
  auto workspace = torch::empty({decode_attention_workspace(b, heads, columns, dim)},
                                q.options().dtype(torch::kFloat32));
  DecodeAttentionArgs args{};
  element_type(q.scalar_type(), &args.type);
  args.q = query.data_ptr();
  args.k = k.data_ptr();
  args.v = v.data_ptr();
  args.mask = mask.defined() ? mask.data_ptr() : nullptr;
  args.out = out.data_ptr();
  args.workspace = workspace.data_ptr<float>();
  args.batch = static_cast<int>(b);
  args.heads = static_cast<int>(heads);
  args.kv_heads = static_cast<int>(k.size(1));
  args.dim = static_cast<int>(dim);
  args.columns = static_cast<int>(columns);
  args.kv_batch_stride = k.stride(0);
  args.kv_head_stride = k.stride(1);
  args.mask_batch_stride = mask.defined() && mask.size(0) > 1 ? mask.stride(0) : 0;
  args.mask_head_stride = mask.defined() && mask.size(1) > 1 ? mask.stride(1) : 0;
  args.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dim)));
  args.stream = c10::cuda::getCurrentCUDAStream(q.device().index()).stream();
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
