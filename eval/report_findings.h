#pragma once

#include <string>
#include <vector>

#include "eval/scores_file.h"

namespace kvchain::eval {

// Each run's scores with their bootstrap 95% intervals: one line per task, method and seed.
std::string intervals_table(const std::vector<ScoreRow>& rows, const TaskTitles& titles = {});
// The paired bootstrap tests, one line each: difference a - b, its 95% interval and p.
std::string paired_table(const std::vector<PairedResult>& paired, const TaskTitles& titles = {});

// How close FTHSS must stay to the text chain to count as "within a few points".
inline constexpr double kFewPoints = 3.0;

// The paper's qualitative findings decided on a run by its paired tests (eval/verdict.h), one
// bullet each with a line per task (under its title) and a count of the verdicts:
// - the chain of models beats every single model: per metric the task reports, text chain
//   minus the best of Native, Standard RAG and Prompt Tuning by mean, claim "beats";
// - FTHSS is within kFewPoints of the chain: per metric, FTHSS minus the text chain, claim
//   "within kFewPoints";
// - FTHSS beats Distill: per metric, FTHSS minus Distill, claim "beats";
// - FTHSS prefills fewer tokens than the chain: the tokens each example prefilled, text chain
//   minus FTHSS (kPrefilledTokens), claim "beats".
// A comparison's verdict combines its seeds' (across_seeds), a task's its metrics'
// (across_metrics); a comparison without a paired test is not decided. A test that decides
// nothing shows the n a decision needs at its variance. A finding whose methods the run lacks
// says "not measured".
std::string findings(const std::vector<ScoreRow>& rows, const std::vector<PairedResult>& paired,
                     const TaskTitles& titles = {});

}  // namespace kvchain::eval
