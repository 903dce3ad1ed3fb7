#include "eval/report_findings.h"

#include "eval/score_grid.h"

namespace kvchain::eval {
namespace {

// Where every score compared is 0 a finding cannot be judged: the run is at the floor.
enum class Verdict { kHolds, kFails, kFloor };

const char* verdict_text(Verdict verdict) {
  switch (verdict) {
    case Verdict::kHolds:
      return "holds";
    case Verdict::kFails:
      return "**does not hold**";
    case Verdict::kFloor:
      break;
  }
  return "not judged (every score compared is 0)";
}

// The paired tests of `a` against `b` on `task` and `metric`, as "(-10.0 [-18.3, -3.3],
// p = 0.008)", one per seed.
std::string tests_of(const std::vector<PairedResult>& paired, const std::string& task, System a,
                     System b, const std::string& metric) {
  std::string text;
  for (const auto& t : paired) {
    if (t.task != task || t.a != a || t.b != b || t.metric != metric) continue;
    text += std::string(text.empty() ? "" : "; ") + "paired " + fixed(t.difference) + " [" +
            fixed(t.low) + ", " + fixed(t.high) + "], p = " + fixed(t.p, 3) +
            (t.seed != 0 ? " (seed " + std::to_string(t.seed) + ")" : "");
  }
  return text.empty() ? "" : " (" + text + ")";
}

// One finding: a line per task where `check` has the methods it needs; `check` returns the
// line's text and sets the verdict there.
template <typename Check>
std::string finding(const Grid& grid, const std::string& claim, Check check) {
  std::string lines;
  int holds = 0, judged = 0, measured = 0;
  for (const auto& task : grid.tasks()) {
    Verdict verdict = Verdict::kFails;
    const auto line = check(task, verdict);
    if (line.empty()) continue;
    ++measured;
    judged += verdict != Verdict::kFloor;
    holds += verdict == Verdict::kHolds;
    lines += "  - " + task + ": " + line + ": " + verdict_text(verdict) + "\n";
  }
  if (measured == 0) return "- " + claim + ": not measured (the run lacks its methods)\n";
  return "- " + claim + ": holds on " + std::to_string(holds) + " of " + std::to_string(judged) +
         " tasks judged (" + std::to_string(measured - judged) + " at the floor)\n" + lines;
}

}  // namespace

std::string intervals_table(const std::vector<ScoreRow>& rows) {
  std::string table =
      "| Task | Method | Seed | n | Scores [95% interval] |\n| --- | --- | ---: | ---: | --- |\n";
  for (const auto& row : rows) {
    std::string cells;
    for (const auto& [metric, label] : metric_labels()) {
      const auto score = row.scores.find(metric);
      if (score == row.scores.end()) continue;
      cells += std::string(cells.empty() ? "" : ", ") + label + " " + fixed(score->second);
      const auto range = row.intervals.find(metric);
      if (range != row.intervals.end()) {
        cells += " [" + fixed(range->second.first) + ", " + fixed(range->second.second) + "]";
      }
    }
    table += "| " + row.task + " | " + system_label(row.method) + " | " + std::to_string(row.seed) +
             " | " + std::to_string(row.n) + " | " + cells + " |\n";
  }
  return table;
}

std::string paired_table(const std::vector<PairedResult>& paired) {
  std::string table =
      "| Task | A − B | Seed | Metric | n | Difference | 95% interval | p |\n"
      "| --- | --- | ---: | --- | ---: | ---: | --- | ---: |\n";
  for (const auto& t : paired) {
    table += "| " + t.task + " | " + system_label(t.a) + " − " + system_label(t.b) + " | " +
             std::to_string(t.seed) + " | " + t.metric + " | " + std::to_string(t.n) + " | " +
             fixed(t.difference) + " | [" + fixed(t.low) + ", " + fixed(t.high) + "] | " +
             fixed(t.p, 3) + " |\n";
  }
  return table;
}

std::string findings(const std::vector<ScoreRow>& rows, const std::vector<PairedResult>& paired) {
  const Grid grid(rows);
  // Per metric of the task: "name value vs name value", with the comparison's outcome.
  const auto compare_scores = [&](const std::string& task, System a,
                                  const std::vector<System>& others, double margin,
                                  Verdict& verdict) {
    const auto* cell_a = grid.cell(task, a);
    if (cell_a == nullptr) return std::string();
    std::string line;
    bool ok = true, floor = true;
    for (const auto& [metric, label] : grid.metrics(task)) {
      const Cell* best = nullptr;
      System best_method = System::kText;
      for (const auto& other : others) {
        const auto* cell = grid.cell(task, other);
        if (cell == nullptr || !cell->scores.count(metric)) continue;
        if (best == nullptr || cell->scores.at(metric) > best->scores.at(metric)) {
          best = cell;
          best_method = other;
        }
      }
      if (best == nullptr || !cell_a->scores.count(metric)) continue;
      const double va = cell_a->scores.at(metric), vb = best->scores.at(metric);
      ok = ok && va > vb - margin;
      floor = floor && va == 0 && vb == 0;
      line += std::string(line.empty() ? "" : "; ") + label + " " + system_label(a) + " " +
              fixed(va) + " vs " + system_label(best_method) + " " + fixed(vb) +
              tests_of(paired, task, a, best_method, metric);
    }
    verdict = floor ? Verdict::kFloor : ok ? Verdict::kHolds : Verdict::kFails;
    return line;
  };
  std::string text;
  text +=
      finding(grid, "The chain of models beats every single model", [&](auto& task, Verdict& v) {
        return compare_scores(task, System::kText, {System::kNative, System::kRag, System::kSingle},
                              0, v);
      });
  text += finding(grid, "FTHSS is within " + fixed(kFewPoints, 0) + " points of the chain",
                  [&](auto& task, Verdict& v) {
                    return compare_scores(task, System::kShared, {System::kText}, kFewPoints, v);
                  });
  text += finding(grid, "FTHSS beats Distill", [&](auto& task, Verdict& v) {
    return compare_scores(task, System::kShared, {System::kDistill}, 0, v);
  });
  text += finding(grid, "FTHSS prefills fewer tokens than the chain", [&](auto& task, Verdict& v) {
    const auto* shared = grid.cell(task, System::kShared);
    const auto* chain = grid.cell(task, System::kText);
    if (shared == nullptr || chain == nullptr) return std::string();
    v = shared->prefilled < chain->prefilled ? Verdict::kHolds : Verdict::kFails;
    return fixed(shared->prefilled) + " vs " + fixed(chain->prefilled) + " tokens per example";
  });
  return text;
}

}  // namespace kvchain::eval
