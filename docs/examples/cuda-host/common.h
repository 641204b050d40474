// Shared by jit.cpp and aot.cpp: device buffers through the CUDA driver API that
// vibee loads at run time (no CUDA toolkit needed to build), and a float64 softmax.
#pragma once
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

inline double softmaxError(const std::vector<float> &x, const std::vector<float> &y,
                           int64_t rows, int64_t cols) {
  double worst = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double mx = -INFINITY, sum = 0;
    for (int64_t c = 0; c < cols; ++c)
      mx = std::fmax(mx, x[r * cols + c]);
    for (int64_t c = 0; c < cols; ++c)
      sum += std::exp(x[r * cols + c] - mx);
    for (int64_t c = 0; c < cols; ++c)
      worst = std::fmax(worst, std::fabs(y[r * cols + c] - std::exp(x[r * cols + c] - mx) / sum));
  }
  return worst;
}
