#include "tests/support/test_support.h"

#include <ftw.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

namespace kvchain::test {

std::string fixtures_dir() {
  const char* env = std::getenv("KVCHAIN_FIXTURES");
  return env != nullptr ? env : KVCHAIN_FIXTURES_DIR;
}

std::string tiny_llama_dir() {
  return fixtures_dir() + "/tiny-llama";
}

torch::Device test_device() {
  const char* env = std::getenv("KVCHAIN_TEST_DEVICE");
  return torch::Device(env != nullptr ? env : "cpu");
}

namespace {
void flatten(const Json& value, std::vector<double>& out, std::vector<int64_t>& shape,
             size_t depth) {
  if (!value.is_array()) {
    out.push_back(value.get<double>());
    return;
  }
  if (shape.size() == depth) shape.push_back(static_cast<int64_t>(value.size()));
  for (const auto& item : value) flatten(item, out, shape, depth + 1);
}
}  // namespace

torch::Tensor json_tensor(const Json& value, torch::ScalarType dtype) {
  std::vector<double> data;
  std::vector<int64_t> shape;
  flatten(value, data, shape, 0);
  return torch::tensor(data, torch::kFloat64).view(shape).to(dtype);
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kCPU, torch::kFloat64) - b.to(torch::kCPU, torch::kFloat64))
      .abs()
      .max()
      .item<double>();
}

std::string data_sample(const std::string& name) {
  return std::string(KVCHAIN_SOURCE_DIR) + "/tests/samples/" + name;
}

std::vector<Json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open file");
  std::vector<Json> out;
  for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
  return out;
}

Json small_config_json() {
  return Json{{"model_type", "llama"},    {"vocab_size", 96},
              {"hidden_size", 32},        {"intermediate_size", 64},
              {"num_hidden_layers", 2},   {"num_attention_heads", 4},
              {"num_key_value_heads", 2}, {"max_position_embeddings", 512},
              {"rms_norm_eps", 1e-6},     {"rope_theta", 10000.0},
              {"eos_token_id", 2},        {"tie_word_embeddings", false}};
}

std::shared_ptr<Adapter> random_adapter(const LlamaForCausalLM& base, AdapterKind kind,
                                        int64_t virtual_tokens, double std) {
  AdapterConfig config;
  config.kind = kind;
  config.num_virtual_tokens = virtual_tokens;
  auto adapter = std::make_shared<Adapter>(config, base.config());
  {
    torch::NoGradGuard no_grad;
    adapter->table().normal_(0, std);
  }
  adapter->to(base.device());
  return adapter;
}

std::shared_ptr<LlamaForCausalLM> small_model(uint64_t seed, double std) {
  auto model =
      std::make_shared<LlamaForCausalLM>(ModelConfig::from_json(small_config_json(), "test"));
  model->init_random(seed, std);
  model->to(test_device());
  model->eval();
  return model;
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / ("kvchain-test-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

// Not std::filesystem::remove_all: linked against PyTorch 2.11's libtorch.so, that call binds to
// a copy libtorch exports, and it segfaulted on the GPU machine.
TempDir::~TempDir() {
  nftw(
      path_.c_str(),
      [](const char* path, const struct stat*, int, struct FTW*) { return std::remove(path); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

}  // namespace kvchain::test
