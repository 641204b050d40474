// The JIT API for C++ hosts:
//
//   vibee::Compiler compiler;
//   auto module = compiler.compileFile("specs/optim/lion.vibee");
//   module->kernel("step")({param, grad, m, 0.1, 0.0});   // TensorViews, scalars
//
// A Compiler owns a cache keyed by spec text + options: compiling the same spec
// twice is a lookup. Kernel calls check dtype, rank and every symbolic dim before
// anything runs, and throw CallError naming kernel, argument, expected and actual.
#pragma once

#include "runtime/Compilation.h"
#include "runtime/Tensor.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
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

// One kernel argument: a tensor, a scalar (converted to the parameter's dtype),
// or Default.
using Arg = std::variant<TensorView, double, Default>;

class JitModule;

// Lowers a compilation all the way and loads it into a JIT (used by Compiler).
std::shared_ptr<JitModule> buildJitModule(Compilation &compilation);

class Kernel {
public:
  const std::string &name() const { return kernel_->name; }
  const ast::Kernel &signature() const { return *kernel_; }
  // Arguments: every parameter in order, then one caller-allocated tensor per
  // result. Returns the bound symbolic dims (name -> size).
  std::map<std::string, int64_t> operator()(const std::vector<Arg> &args) const;

private:
  friend class JitModule;
  Kernel(const JitModule *module, const ast::Kernel *kernel, void *entry)
      : module_(module), kernel_(kernel), entry_(entry) {}
  const JitModule *module_;
  const ast::Kernel *kernel_;
  void *entry_; // packed entry point: void(void **args)
};

class JitModule {
public:
  ~JitModule();
  const ast::Spec &spec() const { return *spec_; }
  Kernel kernel(const std::string &name) const; // throws CallError if unknown
  std::vector<std::string> kernelNames() const;
  // Compiled for target "cuda": tensor arguments are device pointers, work goes
  // to the thread's stream (vibee_cuda_set_stream), a CUDA error throws CallError.
  bool isCuda() const { return cuda_; }

private:
  friend std::shared_ptr<JitModule> buildJitModule(Compilation &compilation);
  bool cuda_ = false;
  JitModule() = default;
  struct Engine;
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<const ast::Spec> spec_;
  std::map<std::string, void *> entries_;
};

class Compiler {
public:
  explicit Compiler(CompileOptions options = {}) : options_(std::move(options)) {}

  // Compiles (or finds in the cache) a spec; throws CompileError.
  std::shared_ptr<JitModule> compileFile(const std::string &path);
  std::shared_ptr<JitModule> compileString(const std::string &source,
                                           const std::string &name = "<string>");

  struct CacheStats {
    int hits = 0;
    int misses = 0;
  };
  CacheStats cacheStats() const;

private:
  CompileOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<JitModule>> cache_;
  CacheStats stats_;
};

} // namespace vibee
