#include "engine/alignment/kv_space_adapter.h"

#include <algorithm>
#include <string>
#include <utility>

#include "engine/io/error.h"

namespace kvchain {
namespace {

// [layers, out, in] pairs (encoder, decoder) with decoder[l] @ encoder[l] the identity on the
// model's side where shared >= width, else a projection: orthonormal columns from the QR
// factorisation of a Gaussian matrix, one per layer.
std::pair<torch::Tensor, torch::Tensor> invertible_pair(int64_t layers, int64_t shared,
                                                        int64_t width, uint64_t seed) {
  if (shared == width) {
    auto eye = torch::eye(width).expand({layers, width, width}).contiguous();
    return {eye, eye.clone()};
  }
  auto generator = at::detail::createCPUGenerator(seed);
  const auto tall = std::max(shared, width), narrow = std::min(shared, width);
  auto gaussian = at::normal(0.0, 1.0, {layers, tall, narrow}, generator,
                             torch::TensorOptions().dtype(torch::kFloat32));
  auto q = std::get<0>(torch::linalg_qr(gaussian));  // [layers, tall, narrow], orthonormal columns
  auto qt = q.transpose(1, 2).contiguous();
  // shared > width: encode with q [shared, width], decode with q^T (q^T q = I).
  // shared < width: encode with q^T [shared, width], decode with q.
  return shared > width ? std::make_pair(q.contiguous(), qt) : std::make_pair(qt, q.contiguous());
}

}  // namespace

KVSpaceAdapter::KVSpaceAdapter(const ModelConfig& model, int64_t shared_dim, uint64_t seed)
    : layers_(model.num_hidden_layers),
      kv_heads_(model.num_key_value_heads),
      head_dim_(model.head_dim),
      shared_dim_(shared_dim) {
  if (shared_dim < 1) throw Error("KV space adapter: shared_dim must be positive");
  const auto width = kv_heads_ * head_dim_;
  auto [key_encoder, key_decoder] = invertible_pair(layers_, shared_dim, width, seed);
  auto [value_encoder, value_decoder] = invertible_pair(layers_, shared_dim, width, seed + 1);
  key_encoder_ = register_parameter("key_encoder", key_encoder);
  value_encoder_ = register_parameter("value_encoder", value_encoder);
  key_decoder_ = register_parameter("key_decoder", key_decoder);
  value_decoder_ = register_parameter("value_decoder", value_decoder);
}

torch::Tensor KVSpaceAdapter::encode(const torch::Tensor& weight, int64_t layer,
                                     const torch::Tensor& x) const {
  // [B, kv, n, d] -> [B, n, kv * d] -> [B, n, shared]
  auto tokens = x.transpose(1, 2).reshape({x.size(0), x.size(2), kv_heads_ * head_dim_});
  return torch::matmul(tokens.to(weight.scalar_type()), weight[layer].t());
}

torch::Tensor KVSpaceAdapter::decode(const torch::Tensor& weight, int64_t layer,
                                     const torch::Tensor& z) const {
  auto tokens = torch::matmul(z.to(weight.scalar_type()), weight[layer].t());  // [B, n, kv * d]
  return tokens.reshape({z.size(0), z.size(1), kv_heads_, head_dim_}).transpose(1, 2);
}

torch::Tensor KVSpaceAdapter::encode_keys(int64_t layer, const torch::Tensor& keys) {
  return encode(key_encoder_, layer, keys);
}
torch::Tensor KVSpaceAdapter::encode_values(int64_t layer, const torch::Tensor& values) {
  return encode(value_encoder_, layer, values);
}
torch::Tensor KVSpaceAdapter::decode_keys(int64_t layer, const torch::Tensor& shared) {
  return decode(key_decoder_, layer, shared);
}
torch::Tensor KVSpaceAdapter::decode_values(int64_t layer, const torch::Tensor& shared) {
  return decode(value_decoder_, layer, shared);
}

void KVSpaceAdapter::load(const std::unordered_map<std::string, torch::Tensor>& tensors,
                          const std::string& where) {
  torch::NoGradGuard no_grad;
  for (auto& item : named_parameters()) {
    const auto found = tensors.find(item.key());
    if (found == tensors.end()) throw Error(where + ": tensor " + item.key() + " is missing");
    if (found->second.sizes() != item.value().sizes()) {
      throw Error(where + ": tensor " + item.key() + " has shape " +
                  c10::str(found->second.sizes()) + ", this model's adapter needs " +
                  c10::str(item.value().sizes()));
    }
    item.value().copy_(found->second);
  }
}

}  // namespace kvchain
