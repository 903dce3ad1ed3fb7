#include "engine/chain/batch_runner.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "engine/chain/padded_batch.h"
#include "engine/chain/turn_parts.h"
#include "engine/chain/visibility.h"
#include "engine/io/error.h"

namespace kvchain {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

struct BatchRunner::Row {
  // kCarrying: a turn that ended without EOS still caches its last token, as ChainRunner does,
  // in the next decode step (whose logits it ignores).
  enum class State { kIdle, kStarting, kDecoding, kCarrying };
  State state = State::kIdle;
  size_t example = 0;
  Example work;
  std::vector<TurnRecord> turns;
  std::set<std::string> prompted;
  // The row's sequence: its segments over slots [0, length), and the next position id.
  std::vector<Segment> segments;
  int64_t length = 0, position = 0;
  std::map<std::string, int64_t> member_slots;  // text mode: each member's latest context
  int64_t peak = 0;
  // The turn in progress.
  std::optional<TurnPlan> plan;
  TurnRecord record;
  std::vector<int64_t> tokens;
  StopReason stop = StopReason::kMaxTokens;

  void start(size_t index, Example next) {
    *this = Row();
    state = State::kStarting;
    example = index;
    work = std::move(next);
  }
};

BatchRunner::BatchRunner(ChainModel& model, const Tokenizer* tokenizer, RunnerOptions options,
                         int64_t batch_size)
    : model_(model), tokenizer_(tokenizer), options_(std::move(options)), batch_size_(batch_size) {
  if (batch_size < 1)
    throw Error("batch size must be at least 1, not " + std::to_string(batch_size));
  const auto& config = model.base().config();
  bytes_per_slot_ = 2 * config.num_hidden_layers * config.num_key_value_heads * config.head_dim *
                    static_cast<int64_t>(c10::elementSize(model.base().dtype()));
}

void BatchRunner::run(size_t count, const std::function<Example(size_t)>& example,
                      const std::function<void(size_t, std::vector<TurnRecord>)>& finished) {
  torch::NoGradGuard no_grad;
  const auto width = std::min<int64_t>(batch_size_, static_cast<int64_t>(count));
  if (width == 0) return;
  std::vector<Row> rows(width);
  KVCache cache = model_.base().make_cache(width);
  // What each row's next decoded token may see, over the cache's slots.
  auto visible =
      torch::zeros({width, 0}, torch::dtype(torch::kBool).device(model_.base().device()));
  size_t next = 0;
  while (true) {
    // Rows between turns plan their next one; a row whose example is done hands it over and
    // takes the next waiting one.
    std::vector<size_t> starting;
    for (size_t r = 0; r < rows.size(); ++r) {
      auto& row = rows[r];
      while (row.state == Row::State::kStarting ||
             (row.state == Row::State::kIdle && next < count)) {
        if (row.state == Row::State::kIdle) {
          row.start(next, example(next));
          ++next;
        }
        row.plan = row.work.next_turn(row.turns);
        if (row.plan) break;
        finished(row.example, std::move(row.turns));
        row.state = Row::State::kIdle;
      }
      if (row.state == Row::State::kStarting) starting.push_back(r);
    }
    if (!starting.empty()) {
      prefill(rows, starting, cache, visible);
      continue;
    }
    // With no example waiting, finished rows leave the batch.
    std::vector<int64_t> live;
    for (size_t r = 0; r < rows.size(); ++r) {
      if (rows[r].state != Row::State::kIdle) live.push_back(static_cast<int64_t>(r));
    }
    if (live.empty()) break;
    if (live.size() < rows.size()) {
      const auto index = torch::tensor(live, torch::kInt64).to(visible.device());
      cache = cache.select_rows(index);
      visible = visible.index_select(0, index);
      std::vector<Row> kept;
      for (auto r : live) kept.push_back(std::move(rows[r]));
      rows = std::move(kept);
    }
    decode(rows, cache, visible);
  }
}

void BatchRunner::prefill(std::vector<Row>& rows, const std::vector<size_t>& starting,
                          KVCache& cache, torch::Tensor& visible) {
  const auto start = Clock::now();
  auto& base = model_.base();
  const int64_t context = base.config().max_position_embeddings;
  std::vector<PartsLayout> layouts;
  std::vector<int64_t> ends;  // per row: the slot after its turn's last (its output included)
  for (auto r : starting) {
    auto& row = rows[r];
    const auto& plan = *row.plan;
    if (options_.mode == ChainMode::kText) {
      row.segments.clear();
      row.length = row.position = 0;
    }
    auto parts =
        turn_parts(model_, options_, plan, row.work.shared, row.turns.empty(), row.prompted);
    if (!plan.forced_output.empty()) {
      parts.push_back(LayoutPart::output(plan.member, plan.forced_output, -1, false));
    }
    layouts.push_back(model_.lay_out(row.segments, row.length, row.position, parts));
    const auto& layout = layouts.back();
    if (layout.positions.back() >= context) {
      throw Error("generate: the prompt reaches position " +
                  std::to_string(layout.positions.back()) + ", past the model's context of " +
                  std::to_string(context) + " (max_position_embeddings)");
    }
    ends.push_back(layout.token_slot + layout.tokens() +
                   (plan.forced_output.empty() ? plan.max_new_tokens : 0));
  }
  // A row's pads take the slots after its own tokens, where its output goes later.
  int64_t needed = PaddedBatch::slots_needed(layouts);
  for (auto end : ends) needed = std::max(needed, end);
  if (needed > cache.capacity()) {
    cache.reserve(needed);
    visible = torch::constant_pad_nd(visible, {0, cache.capacity() - visible.size(1)}, 0);
  }
  const auto k = static_cast<int64_t>(starting.size());
  const int64_t capacity = cache.capacity();
  const auto batch = pad_rows(layouts, capacity);
  std::vector<int64_t> chosen(starting.begin(), starting.end());
  const auto index = torch::tensor(chosen, torch::kInt64).to(base.device());
  // Rows starting a turn alone are gathered into a batch of their own and written back.
  std::optional<KVCache> gathered;
  if (k < cache.batch()) gathered.emplace(cache.select_rows(index));
  KVCache& target = gathered ? *gathered : cache;
  for (int64_t i = 0; i < k; ++i) {
    for (const auto& deep : layouts[i].deep) target.place(i, deep.slot, deep.keys, deep.values);
  }
  const auto first_tokens = base.forward(batch_forward_args(batch, target, true))
                                .logits.argmax(-1)
                                .view({k})
                                .to(torch::kCPU);
  if (gathered) cache.put_rows(index, *gathered);
  const double elapsed = seconds_since(start);

  for (int64_t i = 0; i < k; ++i) {
    auto& row = rows[starting[i]];
    auto& layout = layouts[i];
    const auto& plan = *row.plan;
    row.segments = std::move(layout.chain);
    row.length = layout.token_slot + layout.tokens();
    row.position = layout.positions.back() + 1;
    row.record = TurnRecord();
    row.record.member = plan.member;
    row.record.prefilled = layout.tokens();
    row.record.prefill_seconds = elapsed;
    if (!plan.forced_output.empty()) {
      row.tokens = plan.forced_output;
      end_turn(row, starting[i], cache, StopReason::kEos);
      continue;
    }
    row.tokens = {first_tokens[i].item<int64_t>()};
    // What the output may see: the rule for an output of this member appended to the row.
    const SegmentTag output{plan.member, SegmentRole::kOutput};
    auto chain = row.segments;
    chain.push_back({output, row.length, row.length + 1});
    auto row_visible = torch::zeros({capacity}, torch::kBool);
    row_visible.narrow(0, 0, row.length + 1)
        .copy_(build_attention_mask(chain, row.length, row.length + 1, row.length + 1).reshape(-1));
    visible[starting[i]].copy_(row_visible);
    row.state = Row::State::kDecoding;
    after_token(row, starting[i], cache);
  }
}

void BatchRunner::decode(std::vector<Row>& rows, KVCache& cache, torch::Tensor& visible) {
  const auto start = Clock::now();
  auto& base = model_.base();
  const auto b = static_cast<int64_t>(rows.size());
  auto ids = torch::zeros({b, 1}, torch::kInt64);
  auto positions = torch::zeros({b, 1}, torch::kInt64);
  auto slots = torch::zeros({b, 1}, torch::kInt64);
  std::vector<int64_t> seen_rows, seen_slots;
  for (int64_t r = 0; r < b; ++r) {
    const auto& row = rows[r];
    if (row.state != Row::State::kDecoding && row.state != Row::State::kCarrying) {
      throw Error("BatchRunner: a row between turns reached a decode step");
    }
    ids[r][0] = row.tokens.back();
    positions[r][0] = row.position;
    slots[r][0] = row.length;
    seen_rows.push_back(r);
    seen_slots.push_back(row.length);
  }
  const auto device = base.device();
  visible.index_put_({torch::tensor(seen_rows).to(device), torch::tensor(seen_slots).to(device)},
                     torch::ones({b}, visible.options()));
  ForwardArgs args;
  args.input_ids = ids.to(device);
  args.position_ids = positions.to(device);
  args.attention_mask = visible.view({b, 1, 1, visible.size(1)});
  args.cache = &cache;
  args.cache_slots = slots.to(device);
  args.last_logits_only = true;
  const auto next = base.forward(args).logits.argmax(-1).view({b}).to(torch::kCPU);
  const double elapsed = seconds_since(start);
  for (int64_t r = 0; r < b; ++r) {
    auto& row = rows[r];
    const auto& plan = *row.plan;
    append_segment(row.segments, {plan.member, SegmentRole::kOutput}, row.length, row.length + 1);
    ++row.length;
    ++row.position;
    if (row.state == Row::State::kCarrying) {
      end_turn(row, r, cache, row.stop);
      continue;
    }
    row.record.decode_seconds += elapsed;
    row.tokens.push_back(next[r].item<int64_t>());
    after_token(row, r, cache);
  }
}

void BatchRunner::after_token(Row& row, int64_t r, KVCache& cache) {
  const auto& plan = *row.plan;
  const int64_t context = model_.base().config().max_position_embeddings;
  if (row.tokens.back() == options_.eos_token_id) {
    end_turn(row, r, cache, StopReason::kEos);
    return;
  }
  if (static_cast<int64_t>(row.tokens.size()) >= plan.max_new_tokens) {
    row.stop = StopReason::kMaxTokens;
  } else if (row.position >= context) {
    row.stop = StopReason::kContext;
  } else {
    return;
  }
  if (options_.mode == ChainMode::kShared) {
    row.state = Row::State::kCarrying;
  } else {
    end_turn(row, r, cache, row.stop);
  }
}

void BatchRunner::end_turn(Row& row, int64_t r, KVCache& cache, StopReason reason) {
  const auto& plan = *row.plan;
  auto& record = row.record;
  record.output_ids = row.tokens;
  if (plan.forced_output.empty()) record.decoded = static_cast<int64_t>(row.tokens.size());
  if (tokenizer_ != nullptr) {
    auto shown = row.tokens;
    if (reason == StopReason::kEos && plan.forced_output.empty()) shown.pop_back();
    record.text = tokenizer_->decode(shown);
  }
  const bool shared = options_.mode == ChainMode::kShared;
  if (!shared) row.member_slots[plan.member] = row.length;
  const auto resident = [&] {
    int64_t slots = shared ? row.length : 0;
    for (const auto& [member, n] : row.member_slots) slots += n;
    return slots * bytes_per_slot_;
  };
  row.peak = std::max(row.peak, resident());
  if (shared && options_.evict && plan.member_done) {
    // Drop the member's prompt and input, as KVCache::drop does for one example.
    auto kept = kept_spans(row.segments,
                           SpanFilter{plan.member, {SegmentRole::kPrompt, SegmentRole::kInput}});
    record.evicted_slots = row.length - static_cast<int64_t>(kept.slots.size());
    if (record.evicted_slots > 0) {
      cache.compact_row(r, kept.slots);
      row.segments = std::move(kept.segments);
      row.length = static_cast<int64_t>(kept.slots.size());
    }
  }
  record.kv_bytes_resident = resident();
  record.kv_bytes_peak = row.peak;
  record.kv_bytes_allocated = cache.capacity() * bytes_per_slot_ *
                              std::max<int64_t>(1, static_cast<int64_t>(row.member_slots.size()));
  row.turns.push_back(std::move(record));
  row.state = Row::State::kStarting;
}

}  // namespace kvchain
