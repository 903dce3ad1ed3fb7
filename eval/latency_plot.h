#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/io/json_file.h"
#include "eval/scores_file.h"
#include "eval/system.h"

namespace kvchain::eval {

// One example of a chain run: how many tokens the earlier turns wrote (the intermediate
// result the last member reads) and how long the last turn took.
struct LatencyPoint {
  std::string task;
  System method = System::kText;
  double intermediate_tokens = 0, seconds = 0;
};

// The points of a predictions JSONL of a chain mode (each record's "turns"); records with a
// single turn have no intermediate result and give none. Errors name FILE:LINE and the field.
std::vector<LatencyPoint> latency_points(const std::string& predictions_path,
                                         const std::string& task, System method);

// One SVG scatter plot per task ("TASK-latency.svg", by label -> SVG text): the last member's
// latency against the intermediate length, a colour per method (the paper's Table 5, top, as a
// plot), titled with the task's title in `titles` (its label where there is none).
std::map<std::string, std::string> latency_plots(const std::vector<LatencyPoint>& points,
                                                 const TaskTitles& titles = {});

}  // namespace kvchain::eval
