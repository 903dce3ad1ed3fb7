#include "eval/report_findings.h"

#include <optional>

#include "eval/score_grid.h"
#include "eval/verdict.h"

namespace kvchain::eval {
namespace {

const char* verdict_text(Verdict verdict) {
  switch (verdict) {
    case Verdict::kHolds:
      return "holds";
    case Verdict::kDoesNotHold:
      return "**does not hold**";
    case Verdict::kNotDecided:
      break;
  }
  return "not decided";
}

// A verdict on one task with the numbers behind it.
struct Decided {
  Verdict verdict = Verdict::kNotDecided;
  std::string text;
};

// One seed's test, as "paired -1.0 [-4.5, 2.5], p = 0.400, n = 60", prefixed "seed S: " among
// several; one that decides nothing adds the n a decision needs at its variance.
std::string test_text(const PairedResult& t, const Claim& claim, Verdict verdict, bool seeds) {
  auto text = std::string(seeds ? "seed " + std::to_string(t.seed) + ": " : "") + "paired " +
              fixed(t.difference) + " [" + fixed(t.low) + ", " + fixed(t.high) +
              "], p = " + fixed(t.p, 3) + ", n = " + std::to_string(t.n);
  if (verdict != Verdict::kNotDecided) return text;
  const auto needed = examples_needed(claim, t);
  return text + (needed ? ", a decision needs n = " + std::to_string(*needed) + " at this variance"
                        : ", the n a decision needs cannot be estimated");
}

// Every seed's paired test of `a` against `b` on `task` and `metric`, decided by `claim`, as
// " (tests)"; without any test, not decided.
Decided decide_seeds(const std::vector<PairedResult>& paired, const std::string& task, System a,
                     System b, const std::string& metric, const Claim& claim) {
  std::vector<const PairedResult*> tests;
  for (const auto& t : paired) {
    if (t.task == task && t.a == a && t.b == b && t.metric == metric) tests.push_back(&t);
  }
  if (tests.empty()) return {Verdict::kNotDecided, " (no paired test)"};
  std::vector<Verdict> verdicts;
  std::string text;
  for (const auto* t : tests) {
    verdicts.push_back(decide(claim, *t));
    text += std::string(text.empty() ? "" : "; ") +
            test_text(*t, claim, verdicts.back(), tests.size() > 1);
  }
  return {across_seeds(verdicts), " (" + text + ")"};
}

// A claim about `a` against the best of `others` (by mean) on one task, per metric the task
// reports, as "EM A 20.0 vs B 30.0 (tests)"; the task's verdict combines the metrics', and a
// metric where both score 0 is not decided. Nothing where the run lacks `a` or all of `others`.
std::optional<Decided> compare_scores(const Grid& grid, const std::vector<PairedResult>& paired,
                                      const std::string& task, System a,
                                      const std::vector<System>& others, const Claim& claim) {
  const auto* cell_a = grid.cell(task, a);
  if (cell_a == nullptr) return std::nullopt;
  std::vector<Verdict> verdicts;
  std::string text;
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
    auto decided = decide_seeds(paired, task, a, best_method, metric, claim);
    // Where both score 0 every answer compared is wrong: a tie there, however tight its
    // interval, says nothing about the methods.
    if (cell_a->scores.at(metric) == 0 && best->scores.at(metric) == 0) {
      decided = {Verdict::kNotDecided, decided.text + " (both at the floor)"};
    }
    verdicts.push_back(decided.verdict);
    text += std::string(text.empty() ? "" : "; ") + label + " " + system_label(a) + " " +
            fixed(cell_a->scores.at(metric)) + " vs " + system_label(best_method) + " " +
            fixed(best->scores.at(metric)) + decided.text;
  }
  if (verdicts.empty()) return std::nullopt;
  return Decided{across_metrics(verdicts), text};
}

// The tokens the text chain prefilled per example against FTHSS's on one task; nothing where
// the run lacks either.
std::optional<Decided> compare_prefilled(const Grid& grid, const std::vector<PairedResult>& paired,
                                         const std::string& task) {
  const auto* chain = grid.cell(task, System::kText);
  const auto* shared = grid.cell(task, System::kShared);
  if (chain == nullptr || shared == nullptr) return std::nullopt;
  auto decided =
      decide_seeds(paired, task, System::kText, System::kShared, kPrefilledTokens, {Claim::kBeats});
  decided.text = std::string(system_label(System::kText)) + " " + fixed(chain->prefilled) + " vs " +
                 system_label(System::kShared) + " " + fixed(shared->prefilled) +
                 " tokens per example" + decided.text;
  return decided;
}

// One finding: a line per task that `check` decides (it gives nothing where the run lacks the
// methods compared) and the count of each verdict.
template <typename Check>
std::string finding(const Grid& grid, const TaskTitles& titles, const std::string& claim,
                    Check check) {
  std::string lines;
  int holds = 0, fails = 0, open = 0;
  for (const auto& task : grid.tasks()) {
    const auto decided = check(task);
    if (!decided) continue;
    holds += decided->verdict == Verdict::kHolds;
    fails += decided->verdict == Verdict::kDoesNotHold;
    open += decided->verdict == Verdict::kNotDecided;
    lines += "  - " + task_title(titles, task) + ": " + decided->text + ": " +
             verdict_text(decided->verdict) + "\n";
  }
  if (holds + fails + open == 0) {
    return "- " + claim + ": not measured (the run lacks its methods)\n";
  }
  return "- " + claim + ": holds on " + std::to_string(holds) + ", does not hold on " +
         std::to_string(fails) + ", not decided on " + std::to_string(open) + " of " +
         std::to_string(holds + fails + open) + " tasks\n" + lines;
}

}  // namespace

