// gpu_check: every kernel of the given specs on the GPU against the float64
// reference interpreter, on fresh random inputs of several shapes (the GPU
// counterpart of `vibeec check`; docs/gpu.md).
//
//   gpu_check [--seed N] [--large] <spec.vibee> <libvibee_<spec>_cuda.so> [...]
//
// Self-contained for GPU machines without LLVM/MLIR: links the frontend and the
// reference interpreter statically, loads libcuda through libvibee_cuda_rt.so, and
// dlopens each spec's host library (vibeec compile --target=cuda, linked with
// libvibee_cuda_rt.so), calling vibee_<spec>_<kernel>_packed(void **args); or a
// library built from the generated host file (--emit=cuda-host, linked with
// -lcuda), recognized by its `_on_stream` entries, whose packed entry returns the
// error text instead of recording it in the runtime. Outputs
// are poisoned (NaN bit patterns) before each call; every CUDA call is checked;
// the relative error ||out - ref|| / ||ref|| must be under the dtype's limit (f32
// 1e-5, bf16 1e-2, f16 2e-3) and a NaN never passes. Exit status 0 only if all pass.
#include "frontend/Frontend.h"
#include "frontend/ReferenceInterpreter.h"
#include "frontend/Requirements.h"
#include "runtime/Tensor.h"
#include "runtime/cuda/CudaDriver.h"
#include "tools/vibeec/CheckSupport.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>

using namespace vibee;
using namespace vibee::cuda;
using checking::randomValue;
using checking::Rng;

