#include "runtime/DiskCache.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vibee {

namespace {
constexpr const char *kSuffix = ".vbo"; // a vibee cached object
} // namespace

DiskCache DiskCache::fromEnvironment() {
  if (const char *dir = std::getenv("VIBEE_CACHE_DIR"); dir && *dir)
    return DiskCache(dir);
  llvm::SmallString<256> path;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    path = xdg;
  } else if (const char *home = std::getenv("HOME"); home && *home) {
    path = home;
    llvm::sys::path::append(path, ".cache");
  } else {
    llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, path);
  }
  llvm::sys::path::append(path, "vibee");
  return DiskCache(std::string(path));
}

std::string DiskCache::key(const std::vector<std::string> &parts) {
  llvm::SHA256 hash;
  for (const std::string &part : parts) {
    hash.update(std::to_string(part.size()) + ":");
    hash.update(part);
  }
  return llvm::toHex(hash.final(), /*LowerCase=*/true);
}

std::string DiskCache::path(const std::string &key) const {
  llvm::SmallString<256> p(directory_);
  llvm::sys::path::append(p, key + kSuffix);
  return std::string(p);
}

std::unique_ptr<llvm::MemoryBuffer> DiskCache::load(const std::string &key) const {
  auto buffer = llvm::MemoryBuffer::getFile(path(key), /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer || (*buffer)->getBufferSize() == 0)
    return nullptr;
  return std::move(*buffer);
}

bool DiskCache::store(const std::string &key,
                      const std::function<bool(const std::string &)> &write) const {
  if (llvm::sys::fs::create_directories(directory_))
    return false;
  llvm::SmallString<256> model(directory_);
  llvm::sys::path::append(model, key + ".tmp-%%%%%%%%");
  llvm::SmallString<256> temporary;
  int fd;
  if (llvm::sys::fs::createUniqueFile(model, fd, temporary))
    return false;
  ::close(fd);
  uint64_t size = 0;
  if (!write(std::string(temporary)) || llvm::sys::fs::file_size(temporary, size) || size == 0 ||
      llvm::sys::fs::rename(temporary, path(key))) {
    llvm::sys::fs::remove(temporary);
    return false;
  }
  return true;
}

bool DiskCache::store(const std::string &key, const std::string &bytes) const {
  return store(key, [&](const std::string &file) {
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec, llvm::sys::fs::OF_None);
    if (ec)
      return false;
    os << bytes;
    os.close();
    if (os.has_error()) {
      os.clear_error();
      return false;
    }
    return true;
  });
}

int DiskCache::clear(std::string *error) const {
  std::error_code ec;
  int removed = 0;
  if (!llvm::sys::fs::exists(directory_))
    return 0;
  for (llvm::sys::fs::directory_iterator it(directory_, ec), end; !ec && it != end;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (!name.ends_with(kSuffix) && !name.contains(".tmp-"))
      continue;
    if (std::error_code rm = llvm::sys::fs::remove(it->path())) {
      if (error)
        *error = "cannot remove " + it->path() + ": " + rm.message();
      return -1;
    }
    ++removed;
  }
  if (ec) {
    if (error)
      *error = "cannot list " + directory_ + ": " + ec.message();
    return -1;
  }
  return removed;
}

std::string compilerFingerprint() {
  // A rebuilt compiler may generate other code for the same spec: the file that
  // holds this function (libvibee_runtime.so, or the executable it is linked
  // into) identifies the build by path, size and modification time.
  std::string id = "vibee 0.1.0; LLVM " LLVM_VERSION_STRING;
  Dl_info info;
  if (dladdr(reinterpret_cast<void *>(&compilerFingerprint), &info) && info.dli_fname) {
    struct stat st;
    if (::stat(info.dli_fname, &st) == 0)
      id += std::string("; ") + info.dli_fname + " " + std::to_string(st.st_size) + " " +
            std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  }
  return id;
}

std::string hostCpuFingerprint() {
  std::string id = llvm::sys::getProcessTriple() + " " + llvm::sys::getHostCPUName().str();
  std::vector<std::string> features;
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    if (feature.second)
      features.push_back(feature.first().str());
  std::sort(features.begin(), features.end());
  for (const std::string &f : features)
    id += " +" + f;
  return id;
}

} // namespace vibee
