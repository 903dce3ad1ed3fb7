#include "engine/alignment/alignment_training.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <utility>

#include "engine/adapters/adapter.h"
#include "engine/alignment/cache_translation.h"
#include "engine/alignment/kv_space_adapter.h"
#include "engine/io/content_hash.h"
#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "engine/io/safetensors.h"
#include "engine/io/text_documents.h"
#include "engine/model/checkpoint.h"
#include "engine/model/device.h"

namespace kvchain {
namespace {

namespace fs = std::filesystem;

struct AlignedModel {
  std::string dir, name, fingerprint;
  std::shared_ptr<LlamaForCausalLM> model;
  std::shared_ptr<KVSpaceAdapter> adapter;
};

// The documents' token ids, cut to a prefix and a suffix; those too short for the prefix and
// two suffix tokens are skipped.
std::vector<std::vector<int64_t>> read_documents(const AlignmentOptions& options,
                                                 const Tokenizer& tokenizer) {
  std::vector<std::vector<int64_t>> documents;
  int64_t skipped = 0;
  for (const auto& text : read_text_documents({options.data}, "alignment")) {
    if (options.limit > 0 && static_cast<int64_t>(documents.size()) == options.limit) break;
    auto ids = tokenizer.encode(text);
    if (static_cast<int64_t>(ids.size()) < options.prefix_tokens + 2) {
      ++skipped;
      continue;
    }
    ids.resize(std::min<size_t>(ids.size(), options.prefix_tokens + options.suffix_tokens));
    documents.push_back(std::move(ids));
  }
  if (skipped > 0) {
    std::cerr << "align: skipped " << skipped << " documents shorter than "
              << options.prefix_tokens + 2 << " tokens\n";
  }
  if (documents.empty()) throw Error(options.data + ": no document long enough to align on");
  return documents;
}

std::vector<AlignedModel> load_models(const AlignmentOptions& options, torch::Device device) {
  if (options.models.size() < 2) throw Error("align: give two or more models");
  std::vector<AlignedModel> models;
  std::set<std::string> names;
  const auto tokenizer_hash = file_content_hash(tokenizer_file_beside(options.models[0]));
  for (const auto& dir : options.models) {
    AlignedModel aligned;
    aligned.dir = dir;
    aligned.name = fs::path(dir).lexically_normal().filename().string();
    if (aligned.name.empty()) aligned.name = fs::path(dir).parent_path().filename().string();
    if (!names.insert(aligned.name).second) {
      throw Error("align: two models in directories named " + aligned.name +
                  " (their adapters are named after them)");
    }
    if (file_content_hash(tokenizer_file_beside(dir)) != tokenizer_hash) {
      throw Error("align: " + tokenizer_file_beside(dir) + " differs from " +
                  tokenizer_file_beside(options.models[0]) +
                  "; models with different tokenizers cannot be aligned yet");
    }
    aligned.model = load_model(dir, device);
    aligned.model->eval();
    for (auto& p : aligned.model->parameters()) p.set_requires_grad(false);
    aligned.fingerprint = model_fingerprint(*aligned.model);
    models.push_back(std::move(aligned));
  }
  return models;
}

int64_t widest_kv(const std::vector<AlignedModel>& models) {
  int64_t widest = 0;
  for (const auto& m : models) {
    widest = std::max(widest, m.model->config().num_key_value_heads * m.model->config().head_dim);
  }
  return widest;
}

torch::Tensor row_of(const std::vector<int64_t>& ids, int64_t begin, int64_t end,
                     torch::Device device) {
  const std::vector<int64_t> part(ids.begin() + begin, ids.begin() + end);
  return torch::tensor(part, torch::kInt64).unsqueeze(0).to(device);
}

}  // namespace

AlignmentResult train_alignment(const AlignmentOptions& options) {
  if (options.prefix_tokens < 1 || options.suffix_tokens < 2) {
    throw Error("align: the prefix needs a token and the suffix two");
  }
  const auto device = parse_device(options.device);
  auto models = load_models(options, device);
  const auto tokenizer = load_tokenizer_beside(options.models[0], "align");
  const auto documents = read_documents(options, tokenizer);
  const auto shared_dim = options.shared_dim > 0 ? options.shared_dim : widest_kv(models);
  NamedTensors parameters;
  for (size_t i = 0; i < models.size(); ++i) {
    models[i].adapter =
        std::make_shared<KVSpaceAdapter>(models[i].model->config(), shared_dim, 2 * i);
    models[i].adapter->to(device);
    for (const auto& item : models[i].adapter->named_parameters()) {
      parameters.emplace_back(models[i].name + "." + item.key(), item.value());
    }
  }
  // Every (sender, receiver) pair's translation, and each model's own round trip through the
  // space (the reconstruction term's).
  std::vector<std::pair<size_t, size_t>> pairs;
  std::vector<CacheTranslation> translations, round_trips;
  for (size_t s = 0; s < models.size(); ++s) {
    const auto& sender = models[s];
    round_trips.emplace_back(sender.model->config(), *sender.adapter, sender.model->config(),
                             *sender.adapter);
    for (size_t r = 0; r < models.size(); ++r) {
      if (s == r) continue;
      pairs.emplace_back(s, r);
      translations.emplace_back(sender.model->config(), *sender.adapter, models[r].model->config(),
                                *models[r].adapter);
    }
  }
  Json settings = {{"shared_dim", shared_dim},
                   {"prefix_tokens", options.prefix_tokens},
                   {"suffix_tokens", options.suffix_tokens},
                   {"reconstruction", options.reconstruction},
                   {"limit", options.limit},
                   {"trainer", options.trainer.to_json()}};
  Json identity = {{"data", file_content_hash(options.data)}, {"settings", settings}};
  for (const auto& m : models) identity["models"].push_back(m.fingerprint);
  fs::create_directories(options.out_dir);
  auto trainer_options = options.trainer;
  trainer_options.checkpoint_dir = options.out_dir + "/checkpoint";
  trainer_options.log_path = options.out_dir + "/log.jsonl";
  trainer_options.label = "align";
  Trainer trainer(parameters, trainer_options, identity.dump());
  const auto examples = static_cast<int64_t>(documents.size() * pairs.size());
  AlignmentResult result;
  result.summary = trainer.train(examples, [&](int64_t i) {
    const auto& ids = documents[static_cast<size_t>(i) / pairs.size()];
    const auto pair = static_cast<size_t>(i) % pairs.size();
    const auto [s, r] = pairs[pair];
    auto& sender = models[s];
    auto& receiver = models[r];
    auto source = sender.model->make_cache(1);
    {
      torch::NoGradGuard no_grad;
      ForwardArgs args;
      args.input_ids = row_of(ids, 0, options.prefix_tokens, device);
      args.cache = &source;
      args.tag = {sender.name, SegmentRole::kOutput};
      args.hidden_only = true;
      sender.model->forward(args);
    }
    auto target = receiver.model->make_cache(1);
    translations[pair].translate(source, target);
    const auto length = static_cast<int64_t>(ids.size());
    ForwardArgs args;
    args.input_ids = row_of(ids, options.prefix_tokens, length - 1, device);
    args.cache = &target;
    args.tag = {receiver.name, SegmentRole::kInput};
    const auto logits = receiver.model->forward(args).logits;
    const auto labels = row_of(ids, options.prefix_tokens + 1, length, device);
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                                     labels.reshape({-1}));
    if (options.reconstruction > 0) {
      auto round_trip = sender.model->make_cache(1);
      round_trips[s].translate(source, round_trip);
      torch::Tensor error = torch::zeros({}, loss.options());
      for (int64_t l = 0; l < source.num_layers(); ++l) {
        error = error +
                torch::mse_loss(round_trip.keys(l).to(torch::kFloat32),
                                source.keys(l).to(torch::kFloat32)) +
                torch::mse_loss(round_trip.values(l).to(torch::kFloat32),
                                source.values(l).to(torch::kFloat32));
      }
      loss = loss + options.reconstruction * error / (2.0 * source.num_layers());
    }
    return ExampleLoss{loss, labels.size(1)};
  });
  Json record = {{"shared_dim", shared_dim}, {"settings", settings}, {"data", options.data}};
  for (const auto& m : models) {
    const auto path = options.out_dir + "/kv-space-" + m.name + ".safetensors";
    NamedTensors tensors;
    for (const auto& item : m.adapter->named_parameters()) {
      tensors.emplace_back(item.key(), item.value().detach().to(torch::kFloat32));
    }
    write_safetensors(
        path, tensors,
        {{"model_fingerprint", m.fingerprint}, {"shared_dim", std::to_string(shared_dim)}});
    record["models"].push_back({{"dir", m.dir},
                                {"name", m.name},
                                {"fingerprint", m.fingerprint},
                                {"adapter", fs::path(path).filename().string()}});
    result.adapter_paths.push_back(path);
  }
  write_json_file_atomic(options.out_dir + "/alignment.json", record);
  return result;
}

}  // namespace kvchain
