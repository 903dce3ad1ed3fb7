#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "eval/scores_file.h"

namespace kvchain::eval {

// What a paired test's 95% interval of A - B decides about a claim.
enum class Verdict { kHolds, kDoesNotHold, kNotDecided };

// A claim about the difference A - B:
// - kBeats, "A beats B": holds when the interval lies above 0 (low > 0), does not hold when it
//   lies at or below 0 (high <= 0);
// - kWithin, "A is within `band` of B": holds when the interval lies inside [-band, band], does
//   not hold when it lies wholly outside (high < -band or low > band).
// Any other interval decides nothing.
struct Claim {
  enum Kind { kBeats, kWithin } kind = kBeats;
  double band = 0;  // kWithin's half-width
};

Verdict decide(const Claim& claim, const PairedResult& test);

// The n at which `test`'s interval would clear the boundary of `claim` nearest its mean, at the
// observed variance, under the normal approximation: the per-example standard deviation is
// sd = (high - low) / (2 * 1.96) * sqrt(n), and the n is the smallest with 1.96 * sd / sqrt(n)
// below the mean's distance to that boundary (kBeats: |mean|; kWithin: |band - |mean||).
// A test of "within" on scores no example differs in (`differing` 0, whose interval is
// paired_bootstrap_of_scores's bound) needs instead the n whose bound falls inside the band.
// Nothing when the mean sits on the boundary (or within rounding of it), the interval has no width
// or n is not positive.
std::optional<int64_t> examples_needed(const Claim& claim, const PairedResult& test);

// Several seeds' verdicts on one comparison: holds only if every seed's holds, does not hold
// only if every seed's does not; otherwise (or with no seed) not decided.
Verdict across_seeds(const std::vector<Verdict>& verdicts);
// A task's verdict from its metrics': holds if every metric's holds, does not hold if any
// metric's does not; otherwise (or with no metric) not decided.
Verdict across_metrics(const std::vector<Verdict>& verdicts);

}  // namespace kvchain::eval
