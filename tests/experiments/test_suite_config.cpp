// A suite's grid: each task on every dataset that holds it (experiments/suite_config.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "experiments/member_training.h"
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

// How members are prompt-tuned and which split is evaluated are a suite's settings, checked
// before anything runs.
TEST_F(SuiteGrid, AdapterLearningRateAndSplitAreReadAndChecked) {
  hold("hqa", "compression_qa");
  const auto path = dir_.file("tuned.json");
  const auto write = [&](const std::string& extra) {
    std::ofstream(path) << "{\"name\": \"t\", \"base\": \"" << dir_.file("base")
                        << "\", \"data\": " << at("hqa")
                        << ", \"tasks\": [\"compression_qa\"], \"methods\": [\"text\"]" << extra
                        << "}";
  };
  write("");
  const auto defaults = read_suite_config(path);
  EXPECT_EQ(defaults.adapter_kind, default_member_training().adapter.kind);
  EXPECT_EQ(defaults.learning_rate, default_member_training().trainer.learning_rate);
  EXPECT_EQ(defaults.eval_split, "test");
  write(", \"adapter\": \"prefix\", \"virtual_tokens\": 20, \"learning_rate\": 0.01");
  const auto tuned = read_suite_config(path);
  EXPECT_EQ(tuned.adapter_kind, AdapterKind::kPrefix);
  EXPECT_EQ(tuned.virtual_tokens, 20);
  EXPECT_DOUBLE_EQ(tuned.learning_rate, 0.01);
  write(", \"adapter\": \"lora\"");
  EXPECT_NE(test::error_message([&] {
              read_suite_config(path);
            }).find("'adapter': unknown adapter kind 'lora' (prompt, prefix)"),
            std::string::npos);
  write(", \"learning_rate\": -1");
  EXPECT_NE(test::error_message([&] {
              read_suite_config(path);
            }).find("'learning_rate' must be a number above 0 and at most 10"),
            std::string::npos);
  write(", \"eval_split\": \"train\"");
  EXPECT_NE(test::error_message([&] {
              read_suite_config(path);
            }).find("'eval_split' must be \"test\" or \"dev\""),
            std::string::npos);
  write(", \"eval_split\": \"dev\"");  // hqa holds no dev split
  EXPECT_NE(test::error_message([&] {
              read_suite_config(path);
            }).find("compression_qa/dev.jsonl is missing"),
            std::string::npos);
}

// Values that would run forever, write outside the results folder or count a run twice are
// refused by the parser, naming the key (found by hand: epochs of 10^12 ran for 94,536,634 h,
// a name of ".." wrote into the results folder's parent, repeated seeds doubled runs).
TEST(SuiteConfigParse, RunawayValuesEscapingNamesAndRepeatsAreRefused) {
  const Json good = {{"name", "s"},          {"data", "w"},     {"tasks", {"a", "b"}},
                     {"methods", {"text"}},  {"seeds", {0, 1}}, {"epochs", 2},
                     {"learning_rate", 0.01}};
  const SuiteDefaults defaults{{"a", "b"}, AdapterKind::kPrompt, 50, 0.03};
  ASSERT_EQ(parse_suite_config(good, "s.json", defaults).seeds.size(), 2u);
  // Batches: evaluation by the device unless set, training one example a step unless set.
  EXPECT_EQ(parse_suite_config(good, "s.json", defaults).batch_size, 8);
  auto on_gpu = good;
  on_gpu.update({{"device", "cuda"}, {"train_batch_size", 16}});
  EXPECT_EQ(parse_suite_config(on_gpu, "s.json", defaults).batch_size, 32);
  EXPECT_EQ(parse_suite_config(on_gpu, "s.json", defaults).train_batch_size, 16);
  EXPECT_EQ(parse_suite_config(good, "s.json", defaults).train_batch_size, 1);
  // The retriever: BM25 unless a dense encoder is named, which then runs on the suite's device.
  EXPECT_TRUE(parse_suite_config(good, "s.json", defaults).dense.model.empty());
  auto dense = on_gpu;
  dense["retriever"] = {
      {"kind", "dense"}, {"model", "."}, {"pooling", "cls"}, {"query_prefix", "query: "}};
  const auto retrieval = parse_suite_config(dense, "s.json", defaults).task_settings().dense;
  EXPECT_EQ(retrieval.model, ".");
  EXPECT_EQ(retrieval.pooling, "cls");
  EXPECT_EQ(retrieval.query_prefix, "query: ");
  EXPECT_EQ(retrieval.passage_prefix, "");
  EXPECT_EQ(retrieval.device, "cuda");
  const std::vector<std::pair<Json, std::string>> cases = {
      {{{"epochs", int64_t{1000000000000}}}, "'epochs' must be an integer from 1 to 10000"},
      {{{"answer_epochs", 0}}, "'answer_epochs' must be an integer from 1 to 10000"},
      {{{"learning_rate", 1e300}}, "'learning_rate' must be a number above 0 and at most 10"},
      {{{"virtual_tokens", 1000000000}}, "'virtual_tokens' must be an integer from 1 to 4096"},
      {{{"world_seed", 1}, {"world_scale", 1000000}}, "'world_scale' must be an integer from 1 to"},
      {{{"name", ".."}}, "'name' must be a plain folder name"},
      {{{"name", "."}}, "'name' must be a plain folder name"},
      {{{"seeds", {0, 0}}}, "'seeds' lists 0 twice"},
      {{{"seeds", {-1}}}, "'seeds' must hold integers from 0 up"},
      {{{"tasks", {"a", "a"}}}, "tasks[1]: 'a' is listed twice"},
      {{{"methods", {"text", "text"}}}, "methods[1]: 'text' is listed twice"},
      {{{"batch_size", 0}}, "'batch_size' must be an integer from 1 to 4096"},
      {{{"train_batch_size", 1e6}}, "'train_batch_size' must be an integer from 1 to 4096"},
      {{{"retriever", {{"kind", "splade"}}}}, "'retriever'.kind is 'splade', not bm25 or dense"},
      {{{"retriever", {{"kind", "dense"}, {"model", "/nonexistent/e5"}}}},
       "'retriever'.model: no directory /nonexistent/e5"},
      {{{"retriever", {{"kind", "dense"}, {"model", "."}, {"polling", "cls"}}}},
       "'retriever': unknown key 'polling'"},
      {{{"retriever", {{"kind", "dense"}, {"model", "."}, {"pooling", "max"}}}},
       "'retriever'.pooling is 'max', not mean, last or cls"},
      {{{"retriever", {{"kind", "bm25"}, {"model", "."}}}},
       "'retriever': a BM25 retriever takes no other key"},
  };
  for (const auto& [change, expected] : cases) {
    auto config = good;
    config.update(change);
    const auto message =
        test::error_message([&] { parse_suite_config(config, "s.json", defaults); });
    EXPECT_NE(message.find("s.json: "), std::string::npos) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << expected << " / " << message;
  }
}

