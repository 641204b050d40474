// Hand-written reference loops for bench/bench.py: what a user would write
// without a kernel compiler, built with -O3 -march=native (single thread).
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// STREAM-like copy: the bandwidth anchor (bytes moved = 2 * n * 4).
void naive_copy(float *restrict dst, const float *restrict src, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    dst[i] = src[i];
}

void naive_lion(float *restrict param, const float *restrict grad, float *restrict m, float lr,
                float wd, int64_t n) {
  const float b1 = 0.9f, b2 = 0.99f;
  for (int64_t i = 0; i < n; ++i) {
    float c = b1 * m[i] + (1 - b1) * grad[i];
    float s = (c > 0) - (c < 0);
    param[i] = param[i] - lr * (s + wd * param[i]);
    m[i] = b2 * m[i] + (1 - b2) * grad[i];
  }
}

void naive_adamw(float *restrict param, const float *restrict grad, float *restrict m,
                 float *restrict v, float lr, float step, float wd, float b1, float b2, float eps,
                 int64_t n) {
  float c1 = (float)(1 - pow(b1, step)), c2 = (float)(1 - pow(b2, step));
  for (int64_t i = 0; i < n; ++i) {
    float p = param[i] * (1 - lr * wd);
    float mi = b1 * m[i] + (1 - b1) * grad[i];
    float vi = b2 * v[i] + (1 - b2) * grad[i] * grad[i];
    m[i] = mi;
    v[i] = vi;
    param[i] = p - lr * (mi / c1) / (sqrtf(vi / c2) + eps);
  }
}

void naive_softmax(const float *restrict x, float *restrict y, int64_t r, int64_t c) {
  for (int64_t i = 0; i < r; ++i) {
    const float *xr = x + i * c;
    float *yr = y + i * c;
    float mx = -INFINITY;
    for (int64_t j = 0; j < c; ++j)
      mx = xr[j] > mx ? xr[j] : mx;
    float s = 0;
    for (int64_t j = 0; j < c; ++j) {
      yr[j] = expf(xr[j] - mx);
      s += yr[j];
    }
    float inv = 1 / s;
    for (int64_t j = 0; j < c; ++j)
      yr[j] *= inv;
  }
}

void naive_rmsnorm_f32(const float *restrict x, const float *restrict w, float eps,
                       float *restrict y, int64_t r, int64_t c) {
  for (int64_t i = 0; i < r; ++i) {
    const float *xr = x + i * c;
    float ss = 0;
    for (int64_t j = 0; j < c; ++j)
      ss += xr[j] * xr[j];
    float inv = 1 / sqrtf(ss / c + eps);
    for (int64_t j = 0; j < c; ++j)
      y[i * c + j] = xr[j] * inv * w[j];
  }
}

static inline float bf16_to_f32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static inline uint16_t f32_to_bf16(float f) { // round to nearest even
  uint32_t u;
  memcpy(&u, &f, 4);
  u += 0x7fff + ((u >> 16) & 1);
  return (uint16_t)(u >> 16);
}

void naive_rmsnorm_bf16(const uint16_t *restrict x, const uint16_t *restrict w, float eps,
                        uint16_t *restrict y, int64_t r, int64_t c) {
  for (int64_t i = 0; i < r; ++i) {
    const uint16_t *xr = x + i * c;
    float ss = 0;
    for (int64_t j = 0; j < c; ++j) {
      float v = bf16_to_f32(xr[j]);
      ss += v * v;
    }
    float inv = 1 / sqrtf(ss / c + eps);
    for (int64_t j = 0; j < c; ++j)
      y[i * c + j] = f32_to_bf16(bf16_to_f32(xr[j]) * inv * bf16_to_f32(w[j]));
  }
}

// bf16 storage, f32 math; the row's exps in a small f32 buffer (one pass over x for
// the max, one for the exps, one to write y).
void naive_softmax_bf16(const uint16_t *restrict x, uint16_t *restrict y, int64_t r, int64_t c) {
  float *e = malloc(sizeof(float) * (size_t)c);
  for (int64_t i = 0; i < r; ++i) {
    const uint16_t *xr = x + i * c;
    float mx = -INFINITY;
    for (int64_t j = 0; j < c; ++j) {
      float v = bf16_to_f32(xr[j]);
      mx = v > mx ? v : mx;
    }
    float s = 0;
    for (int64_t j = 0; j < c; ++j) {
      e[j] = expf(bf16_to_f32(xr[j]) - mx);
      s += e[j];
    }
    float inv = 1 / s;
    for (int64_t j = 0; j < c; ++j)
      y[i * c + j] = f32_to_bf16(e[j] * inv);
  }
  free(e);
}

// i-k-j order: the loop a careful user writes (unit-stride inner loop).
void naive_matmul(const float *restrict a, const float *restrict b, float *restrict c, int64_t m,
                  int64_t k, int64_t n) {
  memset(c, 0, sizeof(float) * m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      float av = a[i * k + p];
      for (int64_t j = 0; j < n; ++j)
        c[i * n + j] += av * b[p * n + j];
    }
}