std::string intervals_table(const std::vector<ScoreRow>& rows, const TaskTitles& titles) {
  std::string table =
      "| Task | Method | Seed | n | Scores [95% interval] |\n| --- | --- | ---: | ---: | --- |\n";
  for (const auto& row : rows) {
    std::string cells;
    for (const auto& [metric, label] : metric_labels()) {
      if (!row.scores.count(metric)) continue;
      cells +=
          std::string(cells.empty() ? "" : ", ") + label + " " + score_with_interval(row, metric);
    }
    table += "| " + task_title(titles, row.task) + " | " + system_label(row.method) + " | " +
             std::to_string(row.seed) + " | " + std::to_string(row.n) + " | " + cells + " |\n";
  }
  return table;
}

std::string paired_table(const std::vector<PairedResult>& paired, const TaskTitles& titles) {
  std::string table =
      "| Task | A − B | Seed | Metric | n | Difference | 95% interval | p |\n"
      "| --- | --- | ---: | --- | ---: | ---: | --- | ---: |\n";
  for (const auto& t : paired) {
    table += "| " + task_title(titles, t.task) + " | " + system_label(t.a) + " − " +
             system_label(t.b) + " | " + std::to_string(t.seed) + " | " + t.metric + " | " +
             std::to_string(t.n) + " | " + fixed(t.difference) + " | [" + fixed(t.low) + ", " +
             fixed(t.high) + "] | " + fixed(t.p, 3) + " |\n";
  }
  return table;
}

std::string findings(const std::vector<ScoreRow>& rows, const std::vector<PairedResult>& paired,
                     const TaskTitles& titles) {
  const Grid grid(rows);
  const Claim beats{Claim::kBeats}, within{Claim::kWithin, kFewPoints};
  std::string text;
  text += finding(grid, titles, "The chain of models beats every single model", [&](auto& task) {
    return compare_scores(grid, paired, task, System::kText,
                          {System::kNative, System::kRag, System::kSingle}, beats);
  });
  text +=
      finding(grid, titles, "FTHSS is within " + fixed(kFewPoints, 0) + " points of the chain",
              [&](auto& task) {
                return compare_scores(grid, paired, task, System::kShared, {System::kText}, within);
              });
  text += finding(grid, titles, "FTHSS beats Distill", [&](auto& task) {
    return compare_scores(grid, paired, task, System::kShared, {System::kDistill}, beats);
  });
  text += finding(grid, titles, "FTHSS prefills fewer tokens than the chain",
                  [&](auto& task) { return compare_prefilled(grid, paired, task); });
  return text;
}

}  // namespace kvchain::eval
