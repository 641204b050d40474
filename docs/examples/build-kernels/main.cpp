// Calls the kernels that vibee_add_kernels compiled at build time (CMakeLists.txt):
// Lion through its object and C header, softmax through its C++ header, each
// checked against a float64 loop on random inputs. Lion runs on 2^20 parameters,
// large enough for the object's parallel loop, which runs on threads only when
// the thread admission runtime (vibee::cpurt) and LLVM's libomp are linked in:
// the program checks that vibee_add_kernels linked both.
#include "lion.h"      // EMIT obj: lion.o + lion.h
#include "softmax.hpp" // EMIT cpp
#include "softmax_reference.h"

#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

extern "C" int64_t vibee_cpu_parallel_enter(int64_t work) __attribute__((weak));

static double lionError(int64_t n, std::mt19937 &gen) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> param(n), grad(n), m(n);
  for (int64_t i = 0; i < n; ++i) {
    param[i] = dist(gen);
    grad[i] = dist(gen);
    m[i] = dist(gen);
  }
  std::vector<double> refParam(param.begin(), param.end()), refM(m.begin(), m.end());
  const float lr = 0.01f, wd = 0.1f;
  for (int64_t i = 0; i < n; ++i) {
    double c = 0.9 * refM[i] + (1 - 0.9) * grad[i];
    double sign = c > 0 ? 1.0 : c < 0 ? -1.0 : 0.0;
    refParam[i] -= (double)lr * (sign + (double)wd * refParam[i]);
    refM[i] = 0.99 * refM[i] + (1 - 0.99) * grad[i];
  }
  vibee::lion::step(param.data(), grad.data(), m.data(), lr, wd, n);
  double worst = 0;
  for (int64_t i = 0; i < n; ++i)
    worst =
        std::fmax(worst, std::fmax(std::fabs(param[i] - refParam[i]), std::fabs(m[i] - refM[i])));
  return worst;
}

int main() {
  std::mt19937 gen(7);
  const bool threads =
      vibee_cpu_parallel_enter != nullptr && dlsym(RTLD_DEFAULT, "__kmpc_fork_call") != nullptr;
  const int64_t n = 1 << 20;
  const double lion = lionError(n, gen);

  const int64_t rows = 37, cols = 301;
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> x(rows * cols), y(rows * cols);
  for (float &v : x)
    v = normal(gen);
  vibee::softmax::softmax(x.data(), y.data(), rows, cols);
  const double softmax = softmaxError(x, y, rows, cols);

  std::printf("lion (object, %lld params): max |error| %.3g; threads linked: %s\n", (long long)n,
              lion, threads ? "yes" : "no");
  std::printf("softmax (C++ header, %lldx%lld): max |error| %.3g\n", (long long)rows,
              (long long)cols, softmax);
  return lion <= 1e-6 && softmax <= 1e-6 && threads ? 0 : 1;
}
