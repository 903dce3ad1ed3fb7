#pragma once

#include <cstdint>

namespace kvchain {

// The most passes over the training data a run may ask for (every command and suite config):
// far above any recipe's, far below a run that never ends.
inline constexpr int64_t kMaxEpochs = 10000;

}  // namespace kvchain
