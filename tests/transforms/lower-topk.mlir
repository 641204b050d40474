// RUN: %vibee-opt %s -vibee-lower-topk | FileCheck %s
// RUN: %vibee-opt %s -vibee-lower-topk=parallel=false | FileCheck %s --check-prefix=SERIAL
// RUN: %vibee-opt %s -vibee-lower-topk="parallel=false mark-rows=true" | FileCheck %s --check-prefix=CPU

// Rows of an f32 top-k too short to cut into chunks (a static 100 < 4 chunks of
// 64): the destinations zero-filled, one scf.forall iteration per row, each an scf.for over the input that enters only when the element beats the
// k-th slot (or the row is not full), then a descending scf.for over the slots that
// carries only the two row tensors. Floats rank by ugt where the other is a number
// (NaNs first); indices are the position through i64.
// CHECK-LABEL: func.func @rows
// CHECK:         %[[V0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK:         %[[I0:.*]] = linalg.fill ins(%{{.*}} : i64) outs(%{{.*}} : tensor<?x?xi64>)
// CHECK:         scf.forall (%[[R:.*]]) in (%{{.*}}) shared_outs(%[[SV:.*]] = %[[V0]], %[[SI:.*]] = %[[I0]])
// CHECK:           %[[ROWV:.*]] = tensor.extract_slice %[[SV]][%[[R]], 0]
// CHECK:           %[[ROWI:.*]] = tensor.extract_slice %[[SI]][%[[R]], 0]
// CHECK:           scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[CV:.*]] = %[[ROWV]], %[[CI:.*]] = %[[ROWI]])
// CHECK:             %[[X:.*]] = tensor.extract %{{.*}}[%[[R]], %[[N]]] : tensor<?x100xf32>
// CHECK:             %[[XI:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK:             %[[KTH:.*]] = tensor.extract %[[CV]][%{{.*}}] : tensor<?xf32>
// CHECK:             arith.cmpf ugt, %[[X]], %[[KTH]]
// CHECK:             arith.cmpf ord, %[[KTH]], %[[KTH]]
// CHECK:             scf.for %{{.*}} = %{{.*}} to %[[COUNT:.*]] step %{{.*}} iter_args(%[[WV:.*]] = %[[CV]], %[[WI:.*]] = %[[CI]]) -> (tensor<?xf32>, tensor<?xi64>)
// CHECK:               tensor.insert %{{.*}} into %[[WV]]
// CHECK:               tensor.insert %{{.*}} into %[[WI]]
// CHECK:           scf.forall.in_parallel
// CHECK:             tensor.parallel_insert_slice
// CHECK:             tensor.parallel_insert_slice
// SERIAL-LABEL: func.func @rows
// SERIAL-NOT:     scf.forall
// SERIAL:         scf.for %[[R:.*]] = {{.*}} iter_args(%[[D:.*]] = %{{.*}}, %[[E:.*]] = %{{.*}})
// SERIAL:           scf.for {{.*}} iter_args(%[[V:.*]] = %[[D]], %{{.*}} = %[[E]])
// SERIAL:             tensor.extract %[[V]][%[[R]], %{{.*}}] : tensor<?x?xf32>
// The CPU's rows (mark-rows): the row loop marked for its threads; the first k
// elements inserted one by one, then blocks of 16 read as one vector and compared
// with the k-th slot (ugt where it is a number), inserted one by one only when one
// of them beats it (an insertion moves the worse slots down only until its place:
// an scf.while), then the last partial block one by one.
// CPU-LABEL: func.func @rows
// CPU:         %[[K:.*]] = tensor.dim %arg1, %{{.*}} : tensor<?x?xf32>
// CPU:         %[[HEAD:.*]] = arith.minui %{{.*}}, %[[K]] : index
// CPU:         %[[BLOCKS_END:.*]] = arith.addi %[[HEAD]], %{{.*}} : index
// CPU:         scf.for %{{.*}} = %{{.*}} to %[[HEAD]] step %c1{{.*}} iter_args
// CPU:         scf.for %[[C0:.*]] = %[[HEAD]] to %[[BLOCKS_END]] step %c16 iter_args(%[[BV:.*]] = %{{.*}}, %[[BI:.*]] = %{{.*}})
// CPU:           %[[BLOCK:.*]] = vector.transfer_read %{{.*}}[%{{.*}}, %[[C0]]], %{{.*}} {in_bounds = [true]} : tensor<?x100xf32>, vector<16xf32>
// CPU:           %[[KTH:.*]] = tensor.extract %[[BV]][%{{.*}}, %{{.*}}] : tensor<?x?xf32>
// CPU:           %[[KTHS:.*]] = vector.broadcast %[[KTH]] : f32 to vector<16xf32>
// CPU:           %[[ABOVE:.*]] = arith.cmpf ugt, %[[BLOCK]], %[[KTHS]] : vector<16xf32>
// CPU:           %[[NUMBER:.*]] = arith.cmpf ord, %[[KTHS]], %[[KTHS]] : vector<16xf32>
// CPU:           %[[BEATS:.*]] = arith.andi %[[ABOVE]], %[[NUMBER]] : vector<16xi1>
// CPU:           %[[ANY:.*]] = vector.reduction <or>, %[[BEATS]] : vector<16xi1> into i1
// CPU:           scf.if %[[ANY]] -> (tensor<?x?xf32>, tensor<?x?xi64>)
// CPU:             scf.for %{{.*}} = %[[C0]] to %{{.*}} step %c1{{.*}} iter_args
// CPU:               scf.if
// CPU:                 scf.while
// CPU:                   arith.cmpf ugt
// CPU:                   scf.condition
// CPU:             scf.yield %[[BV]], %[[BI]] :
// CPU:         scf.for %{{.*}} = %[[BLOCKS_END]] to %{{.*}} step %c1{{.*}} iter_args
// CPU:       } {vibee.independent_rows}
func.func @rows(%x: tensor<?x100xf32>, %v: tensor<?x?xf32>, %i: tensor<?x?xi64>) -> (tensor<?x?xf32>, tensor<?x?xi64>) {
  %a, %b = vibee.topk dimension(1) ins(%x : tensor<?x100xf32>) outs(%v, %i : tensor<?x?xf32>, tensor<?x?xi64>) -> tensor<?x?xf32>, tensor<?x?xi64>
  return %a, %b : tensor<?x?xf32>, tensor<?x?xi64>
}

