#include "engine/model/kv_cache.h"

#include <algorithm>

#include "engine/io/error.h"

namespace kvchain {

const char* segment_role_name(SegmentRole role) {
  switch (role) {
    case SegmentRole::kShared:
      return "shared";
    case SegmentRole::kPrompt:
      return "prompt";
    case SegmentRole::kInput:
      return "input";
    case SegmentRole::kOutput:
      return "output";
    case SegmentRole::kOther:
      return "other";
  }
  return "other";
}

bool SpanFilter::operator()(const SegmentTag& tag) const {
  if (member && *member != tag.member) return false;
  return roles.empty() || std::find(roles.begin(), roles.end(), tag.role) != roles.end();
}

KVCache::KVCache(const ModelConfig& config, int64_t batch, torch::TensorOptions options,
                 int64_t capacity, Layout layout)
    : batch_(batch),
      kv_heads_(config.num_key_value_heads),
      head_dim_(config.head_dim),
      options_(options),
      layout_(layout),
      keys_(config.num_hidden_layers),
      values_(config.num_hidden_layers) {
  if (batch <= 0) throw Error("KVCache: batch must be positive");
  grow_to(std::max<int64_t>(capacity, 0));
}

torch::Tensor KVCache::keys(int64_t layer) const {
  return keys_.at(layer).narrow(2, 0, size_);
}
torch::Tensor KVCache::values(int64_t layer) const {
  return values_.at(layer).narrow(2, 0, size_);
}

int64_t KVCache::bytes_used() const {
  return 2 * num_layers() * batch_ * kv_heads_ * head_dim_ * size_ *
         static_cast<int64_t>(c10::elementSize(options_.dtype().toScalarType()));
}

int64_t KVCache::bytes_reserved() const {
  int64_t total = 0;
  for (size_t i = 0; i < keys_.size(); ++i) {
    total += keys_[i].nbytes() + values_[i].nbytes();
  }
  return total;
}

void KVCache::grow_to(int64_t slots) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    auto k = torch::zeros({batch_, kv_heads_, slots, head_dim_}, options_);
    auto v = torch::zeros({batch_, kv_heads_, slots, head_dim_}, options_);
    // Every old slot moves, filled or not: a batch's rows fill slots of their own, which this
    // cache's bookkeeping does not count.
    if (capacity_ > 0) {
      k.narrow(2, 0, capacity_).copy_(keys_[i]);
      v.narrow(2, 0, capacity_).copy_(values_[i]);
    }
    keys_[i] = k;
    values_[i] = v;
  }
  capacity_ = slots;
}

void KVCache::reserve(int64_t slots) {
  if (slots <= capacity_ || layout_ == Layout::kStatic) return;
  grow_to((slots + kReserveGranularity - 1) / kReserveGranularity * kReserveGranularity);
}

std::vector<const void*> KVCache::storage() const {
  std::vector<const void*> addresses;
  for (size_t i = 0; i < keys_.size(); ++i) {
    addresses.push_back(keys_[i].data_ptr());
    addresses.push_back(values_[i].data_ptr());
  }
  return addresses;
}

void KVCache::begin_write(CacheSlots slots) {
  end_write();
  const int64_t needed = size_ + slots.tokens;
  if (slots.index.defined()) {
    if (needed > capacity_) {
      throw Error("KVCache::begin_write: " + std::to_string(slots.tokens) +
                  " tokens at named slots do not fit after " + std::to_string(size_) + " of " +
                  std::to_string(capacity_) + " slots");
    }
  } else if (needed > capacity_) {
    if (layout_ == Layout::kStatic && capacity_ > 0) {
      throw Error("KV cache is full: a static cache of " + std::to_string(capacity_) +
                  " slots cannot hold " + std::to_string(needed) +
                  " (create it with a larger capacity)");
    }
    grow_to(layout_ == Layout::kStatic ? needed : std::max(needed, 2 * capacity_));
  }
  write_ = std::move(slots);
}

