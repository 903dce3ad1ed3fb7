#include "eval/latency_plot.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "engine/io/jsonl_reader.h"
#include "eval/score_grid.h"
#include "eval/system.h"

namespace kvchain::eval {

std::vector<LatencyPoint> latency_points(const std::string& predictions_path,
                                         const std::string& task, System method) {
  std::vector<LatencyPoint> points;
  JsonlReader reader(predictions_path, "the predictions");
  Json record;
  while (reader.next(record)) {
    const auto& where = reader.where();
    const auto& turns = require_field(record, "turns", where);
    if (!turns.is_array()) throw Error(where + ": field 'turns' must be a list");
    if (turns.size() < 2) continue;
    LatencyPoint point{task, method, 0, 0};
    for (size_t i = 0; i < turns.size(); ++i) {
      const auto turn_where = where + ": turns[" + std::to_string(i) + "]";
      if (i + 1 < turns.size()) {
        point.intermediate_tokens += json_number_field(turns[i], "decoded", turn_where);
      } else {
        point.seconds = json_number_field(turns[i], "prefill_s", turn_where) +
                        json_number_field(turns[i], "decode_s", turn_where);
      }
    }
    points.push_back(point);
  }
  return points;
}

std::map<std::string, std::string> latency_plots(const std::vector<LatencyPoint>& points,
                                                 const TaskTitles& titles) {
  constexpr int kLeft = 60, kTop = 30, kWidth = 420, kHeight = 240;
  const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"};
  std::set<std::string> tasks;
  for (const auto& p : points) tasks.insert(p.task);
  std::map<std::string, std::string> plots;
  for (const auto& task : tasks) {
    double max_x = 1, max_y = 1e-6;
    std::vector<System> methods;
    for (const auto& p : points) {
      if (p.task != task) continue;
      max_x = std::max(max_x, p.intermediate_tokens);
      max_y = std::max(max_y, p.seconds);
      if (std::find(methods.begin(), methods.end(), p.method) == methods.end()) {
        methods.push_back(p.method);
      }
    }
    std::string body;
    for (const auto& p : points) {
      if (p.task != task) continue;
      const auto index = std::find(methods.begin(), methods.end(), p.method) - methods.begin();
      const double x = kLeft + kWidth * p.intermediate_tokens / max_x;
      const double y = kTop + kHeight - kHeight * p.seconds / max_y;
      body += "<circle cx=\"" + fixed(x) + "\" cy=\"" + fixed(y) + "\" r=\"3\" fill=\"" +
              colours[index % 4] + "\" fill-opacity=\"0.7\"/>\n";
    }
    for (size_t i = 0; i < methods.size(); ++i) {
      const int y = kTop + 14 * static_cast<int>(i);
      body += "<circle cx=\"" + std::to_string(kLeft + kWidth + 16) + "\" cy=\"" +
              std::to_string(y) + "\" r=\"4\" fill=\"" + colours[i % 4] + "\"/><text x=\"" +
              std::to_string(kLeft + kWidth + 24) + "\" y=\"" + std::to_string(y + 4) + "\">" +
              system_label(methods[i]) + "</text>\n";
    }
    const auto axis_y = std::to_string(kTop + kHeight);
    body += "<line x1=\"" + std::to_string(kLeft) + "\" y1=\"" + axis_y + "\" x2=\"" +
            std::to_string(kLeft + kWidth) + "\" y2=\"" + axis_y + "\" stroke=\"black\"/>\n" +
            "<line x1=\"" + std::to_string(kLeft) + "\" y1=\"" + std::to_string(kTop) + "\" x2=\"" +
            std::to_string(kLeft) + "\" y2=\"" + axis_y + "\" stroke=\"black\"/>\n" + "<text x=\"" +
            std::to_string(kLeft) + "\" y=\"" + std::to_string(kTop + kHeight + 16) +
            "\">0</text><text x=\"" + std::to_string(kLeft + kWidth) + "\" y=\"" +
            std::to_string(kTop + kHeight + 16) + "\" text-anchor=\"end\">" + fixed(max_x, 0) +
            " intermediate tokens</text>\n<text x=\"" + std::to_string(kLeft - 4) + "\" y=\"" +
            std::to_string(kTop + 4) + "\" text-anchor=\"end\">" + fixed(max_y, 3) + " s</text>\n";
    plots[task + "-latency.svg"] =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
        std::to_string(kLeft + kWidth + 200) + "\" height=\"" +
        std::to_string(kTop + kHeight + 30) +
        "\" font-family=\"sans-serif\" font-size=\"12\">\n<text x=\"8\" y=\"18\" "
        "font-weight=\"bold\">" +
        xml_text(task_title(titles, task)) +
        ": last member's latency vs intermediate length</text>\n" + body + "</svg>\n";
  }
  return plots;
}

}  // namespace kvchain::eval
