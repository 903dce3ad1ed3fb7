#pragma once

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

}  // namespace kvchain
