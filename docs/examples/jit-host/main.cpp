// JIT from a C++ host: compile a spec at run time and call its kernel on host
// memory. Build against an installed vibee: find_package(vibee), vibee::runtime.
#include <vibee/runtime/Jit.h>

#include "softmax_reference.h"

#include <cmath>
#include <cstdio>
#include <vector>

int main(int argc, char **argv) {
  const char *spec = argc > 1 ? argv[1] : "specs/nn/softmax.vibee";
  vibee::Compiler compiler;
  try {
    auto module = compiler.compileFile(spec);
    const int64_t rows = 3, cols = 5;
    std::vector<float> x(rows * cols), y(rows * cols);
    for (int64_t i = 0; i < rows * cols; ++i)
      x[i] = std::sin(0.7f * (float)i);
    module->kernel("softmax")(
        {vibee::TensorView(x.data(), {rows, cols}), vibee::TensorView(y.data(), {rows, cols})});
    double worst = softmaxError(x, y, rows, cols);
    compiler.compileFile(spec); // a second compile is a cache lookup
    std::printf("softmax %lldx%lld: max |error| %.3g, cache hits %d\n", (long long)rows,
                (long long)cols, worst, compiler.cacheStats().hits);
    return worst <= 1e-6 && compiler.cacheStats().hits == 1 ? 0 : 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
