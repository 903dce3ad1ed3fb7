#include "engine/distributed/data_parallel_group.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <functional>
#include <utility>

#include "engine/io/error.h"
#include "engine/io/text.h"

#ifdef KVCHAIN_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef KVCHAIN_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace kvchain {

namespace {

// A process group's all-reduce, run to completion (the function holds the group). Gloo's and
// NCCL's groups share no base class across libtorch versions (ProcessGroup in 1.13, Backend in
// 2.x), but both have this.
using AllReduce = std::function<void(std::vector<at::Tensor>&, c10d::ReduceOp)>;

template <typename Group>
AllReduce all_reduce_of(c10::intrusive_ptr<Group> group) {
  return [group](std::vector<at::Tensor>& tensors, c10d::ReduceOp op) {
    c10d::AllreduceOptions options;
    options.reduceOp = op;
    group->allreduce(tensors, options)->wait();
  };
}

// A collective or the rendezvous failed: most often another rank stopped.
[[noreturn]] void lost(int64_t rank, const std::string& doing, const std::exception& e) {
  throw Error("data parallel: rank " + std::to_string(rank) + " " + doing +
              " failed (did another rank stop?): " + first_line(e.what()));
}

}  // namespace

struct DataParallelGroup::Impl {
  torch::Device device = torch::kCPU;  // where the group's tensors live
  c10::intrusive_ptr<c10d::Store> store;
  AllReduce all_reduce;
};

DataParallelGroup::DataParallelGroup(std::unique_ptr<Impl> impl, int64_t rank, int64_t size)
    : impl_(std::move(impl)), rank_(rank), size_(size) {}

DataParallelGroup::~DataParallelGroup() = default;

bool DataParallelGroup::available(torch::Device device) {
#ifdef KVCHAIN_NCCL
  if (device.is_cuda()) return true;
#endif
#ifdef KVCHAIN_GLOO
  if (device.is_cpu()) return true;
#endif
  return false;
}

std::shared_ptr<DataParallelGroup> DataParallelGroup::join(
    const RankPlacement& placement, torch::Device device,
    std::chrono::milliseconds rendezvous_timeout, std::chrono::milliseconds collective_timeout) {
  auto impl = std::make_unique<Impl>();
  impl->device = device;
  const auto rank = static_cast<int>(placement.rank);
  const auto size = static_cast<int>(placement.world_size);
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(placement.master_port);
    store_options.isServer = placement.rank == 0;
    store_options.numWorkers = static_cast<size_t>(placement.world_size);
    store_options.timeout = rendezvous_timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(placement.master_addr, store_options);
    if (device.is_cuda()) {
#ifdef KVCHAIN_NCCL
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = collective_timeout;
      impl->all_reduce = all_reduce_of(
          c10::make_intrusive<c10d::ProcessGroupNCCL>(impl->store, rank, size, options));
#else
      throw Error("data parallel on " + device.str() +
                  ": this kvchain was built against a libtorch without NCCL");
#endif
    } else {
#ifdef KVCHAIN_GLOO
      auto options = c10d::ProcessGroupGloo::Options::create(collective_timeout);
      options->devices.push_back(
          c10d::ProcessGroupGloo::createDeviceForHostname(placement.master_addr));
      impl->all_reduce = all_reduce_of(
          c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, rank, size, options));
#else
      throw Error("data parallel on the CPU: this kvchain was built without Gloo (install " +
                  std::string("libgloo-dev and rebuild)"));
#endif
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error("data parallel: rank " + std::to_string(rank) + " of " + std::to_string(size) +
                " could not join at " + placement.master_addr + ":" +
                std::to_string(placement.master_port) + " within " +
                std::to_string(rendezvous_timeout.count() / 1000) + " s: " + first_line(e.what()));
  }
  return std::shared_ptr<DataParallelGroup>(
      new DataParallelGroup(std::move(impl), placement.rank, placement.world_size));
}

void DataParallelGroup::all_reduce_sum(const std::vector<torch::Tensor>& tensors) {
  if (size_ == 1) return;
  torch::NoGradGuard no_grad;
  // Buckets in the tensors' order: a new one at each change of dtype or device or when full.
  std::vector<std::vector<torch::Tensor>> buckets;
  int64_t bytes = 0;
  for (const auto& tensor : tensors) {
    const auto size = tensor.numel() * tensor.element_size();
    if (buckets.empty() || bytes + size > kBucketBytes ||
        buckets.back().front().scalar_type() != tensor.scalar_type() ||
        buckets.back().front().device() != tensor.device()) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(tensor);
    bytes += size;
  }
  for (auto& bucket : buckets) {
    std::vector<torch::Tensor> flat;
    for (const auto& tensor : bucket) flat.push_back(tensor.reshape(-1));
    std::vector<at::Tensor> joined{torch::cat(flat)};
    try {
      impl_->all_reduce(joined, c10d::ReduceOp::SUM);
    } catch (const std::exception& e) {
      lost(rank_, "summing gradients", e);
    }
    int64_t offset = 0;
    for (auto& tensor : bucket) {
      tensor.copy_(joined[0].narrow(0, offset, tensor.numel()).view_as(tensor));
      offset += tensor.numel();
    }
  }
}

int64_t DataParallelGroup::from_first(int64_t value) {
  if (size_ == 1) return value;
  std::vector<at::Tensor> sent{
      torch::tensor({rank_ == 0 ? value : 0}, torch::kInt64).to(impl_->device)};
  try {
    impl_->all_reduce(sent, c10d::ReduceOp::SUM);
  } catch (const std::exception& e) {
    lost(rank_, "receiving the first rank's value", e);
  }
  return sent[0][0].item<int64_t>();
}

int64_t DataParallelGroup::agree(int64_t value, const std::string& what) {
  if (size_ == 1) return value;
  std::vector<at::Tensor> bounds{torch::tensor({value, -value}, torch::kInt64).to(impl_->device)};
  try {
    impl_->all_reduce(bounds, c10d::ReduceOp::MAX);
  } catch (const std::exception& e) {
    lost(rank_, "comparing " + what, e);
  }
  const auto high = bounds[0][0].item<int64_t>(), low = -bounds[0][1].item<int64_t>();
  if (high != low) {
    throw Error("data parallel: the ranks disagree about " + what + " (" + std::to_string(low) +
                " to " + std::to_string(high) + ", rank " + std::to_string(rank_) + " has " +
                std::to_string(value) + ")");
  }
  return value;
}

}  // namespace kvchain
