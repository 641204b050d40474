// Tensors as the runtime sees them: a non-owning view (what kernels are called
// with) and a small owning host tensor (what tests and checks allocate).
#pragma once

#include "frontend/AST.h"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace vibee {

using DType = ast::DType;

// A shape whose element count or byte size does not fit in int64_t (the kernels
// index with int64_t: a wrapped count would pass every check and then crash).
struct SizeOverflow : std::overflow_error {
  using std::overflow_error::overflow_error;
};

// a * b into `out`; false (out unspecified) when it overflows int64_t.
inline bool checkedMul(int64_t a, int64_t b, int64_t &out) {
  return !__builtin_mul_overflow(a, b, &out);
}
// The product of `dims` times `scale` (1: element count; dtype bytes: byte
// size); false on overflow.
bool checkedProduct(const std::vector<int64_t> &dims, int64_t scale, int64_t &out);

// A view of caller-owned memory. Strides are in elements; empty strides mean
// contiguous row-major, which is what kernels require (docs/abi.md).
struct TensorView {
  void *data = nullptr;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;

  TensorView() = default;
  TensorView(void *data, DType dtype, std::vector<int64_t> shape, std::vector<int64_t> strides = {})
      : data(data), dtype(dtype), shape(std::move(shape)), strides(std::move(strides)) {}
  TensorView(float *data, std::vector<int64_t> shape)
      : TensorView(data, DType::F32, std::move(shape)) {}
  TensorView(double *data, std::vector<int64_t> shape)
      : TensorView(data, DType::F64, std::move(shape)) {}

  // Both throw SizeOverflow (naming the shape) when the count overflows int64_t.
  int64_t numElements() const;
  int64_t numBytes() const;
  bool isContiguous() const;    // false also when a stride product overflows
  std::string describe() const; // "f32[3, 4]"
};

// float <-> storage of the 16-bit float dtypes (round to nearest even).
uint16_t floatToBF16(float f);
float bf16ToFloat(uint16_t h);
uint16_t floatToF16(float f);
float f16ToFloat(uint16_t h);

// Owning, contiguous host tensor; element access through doubles.
class HostTensor {
public:
  HostTensor() = default;
  HostTensor(DType dtype, std::vector<int64_t> shape);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t> &shape() const { return shape_; }
  int64_t numElements() const;
  void *data() { return storage_.data(); }
  TensorView view() { return TensorView(storage_.data(), dtype_, shape_); }

  double get(int64_t i) const;       // element i (row-major) as a double
  void set(int64_t i, double value); // stored with the dtype's rounding
  void fill(const std::vector<double> &values);
  std::vector<double> toDoubles() const;

private:
  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  std::vector<unsigned char> storage_;
};

} // namespace vibee