std::pair<torch::Tensor, torch::Tensor> KVCache::write(int64_t layer, const torch::Tensor& k,
                                                       const torch::Tensor& v) {
  if (write_.tokens == 0 || k.size(2) != write_.tokens) {
    throw Error("KVCache::write: " + std::to_string(k.size(2)) +
                " tokens, but the open write has " + std::to_string(write_.tokens) +
                " (begin_write names the slots first)");
  }
  if (write_.index.defined() && write_.index.dim() == 2) {
    const auto index = write_.index.view({batch_, 1, write_.tokens, 1}).expand_as(k);
    keys_.at(layer).scatter_(2, index, k);
    values_.at(layer).scatter_(2, index, v);
    return {keys_[layer], values_[layer]};
  }
  if (write_.index.defined()) {
    keys_.at(layer).index_copy_(2, write_.index, k);
    values_.at(layer).index_copy_(2, write_.index, v);
    return {keys_[layer], values_[layer]};
  }
  keys_.at(layer).narrow(2, size_, write_.tokens).copy_(k);
  values_.at(layer).narrow(2, size_, write_.tokens).copy_(v);
  return {keys_[layer].narrow(2, 0, size_ + write_.tokens),
          values_[layer].narrow(2, 0, size_ + write_.tokens)};
}

LayerWrite KVCache::layer_write(int64_t layer) {
  if (write_.tokens == 0) throw Error("KVCache::layer_write: no write is open");
  LayerWrite target;
  target.keys = keys_.at(layer);
  target.values = values_.at(layer);
  if (write_.index.defined()) {
    target.slots = write_.index;
    target.attended_keys = target.keys;
    target.attended_values = target.values;
  } else {
    if (!device_slots_.defined()) {
      device_slots_ = torch::arange(size_, size_ + write_.tokens, options_.dtype(torch::kInt64));
    }
    target.slots = device_slots_;
    target.attended_keys = target.keys.narrow(2, 0, size_ + write_.tokens);
    target.attended_values = target.values.narrow(2, 0, size_ + write_.tokens);
  }
  return target;
}

void KVCache::end_write() {
  write_ = CacheSlots{};
  device_slots_ = torch::Tensor();
}

void KVCache::commit(const std::vector<int64_t>& positions, const SegmentTag& tag) {
  commit(positions, std::vector<TagSpan>{{tag, static_cast<int64_t>(positions.size())}});
}

void KVCache::commit(const std::vector<int64_t>& positions, const std::vector<TagSpan>& spans) {
  end_write();
  const auto tokens = static_cast<int64_t>(positions.size());
  if (size_ + tokens > capacity_) {
    throw Error("KVCache::commit: " + std::to_string(tokens) + " slots after " +
                std::to_string(size_) + " exceed the capacity of " + std::to_string(capacity_));
  }
  int64_t covered = 0;
  for (const auto& span : spans) covered += span.length;
  if (covered != tokens) {
    throw Error("KVCache::commit: tag spans cover " + std::to_string(covered) + " of " +
                std::to_string(tokens) + " tokens");
  }
  int64_t begin = size_;
  for (const auto& span : spans) {
    append_segment(segments_, span.tag, begin, begin + span.length);
    begin += span.length;
  }
  size_ += tokens;
  positions_.insert(positions_.end(), positions.begin(), positions.end());
  if (!positions.empty()) next_position_ = positions.back() + 1;
}

void KVCache::append(const std::vector<torch::Tensor>& keys,
                     const std::vector<torch::Tensor>& values,
                     const std::vector<int64_t>& positions, const SegmentTag& tag) {
  if (static_cast<int64_t>(keys.size()) != num_layers() ||
      static_cast<int64_t>(values.size()) != num_layers()) {
    throw Error("KVCache::append: expected keys and values for " + std::to_string(num_layers()) +
                " layers");
  }
  begin_write(CacheSlots::next(static_cast<int64_t>(positions.size())));
  for (int64_t layer = 0; layer < num_layers(); ++layer) {
    write(layer, keys[layer].to(options_), values[layer].to(options_));
  }
  commit(positions, tag);
}

template <typename Select>
int64_t KVCache::remove_spans(Select drop) {
  end_write();
  const auto spans = kept_spans(segments_, drop);
  const auto& kept_slots = spans.slots;
  const int64_t removed = size_ - static_cast<int64_t>(kept_slots.size());
  if (removed == 0) return 0;
  const auto index = torch::tensor(kept_slots, torch::kInt64).to(options_.device());
  const auto kept = static_cast<int64_t>(kept_slots.size());
  for (int64_t layer = 0; layer < num_layers(); ++layer) {
    // index_select copies first, so the compaction never reads a slot it has overwritten.
    keys_[layer].narrow(2, 0, kept).copy_(keys_[layer].index_select(2, index));
    values_[layer].narrow(2, 0, kept).copy_(values_[layer].index_select(2, index));
  }
  std::vector<int64_t> positions;
  positions.reserve(kept_slots.size());
  for (auto slot : kept_slots) positions.push_back(positions_[slot]);
  positions_ = std::move(positions);
  size_ = kept;
  segments_.clear();
  for (const auto& segment : spans.segments) {
    append_segment(segments_, segment.tag, segment.begin, segment.end);
  }
  return removed;
}

