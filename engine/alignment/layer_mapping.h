#pragma once

#include <cstdint>
#include <vector>

namespace kvchain {

// Which layer of a sender model each layer of a receiver reads a translated cache from, when
// their depths differ: receiver layer j of R reads sender layer round(j (S-1) / (R-1)) of S, the
// one at the nearest relative depth (first to first, last to last; a one-layer receiver reads
// the sender's first). Equal depths map each layer to itself. Non-positive depths are an Error.
std::vector<int64_t> layer_mapping(int64_t sender_layers, int64_t receiver_layers);

}  // namespace kvchain
