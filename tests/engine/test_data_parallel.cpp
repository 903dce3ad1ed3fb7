#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "engine/distributed/data_parallel_group.h"
#include "engine/io/error.h"
#include "engine/training/trainer.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

using std::chrono::milliseconds;

// Runs `work(group)` on `ranks` threads, each a rank of one group joined over the loopback;
// the first failure of any rank fails the test.
void on_ranks(int64_t ranks, const std::function<void(DataParallelGroup&)>& work,
              milliseconds timeout = milliseconds(30000)) {
  RankPlacement placement;
  placement.world_size = placement.local_world_size = ranks;
  placement.master_port = free_loopback_port();
  std::vector<std::thread> threads;
  std::vector<std::string> failures(ranks);
  for (int64_t rank = 0; rank < ranks; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        auto at = placement;
        at.rank = at.local_rank = rank;
        auto group = DataParallelGroup::join(at, torch::kCPU, timeout, timeout);
        work(*group);
      } catch (const std::exception& e) {
        failures[rank] = e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int64_t rank = 0; rank < ranks; ++rank) {
    EXPECT_EQ(failures[rank], "") << "rank " << rank;
  }
}

class DataParallelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!DataParallelGroup::available(torch::kCPU)) {
      GTEST_SKIP() << "this build has no CPU process group (Gloo)";
    }
  }
};

TEST_F(DataParallelTest, SumsEachTensorOverTheRanksThroughBuckets) {
  // A float tensor larger than a bucket between two small ones, and a double one: four
  // collectives, each tensor back in its own shape.
  const int64_t big = DataParallelGroup::kBucketBytes / 4 + 3;
  on_ranks(3, [&](DataParallelGroup& group) {
    const double r = static_cast<double>(group.rank() + 1);
    std::vector<torch::Tensor> tensors{torch::full({2, 3}, r), torch::full({big}, r),
                                       torch::full({3}, r),
                                       torch::full({2, 2}, 10 * r, torch::kFloat64)};
    group.all_reduce_sum(tensors);
    EXPECT_TRUE(tensors[0].equal(torch::full({2, 3}, 6.0)));
    EXPECT_TRUE(tensors[1].equal(torch::full({big}, 6.0)));
    EXPECT_TRUE(tensors[2].equal(torch::full({3}, 6.0)));
    EXPECT_TRUE(tensors[3].equal(torch::full({2, 2}, 60.0, torch::kFloat64)));
    EXPECT_EQ(group.agree(7, "a count"), 7);
  });
}

TEST_F(DataParallelTest, RanksThatDisagreeGetAnErrorNamingWhat) {
  on_ranks(2, [](DataParallelGroup& group) {
    try {
      group.agree(group.rank() + 4, "the step to resume from");
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("the ranks disagree about the step to resume from (4 "
                                           "to 5, rank " +
                                           std::to_string(group.rank())),
                std::string::npos)
          << e.what();
    }
  });
}

TEST_F(DataParallelTest, ARankThatLeavesEndsTheOthersCollectiveInAnErrorNotAHang) {
  on_ranks(
      2,
      [](DataParallelGroup& group) {
        if (group.rank() == 1) return;  // leaves: its group closes its connections
        std::this_thread::sleep_for(milliseconds(200));
        const auto start = std::chrono::steady_clock::now();
        std::vector<torch::Tensor> tensors{torch::ones({4})};
        try {
          group.all_reduce_sum(tensors);
          ADD_FAILURE() << "no error";
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("data parallel: rank 0 summing gradients failed "
                                               "(did another rank stop?)"),
                    std::string::npos)
              << e.what();
        }
        EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
      },
      milliseconds(5000));
}

// Least squares on fixed points: example i's loss is (w . x_i - y_i)^2 over a [4] weight.
struct Regression {
  torch::Tensor weight = torch::zeros({4}).requires_grad_(true);

  ExampleLoss loss(int64_t i) const {
    const auto x = torch::arange(4, torch::kFloat32) * 0.1 + static_cast<double>(i % 5) * 0.3;
    const double y = static_cast<double>(i % 3) - 1.0;
    return {(weight * x).sum().sub(y).pow(2), 1};
  }
  std::vector<ExampleLoss> losses(const std::vector<int64_t>& examples) const {
    std::vector<ExampleLoss> out;
    for (auto i : examples) out.push_back(loss(i));
    return out;
  }
};

TrainerOptions regression_options(int64_t micro_batch) {
  TrainerOptions options;
  options.learning_rate = 0.05;
  options.epochs = 3;
  options.grad_accumulation = 3;  // an odd step over two ranks, and a short last step
  options.micro_batch = micro_batch;
  options.seed = 5;
  options.label = "test";
  return options;
}

TEST_F(DataParallelTest, TwoRanksTrainAsOneProcessDoesAndOnlyTheFirstWrites) {
  for (const int64_t micro_batch : {1, 2}) {
    Regression alone;
    const auto reference =
        Trainer({{"w", alone.weight}}, regression_options(micro_batch), "r")
            .train_batched(7, [&](const std::vector<int64_t>& e) { return alone.losses(e); });

    test::TempDir dir;
    std::vector<torch::Tensor> weights(2);
    std::vector<double> final_losses(2);
    on_ranks(2, [&](DataParallelGroup& group) {
      Regression mine;
      auto options = regression_options(micro_batch);
      options.checkpoint_dir = dir.file("ckpt");
      options.log_path = dir.file("log.jsonl");
      options.data_parallel = std::shared_ptr<DataParallelGroup>(&group, [](auto*) {});
      const auto summary =
          Trainer({{"w", mine.weight}}, options, "r")
              .train_batched(7, [&](const std::vector<int64_t>& e) { return mine.losses(e); });
      weights[group.rank()] = mine.weight.detach().clone();
      final_losses[group.rank()] = summary.final_loss;
    });
    for (int rank = 0; rank < 2; ++rank) {
      EXPECT_LT((weights[rank] - alone.weight.detach()).abs().max().item<double>(), 1e-6)
          << "micro-batch " << micro_batch << ", rank " << rank;
      EXPECT_NEAR(final_losses[rank], reference.final_loss, 1e-6);
    }
    EXPECT_EQ(test::read_jsonl(dir.file("log.jsonl")).size(), 7u);  // 21 examples, 3 a step
  }
}

}  // namespace
}  // namespace kvchain
