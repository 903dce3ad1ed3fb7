// Checkpoint averaging: the weighted average of checkpoints of one shape, and its refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/io/error.h"
#include "engine/model/checkpoint.h"
#include "engine/model/checkpoint_average.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

using ::testing::HasSubstr;

// A random `small` model saved to dir/name, each parameter times `scale`.
std::string saved_model(const test::TempDir& dir, const std::string& name, float scale,
                        double rope_theta = 10000.0) {
  auto json = test::small_config_json();
  json["rope_theta"] = rope_theta;
  LlamaForCausalLM model(ModelConfig::from_json(json, "test"));
  model.init_random(7);
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters()) p.mul_(scale);
  save_model(model, dir.file(name));
  return dir.file(name);
}

std::string error_of(const std::vector<std::string>& dirs, const std::vector<double>& weights) {
  try {
    average_checkpoints(dirs, weights);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(CheckpointAverage, AveragesEachParameterWithItsWeights) {
  test::TempDir dir;
  const auto one = saved_model(dir, "one", 1.0f), two = saved_model(dir, "two", 2.0f);
  const auto first = load_model(one, torch::kCPU, torch::kFloat32);
  // 0.25 x + 0.75 (2x) = 1.75x, exact in float64 and rounded once, as float32's 1.75x is.
  const auto mixed = average_checkpoints({one, two}, {0.25, 0.75});
  const auto expected = first->named_parameters();
  size_t compared = 0;
  for (const auto& item : mixed->named_parameters()) {
    EXPECT_TRUE(item.value().equal(expected[item.key()] * 1.75f)) << item.key();
    ++compared;
  }
  EXPECT_EQ(compared, expected.size());
  // A weight of 1 on one checkpoint gives it back bit for bit.
  const auto only_two = average_checkpoints({one, two}, {0.0, 1.0});
  const auto second = load_model(two, torch::kCPU, torch::kFloat32)->named_parameters();
  for (const auto& item : only_two->named_parameters()) {
    EXPECT_TRUE(item.value().equal(second[item.key()])) << item.key();
  }
}

TEST(CheckpointAverage, RefusesWhatCannotBeAveraged) {
  test::TempDir dir;
  const auto one = saved_model(dir, "one", 1.0f), two = saved_model(dir, "two", 2.0f);
  EXPECT_THAT(error_of({one}, {1.0}), HasSubstr("at least two checkpoints"));
  EXPECT_THAT(error_of({one, two}, {1.0}), HasSubstr("1 weights for 2 checkpoints"));
  EXPECT_THAT(error_of({one, two}, {1.5, -0.5}), HasSubstr("negative"));
  EXPECT_THAT(error_of({one, two}, {0.5, 0.6}), HasSubstr("add up to 1.1"));
  const auto other = saved_model(dir, "other", 1.0f, 500000.0);
  EXPECT_THAT(error_of({one, other}, {0.5, 0.5}),
              HasSubstr(other + ": its config differs from " + one));
}

}  // namespace
}  // namespace kvchain
