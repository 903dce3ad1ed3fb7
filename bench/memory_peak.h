#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>

namespace kvchain::bench {

// The process's peak anonymous resident memory (Linux's RssAnon: heap and private mappings,
// not the page cache behind memory-mapped files) while the object lives, sampled every 50 ms
// by a thread of its own.
class AnonymousMemoryPeak {
 public:
  AnonymousMemoryPeak() : sampler_([this] { sample_until_stopped(); }) {}
  ~AnonymousMemoryPeak() {
    stopped_ = true;
    sampler_.join();
  }
  AnonymousMemoryPeak(const AnonymousMemoryPeak&) = delete;
  AnonymousMemoryPeak& operator=(const AnonymousMemoryPeak&) = delete;

  double peak_gb() const { return static_cast<double>(peak_kb_.load()) / 1e6; }

 private:
  static int64_t anonymous_kb() {
    std::ifstream status("/proc/self/status");
    std::string key;
    int64_t kb = 0;
    while (status >> key) {
      if (key == "RssAnon:" && status >> kb) return kb;
      status.ignore(1 << 12, '\n');
    }
    return 0;
  }
  void sample_until_stopped() {
    while (!stopped_) {
      const auto now = anonymous_kb();
      if (now > peak_kb_) peak_kb_ = now;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> peak_kb_{0};
  std::thread sampler_;
};

}  // namespace kvchain::bench
