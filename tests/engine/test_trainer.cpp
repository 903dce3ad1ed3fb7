#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "engine/chain/chain_model.h"
#include "engine/training/trainer.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

TEST(Trainer, ScheduleWarmsUpLinearlyThenDecaysToZero) {
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(1.0, 0, 4, 20), 0.25);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(1.0, 3, 4, 20), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(1.0, 4, 4, 20), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(1.0, 12, 4, 20), 0.5);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(1.0, 19, 4, 20), 1.0 / 16);
}

// A prompt-tuned member learns to answer every input with the same token, something the
// random base model does not do. (A tiny random model bounds how far a prompt can move its
// logits, so the test asks for a clear drop, not for zero loss.)
struct CountingTask {
  ChainModel chain{test::small_model(11)};
  std::shared_ptr<Adapter> adapter;

  explicit CountingTask(AdapterKind kind) {
    chain.base().to(torch::kCPU);
    for (auto& p : chain.base().parameters()) p.set_requires_grad(false);
    AdapterConfig config;
    config.kind = kind;
    config.num_virtual_tokens = 4;
    adapter = std::make_shared<Adapter>(config, chain.base().config());
    adapter->initialise(chain.base(), {});
    chain.set_adapter("M", adapter);
  }
  ExampleLoss loss(int64_t i, bool with_grad = true) {
    torch::AutoGradMode mode(with_grad);
    auto cache = chain.base().make_cache(1);
    const int64_t x = 10 + i % 10;
    auto result = chain.run(
        cache, {LayoutPart::prompt("M"), LayoutPart::tokens({"M", SegmentRole::kInput}, {x}),
                LayoutPart::output("M", {42}, 2, true)});
    return {result.loss, result.loss_tokens};
  }
  double mean_loss() {
    double sum = 0;
    for (int i = 0; i < 10; ++i) sum += loss(i, false).loss.item<double>();
    return sum / 10;
  }
  NamedTensors parameters() {
    NamedTensors named;
    for (const auto& item : adapter->named_parameters())
      named.push_back({item.key(), item.value()});
    return named;
  }
};

TrainerOptions quick_options() {
  TrainerOptions options;
  options.learning_rate = 0.3;
  options.epochs = 30;
  options.grad_accumulation = 2;
  options.seed = 3;
  options.label = "test";
  return options;
}

TEST(Trainer, PromptTuningLearnsAndIsReproducible) {
  for (const auto kind : {AdapterKind::kPrompt, AdapterKind::kPrefix}) {
    CountingTask first(kind);
    const double before = first.mean_loss();
    Trainer(first.parameters(), quick_options(), "t").train(10, [&](int64_t i) {
      return first.loss(i);
    });
    const double after = first.mean_loss();
    EXPECT_LT(after, 0.7 * before) << adapter_kind_name(kind);

    CountingTask second(kind);
    Trainer(second.parameters(), quick_options(), "t").train(10, [&](int64_t i) {
      return second.loss(i);
    });
    EXPECT_TRUE(first.adapter->table().equal(second.adapter->table()));
  }
}

TEST(Trainer, ResumedRunEndsWhereAnUninterruptedOneDoesAndLogsEachStepOnce) {
  test::TempDir dir;
  auto options = quick_options();
  options.checkpoint_dir = dir.file("ckpt");
  options.checkpoint_every = 7;
  options.log_path = dir.file("log.jsonl");

  CountingTask reference(AdapterKind::kPrompt);
  Trainer(reference.parameters(), quick_options(), "t").train(10, [&](int64_t i) {
    return reference.loss(i);
  });

  // Interrupt after 20 steps (an exception stands in for the kill; the CLI test kills).
  CountingTask interrupted(AdapterKind::kPrompt);
  int64_t calls = 0;
  EXPECT_THROW(Trainer(interrupted.parameters(), options, "t")
                   .train(10,
                          [&](int64_t i) {
                            if (++calls > 40) throw Error("killed");
                            return interrupted.loss(i);
                          }),
               Error);
  CountingTask resumed(AdapterKind::kPrompt);
  const auto summary = Trainer(resumed.parameters(), options, "t").train(10, [&](int64_t i) {
    return resumed.loss(i);
  });
  EXPECT_EQ(summary.resumed_from, 14);
  EXPECT_TRUE(resumed.adapter->table().equal(reference.adapter->table()));

  const auto log = test::read_jsonl(options.log_path);
  ASSERT_EQ(static_cast<int64_t>(log.size()), summary.steps);
  for (size_t i = 0; i < log.size(); ++i) EXPECT_EQ(log[i]["step"], i + 1);

  const auto message = test::error_message([&] {
    Trainer(resumed.parameters(), options, "other").train(10, [&](int64_t i) {
      return resumed.loss(i);
    });
  });
  EXPECT_NE(message.find("belongs to a run with other data or settings"), std::string::npos);
}

// A step's examples in micro-batches give the run of one example at a time with the same
// examples per step: the same parameters after every step, up to rounding.
TEST(Trainer, MicroBatchesEndWhereOneExampleAtATimeDoes) {
  CountingTask one(AdapterKind::kPrompt), batched(AdapterKind::kPrompt);
  auto options = quick_options();
  options.epochs = 3;
  options.grad_accumulation = 4;
  Trainer(one.parameters(), options, "id").train(10, [&](int64_t i) { return one.loss(i); });
  options.micro_batch = 3;  // chunks of 3 and 1
  std::vector<int64_t> chunk_sizes;
  Trainer(batched.parameters(), options, "id")
      .train_batched(10, [&](const std::vector<int64_t>& examples) {
        chunk_sizes.push_back(static_cast<int64_t>(examples.size()));
        std::vector<ExampleLoss> losses;
        for (auto i : examples) losses.push_back(batched.loss(i));
        return losses;
      });
  // 30 examples in steps of 4: seven of a chunk of 3 and one, then one of 2.
  EXPECT_EQ(chunk_sizes, (std::vector<int64_t>{3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 2}));
  EXPECT_TRUE(torch::allclose(one.adapter->table(), batched.adapter->table(), 1e-5, 1e-6));
  EXPECT_GT((one.adapter->table() - CountingTask(AdapterKind::kPrompt).adapter->table())
                .abs()
                .max()
                .item<double>(),
            1e-3);
  // One-at-a-time losses cannot feed a micro-batch.
  EXPECT_THROW(
      Trainer(one.parameters(), options, "id").train(10, [&](int64_t i) { return one.loss(i); }),
      Error);
}

}  // namespace
}  // namespace kvchain
