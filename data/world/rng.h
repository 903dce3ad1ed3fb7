#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace kvchain::data {

// A seeded generator whose every draw is specified here (splitmix64 plus integer rejection
// sampling), unlike std:: distributions, whose results differ between standard libraries: the
// same seed must give byte-identical datasets on every machine.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t next();
  // Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n);
  // Uniform in [lo, hi].
  int64_t between(int64_t lo, int64_t hi);
  // True with probability percent / 100.
  bool percent(int percent) { return below(100) < static_cast<uint64_t>(percent); }
  // An independent stream, so adding draws to one part of the generator leaves others unchanged.
  Rng fork(uint64_t stream) { return Rng(next() ^ (stream * 0x9E3779B97F4A7C15ull)); }

  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
  }

 private:
  uint64_t state_;
};

}  // namespace kvchain::data
