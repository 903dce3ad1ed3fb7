#include "app/options.h"

#include <cmath>
#include <sstream>

#include "engine/io/error.h"
#include "engine/training/training_limits.h"

namespace kvchain::app {
namespace {

// A validator of numbers whose value must pass `ok`, described by `requirement`.
CLI::Validator number_validator(const std::string& requirement, bool (*ok)(double)) {
  return CLI::Validator(
      [requirement, ok](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a number";
        return ok(value) ? std::string() : "must be " + requirement + ", not " + text;
      },
      requirement == "0 or more" ? "NONNEGATIVE" : "POSITIVE");
}

}  // namespace

const CLI::Validator& positive() {
  static const auto validator =
      number_validator("positive", [](double v) { return std::isfinite(v) && v > 0; });
  return validator;
}

const CLI::Validator& non_negative() {
  static const auto validator =
      number_validator("0 or more", [](double v) { return std::isfinite(v) && v >= 0; });
  return validator;
}

void add_trainer_options(CLI::App& command, TrainerOptions& options) {
  command
      .add_option("--epochs", options.epochs,
                  "Passes over the training data (0: write the untrained start, a baseline)")
      ->check(CLI::Range(int64_t{0}, kMaxEpochs));
  command.add_option("--lr", options.learning_rate, "Peak learning rate")
      ->check(number_validator("above 0 and at most 10",
                               [](double v) { return std::isfinite(v) && v > 0 && v <= 10; }));
  command.add_option("--seed", options.seed, "Seed for initialisation and example order")
      ->check(non_negative());
  command
      .add_option("--checkpoint-every", options.checkpoint_every,
                  "Optimizer steps between checkpoints (0: none)")
      ->check(non_negative());
}

std::vector<int64_t> parse_id_list(const std::string& text, const std::string& option) {
  std::vector<int64_t> ids;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    if (first == std::string::npos) throw Error(option + ": an empty item in '" + text + "'");
    size_t used = 0;
    int64_t value = 0;
    try {
      value = std::stoll(item.substr(first), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || item.find_first_not_of(" \t", first + used) != std::string::npos) {
      throw Error(option + ": '" + item + "' is not an integer token id");
    }
    ids.push_back(value);
  }
  if (ids.empty()) throw Error(option + ": no token ids given");
  if (text.back() == ',') throw Error(option + ": '" + text + "' ends in a comma");
  return ids;
}

std::map<std::string, std::string> parse_adapters(const std::vector<std::string>& items) {
  std::map<std::string, std::string> adapters;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      throw Error("--adapter '" + item + "': expected MEMBER=FILE");
    }
    adapters[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return adapters;
}

}  // namespace kvchain::app