namespace {

// Larger shapes than `vibeec check` (the GPU kernels' vector and row paths need
// them); the first trials are the shared ones.
int64_t trialSize(int trial, Rng &rng, bool large) {
  switch (trial) {
  case 0:
  case 1:
  case 2:
    return checking::trialSize(trial, rng);
  case 3:
    return rng.between(60, 300);
  default:
    return large ? rng.between(1000, 1100) : rng.between(300, 400);
  }
}

// A device buffer with the bytes of a HostTensor.
struct DeviceBuffer {
  CUdeviceptr ptr = 0;
  size_t bytes = 0;
  DeviceBuffer(size_t n, const std::string &what) : bytes(std::max<size_t>(n, 1)) {
    check(driver().cuMemAlloc(&ptr, bytes), "cuMemAlloc", what);
  }
  ~DeviceBuffer() {
    if (ptr)
      driver().cuMemFree(ptr);
  }
  DeviceBuffer(const DeviceBuffer &) = delete;
};

size_t elemSize(DType dtype) { return (size_t)ast::dtypeBytes(dtype); }

size_t byteSize(HostTensor &t) { return (size_t)t.numElements() * elemSize(t.dtype()); }

// One call's arguments: host copies, device buffers, and the packed argument
// array (args[i] points at the i-th argument of the C ABI, as the _packed entries
// take it). `packed` points into `slots`, `pointers` and `dimSizes`, whose
// elements stay where they are when the object is moved.
struct KernelArguments {
  std::vector<HostTensor> tensors; // by parameter index (empty for scalars)
  std::vector<HostTensor> results;
  std::vector<std::unique_ptr<DeviceBuffer>> buffers; // tensor parameters, then results
  std::vector<CUdeviceptr> resultPointers;
  std::vector<ref::Array> referenceArgs;
  std::vector<uint64_t> slots;  // scalar parameters, as stored
  std::vector<void *> pointers; // device pointers of tensors and results
  std::vector<int64_t> dimSizes;
  std::vector<void *> packed;
};

// Random inputs for the sizes `dims` (drawn from `rng` in parameter order),
// copied to the device; results poisoned: all bytes 0xFF is a NaN for every
// float dtype, so an element the kernel never writes fails the check. A gather's
// index tensors are drawn inside the axes they index, as `vibeec check` draws them.
KernelArguments uploadArguments(const ast::Kernel &k, const std::vector<int64_t> &dims, Rng &rng,
                                const std::vector<DimRequirement> &requirements) {
  KernelArguments a;
  a.tensors.resize(k.params.size());
  a.slots.resize(k.params.size() + k.results.size() + k.dims.size());
  a.pointers.resize(a.slots.size());
  for (size_t i = 0; i < k.params.size(); ++i) {
    const ast::Param &p = k.params[i];
    if (p.type.isScalar()) {
      HostTensor stored(p.type.dtype, {});
      stored.set(0, checking::scalarArgument(p, rng));
      std::memcpy(&a.slots[i], stored.data(), elemSize(p.type.dtype));
      a.referenceArgs.push_back(ref::Array{{}, {stored.get(0)}});
      a.packed.push_back(&a.slots[i]);
      continue;
    }
    HostTensor &t = a.tensors[i] = HostTensor(p.type.dtype, checking::shapeOf(p.type, dims));
    int64_t limit = gatherLimit(requirements, (int)i, dims);
    for (int64_t e = 0; e < t.numElements(); ++e)
      t.set(e, limit > 0 ? (double)rng.between(0, limit - 1) : randomValue(p.type.dtype, rng));
    a.referenceArgs.push_back(ref::Array{t.shape(), t.toDoubles()});
    a.buffers.push_back(std::make_unique<DeviceBuffer>(byteSize(t), p.name));
    check(driver().cuMemcpyHtoD(a.buffers.back()->ptr, t.data(), byteSize(t)), "cuMemcpyHtoD",
          p.name);
    a.pointers[i] = reinterpret_cast<void *>(a.buffers.back()->ptr);
    a.packed.push_back(&a.pointers[i]);
  }
  for (size_t r = 0; r < k.results.size(); ++r) {
    const ast::Result &result = k.results[r];
    a.results.emplace_back(result.type.dtype, checking::shapeOf(result.type, dims));
    a.buffers.push_back(std::make_unique<DeviceBuffer>(byteSize(a.results.back()), result.name));
    check(driver().cuMemsetD8(a.buffers.back()->ptr, 0xFF, a.buffers.back()->bytes), "cuMemsetD8",
          result.name);
    a.resultPointers.push_back(a.buffers.back()->ptr);
    size_t slot = k.params.size() + r;
    a.pointers[slot] = reinterpret_cast<void *>(a.buffers.back()->ptr);
    a.packed.push_back(&a.pointers[slot]);
  }
  for (size_t d = 0; d < k.dims.size(); ++d) // a derived dim (N - K + 1) is no argument
    if (k.dims[d].size < 0 && !k.dims[d].derived)
      a.dimSizes.push_back(dims[d]);
  for (int64_t &d : a.dimSizes)
    a.packed.push_back(&d);
  return a;
}

// The inout tensors and the results, back from the device.
void downloadOutputs(const ast::Kernel &k, KernelArguments &a) {
  size_t b = 0;
  for (size_t i = 0; i < k.params.size(); ++i) {
    if (k.params[i].type.isScalar())
      continue;
    if (k.params[i].mode == ast::ParamMode::InOut)
      check(driver().cuMemcpyDtoH(a.tensors[i].data(), a.buffers[b]->ptr, byteSize(a.tensors[i])),
            "cuMemcpyDtoH", k.params[i].name);
    ++b;
  }
  for (size_t r = 0; r < a.results.size(); ++r)
    check(driver().cuMemcpyDtoH(a.results[r].data(), a.resultPointers[r], byteSize(a.results[r])),
          "cuMemcpyDtoH", k.results[r].name);
}

// How many result elements still hold the poison NaN, the sign of an unwritten
// output; a wrong value that is not NaN was written (session 5 read the old fixed
// hint "NaN: unwritten" on an attention whose output was all zeros).
std::string nanCount(const std::vector<HostTensor> &results) {
  int64_t nans = 0, total = 0;
  for (const HostTensor &r : results) {
    for (double v : r.toDoubles())
      nans += std::isnan(v);
    total += r.numElements();
  }
  return std::to_string(nans) + " of " + std::to_string(total) +
         " result elements NaN, i.e. unwritten or computed as NaN";
}

// What a failing trial ran on and gave, to reproduce it by hand: the scalar
// arguments, and per result its first elements, the kernel's beside the
// reference's, and the inputs' first elements (small trials fit whole).
std::string failureDetails(const ast::Kernel &k, const KernelArguments &a,
                           const ref::Outcome &expected) {
  constexpr size_t kShown = 24;
  std::ostringstream out;
  out << std::setprecision(9);
  auto list = [&](const std::vector<double> &values) {
    out << "[";
    for (size_t i = 0; i < values.size() && i < kShown; ++i)
      out << (i ? ", " : "") << values[i];
    out << (values.size() > kShown ? ", ...]" : "]");
  };
  for (size_t i = 0; i < k.params.size(); ++i) {
    out << "\n      " << k.params[i].name << " = ";
    list(a.referenceArgs[i].data);
  }
  for (size_t r = 0; r < a.results.size() && r < expected.results.size(); ++r) {
    out << "\n      " << k.results[r].name << ": got ";
    list(a.results[r].toDoubles());
    out << "\n      " << std::string(k.results[r].name.size(), ' ') << "  want ";
    list(expected.results[r].data);
  }
  return out.str();
}

// A kernel's packed entry in a spec library: the object route's records its error
// in the runtime (vibee_cuda_last_error); a generated host file's returns it.
struct PackedEntry {
  void *function;
  bool returnsError;
};

// One trial of kernel `k` on shapes drawn for `trial`: the call on fresh inputs,
// its outputs compared with the reference. Returns the failure ("" when it
// passes); adds the call's time, synchronization included, to `ms`.
// The dims of trial `trial`, or "" replaced by why none fit. A literal or affine
// subscript (x[5], x[2 * j]) needs sizes that fit it, as in `vibeec check`: drawn
// freely, the runtime's bounds checks refuse the call.
std::string drawTrialDims(const ast::Kernel &k, const std::vector<DimRequirement> &requirements,
                          int trial, bool large, Rng &rng, std::vector<int64_t> &dims) {
  std::vector<int64_t> least = minimumDimSizes(k, requirements);
  dims.assign(k.dims.size(), 0);
  for (size_t d = 0; d < k.dims.size(); ++d)
    dims[d] =
        k.dims[d].size >= 0 ? k.dims[d].size : std::max(least[d], trialSize(trial, rng, large));
  // The float64 reference runs on the host: its work is bounded (bmm's largest
  // trial took it minutes), with ten times vibeec check's budget for GPU sizes.
  checking::boundReferenceWork(k, dims, least, 10 * checking::kMaxTrialWork);
  if (!fitRequirements(k, requirements, dims))
    return "no trial sizes meet the kernel's subscript relations (with " +
           checking::symbolicDimsText(k, dims) + ")";
  return "";
}

std::string runTrial(const ast::Spec &spec, const ast::Kernel &k, PackedEntry entry, int trial,
                     bool large, Rng &rng, double &worstRatio, double &ms, bool &nearTie) {
  std::vector<DimRequirement> requirements = dimRequirements(spec, k);
  std::vector<int64_t> dims;
  if (std::string none = drawTrialDims(k, requirements, trial, large, rng, dims); !none.empty())
    return none;
  KernelArguments args = uploadArguments(k, dims, rng, requirements);
  ref::Outcome expected = ref::evaluate(spec, k, args.referenceArgs);
  vibee_cuda_clear_error();
  auto start = std::chrono::steady_clock::now();
  const char *returned = nullptr;
  if (entry.returnsError)
    returned = reinterpret_cast<const char *(*)(void **)>(entry.function)(args.packed.data());
  else
    reinterpret_cast<void (*)(void **)>(entry.function)(args.packed.data());
  CUresult sync = driver().cuCtxSynchronize();
  ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (const char *e = entry.returnsError ? returned : vibee_cuda_last_error()) {
    std::string failure = std::string("kernel '") + k.name + "': " + e;
    vibee_cuda_clear_error();
    return failure;
  }
  check(sync, "cuCtxSynchronize", "kernel '" + k.name + "'");
  downloadOutputs(k, args);
  // Only a mismatch may be redrawn for a near tie, not an error the kernel reported.
  nearTie = expected.nearTie;
  double ratio = worstRatio;
  std::string failure =
      checking::compareKernelOutputs(k, args.tensors, args.results, expected, &ratio);
  if (failure.empty())
    worstRatio = ratio;
  if (!failure.empty())
    failure += " (with " + checking::symbolicDimsText(k, dims) + "; " + nanCount(args.results) +
               ")" + failureDetails(k, args, expected);
  return failure;
}

struct Tally {
  int passed = 0, failed = 0;
};

// A gather's index out of range on the GPU (object route): one element of an index
// tensor set to its axis' size must make the call record the error, with that
// index (vibee-gpu-gather-checks). "" when the kernel has no gather or it reports
// (then `note` says what was reported).
std::string runOutOfRangeTrial(const ast::Spec &spec, const ast::Kernel &k, PackedEntry entry,
                               Rng &rng, std::string &note) {
  std::vector<DimRequirement> requirements = dimRequirements(spec, k);
  auto gather = std::find_if(requirements.begin(), requirements.end(),
                             [](const DimRequirement &r) { return r.gatherParam >= 0; });
  if (gather == requirements.end() || entry.returnsError)
    return "";
  std::vector<int64_t> dims;
  if (std::string none = drawTrialDims(k, requirements, 3, false, rng, dims); !none.empty())
    return "";
  KernelArguments args = uploadArguments(k, dims, rng, requirements);
  HostTensor &ids = args.tensors[gather->gatherParam];
  if (ids.numElements() == 0 || dims[gather->dim] == 0)
    return "";
  int64_t bad = dims[gather->dim];
  int64_t at = rng.between(0, ids.numElements() - 1);
  ids.set(at, (double)bad);
  auto stored = (int64_t)ids.get(at); // a narrow dtype wraps: still outside, or skip
  if (stored >= 0 && stored < bad)
    return "";
  check(driver().cuMemcpyHtoD(reinterpret_cast<CUdeviceptr>(args.pointers[gather->gatherParam]),
                              ids.data(), byteSize(ids)),
        "cuMemcpyHtoD", "out-of-range index");
  vibee_cuda_clear_error();
  reinterpret_cast<void (*)(void **)>(entry.function)(args.packed.data());
  check(driver().cuCtxSynchronize(), "cuCtxSynchronize", "kernel '" + k.name + "'");
  int64_t reported = -1;
  bool failed = vibee_cuda_gather_failed(&reported) != 0;
  vibee_cuda_clear_error();
  if (!failed)
    return "index " + std::to_string(stored) + " (outside [0, " + std::to_string(bad) +
           ")) at element " + std::to_string(at) + " of '" + k.params[gather->gatherParam].name +
           "' was not reported";
  if (reported != stored)
    return "the GPU reported index " + std::to_string(reported) + " instead of " +
           std::to_string(stored);
  note = ", index " + std::to_string(stored) + " of '" + k.params[gather->gatherParam].name +
         "' outside [0, " + std::to_string(bad) + ") reported";
  return "";
}

// Every trial of kernel `k` from the library `handle`; prints PASS or FAIL.
void checkKernel(const ast::Spec &spec, const ast::Kernel &k, void *handle, bool large, Rng &rng,
                 Tally &tally) {
  std::string symbol = "vibee_" + spec.name + "_" + k.name + "_packed";
  std::string onStream = "vibee_" + spec.name + "_" + k.name + "_on_stream";
  PackedEntry entry{dlsym(handle, symbol.c_str()), dlsym(handle, onStream.c_str()) != nullptr};
  if (!entry.function) {
    std::cout << "FAIL  " << spec.name << "." << k.name << ": no symbol " << symbol << "\n";
    ++tally.failed;
    return;
  }
  std::string failure;
  double worstRatio = 0;
  int trials = 5;
  double ms = 0;
  int redrawn = 0; // trials drawn again for a near tie (checking::kNearTieRedraws)
  for (int trial = 0; trial < trials && failure.empty(); ++trial) {
    for (int draw = 0;; ++draw) {
      bool nearTie = false;
      try {
        failure = runTrial(spec, k, entry, trial, large, rng, worstRatio, ms, nearTie);
      } catch (const std::exception &e) {
        failure = e.what();
      }
      if (failure.empty() || !nearTie)
        break;
      if (draw == checking::kNearTieRedraws) {
        failure += checking::nearTieNote(draw, true);
        break;
      }
      ++redrawn;
    }
  }
  std::string outOfRange;
  if (failure.empty()) {
    try {
      failure = runOutOfRangeTrial(spec, k, entry, rng, outOfRange);
    } catch (const std::exception &e) {
      failure = e.what();
    }
  }
  if (failure.empty()) {
    ++tally.passed;
    std::cout << "PASS  " << spec.name << "." << k.name << " (" << trials
              << " shape sets, worst relative error " << std::setprecision(2) << worstRatio
              << " of the limit" << checking::nearTieNote(redrawn, false) << ", "
              << std::setprecision(3) << ms << " ms on the GPU incl. sync"
              << outOfRange << ")\n";
  } else {
    ++tally.failed;
    std::cout << "FAIL  " << spec.name << "." << k.name << "\n      " << failure << "\n";
  }
}

// The spec in `file` against its library `lib`: every kernel, then which device
// image a generated host file loaded.
void checkSpec(const std::string &file, const std::string &lib, bool large, Rng &rng,
               Tally &tally) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  DiagnosticEngine diags(file, text.str());
  std::unique_ptr<ast::Spec> spec = loadSpec(file, text.str(), diags);
  if (!in || !spec || diags.hasErrors()) {
    std::cout << "FAIL  " << file << ": does not load\n" << diags.str();
    ++tally.failed;
    return;
  }
  void *handle = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    std::cout << "FAIL  " << file << ": dlopen " << lib << ": " << dlerror() << "\n";
    ++tally.failed;
    return;
  }
  if (const char *e = vibee_cuda_last_error()) {
    std::cout << "FAIL  " << file << ": loading its GPU code: " << e << "\n";
    vibee_cuda_clear_error();
    ++tally.failed;
    return;
  }
  std::cout << "== " << file << " (" << lib << ")\n";
  for (const ast::Kernel &k : spec->kernels)
    checkKernel(*spec, k, handle, large, rng, tally);
  std::string imageSymbol = "vibee_" + spec->name + "_cuda_image";
  if (auto image = reinterpret_cast<const char *(*)()>(dlsym(handle, imageSymbol.c_str())))
    std::cout << "      (generated host file; device code loaded: " << (image() ? image() : "none")
              << ")\n";
}

} // namespace

