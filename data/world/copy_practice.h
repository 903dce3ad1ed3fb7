#pragma once

#include <cstdint>
#include <string>

#include "data/world/rng.h"

namespace kvchain::data {

// Copy practice (copy.txt), one line each: a list of 2 to 10 fresh made-up words, then the same
// list again. The second list is predictable only by copying the first, so a small base trained
// on it grows induction heads (engine/README.md, "What the embedded base learns").
std::string copy_practice_text(Rng& rng, int64_t lines);

}  // namespace kvchain::data
