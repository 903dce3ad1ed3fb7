#include "eval/verdict.h"

#include <algorithm>
#include <cmath>

namespace kvchain::eval {

Verdict decide(const Claim& claim, const PairedResult& test) {
  if (claim.kind == Claim::kBeats) {
    if (test.low > 0) return Verdict::kHolds;
    if (test.high <= 0) return Verdict::kDoesNotHold;
    return Verdict::kNotDecided;
  }
  if (test.low >= -claim.band && test.high <= claim.band) return Verdict::kHolds;
  if (test.high < -claim.band || test.low > claim.band) return Verdict::kDoesNotHold;
  return Verdict::kNotDecided;
}

std::optional<int64_t> examples_needed(const Claim& claim, const PairedResult& test) {
  if (claim.kind == Claim::kWithin && test.differing == 0 && test.n > 0 && claim.band > 0 &&
      claim.band < 100) {
    // The smallest n with 1 - 0.025^(1/n) < band / 100.
    return static_cast<int64_t>(std::floor(std::log(0.025) / std::log(1 - claim.band / 100))) + 1;
  }
  const double half_width = (test.high - test.low) / 2;
  const double mean = std::abs(test.difference);
  const double gap = claim.kind == Claim::kBeats ? mean : std::abs(claim.band - mean);
  if (half_width <= 0 || gap == 0 || test.n <= 0) return std::nullopt;
  // 1.96 * sd / sqrt(m) < gap with sd = half_width / 1.96 * sqrt(n) is m > n * (half_width /
  // gap)^2; written so, the 1.96s cancel exactly.
  const double bound = static_cast<double>(test.n) * std::pow(half_width / gap, 2);
  if (!(bound < 1e15)) return std::nullopt;  // a gap within rounding of 0: on the boundary
  return static_cast<int64_t>(std::floor(bound)) + 1;
}

Verdict across_seeds(const std::vector<Verdict>& verdicts) {
  const auto all = [&](Verdict v) {
    return !verdicts.empty() &&
           std::all_of(verdicts.begin(), verdicts.end(), [&](Verdict x) { return x == v; });
  };
  if (all(Verdict::kHolds)) return Verdict::kHolds;
  if (all(Verdict::kDoesNotHold)) return Verdict::kDoesNotHold;
  return Verdict::kNotDecided;
}

Verdict across_metrics(const std::vector<Verdict>& verdicts) {
  const auto any = [&](Verdict v) {
    return std::find(verdicts.begin(), verdicts.end(), v) != verdicts.end();
  };
  if (any(Verdict::kDoesNotHold)) return Verdict::kDoesNotHold;
  if (!verdicts.empty() && !any(Verdict::kNotDecided)) return Verdict::kHolds;
  return Verdict::kNotDecided;
}

}  // namespace kvchain::eval
