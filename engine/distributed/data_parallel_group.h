#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/distributed/rank_placement.h"

namespace kvchain {

// The processes of one data-parallel run, joined through c10d, PyTorch's distributed layer:
// a TCP store at the placement's rendezvous, and a process group over it (Gloo for CPU tensors,
// NCCL for CUDA ones where the libtorch has it). Joining waits up to `rendezvous_timeout` for
// every rank; a collective that a rank leaves unfinished ends in an Error, at once when the
// rank's process ended (its connections close) and after `collective_timeout` otherwise, never
// a hang.
class DataParallelGroup {
 public:
  static std::shared_ptr<DataParallelGroup> join(const RankPlacement& placement,
                                                 torch::Device device,
                                                 std::chrono::milliseconds rendezvous_timeout,
                                                 std::chrono::milliseconds collective_timeout);
  // Whether this build has a process group for `device`'s tensors.
  static bool available(torch::Device device);
  ~DataParallelGroup();
  DataParallelGroup(const DataParallelGroup&) = delete;
  DataParallelGroup& operator=(const DataParallelGroup&) = delete;

  int64_t rank() const { return rank_; }
  int64_t size() const { return size_; }

  // Sums each tensor over the ranks, in place; tensors of one dtype and device travel together,
  // flattened into buckets of at most kBucketBytes, so a step makes few collectives.
  void all_reduce_sum(const std::vector<torch::Tensor>& tensors);
  // The first rank's `value`, on every rank.
  int64_t from_first(int64_t value);
  // `value`, or an Error naming `what` when the ranks disagree about it.
  int64_t agree(int64_t value, const std::string& what);
  static constexpr int64_t kBucketBytes = int64_t{25} << 20;

 private:
  struct Impl;
  DataParallelGroup(std::unique_ptr<Impl> impl, int64_t rank, int64_t size);
  std::unique_ptr<Impl> impl_;
  int64_t rank_ = 0;
  int64_t size_ = 1;
};

}  // namespace kvchain
