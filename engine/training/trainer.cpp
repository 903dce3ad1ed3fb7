#include "engine/training/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <random>
#include <sstream>

#include "engine/distributed/data_parallel_group.h"
#include "engine/io/atomic_file.h"
#include "engine/io/error.h"
#include "engine/io/fault_point.h"
#include "engine/io/safetensors.h"
#include "engine/training/progress.h"

namespace kvchain {
namespace fs = std::filesystem;
namespace {

constexpr const char* kStateFile = "state.json";

std::string step_file(const std::string& dir, const std::string& stem, int64_t step,
                      const std::string& extension) {
  return (fs::path(dir) / (stem + "-" + std::to_string(step) + extension)).string();
}

// Drops log lines past `step`: they came from work after the checkpoint that is redone now.
void truncate_log(const std::string& path, int64_t step) {
  std::ifstream in(path);
  if (!in) return;
  std::string kept, line;
  while (std::getline(in, line)) {
    const auto record = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_object() && record.contains("step") && record["step"].is_number_integer() &&
        record["step"].get<int64_t>() > step) {
      continue;
    }
    kept += line + "\n";
  }
  write_file_atomic(path, kept);
}

}  // namespace

// Fisher-Yates driven by mt19937_64, whose output the standard fixes (std::shuffle is not).
std::vector<int64_t> shuffled_order(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 engine(seed * 1000003ULL + static_cast<uint64_t>(epoch));
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(engine() % static_cast<uint64_t>(i + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

Json TrainerOptions::to_json() const {
  Json json = {{"learning_rate", learning_rate},
               {"weight_decay", weight_decay},
               {"warmup_ratio", warmup_ratio},
               {"max_grad_norm", max_grad_norm},
               {"epochs", epochs},
               {"grad_accumulation", grad_accumulation},
               {"seed", seed},
               {"shuffle", shuffle}};
  // A run's identity names its micro-batch only where it batches, so one-at-a-time runs keep
  // theirs.
  if (micro_batch != 1) json["micro_batch"] = micro_batch;
  return json;
}

double scheduled_learning_rate(double peak, int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
  if (total <= warmup) return peak;
  return peak *
         std::max(0.0, static_cast<double>(total - step) / static_cast<double>(total - warmup));
}

Trainer::Trainer(NamedTensors parameters, TrainerOptions options, std::string identity)
    : parameters_(std::move(parameters)),
      options_(std::move(options)),
      identity_(std::move(identity)) {
  if (parameters_.empty()) throw Error("trainer: nothing to train");
  if (options_.grad_accumulation <= 0 || options_.epochs < 0) {
    throw Error("trainer: grad_accumulation must be positive and epochs not negative");
  }
}

int64_t Trainer::total_steps(int64_t num_examples) const {
  const int64_t examples = options_.epochs * num_examples;
  return (examples + options_.grad_accumulation - 1) / options_.grad_accumulation;
}

void Trainer::save_checkpoint(int64_t step, torch::optim::Optimizer& optimizer) const {
  const auto& dir = options_.checkpoint_dir;
  fs::create_directories(dir);
  const auto weights = step_file(dir, "trainable", step, ".safetensors");
  const auto optimizer_path = step_file(dir, "optimizer", step, ".pt");
  write_safetensors(weights, parameters_);
  {
    torch::serialize::OutputArchive archive;
    optimizer.save(archive);
    const auto tmp = optimizer_path + ".tmp";
    archive.save_to(tmp);
    if (std::rename(tmp.c_str(), optimizer_path.c_str()) != 0) {
      throw Error(optimizer_path + ": cannot rename temporary file into place");
    }
  }
  // state.json is the commit point: until it names the new files, the old ones stay valid.
  const auto state_path = (fs::path(dir) / kStateFile).string();
  int64_t previous = -1;
  if (fs::exists(state_path)) {
    previous = json_int(require_field(read_json_file(state_path), "step", state_path), state_path);
  }
  write_json_file_atomic(state_path, {{"step", step},
                                      {"identity", identity_},
                                      {"weights", fs::path(weights).filename().string()},
                                      {"optimizer", fs::path(optimizer_path).filename().string()},
                                      {"options", options_.to_json()}});
  if (previous >= 0 && previous != step) {
    std::remove(step_file(dir, "trainable", previous, ".safetensors").c_str());
    std::remove(step_file(dir, "optimizer", previous, ".pt").c_str());
  }
}

int64_t Trainer::resume(torch::optim::Optimizer& optimizer, int64_t total) const {
  if (options_.checkpoint_dir.empty()) return 0;
  const auto state_path = (fs::path(options_.checkpoint_dir) / kStateFile).string();
  if (!fs::exists(state_path)) return 0;
  const Json state = read_json_file(state_path);
  const auto identity = json_string(require_field(state, "identity", state_path), state_path);
  if (identity != identity_) {
    throw Error(state_path + ": this checkpoint belongs to a run with other data or settings (" +
                identity + ", now " + identity_ + "); remove the directory to start afresh");
  }
  const auto step = json_int(require_field(state, "step", state_path), state_path + ": step");
  if (step < 1 || step > total) {
    throw Error(state_path + ": step " + std::to_string(step) + " is outside this run's 1.." +
                std::to_string(total) + "; remove " + options_.checkpoint_dir + " to start afresh");
  }
  const auto weights =
      (fs::path(options_.checkpoint_dir) /
       json_string(require_field(state, "weights", state_path), state_path + ": weights"))
          .string();
  SafetensorsFile file(weights);
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : parameters_) {
    if (!file.contains(name)) throw Error(weights + ": missing tensor '" + name + "'");
    auto loaded = file.load(name);
    if (loaded.sizes() != tensor.sizes())
      throw Error(weights + ": '" + name + "' has another shape");
    if (!torch::isfinite(loaded).all().item<bool>()) {
      throw Error(weights + ": '" + name + "' holds NaN or Inf; remove " + options_.checkpoint_dir +
                  " to start afresh");
    }
    tensor.copy_(loaded.to(tensor.options()));
  }
  const auto optimizer_path =
      (fs::path(options_.checkpoint_dir) /
       json_string(require_field(state, "optimizer", state_path), state_path + ": optimizer"))
          .string();
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(optimizer_path, parameters_.front().second.device());
    optimizer.load(archive);
  } catch (const c10::Error& e) {
    throw Error(optimizer_path + ": cannot read the optimizer state (" +
                e.what_without_backtrace() + "); remove " + options_.checkpoint_dir +
                " to start afresh");
  }
  return step;
}

TrainSummary Trainer::train(int64_t num_examples,
                            const std::function<ExampleLoss(int64_t)>& loss_of) {
  if (options_.micro_batch != 1) {
    throw Error("trainer: a micro-batch of " + std::to_string(options_.micro_batch) +
                " examples needs batched losses (train_batched)");
  }
  return train_batched(num_examples, [&](const std::vector<int64_t>& examples) {
    return std::vector<ExampleLoss>{loss_of(examples.front())};
  });
}

TrainSummary Trainer::train_batched(int64_t num_examples, const BatchLosses& losses_of) {
  if (num_examples <= 0) throw Error("trainer: no training examples");
  if (options_.micro_batch < 1) {
    throw Error("trainer: micro_batch must be at least 1, not " +
                std::to_string(options_.micro_batch));
  }
  std::vector<torch::Tensor> tensors;
  for (auto& item : parameters_) tensors.push_back(item.second);
  torch::optim::AdamW optimizer(
      tensors,
      torch::optim::AdamWOptions(options_.learning_rate).weight_decay(options_.weight_decay));
  const int64_t total = total_steps(num_examples);
  const auto warmup = static_cast<int64_t>(std::ceil(options_.warmup_ratio * total));
  const int64_t stream_length = options_.epochs * num_examples;

  const auto& group = options_.data_parallel;
  const int64_t rank = group ? group->rank() : 0, ranks = group ? group->size() : 1;
  const bool writer = rank == 0;
  TrainSummary summary;
  summary.resumed_from = resume(optimizer, total);
  if (group) {
    group->agree(summary.resumed_from, "the step to resume from (every process must see " +
                                           options_.checkpoint_dir + ")");
  }
  if (summary.resumed_from > 0 && writer) {
    std::cerr << options_.label << ": resuming from step " << summary.resumed_from << " of "
              << total << " (" << options_.checkpoint_dir << ")\n";
  }
  if (!options_.log_path.empty() && writer) {
    if (summary.resumed_from > 0) {
      truncate_log(options_.log_path, summary.resumed_from);
    } else {
      write_file_atomic(options_.log_path, "");
    }
  }
  std::ofstream log;
  if (!options_.log_path.empty() && writer) log.open(options_.log_path, std::ios::app);

  std::optional<Progress> progress;  // the first process's alone
  if (writer) progress.emplace(options_.label, total);
  const auto start = std::chrono::steady_clock::now();
  int64_t cached_epoch = -1;
  std::vector<int64_t> order;
  int64_t window_tokens = 0;
  auto window_start = start;
  for (int64_t step = summary.resumed_from; step < total; ++step) {
    optimizer.zero_grad();
    const int64_t first = step * options_.grad_accumulation;
    const int64_t count = std::min(options_.grad_accumulation, stream_length - first);
    // This process's share of the step: a contiguous run of its examples.
    const auto [own_first, own_end] = contiguous_share(count, rank, ranks);
    double loss_sum = 0;
    int64_t step_tokens = 0;
    for (int64_t chunk = own_first; chunk < own_end; chunk += options_.micro_batch) {
      std::vector<int64_t> examples;
      for (int64_t i = chunk; i < std::min(own_end, chunk + options_.micro_batch); ++i) {
        const int64_t k = first + i;
        if (k / num_examples != cached_epoch) {
          cached_epoch = k / num_examples;
          if (options_.shuffle) order = shuffled_order(num_examples, options_.seed, cached_epoch);
        }
        examples.push_back(options_.shuffle ? order[k % num_examples] : k % num_examples);
      }
      torch::Tensor chunk_loss;
      for (const auto& example : losses_of(examples)) {
        if (!example.loss.defined()) continue;
        const auto share = example.loss / static_cast<double>(count);
        chunk_loss = chunk_loss.defined() ? chunk_loss + share : share;
        loss_sum += example.loss.item<double>();
        step_tokens += example.tokens;
      }
      if (chunk_loss.defined()) chunk_loss.backward();
    }
    // A parameter no example of the step reached gets a zero gradient, not none, so that Adam
    // moves it by its momentum whether or not this process saw it reached before: a resumed run
    // equals an uninterrupted one, and libtorch 1.13 (whose zero_grad keeps gradients) equals 2.x
    // (whose zero_grad drops them).
    for (auto& tensor : tensors) {
      if (!tensor.grad().defined()) tensor.mutable_grad() = torch::zeros_like(tensor);
    }
    if (group) {
      std::vector<torch::Tensor> summed;
      for (auto& tensor : tensors) summed.push_back(tensor.grad());
      auto totals = torch::tensor({loss_sum, static_cast<double>(step_tokens)}, torch::kFloat64)
                        .to(tensors.front().device());
      summed.push_back(totals);
      group->all_reduce_sum(summed);
      loss_sum = totals[0].item<double>();
      step_tokens = static_cast<int64_t>(std::llround(totals[1].item<double>()));
    }
    window_tokens += step_tokens;
    const double max_norm =
        options_.max_grad_norm > 0 ? options_.max_grad_norm : std::numeric_limits<double>::max();
    const double grad_norm = torch::nn::utils::clip_grad_norm_(tensors, max_norm);
    const double lr = scheduled_learning_rate(options_.learning_rate, step, warmup, total);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
    optimizer.step();
    summary.final_loss = loss_sum / static_cast<double>(count);

    const auto now = std::chrono::steady_clock::now();
    const bool last = step + 1 == total;
    if (log.is_open() && ((step + 1) % options_.log_every == 0 || last)) {
      const double window = std::chrono::duration<double>(now - window_start).count();
      log << Json{{"step", step + 1},
                  {"epoch", static_cast<double>(first + count) / num_examples},
                  {"loss", summary.final_loss},
                  {"learning_rate", lr},
                  {"grad_norm", grad_norm},
                  {"tokens", window_tokens},
                  {"tokens_per_s", window > 0 ? window_tokens / window : 0.0},
                  {"elapsed_s", std::chrono::duration<double>(now - start).count()}}
                 .dump()
          << "\n"
          << std::flush;
      window_tokens = 0;
      window_start = now;
    }
    char status[64];
    std::snprintf(status, sizeof status, "loss %.4f", summary.final_loss);
    if (progress) progress->update(step + 1, status);
    if (!options_.checkpoint_dir.empty() && writer &&
        (last || (options_.checkpoint_every > 0 && (step + 1) % options_.checkpoint_every == 0))) {
      save_checkpoint(step + 1, optimizer);
    }
    fault_point("train-step");
  }
  summary.steps = total;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace kvchain
