// The on-disk kernel cache: keys, store/load, failed writes, clear, and the JIT
// loading a cached object (a second Compiler, as a second process would, gets
// the code from disk and computes the same numbers as a fresh compile).
#include "runtime/DiskCache.h"
#include "runtime/DiagnosticPrinter.h"
#include "runtime/Jit.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

using namespace vibee;

namespace {

// A new directory under the system's temporary one, removed with the test.
struct TempDirectory {
  explicit TempDirectory(const std::string &name) {
    llvm::SmallString<128> dir;
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("vibee-" + name, dir));
    path = std::string(dir);
  }
  ~TempDirectory() { llvm::sys::fs::remove_directories(path); }
  std::string path;
};

int filesIn(const std::string &dir) {
  std::error_code ec;
  int n = 0;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    ++n;
  return n;
}

TEST(DiskCache, KeysSeparateTheirParts) {
  EXPECT_NE(DiskCache::key({"ab", "c"}), DiskCache::key({"a", "bc"}));
  EXPECT_EQ(DiskCache::key({"a", "b"}), DiskCache::key({"a", "b"}));
  EXPECT_EQ(DiskCache::key({"x"}).size(), 64u); // SHA-256, hex
}

TEST(DiskCache, StoreLoadClear) {
  TempDirectory temp("cache");
  DiskCache cache(temp.path + "/nested");
  EXPECT_EQ(cache.load("k"), nullptr);
  ASSERT_TRUE(cache.store("k", std::string("object bytes")));
  std::unique_ptr<llvm::MemoryBuffer> loaded = cache.load("k");
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->getBuffer(), "object bytes");
  // A writer that fails (or writes nothing) leaves neither entry nor temporary.
  EXPECT_FALSE(cache.store("bad", [](const std::string &) { return false; }));
  EXPECT_FALSE(cache.store("empty", [](const std::string &) { return true; }));
  EXPECT_EQ(cache.load("bad"), nullptr);
  EXPECT_EQ(filesIn(cache.directory()), 1);
  EXPECT_EQ(cache.clear(), 1);
  EXPECT_EQ(cache.load("k"), nullptr);
  EXPECT_EQ(filesIn(cache.directory()), 0);
}

TEST(DiskCache, EnvironmentPicksTheDirectory) {
  // ctest sets VIBEE_CACHE_DIR (tests never use the user's cache).
  const char *dir = std::getenv("VIBEE_CACHE_DIR");
  ASSERT_NE(dir, nullptr);
  EXPECT_EQ(DiskCache::fromEnvironment().directory(), dir);
}

TEST(DiskCache, FingerprintsNameTheBuildAndTheCpu) {
  EXPECT_NE(compilerFingerprint().find("libvibee_runtime"), std::string::npos);
  EXPECT_FALSE(hostCpuFingerprint().empty());
}

const char *kAxpy = R"(spec axpy 1.0.0 "a x + y";
kernel axpy(x: f32[N], y: f32[N], a: f32) -> z: f32[N] {
  z[i] = a * x[i] + y[i];
}
)";

std::vector<float> runAxpy(Compiler &compiler, bool *fromDisk) {
  std::shared_ptr<JitModule> module = compiler.compileString(kAxpy, "axpy.vibee");
  *fromDisk = module->fromDiskCache();
  std::vector<float> x(37), y(37), z(37);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = 0.25f * (float)i - 3.0f;
    y[i] = std::sin((float)i);
  }
  module->kernel("axpy")(
      {TensorView(x.data(), {37}), TensorView(y.data(), {37}), 1.5, TensorView(z.data(), {37})});
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_FLOAT_EQ(z[i], 1.5f * x[i] + y[i]) << i;
  return z;
}

TEST(DiskCache, JitLoadsWhatAnotherCompilerStored) {
  TempDirectory temp("jit");
  const std::string &dir = temp.path;
  bool fromDisk = true;
  Compiler first;
  first.setDiskCache(DiskCache(dir));
  std::vector<float> compiled = runAxpy(first, &fromDisk);
  EXPECT_FALSE(fromDisk);
  EXPECT_EQ(filesIn(dir), 1);

  Compiler second;
  second.setDiskCache(DiskCache(dir));
  EXPECT_EQ(runAxpy(second, &fromDisk), compiled);
  EXPECT_TRUE(fromDisk);
  EXPECT_EQ(second.cacheStats().diskHits, 1);

  // Other options are another entry.
  CompileOptions serial;
  serial.threads = false;
  Compiler third(serial);
  third.setDiskCache(DiskCache(dir));
  runAxpy(third, &fromDisk);
  EXPECT_FALSE(fromDisk);
  EXPECT_EQ(filesIn(dir), 2);

  // Without a disk cache nothing is read or written.
  Compiler none;
  none.setDiskCache(std::nullopt);
  runAxpy(none, &fromDisk);
  EXPECT_FALSE(fromDisk);
  EXPECT_EQ(filesIn(dir), 2);
}

TEST(DiskCache, CorruptEntryIsCompiledAgain) {
  TempDirectory temp("corrupt");
  const std::string &dir = temp.path;
  bool fromDisk = true;
  Compiler first;
  first.setDiskCache(DiskCache(dir));
  runAxpy(first, &fromDisk);
  std::error_code ec;
  llvm::sys::fs::directory_iterator entry(dir, ec);
  ASSERT_FALSE(ec);
  {
    llvm::raw_fd_ostream os(entry->path(), ec);
    os << "not an object file";
  }
  Compiler second;
  second.setDiskCache(DiskCache(dir));
  runAxpy(second, &fromDisk);
  EXPECT_FALSE(fromDisk);
}

TEST(DiagnosticPrinter, SameTextAsTheFrontendWithoutColor) {
  DiagnosticEngine diags("d.vibee", "line one\n\tline two\n");
  diags.error({2, 3}, "bad");
  diags.note({1, 1}, "see");
  diags.warning({2, 2}, "odd", "unused-local");
  diags.error({}, "nowhere");
  std::string printed;
  llvm::raw_string_ostream os(printed);
  printDiagnostics(diags, os); // a string stream has no colors
  EXPECT_EQ(printed, diags.str());
  EXPECT_NE(printed.find("d.vibee:2:2: warning: odd [-Wunused-local]\n  \tline two\n  \t^\n"),
            std::string::npos);
  EXPECT_NE(printed.find("d.vibee: error: nowhere\n"), std::string::npos);
}

} // namespace
