#include "engine/training/pretrain_schedule.h"

#include "engine/io/error.h"
#include "engine/training/trainer.h"

namespace kvchain {

PretrainSchedule::PretrainSchedule(std::vector<PretrainStage> stages, int64_t length,
                                   int64_t batch_size, uint64_t seed)
    : stages_(std::move(stages)), length_(length), batch_size_(batch_size), seed_(seed) {
  for (size_t s = 0; s < stages_.size(); ++s) {
    int64_t tokens = 0;
    for (const auto& line : stages_[s].lines) tokens += static_cast<int64_t>(line.size());
    rows_.push_back(tokens / (length_ + 1));
    if (rows_.back() == 0) {
      throw Error(stages_[s].name + ": " + std::to_string(tokens) +
                  " tokens are fewer than one row of " + std::to_string(length_ + 1));
    }
  }
}

int64_t PretrainSchedule::batches_per_epoch(size_t stage) const {
  return (rows_[stage] + batch_size_ - 1) / batch_size_;
}

int64_t PretrainSchedule::batches() const {
  int64_t n = 0;
  for (size_t s = 0; s < stages_.size(); ++s) n += batches_per_epoch(s) * stages_[s].epochs;
  return n;
}

torch::Tensor PretrainSchedule::pack(size_t stage, int64_t epoch) const {
  const auto& lines = stages_[stage].lines;
  const auto order = shuffled_order(static_cast<int64_t>(lines.size()), seed_ + stage, epoch);
  const int64_t needed = rows_[stage] * (length_ + 1);
  std::vector<int64_t> stream;
  stream.reserve(needed + length_);
  for (const auto i : order) {
    if (static_cast<int64_t>(stream.size()) >= needed) break;
    stream.insert(stream.end(), lines[i].begin(), lines[i].end());
  }
  stream.resize(needed);
  return torch::tensor(stream, torch::kInt64).view({rows_[stage], length_ + 1});
}

torch::Tensor PretrainSchedule::batch(int64_t index, const torch::Device& device) {
  for (size_t s = 0; s < stages_.size(); ++s) {
    const int64_t per_epoch = batches_per_epoch(s);
    const int64_t span = per_epoch * stages_[s].epochs;
    if (index >= span) {
      index -= span;
      continue;
    }
    const int64_t epoch = index / per_epoch;
    if (static_cast<int64_t>(s) != packed_stage_ || epoch != packed_epoch_) {
      packed_ = pack(s, epoch).to(device);
      packed_stage_ = static_cast<int64_t>(s);
      packed_epoch_ = epoch;
    }
    const int64_t begin = index % per_epoch * batch_size_;
    return packed_.narrow(0, begin, std::min(batch_size_, rows_[s] - begin));
  }
  throw Error("pretrain: batch index past the schedule");
}

}  // namespace kvchain
