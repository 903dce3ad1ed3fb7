// A suite's grid: each task on every dataset that holds it (experiments/suite_config.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "experiments/suite_config.h"
#include "tests/support/test_support.h"

namespace kvchain::experiments {
namespace {

class SuiteGrid : public ::testing::Test {
 protected:
  SuiteGrid() {
    std::filesystem::create_directories(dir_.path() / "base");
    std::ofstream(dir_.file("base/config.json")) << "{}";
  }
  void hold(const std::string& dataset, const std::string& task) {
    std::filesystem::create_directories(dir_.path() / dataset / task);
    for (const char* split : {"train", "test"}) {
      std::ofstream(dir_.file(dataset + "/" + task + "/" + split + ".jsonl")) << "\n";
    }
  }
  SuiteConfig read(const std::string& data, const std::string& tasks) {
    const auto path = dir_.file("suite.json");
    std::ofstream(path) << "{\"name\": \"grid\", \"base\": \"" << dir_.file("base")
                        << "\", \"data\": " << data << ", \"tasks\": " << tasks
                        << ", \"methods\": [\"text\"]}";
    return read_suite_config(path);
  }
  std::string at(const std::string& name) { return "\"" + dir_.file(name) + "\""; }
  test::TempDir dir_;
};

TEST_F(SuiteGrid, EachTaskRunsOnEveryDatasetThatHoldsIt) {
  hold("hqa", "compression_qa");
  hold("hqa", "rewrite_qa");
  hold("tqa", "compression_qa");
  const auto suite = read("{\"hqa\": " + at("hqa") + ", \"tqa\": " + at("tqa") + "}",
                          "[\"rewrite_qa\", \"compression_qa\"]");
  std::vector<std::string> labels, stems;
  for (const auto& job : suite.jobs()) {
    labels.push_back(job.label());
    stems.push_back(job.stem());
  }
  EXPECT_EQ(labels, (std::vector<std::string>{"rewrite_qa hqa", "compression_qa hqa",
                                              "compression_qa tqa"}));
  EXPECT_EQ(stems[2], "compression_qa-tqa");
  // One directory keeps the task's own name.
  EXPECT_EQ(read(at("hqa"), "[\"rewrite_qa\"]").jobs().front().label(), "rewrite_qa");
}

TEST_F(SuiteGrid, ATaskNoDatasetHoldsOrADatasetNoTaskUsesIsNamed) {
  hold("hqa", "compression_qa");
  hold("tqa", "compression_qa");
  EXPECT_NE(test::error_message([&] {
              read("{\"hqa\": " + at("hqa") + ", \"tqa\": " + at("tqa") + "}",
                   "[\"compression_qa\", \"rewrite_qa\"]");
            }).find("rewrite_qa/train.jsonl is missing (and no other dataset holds rewrite_qa)"),
            std::string::npos);
  hold("pub", "active_rag");
  EXPECT_NE(test::error_message([&] {
              read("{\"hqa\": " + at("hqa") + ", \"pub\": " + at("pub") + "}",
                   "[\"compression_qa\"]");
            }).find("'data.pub': " + dir_.file("pub") + " holds none of the suite's tasks"),
            std::string::npos);
}

}  // namespace
}  // namespace kvchain::experiments
