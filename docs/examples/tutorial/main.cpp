// The tutorial's host program (docs/tutorial.md): calls the silu kernel that
// vibee_add_kernels compiled into silu.o + silu.h, checks it against a float64
// loop on random inputs and times it (median of repeated calls, as bandwidth:
// one f32 read and one f32 write per element).
//   silu-bench [elements]      (default 1<<22)
#include "silu.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

int main(int argc, char **argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : int64_t(1) << 22;
  if (n <= 0) {
    std::fprintf(stderr, "silu-bench: the element count must be positive\n");
    return 2;
  }
  std::mt19937 gen(1);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  std::vector<float> x(n), y(n);
  for (float &v : x)
    v = normal(gen);

  vibee::silu::silu(x.data(), y.data(), n);
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    double ref = (double)x[i] / (1.0 + std::exp(-(double)x[i]));
    worst = std::fmax(worst, std::fabs(y[i] - ref) / std::fmax(1.0, std::fabs(ref)));
  }

  std::vector<double> seconds;
  for (int rep = 0; rep < 15; ++rep) {
    auto start = std::chrono::steady_clock::now();
    vibee::silu::silu(x.data(), y.data(), n);
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  double median = seconds[seconds.size() / 2];
  std::printf("silu on %lld elements: max error %.3g (relative, or absolute below 1); "
              "median %.3f ms, %.2f GB/s\n",
              (long long)n, worst, median * 1e3, 2.0 * sizeof(float) * n / median / 1e9);
  return worst <= 1e-6 ? 0 : 1;
}
