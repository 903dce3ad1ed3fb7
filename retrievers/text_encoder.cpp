#include "retrievers/text_encoder.h"

#include <algorithm>
#include <numeric>

#include "engine/adapters/adapter.h"
#include "engine/io/error.h"
#include "engine/io/named_values.h"
#include "engine/model/bert_model.h"
#include "engine/model/checkpoint.h"
#include "engine/tokenizer/tokenizer.h"

namespace kvchain::retrievers {
namespace {

constexpr NamedValue<Pooling> kPoolings[] = {
    {Pooling::mean, "mean"}, {Pooling::last, "last"}, {Pooling::cls, "cls"}};

// A causal LM's final hidden states. Right padding needs no attention mask: under the causal
// mask a real token never sees the padding after it.
class LlamaEncoder : public TextEncoder {
 public:
  LlamaEncoder(const std::string& dir, torch::Device device, Pooling pooling, int64_t max_tokens,
               int64_t batch_size)
      : TextEncoder(pooling, max_tokens, batch_size),
        model_(load_model(dir, device)),
        tokenizer_(load_tokenizer_beside(dir, "the dense encoder")) {
    if (pooling == Pooling::cls) {
      throw Error(dir +
                  ": cls pooling reads a BERT-family encoder's [CLS]; a Llama pools "
                  "mean or last");
    }
    model_->eval();
  }

  int64_t dim() const override { return model_->config().hidden_size; }
  std::string fingerprint() const override { return model_fingerprint(*model_); }

 protected:
  std::vector<int64_t> tokenize(const std::string& text, bool& cut) const override {
    auto ids = tokenizer_.encode(text);
    cut = static_cast<int64_t>(ids.size()) > max_tokens_;
    if (cut) ids.resize(max_tokens_);
    return ids;
  }

  torch::Tensor hidden_states(const torch::Tensor& ids, const torch::Tensor&) const override {
    torch::NoGradGuard no_grad;
    ForwardArgs args;
    args.input_ids = ids;
    args.last_logits_only = true;  // the logits are unused; this spares a [B,T,V] tensor
    return model_->forward(args).hidden_states;
  }

 private:
  std::shared_ptr<LlamaForCausalLM> model_;
  Tokenizer tokenizer_;
};

// A BERT-family encoder over the tokenizer's special tokens; a long text keeps its first
// tokens and its closing ones ([SEP]), as HF's truncation does.
class BertEncoder : public TextEncoder {
 public:
  BertEncoder(const std::string& dir, torch::Device device, Pooling pooling, int64_t max_tokens,
              int64_t batch_size)
      : TextEncoder(pooling, max_tokens, batch_size),
        model_(BertModel::load(dir, device)),
        tokenizer_(load_tokenizer_beside(dir, "the dense encoder")),
        specials_(static_cast<int64_t>(tokenizer_.encode_with_special_tokens("").size())) {
    if (pooling == Pooling::last) {
      throw Error(dir +
                  ": last-token pooling reads a causal LM; a BERT-family encoder pools "
                  "cls or mean");
    }
    const auto& c = model_.config();
    const auto positions =
        c.max_position_embeddings - (c.roberta_positions() ? c.pad_token_id + 1 : 0);
    max_tokens_ = std::min(max_tokens_, positions);
    if (max_tokens_ <= specials_) {
      throw Error(dir + ": max tokens " + std::to_string(max_tokens_) +
                  " leave no room for text beside the special tokens");
    }
  }

  int64_t dim() const override { return model_.config().hidden_size; }
  std::string fingerprint() const override { return model_.fingerprint(); }

 protected:
  std::vector<int64_t> tokenize(const std::string& text, bool& cut) const override {
    auto ids = tokenizer_.encode(text);
    cut = static_cast<int64_t>(ids.size()) > max_tokens_ - specials_;
    if (cut) ids.resize(max_tokens_ - specials_);
    return tokenizer_.with_special_tokens(ids);
  }