// A device the machine lacks is named before the suite makes its world or trains anything.
TEST_F(SuiteGrid, AnUnknownDeviceIsRefusedBeforeAnyWorldIsMade) {
  const auto path = dir_.file("device.json");
  std::ofstream(path) << "{\"name\": \"d\", \"base\": \"" << dir_.file("base")
                      << "\", \"data\": " << at("world")
                      << ", \"world_seed\": 1, \"tasks\": [\"diagnostic\"], \"methods\": "
                         "[\"text\"], \"device\": \"tpu\"}";
  EXPECT_NE(test::error_message([&] {
              read_suite_config(path);
            }).find(path + ": 'device': --device: unknown device 'tpu'"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("world")));
}

// An ablation tunes some of the suite's own tasks and methods with the other adapter kind, in a
// results folder of its own; anything else is refused before anything runs.
TEST_F(SuiteGrid, AnAblationIsTheSuitesOwnTasksAndMethodsWithTheOtherAdapter) {
  hold("hqa", "compression_qa");
  hold("hqa", "rewrite_qa");
  const auto path = dir_.file("ablated.json");
  const auto write = [&](const std::string& ablation) {
    std::ofstream(path) << "{\"name\": \"a\", \"base\": \"" << dir_.file("base")
                        << "\", \"data\": " << at("hqa")
                        << ", \"tasks\": [\"compression_qa\", \"rewrite_qa\"], "
                           "\"methods\": [\"rag\", \"text\", \"shared\"], \"ablation\": "
                        << ablation << "}";
  };
  write(R"({"adapter": "prefix", "tasks": ["compression_qa"], "methods": ["shared", "text"]})");
  const auto suite = read_suite_config(path);
  ASSERT_TRUE(suite.ablation.has_value());
  const auto variant = suite.ablation_suite();
  EXPECT_EQ(variant.adapter_kind, AdapterKind::kPrefix);
  EXPECT_EQ(variant.tasks, std::vector<std::string>{"compression_qa"});
  EXPECT_EQ(variant.methods,
            (std::vector<eval::System>{eval::System::kShared, eval::System::kText}));
  EXPECT_EQ(variant.run_dir(), suite.run_dir() + "/ablation-prefix");
  EXPECT_FALSE(variant.ablation.has_value());
  EXPECT_EQ(variant.learning_rate, suite.learning_rate);
  const auto refused = [&](const std::string& ablation) {
    write(ablation);
    return test::error_message([&] { read_suite_config(path); });
  };
  EXPECT_NE(refused(R"({"adapter": "prompt", "tasks": ["compression_qa"], "methods": ["text"]})")
                .find("'ablation': 'adapter' is the suite's own ('prompt')"),
            std::string::npos);
  EXPECT_NE(
      refused(R"({"adapter": "prefix", "tasks": ["active_rag"], "methods": ["text"]})")
          .find("'ablation': tasks[0]: unknown task 'active_rag' (compression_qa, rewrite_qa)"),
      std::string::npos);
  EXPECT_NE(refused(R"({"adapter": "prefix", "tasks": ["rewrite_qa"], "methods": ["distill"]})")
                .find("'ablation': method 'distill' is not among the suite's"),
            std::string::npos);
  EXPECT_NE(refused(R"({"adapter": "prefix", "tasks": ["rewrite_qa"], "methods": ["rag"]})")
                .find("'ablation': method 'rag' tunes no adapter"),
            std::string::npos);
  EXPECT_NE(refused(R"({"adapter": "prefix", "tasks": [], "methods": [], "seeds": [1]})")
                .find("'ablation': unknown key 'seeds' (adapter, tasks, methods)"),
            std::string::npos);
  EXPECT_NE(refused(R"(["prefix"])").find("'ablation' must be an object"), std::string::npos);
}

}  // namespace
}  // namespace kvchain::experiments
