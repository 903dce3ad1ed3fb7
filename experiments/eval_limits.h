#pragma once

#include <cstdint>

namespace kvchain::experiments {

// The most examples one evaluation runs at once (a row of the batch cache each).
inline constexpr int64_t kMaxEvalBatch = 4096;

}  // namespace kvchain::experiments