int main(int argc, char **argv) {
  uint64_t seed = std::random_device{}();
  bool large = false;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seed" && i + 1 < argc)
      seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--large")
      large = true;
    else
      args.push_back(a);
  }
  if (args.empty() || args.size() % 2) {
    std::cerr << "usage: gpu_check [--seed N] [--large] <spec.vibee> <lib.so> [...]\n";
    return 2;
  }
  // Each line as it comes: a run cut short by a timeout keeps what it printed.
  std::cout << std::unitbuf;
  std::string why;
  if (!available(&why)) {
    std::cerr << "gpu_check: no usable GPU: " << why << "\n";
    return 3;
  }
  std::cout << "device " << deviceName() << ", " << multiprocessorCount() << " SMs; seed " << seed
            << " (gpu_check --seed " << seed << " reproduces)\n";
  Rng rng{seed};
  Tally tally;
  for (size_t s = 0; s < args.size(); s += 2)
    checkSpec(args[s], args[s + 1], large, rng, tally);
  // The runtime keeps wgmma kernels' tensor maps for later calls; freed here so
  // that compute-sanitizer's leak check sees only what the kernels leaked.
  vibee_cuda_release_tensor_maps();
  std::cout << tally.passed << " passed, " << tally.failed << " failed\n";
  return tally.failed ? 1 : 0;
}
