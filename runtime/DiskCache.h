// The on-disk cache of compiled kernels: one object file per (spec text, compile
// options, compiler build, host CPU), shared by every process of the user
// (`vibeec test`, `vibeec check`, the JIT API). Directory: $VIBEE_CACHE_DIR, else
// $XDG_CACHE_HOME/vibee, else ~/.cache/vibee. Entries are written to a unique
// temporary file and renamed into place, so processes that compile the same spec
// at once never see a partial entry (the last rename wins; all are equal).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class MemoryBuffer;
} // namespace llvm

namespace vibee {

class DiskCache {
public:
  explicit DiskCache(std::string directory) : directory_(std::move(directory)) {}
  static DiskCache fromEnvironment();

  const std::string &directory() const { return directory_; }

  // A file name for `parts` (each part hashed with its length: no two lists
  // share a key).
  static std::string key(const std::vector<std::string> &parts);

  // The entry, or null when there is none (or it cannot be read).
  std::unique_ptr<llvm::MemoryBuffer> load(const std::string &key) const;
  // Stores what `write` puts in the file at the path it is given (a temporary
  // file; false from `write` drops it). False when the entry could not be stored;
  // a cache that cannot be written is not an error for the caller.
  bool store(const std::string &key, const std::function<bool(const std::string &)> &write) const;
  bool store(const std::string &key, const std::string &bytes) const;
  // Removes every entry (and stale temporaries); returns how many, or -1 with
  // `error` set.
  int clear(std::string *error = nullptr) const;

private:
  std::string path(const std::string &key) const;
  std::string directory_;
};

// What a cached kernel depends on besides its spec and options: this build of
// the compiler (its version and the identity of the library file holding the
// code) and the host CPU (name and features) the code is generated for.
std::string compilerFingerprint();
std::string hostCpuFingerprint();

} // namespace vibee
