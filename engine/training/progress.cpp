#include "engine/training/progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace kvchain {
namespace {

std::string format_seconds(double seconds) {
  char buffer[32];
  if (seconds >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%dh%02dm", static_cast<int>(seconds / 3600),
                  static_cast<int>(seconds / 60) % 60);
  } else if (seconds >= 60) {
    std::snprintf(buffer, sizeof buffer, "%dm%02ds", static_cast<int>(seconds / 60),
                  static_cast<int>(seconds) % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0fs", seconds);
  }
  return buffer;
}

}  // namespace

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(total > 0 ? total : 1),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {}

void Progress::update(int64_t done, const std::string& status) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double fraction = static_cast<double>(done) / static_cast<double>(total_);
  const int64_t decile = static_cast<int64_t>(fraction * 10);
  if (!tty_ && decile == last_decile_) return;
  last_decile_ = decile;
  const int width = 24;
  const int filled = static_cast<int>(fraction * width);
  std::string bar(filled, '#');
  bar.resize(width, '.');
  const double eta = done > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
  std::cerr << (tty_ ? "\r" : "") << label_ << " [" << bar << "] " << done << "/" << total_ << " "
            << format_seconds(elapsed) << " eta " << format_seconds(eta)
            << (status.empty() ? "" : "  " + status) << (tty_ ? "\033[K" : "\n") << std::flush;
}

void Progress::finish(const std::string& status) {
  last_decile_ = -1;
  update(total_, status);
  if (tty_) std::cerr << "\n";
}

}  // namespace kvchain
