#include "eval/report_tables.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "engine/io/error.h"
#include "eval/score_grid.h"

namespace kvchain::eval {
namespace {

// A bar chart's layout: the labels left of kPlotLeft, the 0-100 axis kPlotWidth wide, a bar
// per kPlotRow.
constexpr int kPlotLeft = 220, kPlotWidth = 360, kPlotRow = 24;

// Where a score (0-100, clamped) sits on a bar chart's axis.
double plot_x(double score) {
  return kPlotLeft + kPlotWidth * std::clamp(score, 0.0, 100.0) / 100.0;
}

// An interval [low, high] as a horizontal error bar at height `y`: a line with a tick at each
// end.
std::string plot_error_bar(const std::pair<double, double>& range, int y) {
  const auto low = fixed(plot_x(range.first)), high = fixed(plot_x(range.second));
  const auto line = [](const std::string& x1, int y1, const std::string& x2, int y2) {
    return "<line x1=\"" + x1 + "\" y1=\"" + std::to_string(y1) + "\" x2=\"" + x2 + "\" y2=\"" +
           std::to_string(y2) + "\"/>";
  };
  return "<g class=\"error-bar\" stroke=\"black\">" + line(low, y, high, y) +
         line(low, y - 5, low, y + 5) + line(high, y - 5, high, y + 5) + "</g>";
}

std::string header(const std::vector<std::string>& columns) {
  std::string line = "|", rule = "|";
  for (const auto& c : columns) {
    line += " " + c + " |";
    rule += c == columns.front() ? " --- |" : " ---: |";
  }
  return line + "\n" + rule + "\n";
}

}  // namespace

std::string score_table(const std::vector<ScoreRow>& rows, const TaskTitles& titles) {
  const Grid grid(rows);
  std::vector<std::string> columns = {"Method"};
  for (const auto& task : grid.tasks()) {
    for (const auto& [key, label] : grid.metrics(task)) {
      columns.push_back(task_title(titles, task) + " " + label);
    }
  }
  // The best value of each column outside the chain of models, if it beats another one there.
  std::map<std::string, double> best, worst;
  for (const auto& m : systems()) {
    if (std::string(m.group) == kChainGroup) continue;
    for (const auto& task : grid.tasks()) {
      const auto* cell = grid.cell(task, m.system);
      if (cell == nullptr) continue;
      for (const auto& [metric, value] : cell->scores) {
        const auto key = task + "/" + metric;
        if (!best.count(key) || value > best[key]) best[key] = value;
        if (!worst.count(key) || value < worst[key]) worst[key] = value;
      }
    }
  }
  std::string table = header(columns);
  std::string group;
  for (const auto& m : systems()) {
    if (!grid.has_method(m.system)) continue;
    if (group != m.group) {
      group = m.group;
      table += "| *" + group + "* |";
      for (size_t i = 1; i < columns.size(); ++i) table += " |";
      table += "\n";
    }
    table += "| " + std::string(m.label) + " |";
    for (const auto& task : grid.tasks()) {
      const auto* cell = grid.cell(task, m.system);
      for (const auto& [metric, label] : grid.metrics(task)) {
        if (cell == nullptr || !cell->scores.count(metric)) {
          table += " – |";
          continue;
        }
        const double value = cell->scores.at(metric);
        const auto text = fixed(value);
        const auto key = task + "/" + metric;
        const bool bold = std::string(m.group) != kChainGroup && text == fixed(best[key]) &&
                          fixed(best[key]) != fixed(worst[key]);
        table += " " + (bold ? "**" + text + "**" : text) + " |";
      }
    }
    table += "\n";
  }
  return table;
}

std::string efficiency_table(const std::vector<ScoreRow>& rows, const TaskTitles& titles) {
  const Grid grid(rows);
  std::vector<std::string> columns = {"Method"};
  for (const auto& task : grid.tasks()) {
    for (const char* what : {"prefilled tokens", "latency s", "KV MB"}) {
      columns.push_back(task_title(titles, task) + " " + what);
    }
  }
  std::string table = header(columns);
  for (const auto& m : systems()) {
    if (!grid.has_method(m.system)) continue;
    table += "| " + std::string(m.label) + " |";
    for (const auto& task : grid.tasks()) {
      const auto* cell = grid.cell(task, m.system);
      if (cell == nullptr) {
        table += " – | – | – |";
        continue;
      }
      table += " " + fixed(cell->prefilled) + " | " + fixed(cell->latency, 3) + " | " +
               fixed(cell->kv / (1024.0 * 1024.0), 2) + " |";
    }
    table += "\n";
  }
  return table;
}

std::map<std::string, std::string> score_plots(const std::vector<ScoreRow>& rows,
                                               const TaskTitles& titles) {
  const Grid grid(rows);
  const std::map<std::string, const char*> colours = {
      {"Single Model", "#9e9e9e"}, {kChainGroup, "#1f77b4"}, {"Streamlining", "#ff7f0e"}};
  std::map<std::string, std::string> plots;
  for (const auto& task : grid.tasks()) {
    for (const auto& [metric, label] : grid.metrics(task)) {
      std::string bars;
      int y = 30;
      for (const auto& m : systems()) {
        const auto* cell = grid.cell(task, m.system);
        if (cell == nullptr || !cell->scores.count(metric)) continue;
        const double value = cell->scores.at(metric);
        const int width = static_cast<int>(plot_x(value)) - kPlotLeft;
        const auto range = cell->intervals.find(metric);
        double label_x = kPlotLeft + width;
        std::string error_bar;
        if (range != cell->intervals.end()) {
          error_bar = plot_error_bar(range->second, y + 11);
          label_x = std::max(label_x, plot_x(range->second.second));
        }
        bars += "<text x=\"" + std::to_string(kPlotLeft - 6) + "\" y=\"" + std::to_string(y + 15) +
                "\" text-anchor=\"end\">" + xml_text(m.label) + "</text><rect x=\"" +
                std::to_string(kPlotLeft) + "\" y=\"" + std::to_string(y + 3) + "\" width=\"" +
                std::to_string(width) + "\" height=\"16\" fill=\"" + colours.at(m.group) + "\"/>" +
                error_bar + "<text x=\"" + fixed(label_x + 4) + "\" y=\"" + std::to_string(y + 15) +
                "\">" + fixed(value) + "</text>\n";
        y += kPlotRow;
      }
      const int width = kPlotLeft + kPlotWidth + 60, height = y + 10;
      plots[task + "-" + metric + ".svg"] =
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) +
          "\" height=\"" + std::to_string(height) +
          "\" font-family=\"sans-serif\" font-size=\"12\">\n<text x=\"8\" y=\"18\" "
          "font-weight=\"bold\">" +
          xml_text(task_title(titles, task)) + ": " + label +
          " (0-100, bars: bootstrap 95% interval)</text>\n" + bars + "</svg>\n";
    }
  }
  return plots;
}