// A 1-D top-k of integers is the one row of a [1, k] view (min(k, 1) rows: one
// iteration would fold away); i32 indices are truncated from i64; integers rank by
// sgt.
// CHECK-LABEL: func.func @one
// CHECK:         tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [1, 3] : tensor<3xi32> into tensor<1x3xi32>
// CHECK:         scf.forall
// CHECK:           arith.trunci %{{.*}} : i64 to i32
// CHECK:           arith.cmpi sgt
// CHECK:         tensor.collapse_shape
func.func @one(%x: tensor<200xi32>, %v: tensor<3xi32>, %i: tensor<3xi32>) -> (tensor<3xi32>, tensor<3xi32>) {
  %a, %b = vibee.topk dimension(0) ins(%x : tensor<200xi32>) outs(%v, %i : tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>, tensor<3xi32>
  return %a, %b : tensor<3xi32>, tensor<3xi32>
}

// MLIRGen's elements are [outer, 1, n] collapsed: the lowering reads them at
// [r, 0, n] and leaves no reshape (the C++ output has no memref.collapse_shape).
// SERIAL-LABEL: func.func @uncollapsed
// SERIAL-NOT:     tensor.collapse_shape
// SERIAL:         tensor.extract %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] : tensor<?x1x?xf32>
func.func @uncollapsed(%e: tensor<?x1x?xf32>, %v: tensor<?x4xf32>, %i: tensor<?x4xi64>) -> (tensor<?x4xf32>, tensor<?x4xi64>) {
  %x = tensor.collapse_shape %e [[0], [1, 2]] : tensor<?x1x?xf32> into tensor<?x?xf32>
  %a, %b = vibee.topk dimension(1) ins(%x : tensor<?x?xf32>) outs(%v, %i : tensor<?x4xf32>, tensor<?x4xi64>) -> tensor<?x4xf32>, tensor<?x4xi64>
  return %a, %b : tensor<?x4xf32>, tensor<?x4xi64>
}

// Long rows (n dynamic, or static and at least 4 chunks): ceil(n / max(2k, 64))
// chunks, at most 2048, one forall iteration per (row, chunk) keeping the chunk's k
// best (the insertion above, over [p * chunk, min((p + 1) * chunk, n)), in slots of
// its own for a static k <= 128, skipping the elements below the row's threshold),
// then 11 levels of pairwise merges (n dynamic), the
// last one into the destinations: a merge takes the right list's element only when
// it beats the left one's.
// CHECK-LABEL: func.func @tree
// CHECK:         %[[CHUNKS:.*]] = arith.minui %{{.*}}, %c2048
// CHECK:         %[[CHUNK:.*]] = arith.ceildivui %{{.*}}, %[[CHUNKS]]
// The best element of each of k groups of a row: the worst of them is a
// threshold under which no element is in the row's top k.
// CHECK:         %[[BESTS:.*]] = scf.forall (%{{.*}}, %{{.*}}) in (%{{.*}}, %{{.*}}) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<?x50xf32>)
// CHECK:           arith.cmpf ugt
// CHECK:         %[[L0V:.*]] = tensor.empty(%{{.*}}, %[[CHUNKS]]) : tensor<?x?x50xf32>
// CHECK:         %[[L0:.*]]:2 = scf.forall (%[[R:.*]], %[[P:.*]]) in (%{{.*}}, %[[CHUNKS]]) shared_outs(%{{.*}} = %[[L0V]], %{{.*}} = %{{.*}})
// CHECK:           %[[START:.*]] = arith.muli %[[P]], %[[CHUNK]]
// CHECK:           tensor.empty() : tensor<50xf32>
// CHECK:           tensor.empty() : tensor<50xi64>
// CHECK:           tensor.extract %[[BESTS]][%[[R]], %{{.*}}] : tensor<?x50xf32>
// CHECK:           scf.for %[[E:.*]] = %{{.*}} to %{{.*}} step
// CHECK:             %[[POS:.*]] = arith.addi %[[START]], %[[E]]
// CHECK:             %[[X:.*]] = tensor.extract %{{.*}}[%[[R]], %[[POS]]] : tensor<?x?xf32>
// CHECK:             arith.index_cast %[[POS]] : index to i64
// CHECK:             arith.cmpf ugt, %{{.*}}, %[[X]]
// CHECK:             scf.if
// CHECK:         %[[HALF:.*]] = arith.ceildivui %[[CHUNKS]], %c2
// CHECK:         scf.forall (%[[R1:.*]], %[[Q:.*]]) in (%{{.*}}, %[[HALF]])
// CHECK:           scf.for %{{.*}} iter_args(%{{[^ ]*}} = %c0{{[_0-9]*}}, %{{[^ ]*}} = %c0{{[_0-9]*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}})
// CHECK:             %[[AV:.*]] = tensor.extract %[[L0]]#0[%[[R1]], %{{.*}}, %{{.*}}] : tensor<?x?x50xf32>
// CHECK:             %[[BV:.*]] = tensor.extract %[[L0]]#0[%[[R1]], %{{.*}}, %{{.*}}] : tensor<?x?x50xf32>
// CHECK:             arith.cmpf ugt, %[[BV]], %[[AV]]
// CHECK-COUNT-9:   arith.ceildivui %[[CHUNKS]]
// CHECK:         %[[OUT:.*]]:2 = scf.forall (%{{.*}}) in (%{{.*}}) shared_outs(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<?x50xf32>, tensor<?x50xi64>)
// CHECK:         return %[[OUT]]#0, %[[OUT]]#1
// SERIAL-LABEL: func.func @tree
// SERIAL-NOT:     scf.forall
func.func @tree(%x: tensor<?x?xf32>, %v: tensor<?x50xf32>, %i: tensor<?x50xi64>) -> (tensor<?x50xf32>, tensor<?x50xi64>) {
  %a, %b = vibee.topk dimension(1) ins(%x : tensor<?x?xf32>) outs(%v, %i : tensor<?x50xf32>, tensor<?x50xi64>) -> tensor<?x50xf32>, tensor<?x50xi64>
  return %a, %b : tensor<?x50xf32>, tensor<?x50xi64>
}

// Static: 32000 / 100 = 320 chunks: the group bests, the chunks and
// ceil(log2(320)) = 9 levels, 11 foralls.
// CHECK-LABEL: func.func @static_tree
// CHECK-COUNT-11: scf.forall (
// CHECK-NOT:     scf.forall (
// CHECK:         return
func.func @static_tree(%x: tensor<8x32000xf32>, %v: tensor<8x50xf32>, %i: tensor<8x50xi64>) -> (tensor<8x50xf32>, tensor<8x50xi64>) {
  %a, %b = vibee.topk dimension(1) ins(%x : tensor<8x32000xf32>) outs(%v, %i : tensor<8x50xf32>, tensor<8x50xi64>) -> tensor<8x50xf32>, tensor<8x50xi64>
  return %a, %b : tensor<8x50xf32>, tensor<8x50xi64>
}

// k from the call: private slots (128 of them) when k <= 128, else the level's.
// CHECK-LABEL: func.func @dynamic_k
// CHECK:         scf.forall
// CHECK:           %[[FITS:.*]] = arith.cmpi ule, %{{.*}}, %c128
// CHECK:           scf.if %[[FITS]]
// CHECK:             tensor.empty() : tensor<128xf32>
// CHECK:           } else {
func.func @dynamic_k(%x: tensor<?x?xf32>, %v: tensor<?x?xf32>, %i: tensor<?x?xi32>) -> (tensor<?x?xf32>, tensor<?x?xi32>) {
  %a, %b = vibee.topk dimension(1) ins(%x : tensor<?x?xf32>) outs(%v, %i : tensor<?x?xf32>, tensor<?x?xi32>) -> tensor<?x?xf32>, tensor<?x?xi32>
  return %a, %b : tensor<?x?xf32>, tensor<?x?xi32>
}
