// jit.cpp's device buffers: the CUDA driver API that vibee loads at run time (no
// CUDA toolkit needed to build).
#pragma once
#include "softmax_reference.h"

#include <vibee/runtime/cuda/CudaDriver.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

// The driver's entry points are plain function pointers (CudaDriver.h); this
// program checks their results itself.
inline void must(int result, const char *call) {
  if (result != 0)
    throw std::runtime_error(std::string(call) + " failed: CUresult " + std::to_string(result));
}

struct DeviceBuffer {
  vibee::cuda::CUdeviceptr ptr = 0;
  size_t bytes = 0;
  explicit DeviceBuffer(size_t n) : bytes(n) {
    must(vibee::cuda::driver().cuMemAlloc(&ptr, n), "cuMemAlloc");
  }
  ~DeviceBuffer() { vibee::cuda::driver().cuMemFree(ptr); }
  void upload(const void *host) {
    must(vibee::cuda::driver().cuMemcpyHtoD(ptr, host, bytes), "cuMemcpyHtoD");
  }
  void download(void *host) const {
    must(vibee::cuda::driver().cuMemcpyDtoH(host, ptr, bytes), "cuMemcpyDtoH");
  }
  float *f32() const { return reinterpret_cast<float *>(ptr); }
};

// true (after saying so) when there is no usable GPU: the caller exits 0.
inline bool noGpu(const char *program) {
  if (vibee::cuda::available())
    return false;
  std::printf("%s: no CUDA driver or device: skipped\n", program);
  return true;
}
