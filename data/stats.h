#pragma once

#include <ostream>
#include <string>

namespace kvchain::data {

// Per-task split counts, and histograms of answer length and passage length (in words), for a
// directory laid out as `kvchain data generate` writes it. Malformed files are errors.
void print_dataset_stats(const std::string& dir, std::ostream& out);

}  // namespace kvchain::data
