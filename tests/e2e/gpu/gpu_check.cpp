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
using checking::Rng;
using checking::randomValue;

namespace {

// Larger shapes than `vibeec check` (the GPU kernels' vector and row paths need
// them); the first trials are the shared ones.
int64_t trialSize(int trial, Rng &rng, bool large) {
  switch (trial) {
  case 0: case 1: case 2: return checking::trialSize(trial, rng);
  case 3: return rng.between(60, 300);
  default: return large ? rng.between(1000, 1100) : rng.between(300, 400);
  }
}

std::vector<int64_t> shapeOf(const ast::TensorType &t, const std::vector<int64_t> &dims) {
  std::vector<int64_t> shape;
  for (const ast::DimSpec &d : t.dims)
    shape.push_back(std::max<int64_t>(dims[d.dimRef], 0));
  return shape;
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

size_t elemSize(DType dtype) {
  switch (dtype) {
  case DType::F64: case DType::I64: return 8;
  case DType::F32: case DType::I32: return 4;
  case DType::F16: case DType::BF16: return 2;
  default: return 1;
  }
}

size_t byteSize(HostTensor &t) { return (size_t)t.numElements() * elemSize(t.dtype()); }

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
  std::string why;
  if (!available(&why)) {
    std::cerr << "gpu_check: no usable GPU: " << why << "\n";
    return 3;
  }
  std::cout << "device " << deviceName() << ", " << multiprocessorCount()
            << " SMs; seed " << seed << " (gpu_check --seed " << seed << " reproduces)\n";
  Rng rng{seed};
  int passed = 0, failed = 0;
  for (size_t s = 0; s < args.size(); s += 2) {
    const std::string &file = args[s], &lib = args[s + 1];
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    DiagnosticEngine diags(file, text.str());
    std::unique_ptr<ast::Spec> spec = loadSpec(file, text.str(), diags);
    if (!in || !spec || diags.hasErrors()) {
      std::cout << "FAIL  " << file << ": does not load\n" << diags.str();
      ++failed;
      continue;
    }
    void *handle = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      std::cout << "FAIL  " << file << ": dlopen " << lib << ": " << dlerror() << "\n";
      ++failed;
      continue;
    }
    if (const char *e = vibee_cuda_last_error()) {
      std::cout << "FAIL  " << file << ": loading its GPU code: " << e << "\n";
      vibee_cuda_clear_error();
      ++failed;
      continue;
    }
    std::cout << "== " << file << " (" << lib << ")\n";
    for (const ast::Kernel &k : spec->kernels) {
      std::string symbol = "vibee_" + spec->name + "_" + k.name + "_packed";
      void *entry = dlsym(handle, symbol.c_str());
      std::string onStream = "vibee_" + spec->name + "_" + k.name + "_on_stream";
      bool hostFile = dlsym(handle, onStream.c_str()) != nullptr;
      if (!entry) {
        std::cout << "FAIL  " << spec->name << "." << k.name << ": no symbol " << symbol << "\n";
        ++failed;
        continue;
      }
      std::string failure;
      double worstRatio = 0;
      int trials = 5;
      double ms = 0;
      for (int trial = 0; trial < trials && failure.empty(); ++trial) {
        try {
          std::vector<int64_t> dims(k.dims.size());
          for (size_t d = 0; d < k.dims.size(); ++d)
            dims[d] = k.dims[d].size >= 0 ? k.dims[d].size : trialSize(trial, rng, large);
          std::string shapeDesc;
          for (size_t d = 0; d < k.dims.size(); ++d)
            if (k.dims[d].size < 0)
              shapeDesc += (shapeDesc.empty() ? "" : ", ") + k.dims[d].name + "=" +
                           std::to_string(dims[d]);
          std::vector<HostTensor> tensors(k.params.size()), results;
          std::vector<std::unique_ptr<DeviceBuffer>> buffers;
          std::vector<ref::Array> refArgs;
          std::vector<uint64_t> slots(k.params.size() + k.results.size() + k.dims.size());
          std::vector<void *> ptrs(slots.size());
          std::vector<void *> packed;
          for (size_t i = 0; i < k.params.size(); ++i) {
            const ast::Param &p = k.params[i];
            if (p.type.isScalar()) {
              HostTensor stored(p.type.dtype, {});
              stored.set(0, checking::scalarArgument(p, rng));
              std::memcpy(&slots[i], stored.data(), elemSize(p.type.dtype));
              refArgs.push_back(ref::Array{{}, {stored.get(0)}});
              packed.push_back(&slots[i]);
              continue;
            }
            tensors[i] = HostTensor(p.type.dtype, shapeOf(p.type, dims));
            for (int64_t e = 0; e < tensors[i].numElements(); ++e)
              tensors[i].set(e, randomValue(p.type.dtype, rng));
            refArgs.push_back(ref::Array{tensors[i].shape(), tensors[i].toDoubles()});
            buffers.push_back(std::make_unique<DeviceBuffer>(byteSize(tensors[i]), p.name));
            check(driver().cuMemcpyHtoD(buffers.back()->ptr, tensors[i].data(),
                                        byteSize(tensors[i])),
                  "cuMemcpyHtoD", p.name);
            ptrs[i] = reinterpret_cast<void *>(buffers.back()->ptr);
            packed.push_back(&ptrs[i]);
          }
          std::vector<CUdeviceptr> resultPtrs;
          for (size_t r = 0; r < k.results.size(); ++r) {
            results.emplace_back(k.results[r].type.dtype, shapeOf(k.results[r].type, dims));
            buffers.push_back(
                std::make_unique<DeviceBuffer>(byteSize(results.back()), k.results[r].name));
            // Poison: all bytes 0xFF is a NaN for every float dtype.
            check(driver().cuMemsetD8(buffers.back()->ptr, 0xFF, buffers.back()->bytes),
                  "cuMemsetD8", k.results[r].name);
            resultPtrs.push_back(buffers.back()->ptr);
            size_t slot = k.params.size() + r;
            ptrs[slot] = reinterpret_cast<void *>(buffers.back()->ptr);
            packed.push_back(&ptrs[slot]);
          }
          std::vector<int64_t> dimArgs;
          for (size_t d = 0; d < k.dims.size(); ++d)
            if (k.dims[d].size < 0)
              dimArgs.push_back(dims[d]);
          for (int64_t &d : dimArgs)
            packed.push_back(&d);

          ref::Outcome expected = ref::evaluate(*spec, k, refArgs);
          vibee_cuda_clear_error();
          auto start = std::chrono::steady_clock::now();
          const char *returned = nullptr;
          if (hostFile)
            returned = reinterpret_cast<const char *(*)(void **)>(entry)(packed.data());
          else
            reinterpret_cast<void (*)(void **)>(entry)(packed.data());
          CUresult sync = driver().cuCtxSynchronize();
          ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                          start).count();
          if (const char *e = hostFile ? returned : vibee_cuda_last_error()) {
            failure = std::string("kernel '") + k.name + "': " + e;
            vibee_cuda_clear_error();
            break;
          }
          check(sync, "cuCtxSynchronize", "kernel '" + k.name + "'");
          // Copy back inouts and results.
          size_t b = 0;
          for (size_t i = 0; i < k.params.size(); ++i) {
            if (k.params[i].type.isScalar())
              continue;
            if (k.params[i].mode == ast::ParamMode::InOut)
              check(driver().cuMemcpyDtoH(tensors[i].data(), buffers[b]->ptr,
                                          byteSize(tensors[i])),
                    "cuMemcpyDtoH", k.params[i].name);
            ++b;
          }
          for (size_t r = 0; r < results.size(); ++r)
            check(driver().cuMemcpyDtoH(results[r].data(), resultPtrs[r], byteSize(results[r])),
                  "cuMemcpyDtoH", k.results[r].name);

          auto checkOne = [&](const std::string &name, const HostTensor &out,
                              const ref::Array &ref) {
            if (failure.empty())
              if (std::string f = checking::compareWithReference(name, out, ref.data, &worstRatio);
                  !f.empty())
                failure = f + " (with " + shapeDesc + "; NaN: unwritten)";
          };
          for (size_t i = 0; i < k.params.size(); ++i)
            if (k.params[i].mode == ast::ParamMode::InOut)
              checkOne(k.params[i].name, tensors[i], expected.params[i]);
          for (size_t r = 0; r < k.results.size(); ++r)
            checkOne(k.results[r].name, results[r], expected.results[r]);
        } catch (const std::exception &e) {
          failure = e.what();
        }
      }
      if (failure.empty()) {
        ++passed;
        std::cout << "PASS  " << spec->name << "." << k.name << " (" << trials
                  << " shape sets, worst relative error " << std::setprecision(2)
                  << worstRatio << " of the limit, " << std::setprecision(3) << ms
                  << " ms on the GPU incl. sync)\n";
      } else {
        ++failed;
        std::cout << "FAIL  " << spec->name << "." << k.name << "\n      " << failure << "\n";
      }
    }
    std::string imageSymbol = "vibee_" + spec->name + "_cuda_image";
    if (auto image = reinterpret_cast<const char *(*)()>(dlsym(handle, imageSymbol.c_str())))
      std::cout << "      (generated host file; device code loaded: "
                << (image() ? image() : "none") << ")\n";
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed ? 1 : 0;
}
