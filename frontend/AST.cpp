#include "frontend/AST.h"

namespace vibee::ast {

const char *dtypeName(DType t) {
  switch (t) {
  case DType::F64:
    return "f64";
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::F8E4M3:
    return "f8e4m3";
  case DType::F8E5M2:
    return "f8e5m2";
  case DType::I64:
    return "i64";
  case DType::I32:
    return "i32";
  case DType::I8:
    return "i8";
  case DType::U64:
    return "u64";
  case DType::U32:
    return "u32";
  case DType::U16:
    return "u16";
  case DType::U8:
    return "u8";
  case DType::Bool:
    return "bool";
  }
  return "?";
}

std::optional<DType> dtypeFromName(const std::string &name) {
  static const DType all[] = {DType::F64,    DType::F32, DType::F16, DType::BF16, DType::F8E4M3,
                              DType::F8E5M2, DType::I64, DType::I32, DType::I8,   DType::U64,
                              DType::U32,    DType::U16, DType::U8,  DType::Bool};
  for (DType t : all)
    if (name == dtypeName(t))
      return t;
  return std::nullopt;
}

bool isFloat(DType t) {
  return t == DType::F64 || t == DType::F32 || t == DType::F16 || t == DType::BF16 || isFloat8(t);
}

bool isFloat8(DType t) { return t == DType::F8E4M3 || t == DType::F8E5M2; }

bool isInteger(DType t) {
  return t == DType::I64 || t == DType::I32 || t == DType::I8 || isUnsigned(t);
}

bool isUnsigned(DType t) {
  return t == DType::U64 || t == DType::U32 || t == DType::U16 || t == DType::U8;
}

int dtypeBytes(DType t) {
  switch (t) {
  case DType::F64:
  case DType::I64:
  case DType::U64:
    return 8;
  case DType::F32:
  case DType::I32:
  case DType::U32:
    return 4;
  case DType::F16:
  case DType::BF16:
  case DType::U16:
    return 2;
  case DType::F8E4M3:
  case DType::F8E5M2:
  case DType::I8:
  case DType::U8:
  case DType::Bool:
    return 1;
  }
  return 0;
}

const char *reduceKindName(ReduceKind k) {
  switch (k) {
  case ReduceKind::None:
    return "none";
  case ReduceKind::Sum:
    return "sum";
  case ReduceKind::Max:
    return "max";
  case ReduceKind::Min:
    return "min";
  case ReduceKind::Prod:
    return "prod";
  case ReduceKind::ArgMax:
    return "argmax";
  case ReduceKind::ArgMin:
    return "argmin";
  case ReduceKind::TopK:
    return "topk";
  }
  return "?";
}

const char *scanKindName(ScanKind k) {
  switch (k) {
  case ScanKind::None:
    return "none";
  case ScanKind::Sum:
    return "cumsum";
  case ScanKind::Prod:
    return "cumprod";
  case ScanKind::Max:
    return "cummax";
  case ScanKind::Min:
    return "cummin";
  case ScanKind::Linear:
    return "scan";
  }
  return "?";
}

const Kernel *Spec::findKernel(const std::string &name) const {
  for (const Kernel &k : kernels)
    if (k.name == name)
      return &k;
  return nullptr;
}

std::string typeText(const Kernel &kernel, const TensorType &type) {
  std::string s = dtypeName(type.dtype);
  if (type.isScalar())
    return s;
  s += "[";
  for (size_t i = 0; i < type.dims.size(); ++i)
    s += (i ? ", " : "") + kernel.dims[type.dims[i].dimRef].name;
  return s + "]";
}

std::string commentText(const std::string &text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else
      out += (char)c;
  }
  // A trailing backslash would splice the next line into the comment.
  if (!out.empty() && out.back() == '\\')
    out += ' ';
  return out;
}

std::optional<int64_t> derivedDimSize(const Dim &dim, const std::vector<int64_t> &sizes) {
  int64_t value = dim.constant, product;
  for (auto [d, c] : dim.terms) {
    if (d < 0 || (size_t)d >= sizes.size() || sizes[d] < 0 ||
        __builtin_mul_overflow(c, sizes[d], &product) ||
        __builtin_add_overflow(value, product, &value))
      return std::nullopt;
  }
  return value;
}

} // namespace vibee::ast
