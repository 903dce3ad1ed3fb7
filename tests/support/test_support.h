#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "engine/adapters/adapter.h"
#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "engine/model/llama_model.h"

// The one skip a test run accepts (tests/CMakeLists.txt): a CUDA-only test on a machine or build
// without CUDA. Any other skip, and a suite whose setup throws (which GoogleTest reports as
// skipped tests), fails the run.
#define KVCHAIN_SKIP_CUDA_ONLY(why) GTEST_SKIP() << "CUDA-only test skipped: " << why

namespace kvchain::test {

// ../shared/fixtures, or $KVCHAIN_FIXTURES when the fixtures were carried elsewhere.
std::string fixtures_dir();
std::string tiny_llama_dir();
// cpu unless $KVCHAIN_TEST_DEVICE says e.g. cuda; the GPU script runs the same tests there.
torch::Device test_device();
// A nested JSON list of numbers as a float32 (or int64) tensor.
torch::Tensor json_tensor(const Json& value, torch::ScalarType dtype = torch::kFloat32);
double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b);

// Runs `body` and returns the message of the kvchain::Error it throws ("" if it throws none),
// so tests can check that an error names the file, tensor or field at fault.
template <typename Body>
std::string error_message(Body&& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// tests/samples/<name>.
std::string data_sample(const std::string& name);
// Every line of a JSONL file, parsed.
std::vector<Json> read_jsonl(const std::string& path);

// A small random-weight Llama config (2 layers, GQA) for tests that need no checkpoint.
Json small_config_json();

// A random-weight model of small_config_json() on test_device(), in float32.
std::shared_ptr<LlamaForCausalLM> small_model(uint64_t seed, double std = 0.1);

// A chain member's prompt of `kind` for `base`, its table drawn from N(0, std) after the
// caller's torch::manual_seed, on the base's device.
std::shared_ptr<Adapter> random_adapter(const LlamaForCausalLM& base, AdapterKind kind,
                                        int64_t virtual_tokens, double std);

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace kvchain::test