int64_t KVCache::drop(const SpanFilter& which) {
  return remove_spans(which);
}

int64_t KVCache::keep(const SpanFilter& which) {
  return remove_spans([&](const SegmentTag& tag) { return !which(tag); });
}

KVCache KVCache::copy(const SpanFilter& which) const {
  KVCache copy = *this;
  copy.end_write();
  for (size_t i = 0; i < keys_.size(); ++i) {
    copy.keys_[i] = keys_[i].clone();
    copy.values_[i] = values_[i].clone();
  }
  copy.keep(which);
  return copy;
}

void KVCache::truncate(int64_t slots) {
  if (slots < 0 || slots > size_) {
    throw Error("KVCache::truncate: " + std::to_string(slots) + " is outside [0, " +
                std::to_string(size_) + "]");
  }
  end_write();
  size_ = slots;
  positions_.resize(slots);
  next_position_ = slots > 0 ? positions_.back() + 1 : 0;
  std::vector<Segment> kept;
  for (auto segment : segments_) {
    if (segment.begin >= slots) continue;
    segment.end = std::min(segment.end, slots);
    kept.push_back(segment);
  }
  segments_ = std::move(kept);
}

KVCache KVCache::select_rows(const torch::Tensor& rows) const {
  KVCache copy = *this;
  copy.end_write();
  copy.batch_ = rows.numel();
  for (size_t i = 0; i < keys_.size(); ++i) {
    copy.keys_[i] = keys_[i].index_select(0, rows);
    copy.values_[i] = values_[i].index_select(0, rows);
  }
  return copy;
}

void KVCache::put_rows(const torch::Tensor& rows, const KVCache& from) {
  if (from.capacity_ != capacity_ || from.batch_ != rows.numel()) {
    throw Error("KVCache::put_rows: " + std::to_string(from.batch_) + " rows of " +
                std::to_string(from.capacity_) + " slots do not fit " +
                std::to_string(rows.numel()) + " rows of " + std::to_string(capacity_));
  }
  for (size_t i = 0; i < keys_.size(); ++i) {
    keys_[i].index_copy_(0, rows, from.keys_[i]);
    values_[i].index_copy_(0, rows, from.values_[i]);
  }
}

void KVCache::compact_row(int64_t row, const std::vector<int64_t>& kept) {
  const auto index = torch::tensor(kept, torch::kInt64).to(options_.device());
  const auto n = static_cast<int64_t>(kept.size());
  for (size_t i = 0; i < keys_.size(); ++i) {
    for (auto* buffer : {&keys_[i], &values_[i]}) {
      auto slots = buffer->select(0, row);
      // index_select copies first, so the compaction never reads a slot it has overwritten.
      slots.narrow(1, 0, n).copy_(slots.index_select(1, index));
    }
  }
}

void KVCache::place(int64_t row, int64_t slot, const std::vector<torch::Tensor>& keys,
                    const std::vector<torch::Tensor>& values) {
  if (static_cast<int64_t>(keys.size()) != num_layers() ||
      static_cast<int64_t>(values.size()) != num_layers()) {
    throw Error("KVCache::place: expected keys and values for " + std::to_string(num_layers()) +
                " layers");
  }
  for (int64_t layer = 0; layer < num_layers(); ++layer) {
    const auto n = keys[layer].size(2);
    keys_[layer].narrow(0, row, 1).narrow(2, slot, n).copy_(keys[layer].to(options_));
    values_[layer].narrow(0, row, 1).narrow(2, slot, n).copy_(values[layer].to(options_));
  }
}

void append_segment(std::vector<Segment>& segments, const SegmentTag& tag, int64_t begin,
                    int64_t end) {
  if (begin == end) return;
  if (!segments.empty() && segments.back().tag == tag && segments.back().end == begin) {
    segments.back().end = end;
    return;
  }
  segments.push_back({tag, begin, end});
}

}  // namespace kvchain
