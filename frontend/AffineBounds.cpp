#include "frontend/AffineBounds.h"

#include <cstdlib>

namespace vibee {

namespace {

bool addTo(int64_t &into, int64_t v) { return !__builtin_add_overflow(into, v, &into); }

// form += coeff * (size of dim d), a literal size folding into the constant.
// A derived dim (`N - K + 1`) adds its own terms, so every form is over the dims
// that parameters carry.
void addDim(const ast::Kernel &k, LinearForm &f, int d, int64_t coeff) {
  int64_t size = k.dims[d].size, product;
  if (k.dims[d].derived) {
    f.overflow |=
        __builtin_mul_overflow(coeff, k.dims[d].constant, &product) || !addTo(f.constant, product);
    for (auto [base, c] : k.dims[d].terms) {
      f.overflow |= __builtin_mul_overflow(coeff, c, &product);
      if (!f.overflow)
        addDim(k, f, base, product);
    }
    return;
  }
  if (size >= 0) {
    f.overflow |= __builtin_mul_overflow(coeff, size, &product) || !addTo(f.constant, product);
    return;
  }
  f.overflow |= !addTo(f.terms[d], coeff);
  if (f.terms[d] == 0)
    f.terms.erase(d);
}

void addForm(LinearForm &into, const LinearForm &f, int64_t scale) {
  int64_t product;
  into.overflow |= f.overflow || __builtin_mul_overflow(f.constant, scale, &product) ||
                   !addTo(into.constant, product);
  for (auto [d, c] : f.terms) {
    into.overflow |= __builtin_mul_overflow(c, scale, &product) || !addTo(into.terms[d], product);
    if (into.terms[d] == 0)
      into.terms.erase(d);
  }
}

// The least and greatest value of the linear part of `a` when the loops run.
void linearRange(const ast::Kernel &k, const ast::Statement &stmt, const ast::AffineForm &a,
                 LinearForm &lo, LinearForm &hi) {
  lo.constant = hi.constant = a.constant;
  for (auto [d, c] : a.dims)
    addDim(k, lo, d, c), addDim(k, hi, d, c);
  for (auto [slot, c] : a.indices) {
    // Index `slot` runs over 0 .. extent - 1: c * (extent - 1) at one end, 0 at the other.
    LinearForm &end = c > 0 ? hi : lo;
    addDim(k, end, stmt.loopDims[slot], c);
    end.overflow |= !addTo(end.constant, -c);
  }
}

// axis - 1 - hi (>= 0: the greatest read is inside an axis of dim `axisDim`).
LinearForm belowAxis(const ast::Kernel &k, int axisDim, const LinearForm &hi, int64_t scale) {
  LinearForm f;
  addDim(k, f, axisDim, scale);
  f.constant -= 1;
  addForm(f, hi, -1);
  return f;
}

} // namespace

LinearForm overParameterDims(const ast::Kernel &k, const LinearForm &form) {
  LinearForm f;
  f.constant = form.constant, f.overflow = form.overflow;
  for (auto [d, c] : form.terms)
    addDim(k, f, d, c);
  return f;
}

std::vector<LinearForm> subscriptRelations(const ast::Kernel &k, const ast::Statement &stmt,
                                           const ast::Subscript &sub, int axisDim) {
  std::vector<LinearForm> out;
  if (axisDim < 0)
    return out;
  if (sub.literal) {
    if (k.dims[axisDim].size < 0) // literal on a literal dim: sema checks it exactly
      out.push_back(belowAxis(k, axisDim, LinearForm{{}, *sub.literal}, 1));
    return out;
  }
  if (!sub.affine)
    return out;
  const ast::AffineForm &a = *sub.affine;
  LinearForm lo, hi;
  linearRange(k, stmt, a, lo, hi);
  switch (a.op) {
  case '%': {
    // A floor modulo is in [0, divisor): inside when the axis holds the divisor, or
    // when the dividend itself stays inside.
    LinearForm holdsDivisor;
    addDim(k, holdsDivisor, axisDim, 1);
    holdsDivisor.constant -= a.divisor;
    if (decide(k, stmt, holdsDivisor) != Truth::Proven &&
        (decide(k, stmt, lo) != Truth::Proven ||
         decide(k, stmt, belowAxis(k, axisDim, hi, 1)) != Truth::Proven))
      out.push_back(holdsDivisor);
    return out;
  }
  case '/':
    // floor(v / c) <= axis - 1  <=>  v <= c * axis - 1; floor(v / c) >= 0 <=> v >= 0.
    out.push_back(lo);
    out.push_back(belowAxis(k, axisDim, hi, a.divisor));
    return out;
  default:
    out.push_back(lo);
    out.push_back(belowAxis(k, axisDim, hi, 1));
    return out;
  }
}

Truth decide(const ast::Kernel &k, const ast::Statement &stmt, const LinearForm &form) {
  if (form.overflow)
    return Truth::Unknown;
  bool allUp = true, allDown = true;
  int64_t least = form.constant; // the value at every dim's least size
  for (auto [d, c] : form.terms) {
    allUp &= c >= 0, allDown &= c <= 0;
    bool loopExtent = false;
    for (int ld : stmt.loopDims)
      loopExtent |= ld == d;
    if (loopExtent && !addTo(least, c))
      return Truth::Unknown;
  }
  if (allUp && least >= 0)
    return Truth::Proven;
  if (allDown && least < 0)
    return Truth::Never;
  return Truth::Unknown;
}

namespace {

std::string termsText(const ast::Kernel &k, const std::vector<std::pair<std::string, int64_t>> &t,
                      int64_t constant) {
  std::string s;
  for (auto &[name, c] : t) {
    int64_t m = std::llabs(c);
    s += s.empty() ? (c < 0 ? "-" : "") : (c < 0 ? " - " : " + ");
    s += m == 1 ? name : std::to_string(m) + " * " + name;
  }
  if (constant != 0 || s.empty())
    s += s.empty() ? std::to_string(constant)
                   : (constant < 0 ? " - " : " + ") + std::to_string(std::llabs(constant));
  (void)k;
  return s;
}

} // namespace

std::string relationText(const ast::Kernel &k, const LinearForm &form) {
  std::vector<std::pair<std::string, int64_t>> pos, neg;
  for (auto [d, c] : form.terms)
    (c > 0 ? pos : neg).push_back({k.dims[d].name, std::llabs(c)});
  int64_t up = form.constant > 0 ? form.constant : 0;
  int64_t down = form.constant < 0 ? -form.constant : 0;
  return termsText(k, pos, up) + " >= " + termsText(k, neg, down);
}

bool evaluate(const LinearForm &form, const std::vector<int64_t> &dimSize, int64_t &value) {
  value = form.constant;
  for (auto [d, c] : form.terms) {
    int64_t product;
    if (d >= (int)dimSize.size() || __builtin_mul_overflow(c, dimSize[d], &product) ||
        !addTo(value, product))
      return false;
  }
  return true;
}

std::string subscriptText(const ast::Kernel &k, const ast::Statement &stmt,
                          const ast::Subscript &sub) {
  if (sub.literal)
    return std::to_string(*sub.literal);
  if (sub.gather && sub.expr) {
    std::string text = sub.expr->name + "[";
    for (size_t i = 0; i < sub.expr->subscripts.size(); ++i)
      text += (i ? ", " : "") + subscriptText(k, stmt, sub.expr->subscripts[i]);
    return text + "]";
  }
  if (!sub.affine)
    return sub.index;
  const ast::AffineForm &a = *sub.affine;
  std::vector<std::pair<std::string, int64_t>> terms;
  for (auto [d, c] : a.dims) // "N - i - 1"
    terms.push_back({k.dims[d].name, c});
  for (auto [slot, c] : a.indices)
    terms.push_back({stmt.loopIndices[slot], c});
  std::string s = termsText(k, terms, a.constant);
  if (!a.op)
    return s;
  bool simple = terms.size() + (a.constant != 0) == 1;
  return (simple ? s : "(" + s + ")") + " " + a.op + " " + std::to_string(a.divisor);
}

} // namespace vibee
