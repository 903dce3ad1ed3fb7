#include "eval/eval_commands.h"

#include <iostream>
#include <memory>

#include "eval/prediction_scores.h"

namespace kvchain::eval {
namespace {

struct EvalArgs {
  std::string predictions, against;
  int64_t resamples = 1000;
  uint64_t seed = 0;
};

}  // namespace

void register_eval_commands(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* command = app.add_subcommand(
      "eval", "Score a predictions JSONL (EM, F1, accuracy, bootstrap 95% intervals)");
  command
      ->add_option("--predictions", args->predictions,
                   "JSONL of {\"prediction\", \"golden_answers\"} or {\"prediction\", \"answer\"}")
      ->required();
  command->add_option("--against", args->against,
                      "A second system's predictions on the same examples: paired bootstrap test");
  command->add_option("--resamples", args->resamples, "Bootstrap resamples")
      ->check(CLI::PositiveNumber);
  command->add_option("--seed", args->seed, "Bootstrap seed");
  command->callback([args] {
    const auto scores = score_predictions(args->predictions);
    auto summary = summarize(scores, args->resamples, args->seed);
    if (!args->against.empty()) {
      const auto other = score_predictions(args->against);
      summary = {{"a", summary},
                 {"b", summarize(other, args->resamples, args->seed)},
                 {"a_minus_b", compare(scores, other, args->resamples, args->seed)}};
    }
    std::cout << summary.dump() << "\n";
  });
}

}  // namespace kvchain::eval
