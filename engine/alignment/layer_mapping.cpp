#include "engine/alignment/layer_mapping.h"

#include <string>

#include "engine/io/error.h"

namespace kvchain {

std::vector<int64_t> layer_mapping(int64_t sender_layers, int64_t receiver_layers) {
  if (sender_layers < 1 || receiver_layers < 1) {
    throw Error("layer mapping: depths must be positive (sender " + std::to_string(sender_layers) +
                ", receiver " + std::to_string(receiver_layers) + ")");
  }
  std::vector<int64_t> mapping(static_cast<size_t>(receiver_layers), 0);
  if (receiver_layers == 1) return mapping;
  for (int64_t j = 0; j < receiver_layers; ++j) {
    // Integer rounding of j (S-1) / (R-1): exact, so equal depths map j to j.
    const auto scaled = j * (sender_layers - 1);
    mapping[static_cast<size_t>(j)] =
        (2 * scaled + (receiver_layers - 1)) / (2 * (receiver_layers - 1));
  }
  return mapping;
}

}  // namespace kvchain
