// A host program built against vibeec's C++ output with nothing but a C++ compiler:
//   vibeec compile specs/optim/lion.vibee --emit=cpp -o lion.hpp
//   vibeec compile specs/nn/rmsnorm.vibee --emit=cpp -o rmsnorm.hpp
//   g++ -std=c++17 -O2 main.cpp -o cpp-host
// (or, with `--emit=cpp-source -o lion.cpp`, the same main.cpp plus lion.cpp and
// rmsnorm.cpp). The calls follow docs/abi.md: parameters in declaration order, then
// the caller-allocated results, then the symbolic dims.
#include "lion.hpp"
#include "rmsnorm.hpp"

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  // Lion: param and m are inout, grad is an input, then lr, wd, then N.
  const int64_t n = 1000;
  std::vector<float> param(n, 1.0f), grad(n), m(n, 0.0f);
  for (int64_t i = 0; i < n; ++i)
    grad[i] = i % 2 ? 0.5f : -0.5f;
  vibee::lion::step(param.data(), grad.data(), m.data(), /*lr=*/0.1f, /*wd=*/0.0f, n);
  // c = 0.1 * grad: the param moves by lr against the sign of the gradient.
  double lionError = 0;
  for (int64_t i = 0; i < n; ++i)
    lionError = std::fmax(lionError, std::fabs(param[i] - (i % 2 ? 0.9 : 1.1)));

  // RMSNorm in bf16: tensors are uint16_t bit patterns; the header converts.
  const int64_t rows = 2, cols = 4;
  const float xs[rows * cols] = {1, -2, 0.5f, 3, 0.25f, 0.25f, -0.25f, 0.25f};
  const float ws[cols] = {1, 0.5f, 2, -1.5f};
  std::vector<uint16_t> x(rows * cols), w(cols), y(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i)
    x[i] = vibee::cpp::float_to_bf16(xs[i]);
  for (int64_t i = 0; i < cols; ++i)
    w[i] = vibee::cpp::float_to_bf16(ws[i]);
  vibee::rmsnorm::rmsnorm(x.data(), w.data(), /*eps=*/1e-6f, y.data(), rows, cols);
  const double expected[rows * cols] = {0.52981287, -0.52981287, 0.52981287, -2.3841579,
                                        0.999992,   0.499996,    -1.999984,  -1.499988};
  double rmsError = 0;
  for (int64_t i = 0; i < rows * cols; ++i)
    rmsError = std::fmax(rmsError, std::fabs(vibee::cpp::bf16_to_float(y[i]) - expected[i]));

  std::printf("lion: max |error| %.3g; rmsnorm (bf16): max |error| %.3g\n", lionError, rmsError);
  return lionError <= 1e-6 && rmsError <= 2e-2 ? 0 : 1;
}
