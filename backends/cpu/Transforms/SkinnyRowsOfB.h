//===- SkinnyRowsOfB.h - one or two rows of x against b[k, n] --------------===//
//
// The plain layout's product y[m, n] = sum_k x[m, k] * b[k, n] with one or two
// rows of x (decoding against weights stored [in, out]) as the contraction's
// own loops, k outermost:
//     for k, for m: y[m, :] += x[m, k] * b[k, :]   (vectorized along n)
// over ranges of n, one per thread. b streams from memory once, its rows in
// runs as long as a thread's range, and y's rows stay in cache. The packed path
// would copy b into panels first, for one or two edge rows of its
// micro-kernel; the transposed product (3 rows and more,
// SkinnyTransposedProduct.h) computes 16.
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_TRANSFORMS_SKINNYROWSOFB_H
#define VIBEE_BACKENDS_CPU_TRANSFORMS_SKINNYROWSOFB_H

#include "backends/cpu/Transforms/ContractionPacking.h"

namespace vibee {

/// Whether `op` reads B as b[k, n] and writes C as c[m, n], one M, N and K
/// loop, no batch loop: k outside n then reads b's rows in order.
bool canStreamRowsOfB(mlir::linalg::ContractOp op, const packing::Roles &roles);

/// Emits the product of `op` at `rw`'s insertion point, C accumulated into
/// (its zero fill, if any, is the caller's); ranges of columns run on the
/// runtime's threads when `threads`. `op` stays.
void buildRowsOfBProduct(mlir::RewriterBase &rw, mlir::linalg::ContractOp op,
                         const packing::Roles &roles, bool threads);

} // namespace vibee

#endif
