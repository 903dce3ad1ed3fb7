#pragma once

#include <string>
#include <vector>

#include "eval/scores_file.h"

namespace kvchain::eval {

// Each run's scores with their bootstrap 95% intervals: one line per task, method and seed.
std::string intervals_table(const std::vector<ScoreRow>& rows);
// The paired bootstrap tests, one line each: difference a - b, its 95% interval and p.
std::string paired_table(const std::vector<PairedResult>& paired);

// How close FTHSS must stay to the text chain to count as "within a few points".
inline constexpr double kFewPoints = 3.0;

// The paper's qualitative findings checked against a run, one bullet each, with a plain
// verdict per task ("holds" or "does not hold") and the numbers behind it: the chain beats
// every single model; FTHSS is within kFewPoints of the chain; FTHSS beats Distill; FTHSS
// prefills fewer tokens than the chain. A finding whose methods the run lacks says so.
std::string findings(const std::vector<ScoreRow>& rows, const std::vector<PairedResult>& paired);

}  // namespace kvchain::eval
