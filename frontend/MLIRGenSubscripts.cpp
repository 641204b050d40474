#include "frontend/MLIRGenSubscripts.h"
#include "frontend/MLIRGenScalar.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace vibee::mlirgen {

bool needsBodyRead(const ast::Expr &e) {
  if (e.clampedRead)
    return true;
  for (const ast::Subscript &s : e.subscripts) {
    if (s.gather || (s.affine && !s.affine->dims.empty()))
      return true;
    // `x[s, j + 0]`: a bare loop index in an access map tells linalg that the axis
    // has the loop's extent (linalg derives loop ranges from such operands), which an
    // affine subscript does not promise: read it in the body instead.
    if (s.affine && !s.affine->op && s.affine->constant == 0 && s.affine->indices.size() == 1 &&
        s.affine->indices[0].second == 1)
      return true;
  }
  return false;
}

AffineExpr subscriptExpr(const ast::Subscript &s, MLIRContext &ctx) {
  if (s.literal)
    return getAffineConstantExpr(*s.literal, &ctx);
  if (!s.affine)
    return getAffineDimExpr(s.slot, &ctx);
  const ast::AffineForm &a = *s.affine;
  AffineExpr e = getAffineConstantExpr(a.constant, &ctx);
  for (auto [slot, c] : a.indices)
    e = e + getAffineDimExpr(slot, &ctx) * c;
  if (a.op == '/')
    return e.floorDiv(a.divisor);
  if (a.op == '%')
    return e % a.divisor;
  return e;
}

Value subscriptValue(OpBuilder &b, Location loc, const ast::Subscript &s, ArrayRef<Value> dimValues,
                     Value axisSize) {
  auto constant = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v).getResult(); };
  auto loopIndex = [&](int slot) {
    return IndexOp::create(b, loc, b.getIndexType(), b.getI64IntegerAttr(slot)).getResult();
  };
  Value v;
  if (s.literal) {
    v = constant(*s.literal);
  } else if (!s.affine) {
    v = loopIndex(s.slot);
  } else {
    const ast::AffineForm &a = *s.affine;
    // Sema keeps the form's coefficients and constant in int64; the values it reaches
    // inside the loops are bounded by the relations that sema or the call checked.
    v = constant(a.constant);
    auto add = [&](Value x, int64_t c) {
      Value term = c == 1 ? x : arith::MulIOp::create(b, loc, x, constant(c)).getResult();
      v = arith::AddIOp::create(b, loc, v, term);
    };
    for (auto [slot, c] : a.indices)
      add(loopIndex(slot), c);
    for (auto [d, c] : a.dims)
      add(dimValues[d], c);
    if (a.op) {
      // Floor division and modulo from the truncating ops, which every target prints
      // (EmitC has no arith.floordivsi): q - (r < 0), r + (r < 0 ? c : 0).
      Value c = constant(a.divisor), zero = constant(0);
      Value q = arith::DivSIOp::create(b, loc, v, c);
      Value r = arith::RemSIOp::create(b, loc, v, c);
      Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
      v = a.op == '/'
              ? arith::SelectOp::create(b, loc, negative,
                                        arith::SubIOp::create(b, loc, q, constant(1)), q)
                    .getResult()
              : arith::SelectOp::create(b, loc, negative, arith::AddIOp::create(b, loc, r, c), r)
                    .getResult();
    }
  }
  if (!axisSize)
    return v;
  Value last = arith::SubIOp::create(b, loc, axisSize, constant(1));
  v = arith::MinSIOp::create(b, loc, v, last);
  return arith::MaxSIOp::create(b, loc, v, constant(0));
}

