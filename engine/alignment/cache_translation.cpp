#include "engine/alignment/cache_translation.h"

#include <string>
#include <vector>

#include "engine/alignment/layer_mapping.h"
#include "engine/io/error.h"
#include "engine/model/rope.h"

namespace kvchain {
namespace {

void check_adapter(const ModelConfig& model, const KVSpaceAdapter& adapter, const char* role) {
  if (adapter.layers() != model.num_hidden_layers ||
      adapter.kv_heads() != model.num_key_value_heads || adapter.head_dim() != model.head_dim) {
    throw Error(std::string("cache translation: the ") + role + "'s adapter has " +
                std::to_string(adapter.layers()) + " layers of " +
                std::to_string(adapter.kv_heads()) + " x " + std::to_string(adapter.head_dim()) +
                ", its model " + std::to_string(model.num_hidden_layers) + " of " +
                std::to_string(model.num_key_value_heads) + " x " + std::to_string(model.head_dim));
  }
}

// x [B, heads, n, D] rotated by `tables` ([1, n, 1, D]), or by their inverse.
torch::Tensor rotate(const torch::Tensor& x, const RotaryTables& tables, bool inverse) {
  RotaryTables turn;
  turn.cos = tables.cos;
  turn.sin = inverse ? -tables.sin : tables.sin;
  turn.half_turn = tables.half_turn;
  return turn.apply(x.transpose(1, 2)).transpose(1, 2);
}

}  // namespace

CacheTranslation::CacheTranslation(const ModelConfig& sender, KVSpaceAdapter& from,
                                   const ModelConfig& receiver, KVSpaceAdapter& to)
    : sender_(sender), receiver_(receiver), from_(from), to_(to) {
  check_adapter(sender, from, "sender");
  check_adapter(receiver, to, "receiver");
  if (from.shared_dim() != to.shared_dim()) {
    throw Error("cache translation: the adapters' shared spaces differ (" +
                std::to_string(from.shared_dim()) + " and " + std::to_string(to.shared_dim()) +
                " dimensions)");
  }
}

void CacheTranslation::translate(const KVCache& source, KVCache& target) {
  if (source.num_layers() != sender_.num_hidden_layers) {
    throw Error("cache translation: the source cache has " + std::to_string(source.num_layers()) +
                " layers, the sender " + std::to_string(sender_.num_hidden_layers));
  }
  if (source.batch() != target.batch()) {
    throw Error("cache translation: a source of " + std::to_string(source.batch()) +
                " rows into a target of " + std::to_string(target.batch()));
  }
  if (source.size() == 0) return;
  const auto mapping = layer_mapping(sender_.num_hidden_layers, receiver_.num_hidden_layers);
  const auto device = source.keys(0).device();
  const auto positions =
      torch::tensor(source.positions(), torch::kInt64).to(device).unsqueeze(0);  // [1, n]
  const auto unrotate = RotaryEmbedding(sender_).tables(positions, source.keys(0).scalar_type());
  const auto rotate_in =
      RotaryEmbedding(receiver_).tables(positions, target.options().dtype().toScalarType());
  std::vector<torch::Tensor> keys, values;
  for (int64_t j = 0; j < receiver_.num_hidden_layers; ++j) {
    const auto layer = mapping[static_cast<size_t>(j)];
    auto plain_keys = rotate(source.keys(layer), unrotate, /*inverse=*/true);
    auto shared_keys = from_.encode_keys(layer, plain_keys);
    auto shared_values = from_.encode_values(layer, source.values(layer));
    auto own_keys = to_.decode_keys(j, shared_keys).to(target.options());
    keys.push_back(rotate(own_keys, rotate_in, /*inverse=*/false));
    values.push_back(to_.decode_values(j, shared_values).to(target.options()));
  }
  for (const auto& segment : source.segments()) {
    const auto length = segment.end - segment.begin;
    std::vector<torch::Tensor> segment_keys, segment_values;
    for (size_t j = 0; j < keys.size(); ++j) {
      segment_keys.push_back(keys[j].narrow(2, segment.begin, length));
      segment_values.push_back(values[j].narrow(2, segment.begin, length));
    }
    const std::vector<int64_t> segment_positions(source.positions().begin() + segment.begin,
                                                 source.positions().begin() + segment.end);
    target.append(segment_keys, segment_values, segment_positions, segment.tag);
  }
}

}  // namespace kvchain