  torch::Tensor hidden_states(const torch::Tensor& ids, const torch::Tensor& real) const override {
    // Padding takes the model's pad id, as HF pads (RoBERTa's positions read it).
    const auto padded = ids.masked_fill(real.logical_not(), model_.config().pad_token_id);
    return model_.forward(padded, real);
  }

 private:
  BertModel model_;
  Tokenizer tokenizer_;
  int64_t specials_;
};

}  // namespace

Pooling parse_pooling(const std::string& name) {
  return parse_name(kPoolings, name, "pooling");
}

std::string pooling_name(Pooling pooling) {
  return name_of(kPoolings, pooling);
}

std::unique_ptr<TextEncoder> TextEncoder::open(const std::string& model_dir, torch::Device device,
                                               Pooling pooling, int64_t max_tokens,
                                               int64_t batch_size) {
  if (is_bert_checkpoint(model_dir)) {
    return std::make_unique<BertEncoder>(model_dir, device, pooling, max_tokens, batch_size);
  }
  return std::make_unique<LlamaEncoder>(model_dir, device, pooling, max_tokens, batch_size);
}

torch::Tensor TextEncoder::encode(const std::vector<std::string>& texts, int64_t* truncated) const {
  std::vector<std::vector<int64_t>> ids(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    bool cut = false;
    ids[i] = tokenize(texts[i], cut);
    if (cut && truncated != nullptr) ++*truncated;
  }
  std::vector<int64_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return ids[a].size() < ids[b].size(); });
  auto out = torch::empty({static_cast<int64_t>(texts.size()), dim()}, torch::kFloat32);
  for (size_t start = 0; start < order.size(); start += batch_size_) {
    const auto end = std::min(order.size(), start + static_cast<size_t>(batch_size_));
    const std::vector<int64_t> rows(order.begin() + start, order.begin() + end);
    out.index_copy_(0, torch::tensor(rows, torch::kInt64), encode_batch(ids, rows));
  }
  return out;
}

// An empty row (a Llama's empty text) pools to the zero vector, whose normalisation stays zero
// rather than NaN.
torch::Tensor TextEncoder::encode_batch(const std::vector<std::vector<int64_t>>& ids,
                                        const std::vector<int64_t>& rows) const {
  const auto batch = static_cast<int64_t>(rows.size());
  std::vector<int64_t> lengths(batch);
  for (int64_t b = 0; b < batch; ++b) lengths[b] = static_cast<int64_t>(ids[rows[b]].size());
  const int64_t t = *std::max_element(lengths.begin(), lengths.end());
  if (t == 0) return torch::zeros({batch, dim()}, torch::kFloat32);
  auto input = torch::zeros({batch, t}, torch::kInt64);
  for (int64_t b = 0; b < batch; ++b) {
    input[b].narrow(0, 0, lengths[b]).copy_(torch::tensor(ids[rows[b]], torch::kInt64));
  }
  const auto length = torch::tensor(lengths, torch::kInt64).unsqueeze(1);      // [B,1]
  const auto real = torch::arange(t, length.options()).unsqueeze(0) < length;  // [B,T]
  torch::NoGradGuard no_grad;
  const auto hidden = hidden_states(input, real).to(torch::kCPU, torch::kFloat32);
  torch::Tensor pooled;
  if (pooling_ == Pooling::mean) {
    pooled = (hidden * real.unsqueeze(2)).sum(1) / length.clamp_min(1);
  } else if (pooling_ == Pooling::cls) {
    pooled = hidden.select(1, 0);
  } else {
    const auto last = (length - 1).clamp_min(0).unsqueeze(2).expand({batch, 1, dim()});
    pooled = hidden.gather(1, last).squeeze(1) * (length > 0);
  }
  return torch::nn::functional::normalize(
      pooled, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1));
}

}  // namespace kvchain::retrievers
