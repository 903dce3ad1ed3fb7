#include "experiments/loaded_chain.h"

#include "engine/adapters/adapter.h"
#include "engine/io/error.h"
#include "engine/model/checkpoint.h"
#include "engine/model/device.h"

namespace kvchain::experiments {

LoadedChain load_chain(const ModelSetup& setup) {
  const auto device = parse_device(setup.device);
  auto base = load_model(setup.base_dir, device);
  base->eval();
  for (auto& p : base->parameters()) p.set_requires_grad(false);
  LoadedChain loaded;
  loaded.tokenizer =
      std::make_unique<Tokenizer>(load_tokenizer_beside(setup.base_dir, "the chain"));
  if (base->config().eos_token_ids.empty()) {
    throw Error(setup.base_dir + "/config.json: no eos_token_id (chain members stop on it)");
  }
  loaded.eos_token_id = base->config().eos_token_ids.front();
  loaded.chain = std::make_unique<ChainModel>(base);
  for (const auto& [member, path] : setup.adapters) {
    auto adapter = load_adapter(path, *base);
    for (auto& p : adapter->parameters()) p.set_requires_grad(false);
    loaded.chain->set_adapter(member, adapter);
  }
  return loaded;
}

}  // namespace kvchain::experiments
