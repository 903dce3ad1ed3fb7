// Pretraining batches: stages in order, a fresh packing of whole lines every epoch.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "engine/io/error.h"
#include "engine/training/pretrain_schedule.h"

namespace kvchain {
namespace {

// `count` lines of four tokens, `first`, first+1, ..., so every token names its line.
std::vector<std::vector<int64_t>> lines_from(int64_t first, int64_t count) {
  std::vector<std::vector<int64_t>> lines;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t id = first + 4 * i;
    lines.push_back({id, id + 1, id + 2, id + 3});
  }
  return lines;
}

std::vector<int64_t> tokens_of_epoch(PretrainSchedule& schedule, int64_t first_batch,
                                     int64_t batches) {
  std::vector<int64_t> tokens;
  for (int64_t b = first_batch; b < first_batch + batches; ++b) {
    const auto rows = schedule.batch(b, torch::kCPU).contiguous();
    tokens.insert(tokens.end(), rows.data_ptr<int64_t>(), rows.data_ptr<int64_t>() + rows.numel());
  }
  return tokens;
}

// 12 lines of 4 tokens fill 6 rows of 8 exactly: 3 batches of 2 rows per epoch.
TEST(PretrainSchedule, EveryEpochPacksEachWholeLineOnceInANewOrder) {
  PretrainSchedule schedule({{"main.txt", lines_from(100, 12), 3}}, /*length=*/7,
                            /*batch_size=*/2, /*seed=*/5);
  ASSERT_EQ(schedule.batches(), 9);
  std::vector<std::vector<int64_t>> epochs;
  for (int64_t e = 0; e < 3; ++e) epochs.push_back(tokens_of_epoch(schedule, 3 * e, 3));
  for (const auto& tokens : epochs) {
    ASSERT_EQ(tokens.size(), 48u);
    std::map<int64_t, int> seen;
    for (size_t i = 0; i < tokens.size(); i += 4) {
      const int64_t first = tokens[i];
      EXPECT_EQ((first - 100) % 4, 0) << "a line was split";
      for (int64_t k = 0; k < 4; ++k) EXPECT_EQ(tokens[i + k], first + k);
      ++seen[first];
    }
    EXPECT_EQ(seen.size(), 12u);
  }
  // Not the same rows in another batch order: the lines that share a row change.
  const auto rows_of = [](const std::vector<int64_t>& tokens) {
    std::set<std::vector<int64_t>> rows;
    for (size_t i = 0; i < tokens.size(); i += 8) rows.emplace(&tokens[i], &tokens[i] + 8);
    return rows;
  };
  EXPECT_NE(rows_of(epochs[0]), rows_of(epochs[1]));
  EXPECT_NE(rows_of(epochs[1]), rows_of(epochs[2]));
}

TEST(PretrainSchedule, ARebuiltScheduleGivesTheSameBatchesSoAResumedRunMatches) {
  PretrainSchedule a({{"main.txt", lines_from(100, 12), 3}}, 7, 2, 5);
  PretrainSchedule b({{"main.txt", lines_from(100, 12), 3}}, 7, 2, 5);
  for (int64_t batch : {7, 2, 4}) {
    EXPECT_TRUE(torch::equal(a.batch(batch, torch::kCPU), b.batch(batch, torch::kCPU)));
  }
}

TEST(PretrainSchedule, TheCurriculumComesFirstForItsOwnEpochs) {
  PretrainSchedule schedule(
      {{"copy.txt", lines_from(1000, 12), 2}, {"main.txt", lines_from(100, 12), 1}}, 7, 2, 5);
  ASSERT_EQ(schedule.batches(), 9);
  for (int64_t b = 0; b < 9; ++b) {
    const auto rows = schedule.batch(b, torch::kCPU);
    if (b < 6) {
      EXPECT_GE(rows.min().item<int64_t>(), 1000) << "batch " << b;
    } else {
      EXPECT_LT(rows.max().item<int64_t>(), 1000) << "batch " << b;
    }
  }
}

TEST(PretrainSchedule, TextShorterThanOneRowIsRefusedNamingTheFile) {
  try {
    PretrainSchedule({{"tiny.txt", lines_from(100, 1), 1}}, 7, 2, 5);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("tiny.txt: 4 tokens are fewer than one row of 8"));
  }
}

}  // namespace
}  // namespace kvchain
