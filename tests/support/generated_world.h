#pragma once

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "data/world/generate.h"
#include "tests/support/test_support.h"

namespace kvchain::test {

// A fixture whose tests share one generated world (seed 11, made once per test suite in well
// under a second).
class GeneratedWorld : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    world_ = new TempDir();
    std::ostringstream progress;
    data::generate_dataset(world_->path().string(), {11, 1}, progress);
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  static std::string world_dir() { return world_->path().string(); }
  static std::string world_file(const std::string& name) { return world_->file(name); }
  // A task's split, parsed.
  static std::vector<Json> split(const std::string& task, const std::string& name = "train") {
    return read_jsonl(world_->file(task + "/" + name + ".jsonl"));
  }

 private:
  static inline TempDir* world_ = nullptr;
};

}  // namespace kvchain::test
