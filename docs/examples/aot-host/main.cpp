// A host program that uses vibeec's ahead-of-time output with nothing but a C++
// compiler:  vibeec compile specs/optim/lion.vibee -o lion.o   (writes lion.h too)
//            g++ -std=c++17 main.cpp lion.o -lm -o lion-host
// It runs one Lion step through the generated header and checks it against a
// float64 loop on random inputs.
#include "lion.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

int main() {
  const int64_t n = 4099;
  std::mt19937 gen(42);
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

  // The C++ wrapper of the header (the extern "C" vibee_lion_step works too).
  vibee::lion::step(param.data(), grad.data(), m.data(), lr, wd, n);

  double worst = 0;
  for (int64_t i = 0; i < n; ++i)
    worst =
        std::fmax(worst, std::fmax(std::fabs(param[i] - refParam[i]), std::fabs(m[i] - refM[i])));
  std::printf("lion step on %lld params: max |error| %.3g\n", (long long)n, worst);
  return worst <= 1e-6 ? 0 : 1;
}
