// Ahead of time for the GPU: `vibeec compile softmax.vibee --target=cuda` wrote
// softmax.o (host code with the PTX embedded) and softmax.h (C prototypes, the
// stream API, C++ wrappers vibee::cuda::softmax::<kernel>(..., stream) that return
// the first CUDA error or nullptr). Link softmax.o with -lvibee_cuda_rt.
#include "common.h"
#include "softmax.h"

int main() {
  if (noGpu("cuda-aot"))
    return 0;
  try {
    const int64_t rows = 64, cols = 1000;
    std::vector<float> x(rows * cols), y(rows * cols);
    for (int64_t i = 0; i < rows * cols; ++i)
      x[i] = 3.0f * std::sin(0.37f * (float)i);
    DeviceBuffer dx(x.size() * sizeof(float)), dy(y.size() * sizeof(float));
    dx.upload(x.data());
    // The C entry (device pointers, dims last) on the default stream ...
    vibee_softmax_softmax(dx.f32(), dy.f32(), rows, cols);
    if (const char *error = vibee_cuda_last_error()) {
      std::fprintf(stderr, "%s\n", error);
      return 1;
    }
    // ... or the C++ wrapper, which takes the stream (null = default) and reports.
    if (const char *error = vibee::cuda::softmax::softmax(dx.f32(), dy.f32(), rows, cols, nullptr)) {
      std::fprintf(stderr, "%s\n", error);
      return 1;
    }
    vibee_cuda_synchronize();
    dy.download(y.data());
    double worst = softmaxError(x, y, rows, cols);
    std::printf("cuda-aot softmax %lldx%lld: max |error| %.3g\n", (long long)rows,
                (long long)cols, worst);
    return worst <= 1e-6 ? 0 : 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
