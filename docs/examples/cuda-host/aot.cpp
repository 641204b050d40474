// Ahead of time for the GPU: `vibeec compile softmax.vibee --target=cuda
// --emit=cuda-host` wrote softmax_cuda.cpp, one C++ file with the host launch
// code and the embedded device code (cubin + PTX) over the CUDA driver API.
// Compile it with this program and link -lcuda: no vibee library is involved.
// Its entries take device pointers and return nullptr or the first error's text.
#define VIBEE_CUDA_HOST_DECLARATIONS_ONLY
#include "softmax_cuda.cpp"

#include "softmax_reference.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

static void must(CUresult result, const char *call) {
  if (result != CUDA_SUCCESS)
    throw std::runtime_error(std::string(call) + " failed: CUresult " + std::to_string(result));
}

int main() {
  int devices = 0;
  if (cuInit(0) != CUDA_SUCCESS || cuDeviceGetCount(&devices) != CUDA_SUCCESS || !devices) {
    std::printf("cuda-aot: no CUDA driver or device: skipped\n");
    return 0;
  }
  try {
    CUdevice device;
    CUcontext context;
    must(cuDeviceGet(&device, 0), "cuDeviceGet");
    must(cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
    must(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    const int64_t rows = 64, cols = 1000;
    std::vector<float> x(rows * cols), y(rows * cols), y2(rows * cols);
    for (int64_t i = 0; i < rows * cols; ++i)
      x[i] = 3.0f * std::sin(0.37f * (float)i);
    size_t bytes = x.size() * sizeof(float);
    CUdeviceptr dx, dy, dy2;
    must(cuMemAlloc(&dx, bytes), "cuMemAlloc");
    must(cuMemAlloc(&dy, bytes), "cuMemAlloc");
    must(cuMemAlloc(&dy2, bytes), "cuMemAlloc");
    must(cuMemcpyHtoD(dx, x.data(), bytes), "cuMemcpyHtoD");
    auto *px = reinterpret_cast<const float *>(dx);
    // The C entry (the CPU ABI, device pointers, dims last) on the default stream ...
    if (const char *error = vibee_softmax_softmax(px, reinterpret_cast<float *>(dy), rows, cols)) {
      std::fprintf(stderr, "%s\n", error);
      return 1;
    }
    // ... and the C++ wrapper on a stream of ours (a cudaStream_t is a CUstream).
    CUstream stream;
    must(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    if (const char *error =
            vibee::cuda::softmax::softmax(px, reinterpret_cast<float *>(dy2), rows, cols, stream)) {
      std::fprintf(stderr, "%s\n", error);
      return 1;
    }
    must(cuStreamSynchronize(stream), "cuStreamSynchronize");
    must(cuCtxSynchronize(), "cuCtxSynchronize");
    must(cuMemcpyDtoH(y.data(), dy, bytes), "cuMemcpyDtoH");
    must(cuMemcpyDtoH(y2.data(), dy2, bytes), "cuMemcpyDtoH");
    double worst = std::fmax(softmaxError(x, y, rows, cols), softmaxError(x, y2, rows, cols));
    std::printf("cuda-aot softmax %lldx%lld (device code: %s): max |error| %.3g\n", (long long)rows,
                (long long)cols, vibee_softmax_cuda_image(), worst);
    must(cuStreamDestroy(stream), "cuStreamDestroy");
    for (CUdeviceptr p : {dx, dy, dy2})
      must(cuMemFree(p), "cuMemFree");
    return worst <= 1e-6 ? 0 : 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
