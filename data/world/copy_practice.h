#pragma once

#include <cstdint>
#include <string>

#include "data/world/rng.h"

namespace kvchain::data {

// Copy practice (copy.txt), one line each: a list of 2 to 10 fresh made-up words, then the same
// list again. The second list is predictable only by copying the first, so a small base trained
// on it first grows the induction heads it needs to read names from its context (engine/README,
// "Teaching the base to read").
std::string copy_practice_text(Rng& rng, int64_t lines);

}  // namespace kvchain::data
