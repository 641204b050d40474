#include "runtime/Tensor.h"

#include "frontend/Float8.h"
#include "frontend/FloatToInt.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

namespace vibee {

bool checkedProduct(const std::vector<int64_t> &dims, int64_t scale, int64_t &out) {
  out = scale;
  for (int64_t d : dims)
    if (!checkedMul(out, d, out))
      return false;
  return true;
}

static int64_t checkedSize(DType dtype, const std::vector<int64_t> &shape, int64_t scale) {
  int64_t n;
  if (!checkedProduct(shape, scale, n)) {
    TensorView view(nullptr, dtype, shape);
    throw SizeOverflow(std::string(scale == 1 ? "element count" : "byte size") + " of " +
                       view.describe() + " overflows int64");
  }
  return n;
}

int64_t TensorView::numElements() const { return checkedSize(dtype, shape, 1); }

int64_t TensorView::numBytes() const { return checkedSize(dtype, shape, ast::dtypeBytes(dtype)); }

bool TensorView::isContiguous() const {
  if (strides.empty())
    return true;
  if (strides.size() != shape.size())
    return false;
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && strides[i] != expected)
      return false;
    if (!checkedMul(expected, shape[i], expected))
      return false;
  }
  return true;
}

std::string TensorView::describe() const {
  std::ostringstream os;
  os << ast::dtypeName(dtype) << '[';
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

uint16_t floatToBF16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if (std::isnan(f))
    return 0x7fc0;
  bits += 0x7fff + ((bits >> 16) & 1); // round to nearest even
  return (uint16_t)(bits >> 16);
}

float bf16ToFloat(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t floatToF16(float f) {
  _Float16 h = (_Float16)f;
  uint16_t bits;
  std::memcpy(&bits, &h, 2);
  return bits;
}

float f16ToFloat(uint16_t bits) {
  _Float16 h;
  std::memcpy(&h, &bits, 2);
  return (float)h;
}

HostTensor::HostTensor(DType dtype, std::vector<int64_t> shape)
    : dtype_(dtype), shape_(std::move(shape)) {
  int64_t bytes = checkedSize(dtype_, shape_, ast::dtypeBytes(dtype_));
  if ((uint64_t)bytes > storage_.max_size())
    throw SizeOverflow("byte size of " + TensorView(nullptr, dtype_, shape_).describe() +
                       " exceeds what a host tensor can hold");
  storage_.assign((size_t)bytes, 0);
}

// Checked once by the constructor.
int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape_)
    n *= d;
  return n;
}

double HostTensor::get(int64_t i) const {
  const unsigned char *p = storage_.data() + i * ast::dtypeBytes(dtype_);
  switch (dtype_) {
  case DType::F64: {
    double v;
    std::memcpy(&v, p, 8);
    return v;
  }
  case DType::F32: {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::F16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return f16ToFloat(v);
  }
  case DType::BF16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return bf16ToFloat(v);
  }
  case DType::F8E4M3:
  case DType::F8E5M2:
    return fp8::decode(*p, dtype_);
  case DType::I64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return (double)v;
  }
  case DType::I32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::I8:
    return (int8_t)*p;
  case DType::U64: {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return (double)v;
  }
  case DType::U32: {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::U16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  case DType::U8:
    return *p;
  case DType::Bool:
    return *p ? 1.0 : 0.0;
  }
  return 0;
}

void HostTensor::set(int64_t i, double value) {
  unsigned char *p = storage_.data() + i * ast::dtypeBytes(dtype_);
  switch (dtype_) {
  case DType::F64:
    std::memcpy(p, &value, 8);
    break;
  case DType::F32: {
    float v = (float)value;
    std::memcpy(p, &v, 4);
    break;
  }
  case DType::F16: {
    uint16_t v = floatToF16((float)value);
    std::memcpy(p, &v, 2);
    break;
  }
  case DType::BF16: {
    uint16_t v = floatToBF16((float)value);
    std::memcpy(p, &v, 2);
    break;
  }
  case DType::F8E4M3: // the language's cast (frontend/Float8.h): e4m3 saturates
  case DType::F8E5M2:
    *p = fp8::encode(value, dtype_);
    break;
  // The language's float -> integer rule (frontend/FloatToInt.h): truncation,
  // saturation at the dtype's range, NaN -> 0. A plain C++ conversion of a double
  // outside the range is undefined (a NaN poisoning an i8 output did that).
  case DType::I64: {
    int64_t v = ast::truncToInt64(value);
    std::memcpy(p, &v, 8);
    break;
  }
  case DType::I32: {
    int32_t v = (int32_t)std::clamp<int64_t>(ast::truncToInt64(value), INT32_MIN, INT32_MAX);
    std::memcpy(p, &v, 4);
    break;
  }
  case DType::I8:
    *p = (unsigned char)(int8_t)std::clamp<int64_t>(ast::truncToInt64(value), INT8_MIN, INT8_MAX);
    break;
  case DType::U64: {
    uint64_t v = ast::truncToUInt64(value);
    std::memcpy(p, &v, 8);
    break;
  }
  case DType::U32: {
    uint32_t v = (uint32_t)ast::truncToUnsigned(value, 32);
    std::memcpy(p, &v, 4);
    break;
  }
  case DType::U16: {
    uint16_t v = (uint16_t)ast::truncToUnsigned(value, 16);
    std::memcpy(p, &v, 2);
    break;
  }
  case DType::U8:
    *p = (unsigned char)ast::truncToUnsigned(value, 8);
    break;
  case DType::Bool:
    *p = value != 0;
    break;
  }
}

void HostTensor::fill(const std::vector<double> &values) {
  for (int64_t i = 0; i < numElements() && i < (int64_t)values.size(); ++i)
    set(i, values[i]);
}

std::vector<double> HostTensor::toDoubles() const {
  std::vector<double> out(numElements());
  for (int64_t i = 0; i < numElements(); ++i)
    out[i] = get(i);
  return out;
}

} // namespace vibee
