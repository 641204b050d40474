// The float64 softmax the examples check a kernel's result against (jit-host on
// the CPU, cuda-host's jit.cpp and aot.cpp on the GPU).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

inline double softmaxError(const std::vector<float> &x, const std::vector<float> &y, int64_t rows,
                           int64_t cols) {
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
