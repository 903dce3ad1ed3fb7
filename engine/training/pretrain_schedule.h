#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kvchain {

// Tokenised documents, each ending in EOS, trained for `epochs` passes; `name` (its first file)
// names the stage in messages.
struct PretrainStage {
  std::string name;
  std::vector<std::vector<int64_t>> lines;
  int64_t epochs = 0;
};

// Which rows each pretraining batch holds: the stages one after the other (a curriculum comes
// first whatever the learning-rate schedule does), and every epoch packs its stage's lines in a
// new shuffled order into rows of `length` + 1 tokens. Packing once and reusing the rows lets a
// small model memorise each row as one long sequence: it then recalls a fact only after the
// row's earlier lines, never from the fact's own words.
class PretrainSchedule {
 public:
  PretrainSchedule(std::vector<PretrainStage> stages, int64_t length, int64_t batch_size,
                   uint64_t seed);

  int64_t batches() const;  // in the whole schedule
  size_t stage_count() const { return stages_.size(); }
  const std::string& stage_name(size_t stage) const { return stages_.at(stage).name; }
  int64_t rows_per_epoch(size_t stage) const { return rows_.at(stage); }
  torch::Tensor batch(int64_t index, const torch::Device& device);  // [rows, length + 1]

 private:
  int64_t batches_per_epoch(size_t stage) const;
  torch::Tensor pack(size_t stage, int64_t epoch) const;

  std::vector<PretrainStage> stages_;
  std::vector<int64_t> rows_;  // per stage and epoch
  int64_t length_, batch_size_;
  uint64_t seed_;
  int64_t packed_stage_ = -1, packed_epoch_ = -1;
  torch::Tensor packed_;
};

}  // namespace kvchain
