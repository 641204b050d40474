#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#ifndef VIBEE_CPP_HELPERS_V1
#define VIBEE_CPP_HELPERS_V1
namespace vibee {
namespace cpp {

// bf16 and f16 values are stored as uint16_t bit patterns (docs/abi.md). The
// conversions from float round to nearest even; NaN stays NaN.
inline float bf16_to_float(uint16_t bits) {
  uint32_t u = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
inline uint16_t float_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}
inline float f16_to_float(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu, mantissa = bits & 0x3ffu, u;
  if (exponent == 0x1f) {
    u = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    u = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    u = sign;
  } else { // subnormal: normalize
    exponent = 113;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      --exponent;
    }
    u = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
inline uint16_t float_to_f16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  uint32_t sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
  if (a > 0x7f800000u)
    return uint16_t(sign | 0x7e00u);
  if (a >= 0x477ff000u) // rounds to 65536 or more
    return uint16_t(sign | 0x7c00u);
  if (a < 0x38800000u) { // below 2^-14: a multiple of 2^-24
    float magnitude;
    std::memcpy(&magnitude, &a, sizeof magnitude);
    return uint16_t(sign | uint32_t(std::nearbyint(magnitude * 16777216.0f)));
  }
  a -= 0x38000000u; // rebias the exponent from 127 to 15
  a += 0xfffu + ((a >> 13) & 1u);
  return uint16_t(sign | (a >> 13));
}

// What the kernels use. max/min of tensors propagate NaN and order -0 < +0.
template <typename T> inline T maximum(T a, T b) {
  if (a != a || b != b)
    return a + b;
  if (a == b)
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
template <typename T> inline T minimum(T a, T b) {
  if (a != a || b != b)
    return a + b;
  if (a == b)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
template <typename T> inline T rsqrt(T x) { return T(1) / std::sqrt(x); }

// Temporaries: allocated once per call, freed before the kernel returns.
template <typename T> inline T *alloc(int64_t n) {
  void *p = std::malloc(size_t(n > 0 ? n : 1) * sizeof(T));
  if (!p)
    throw std::bad_alloc();
  return static_cast<T *>(p);
}
inline void release(void *p) { std::free(p); }
template <typename T> inline void copy(T *dst, const T *src, int64_t n) {
  if (n > 0)
    std::memcpy(dst, src, size_t(n) * sizeof(T));
}

} // namespace cpp
} // namespace vibee
#endif // VIBEE_CPP_HELPERS_V1

// Added after V1 under its own guard, so that outputs of older and newer vibeec
// still compile in one translation unit.
#ifndef VIBEE_CPP_HELPERS_BIT_CAST
#define VIBEE_CPP_HELPERS_BIT_CAST
namespace vibee {
namespace cpp {
// arith.bitcast: the same bits read as another type of the same size.
template <typename To, typename From> inline To bit_cast(From from) {
  static_assert(sizeof(To) == sizeof(From), "bit_cast between types of one size");
  To to;
  std::memcpy(&to, &from, sizeof to);
  return to;
}
} // namespace cpp
} // namespace vibee
#endif // VIBEE_CPP_HELPERS_BIT_CAST

// Added after BIT_CAST: versions of std::floor, std::fma, std::fmax and std::fmin
// that a C++ compiler vectorizes without -ffast-math (it keeps the <cmath> calls
// scalar: floor must not raise inexact, fma is a libm call without FMA hardware,
// fmax/fmin have no single instruction). The polynomial exp, log, ... of the
// output use them in every element.
#ifndef VIBEE_CPP_HELPERS_VECTORIZABLE
#define VIBEE_CPP_HELPERS_VECTORIZABLE
#include <cfloat>
// The kernels' pointer arguments: distinct tensors never overlap (docs/abi.md).
#if defined(__GNUC__) || defined(__clang__) || defined(_MSC_VER)
#define VIBEE_RESTRICT __restrict
#else
#define VIBEE_RESTRICT
#endif
namespace vibee {
namespace cpp {
// Exact for every input: |x| rounded to an integer by adding and subtracting
// 2^23 (2^52; every step unconditional, so that the loop has no branch), the
// sign put back, one less where that rounded up. Needs arithmetic in the type
// itself (FLT_EVAL_METHOD 0: x86-64, AArch64), std::floor otherwise.
template <typename T> inline T vec_floor(T x) {
#if FLT_EVAL_METHOD == 0
  const T big = sizeof(T) == 4 ? T(8388608.0) : T(4503599627370496.0); // 2^23, 2^52
  T ax = std::fabs(x), r = (ax + big) - big;
  r = std::copysign(ax < big ? r : ax, x);
  T below = r - T(1);
  return r > x ? below : r;
#else
  return std::floor(x);
#endif
}
// One rounding where the target has FMA (FP_FAST_FMA*), two otherwise.
inline float vec_fma(float a, float b, float c) {
#ifdef FP_FAST_FMAF
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}
inline double vec_fma(double a, double b, double c) {
#ifdef FP_FAST_FMA
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}
// IEEE maxNum / minNum: a NaN operand is ignored; of +0 and -0 either.
// (`|` of ints, not `||`: no branch.)
template <typename T> inline T vec_fmax(T a, T b) {
  int keep = int(a > b) | int(b != b);
  return keep ? a : b;
}
template <typename T> inline T vec_fmin(T a, T b) {
  int keep = int(a < b) | int(b != b);
  return keep ? a : b;
}
} // namespace cpp
} // namespace vibee
#endif // VIBEE_CPP_HELPERS_VECTORIZABLE
