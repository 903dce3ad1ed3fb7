#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/json_file.h"
#include "eval/bootstrap.h"

namespace kvchain::eval {

// Per-example scores of a predictions JSONL: each record has "prediction" and either
// "golden_answers" (a list of strings) or "answer" (one string, for choices); "id" is optional
// and pairs the examples of two files; "metrics" (optional, e.g. ["acc"]) names the metrics
// that score the record, for tasks that mix kinds of question. Every score is 0..1, or NaN for
// a metric that does not score the record. A record's "turns" (optional; the chain's
// predictions have them) give the tokens it prefilled, its turns' "prefilled" summed.
struct PredictionScores {
  std::string path;
  std::vector<std::string> ids;  // empty strings where records have no id
  std::vector<double> em, f1, acc;
  std::vector<double> prefilled;  // NaN where a record has no "turns"
  size_t size() const { return em.size(); }
};

// A record that is not JSON or lacks a field is an Error naming FILE:LINE and the field.
PredictionScores score_predictions(const std::string& path);

// {"n", "em", "f1", "acc"} in percent, with "ci": {"em": [low, high], ...}, the bootstrap 95%
// intervals, and "scored": {"em": n, ...}, the records each metric scores. A metric that scores
// no record is null.
Json summarize(const PredictionScores& scores, int64_t resamples, uint64_t seed);

// One metric's paired test of `a` against `b`, its difference and interval in percentage points.
struct MetricTest {
  std::string metric;  // "em", "f1" or "acc"
  PairedTest test;
};
// Paired bootstrap tests of `a` against `b`, one for each metric that scores some pair in both,
// on those pairs. Examples pair by id when both files have ids, else by position; a file with an
// example the other lacks is an Error naming the id.
std::vector<MetricTest> compare_metrics(const PredictionScores& a, const PredictionScores& b,
                                        int64_t resamples, uint64_t seed);
// The same as JSON: {"em": {"difference", "low", "high", "p", "differing"}, ...}, null for a
// metric that scores no pair.
Json compare(const PredictionScores& a, const PredictionScores& b, int64_t resamples,
             uint64_t seed);

// Paired bootstrap test of the tokens `a`'s examples prefilled against `b`'s, in tokens,
// examples paired as in compare. A record without "turns" is an Error naming its file and id.
PairedTest compare_prefilled(const PredictionScores& a, const PredictionScores& b,
                             int64_t resamples, uint64_t seed);

}  // namespace kvchain::eval
