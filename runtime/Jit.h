// The JIT API for C++ hosts:
//
//   vibee::Compiler compiler;
//   auto module = compiler.compileFile("specs/optim/lion.vibee");
//   module->kernel("step")({param, grad, m, 0.1, 0.0});   // TensorViews, scalars
//
// A Compiler owns a cache keyed by spec text + options: compiling the same spec
// twice is a lookup. Below it, the on-disk cache (runtime/DiskCache.h) keeps the
// object code across processes: another process compiling the same spec for the
// same CPU loads it instead of compiling (setDiskCache(std::nullopt) opts out). Kernel calls check
// dtype, rank, every symbolic dim, sizes, overlap and literal-subscript bounds before anything
// runs, and throw CallError naming kernel, argument, expected and actual. Modules and kernels own
// what they need: they outlive the Compiler that made them.
#pragma once

#include "runtime/CallChecks.h"
#include "runtime/Compilation.h"
#include "runtime/DiskCache.h"
#include "runtime/Tensor.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace vibee {

struct CallError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Use the parameter's default value (scalar parameters with `= value` only).
struct Default {};

// One kernel argument: a tensor, a scalar (converted to the parameter's dtype; for
// an integer or bool parameter it must be an integer in the dtype's range, else the
// call throws CallError, and a double holds integers exactly only up to 2^53), or
// Default.
using Arg = std::variant<TensorView, double, Default>;

class JitModule;

// Lowers a compilation all the way and loads it into a JIT (used by Compiler).
// With a disk cache (CPU only), the object code is looked up there first and
// stored there after a compile.
std::shared_ptr<JitModule> buildJitModule(Compilation &compilation,
                                          const DiskCache *cache = nullptr);

// A kernel of a JitModule; it shares ownership of the module (its code and its
// spec), so it stays callable after the Compiler and every other handle are gone.
class Kernel {
public:
  const std::string &name() const { return kernel_->name; }
  const ast::Kernel &signature() const { return *kernel_; }
  // Arguments: every parameter in order, then one caller-allocated tensor per
  // result. Returns the bound symbolic dims (name -> size). Throws CallError for
  // a wrong dtype, rank or dim, a size that overflows int64, an output buffer
  // that overlaps another argument, or a dim too small for a literal subscript.
  std::map<std::string, int64_t> operator()(const std::vector<Arg> &args) const;
  // The shapes of the results of a call with these parameters (every parameter
  // in order, no results), for callers that allocate the results (the Python
  // package): the checks a call makes on its parameters run first, with the same
  // messages. Tensor data is not read and may be null. Throws CallError.
  std::vector<std::vector<int64_t>> resultShapes(const std::vector<Arg> &params) const;

private:
  friend class JitModule;
  Kernel(std::shared_ptr<const JitModule> module, const ast::Kernel *kernel, void *entry,
         const std::vector<DimRequirement> *requirements)
      : module_(std::move(module)), kernel_(kernel), entry_(entry), requirements_(requirements) {}
  std::shared_ptr<const JitModule> module_;
  const ast::Kernel *kernel_;                       // in module_->spec()
  void *entry_;                                     // packed entry point: void(void **args)
  const std::vector<DimRequirement> *requirements_; // in module_
};

class JitModule : public std::enable_shared_from_this<JitModule> {
public:
  ~JitModule();
  const ast::Spec &spec() const { return *spec_; }
  Kernel kernel(const std::string &name) const; // throws CallError if unknown
  std::vector<std::string> kernelNames() const;
  // Compiled for target "cuda": tensor arguments are device pointers, work goes
  // to the thread's stream (vibee_cuda_set_stream), a CUDA error throws CallError.
  bool isCuda() const { return cuda_; }
  struct Engine; // what holds the code (runtime/JitEngine.h; opaque to users)

private:
  friend std::shared_ptr<JitModule> buildJitModule(Compilation &compilation,
                                                   const DiskCache *cache);
  // Whether the code came from the disk cache.
  bool fromDiskCache_ = false;

public:
  bool fromDiskCache() const { return fromDiskCache_; }

private:
  bool cuda_ = false;
  JitModule() = default;
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<const ast::Spec> spec_;
  std::map<std::string, void *> entries_;
  std::map<std::string, std::vector<DimRequirement>> requirements_;
};

class Compiler {
public:
  explicit Compiler(CompileOptions options = {})
      : options_(std::move(options)), diskCache_(DiskCache::fromEnvironment()) {}
  void setDiskCache(std::optional<DiskCache> cache) { diskCache_ = std::move(cache); }

  // Compiles (or finds in the cache) a spec; throws CompileError.
  std::shared_ptr<JitModule> compileFile(const std::string &path);
  std::shared_ptr<JitModule> compileString(const std::string &source,
                                           const std::string &name = "<string>");

  struct CacheStats {
    int hits = 0;
    int misses = 0;   // in memory; a miss may still be a disk hit:
    int diskHits = 0; // object code loaded from the disk cache
  };
  CacheStats cacheStats() const;

private:
  CompileOptions options_;
  std::optional<DiskCache> diskCache_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<JitModule>> cache_;
  CacheStats stats_;
};

} // namespace vibee
