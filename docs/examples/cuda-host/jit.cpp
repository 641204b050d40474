// JIT for the GPU from a C++ host: compile a spec at run time for target "cuda" and
// call its kernel on device memory (tensors are TensorViews over device pointers;
// the call is asynchronous on vibee_cuda_set_stream's stream, errors throw).
#include "common.h"

#include <vibee/runtime/Jit.h>

int main(int argc, char **argv) {
  const char *spec = argc > 1 ? argv[1] : "specs/nn/softmax.vibee";
  try {
    if (noGpu("cuda-jit")) // loading the compiled module needs the driver
      return 0;
    vibee::CompileOptions options;
    options.target = "cuda"; // options.gpuChip = "sm_80" for older GPUs
    vibee::Compiler compiler(options);
    auto module = compiler.compileFile(spec); // PTX + host code, cached
    const int64_t rows = 64, cols = 1000;
    std::vector<float> x(rows * cols), y(rows * cols);
    for (int64_t i = 0; i < rows * cols; ++i)
      x[i] = 3.0f * std::sin(0.37f * (float)i);
    DeviceBuffer dx(x.size() * sizeof(float)), dy(y.size() * sizeof(float));
    dx.upload(x.data());
    module->kernel("softmax")(
        {vibee::TensorView(dx.f32(), {rows, cols}), vibee::TensorView(dy.f32(), {rows, cols})});
    vibee_cuda_synchronize();
    dy.download(y.data());
    double worst = softmaxError(x, y, rows, cols);
    std::printf("cuda-jit softmax %lldx%lld: max |error| %.3g\n", (long long)rows, (long long)cols,
                worst);
    return worst <= 1e-6 ? 0 : 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