// An element of a constant tensor, as scalar code: a literal position is the element
// itself; any other is a vibee.lookup at the row-major offset from loop indices and
// codes, which each target expands in its own way, without memory (a lane permute, a
// tree of selects on the offset's bits). Indices range over the constant's dims and
// sema proves codes inside them, so the offset is in range.
Value constAccess(OpBuilder &b, Location loc, const ast::Spec &spec, const ast::Expr &e,
                  ArrayRef<Value> dimValues, ArrayRef<Value> codes) {
  const ast::Const &c = spec.consts[e.ref];
  auto element = [&](size_t i) -> TypedAttr {
    return ast::isFloat(c.dtype) ? constantAttrOf(b, c.dtype, c.elems[i])
                                 : intConstantAttrOf(b, c.dtype, c.elemInts[i]);
  };
  int64_t literalOffset = 0;
  Value offset; // the part from loop indices, i64
  for (size_t a = 0; a < e.subscripts.size(); ++a) {
    const int64_t size = c.type.dims[a].size;
    const ast::Subscript &s = e.subscripts[a];
    literalOffset *= size;
    if (offset)
      offset = arith::MulIOp::create(b, loc, offset, intConstantOf(b, loc, ast::DType::I64, size));
    if (s.literal) {
      literalOffset += *s.literal;
      continue;
    }
    if (s.code) {
      offset = offset ? arith::AddIOp::create(b, loc, offset, codes[a]).getResult() : codes[a];
      continue;
    }
    Value axis = e.clampedRead ? arith::ConstantIndexOp::create(b, loc, size).getResult() : Value();
    Value index = subscriptValue(b, loc, s, dimValues, axis);
    Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
    offset = offset ? arith::AddIOp::create(b, loc, offset, i).getResult() : i;
  }
  if (!offset)
    return convertScalar(b, loc, arith::ConstantOp::create(b, loc, element((size_t)literalOffset)),
                         c.dtype, e.type);
  if (literalOffset)
    offset = arith::AddIOp::create(b, loc, offset,
                                   intConstantOf(b, loc, ast::DType::I64, literalOffset));
  SmallVector<Attribute> elements;
  for (size_t i = 0; i < c.elems.size(); ++i)
    elements.push_back(element(i));
  auto tableType =
      RankedTensorType::get({(int64_t)elements.size()}, element(0).getType());
  Value v = LookupOp::create(b, loc, tableType.getElementType(), offset,
                             DenseElementsAttr::get(tableType, elements));
  return convertScalar(b, loc, v, c.dtype, e.type);
}

SmallVector<Attribute> derivedDimsAttr(OpBuilder &b, const ast::Kernel &kernel,
                                       std::vector<int> &symbolicIndex, size_t numNames) {
  SmallVector<Attribute> derived;
  for (auto [i, dim] : llvm::enumerate(kernel.dims)) {
    if (!dim.derived)
      continue;
    SmallVector<int64_t> terms(numNames + 1, 0);
    terms[0] = dim.constant;
    for (auto [d, c] : dim.terms)
      terms[symbolicIndex[d] + 1] = c;
    symbolicIndex[i] = (int)(numNames + derived.size());
    derived.push_back(b.getI64ArrayAttr(terms));
  }
  return derived;
}

SmallVector<Value> kernelDimValues(OpBuilder &b, Location loc, const ast::Kernel &kernel,
                                   ArrayRef<Value> params) {
  SmallVector<Value> values;
  for (const ast::Dim &dim : kernel.dims) {
    if (dim.size >= 0) {
      values.push_back(arith::ConstantIndexOp::create(b, loc, dim.size));
    } else if (dim.derived) { // its terms are dims of parameters, earlier in the list
      Value value = arith::ConstantIndexOp::create(b, loc, dim.constant);
      for (auto [d, c] : dim.terms) {
        Value coeff = arith::ConstantIndexOp::create(b, loc, c);
        value =
            arith::AddIOp::create(b, loc, value, arith::MulIOp::create(b, loc, coeff, values[d]));
      }
      values.push_back(value);
    } else {
      values.push_back(tensor::DimOp::create(b, loc, params[dim.carrierRef], dim.carrierAxis));
    }
  }
  return values;
}

} // namespace vibee::mlirgen
