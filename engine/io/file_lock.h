#pragma once

#include <functional>
#include <string>

namespace kvchain {

// An exclusive advisory lock (flock) on `path` (created if missing), held for the object's life:
// processes that make a shared file once, such as the ranks of one run making its world or an
// index, take turns, and each checks under the lock whether the work is already done. The
// kernel drops the lock when its holder dies, so a killed maker never blocks the next.
class FileLock {
 public:
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// Runs `make` when `missing()` holds, under a FileLock at `lock_path` and after checking
// `missing()` again under it: of processes that need the same file, one makes it and the rest
// find it made. Without the need, nothing is locked (nor written: the folder may be read-only).
void make_once(const std::string& lock_path, const std::function<bool()>& missing,
               const std::function<void()>& make);

}  // namespace kvchain