std::string scores_csv(const std::vector<ScoreRow>& rows) {
  std::string csv = "task,method,seed,n,em,f1,acc,prefilled_tokens,latency_s,kv_bytes\n";
  for (const auto& row : rows) {
    csv += row.task + "," + system_key(row.method) + "," + std::to_string(row.seed) + "," +
           std::to_string(row.n);
    for (const auto& [key, label] : metric_labels()) {
      const auto it = row.scores.find(key);
      csv += "," + (it == row.scores.end() ? std::string() : fixed(it->second, 4));
    }
    csv += "," + fixed(row.prefilled_tokens, 2) + "," + fixed(row.latency_s, 6) + "," +
           fixed(row.kv_bytes, 0) + "\n";
  }
  return csv;
}

std::vector<std::string> regressions(const std::vector<ScoreRow>& before,
                                     const std::vector<ScoreRow>& after, double tolerance) {
  const Grid old_grid(before), new_grid(after);
  std::vector<std::string> found;
  for (const auto& task : old_grid.tasks()) {
    for (const auto& m : systems()) {
      const auto* old_cell = old_grid.cell(task, m.system);
      if (old_cell == nullptr) continue;
      const auto* new_cell = new_grid.cell(task, m.system);
      for (const auto& [metric, old_value] : old_cell->scores) {
        const auto what = task + " " + m.key + " " + metric;
        if (new_cell == nullptr || !new_cell->scores.count(metric)) {
          found.push_back(what + ": missing from the new run");
          continue;
        }
        const double new_value = new_cell->scores.at(metric);
        if (new_value < old_value - tolerance) {
          found.push_back(what + ": " + fixed(old_value) + " -> " + fixed(new_value) + " (" +
                          fixed(new_value - old_value) + " points, tolerance " + fixed(tolerance) +
                          ")");
        }
      }
    }
  }
  return found;
}

}  // namespace kvchain::eval
