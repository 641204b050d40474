// RUN: %vibee-opt %s -split-input-file --vibee-cpu-parallelize --canonicalize | FileCheck %s

// A top-level op whose first loop is parallel: one call runs its rows on the
// threads. @vibee_parallel_for_or_serial (one per module) calls the runtime's
// vibee_cpu_parallel_for when it is linked (ranges of [0, M) per thread, or the
// whole range when it grants one thread), else the body once on [0, M); it gets
// the work (M * N), the extent (M), no chunk size, no thread limit and no balance
// condition. The captured buffers travel in a context record in the function's
// one context slot (its largest record: two 2-D descriptors, 14 words), which
// @square__chunk0_entry unpacks for the one copy of the op, @square__chunk0.
// CHECK:       llvm.func extern_weak @vibee_cpu_parallel_for(!llvm.ptr, !llvm.ptr, i64, i64, i64, i64, i64)
// CHECK:       llvm.func internal @vibee_parallel_for_or_serial(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64, %arg3: i64, %arg4: i64, %arg5: i64, %arg6: i64)
// CHECK-SAME:      passthrough = ["noinline"]
// CHECK:         %[[RT:.*]] = llvm.mlir.addressof @vibee_cpu_parallel_for
// CHECK:         %[[LINKED:.*]] = llvm.icmp "ne" %[[RT]], %{{.*}}
// CHECK:         llvm.cond_br %[[LINKED]], ^[[THREADS:.*]], ^[[SERIAL:.*]]
// CHECK:       ^[[THREADS]]:
// CHECK-NEXT:    llvm.call @vibee_cpu_parallel_for(%arg0, %arg1, %arg2, %arg3, %arg4, %arg5, %arg6)
// CHECK:       ^[[SERIAL]]:
// CHECK:         llvm.call %arg0(%{{.*}}, %arg3, %arg1)
// CHECK-LABEL: func.func @square(
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK-DAG:     %[[ENTRY:.*]] = constant @square__chunk0_entry : (index, index, !llvm.ptr) -> ()
// CHECK:         %[[CTX:.*]] = llvm.alloca %{{.*}} x !llvm.array<14 x i64> {alignment = 64 : i64, vibee.thread_context}
// CHECK:         %[[M:.*]] = memref.dim %arg0, %c0
// CHECK:         %[[WORK:.*]] = arith.muli %[[M]],
// CHECK:         %[[FN:.*]] = builtin.unrealized_conversion_cast %[[ENTRY]] : (index, index, !llvm.ptr) -> () to !llvm.ptr
// CHECK:         %[[F0:.*]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK:         %[[X:.*]] = builtin.unrealized_conversion_cast %arg0 : memref<?x?xf32> to !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK:         llvm.store %[[X]], %[[F0]]
// CHECK:         %[[F1:.*]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK:         %[[Y:.*]] = builtin.unrealized_conversion_cast %arg1
// CHECK:         llvm.store %[[Y]], %[[F1]]
// CHECK:         %[[W64:.*]] = arith.index_cast %[[WORK]] : index to i64
// CHECK:         %[[M64:.*]] = arith.index_cast %[[M]] : index to i64
// CHECK:         llvm.call @vibee_parallel_for_or_serial(%[[FN]], %[[CTX]], %[[W64]], %[[M64]], %[[ZERO]], %[[ZERO]], %[[ZERO]])
// CHECK-NEXT:    return
// CHECK-LABEL: func.func private @square__chunk0(%arg0: index, %arg1: index, %arg2: memref<?x?xf32>, %arg3: memref<?x?xf32>)
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK:         %[[ROWS:.*]] = arith.subi %arg1, %arg0
// CHECK:         %[[XR:.*]] = memref.subview %arg2[%arg0, 0] [%[[ROWS]], %{{.*}}] [1, 1]
// CHECK:         %[[YR:.*]] = memref.subview %arg3[%arg0, 0] [%[[ROWS]], %{{.*}}] [1, 1]
// CHECK:         linalg.generic {{.*}} ins(%[[XR]] : {{.*}}) outs(%[[YR]] :
// CHECK-LABEL: func.func private @square__chunk0_entry(%arg0: index, %arg1: index, %arg2: !llvm.ptr)
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>}
// CHECK:         %[[P0:.*]] = llvm.getelementptr %arg2[0, 0]
// CHECK:         %[[D0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK:         %[[M0:.*]] = builtin.unrealized_conversion_cast %[[D0]] : {{.*}} to memref<?x?xf32>
// CHECK:         %[[P1:.*]] = llvm.getelementptr %arg2[0, 1]
// CHECK:         %[[D1:.*]] = llvm.load %[[P1]]
// CHECK:         %[[M1:.*]] = builtin.unrealized_conversion_cast %[[D1]]
// CHECK:         call @square__chunk0(%arg0, %arg1, %[[M0]], %[[M1]])
// CHECK-NEXT:    return
func.func @square(%x: memref<?x?xf32>, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// The threaded op is emitted once: in a chunk function on rows [lo, hi) of its
// split loop, which the runtime's threads and the serial path reach through the
// entry function. The caller keeps no copy of the op. Kernel arguments (distinct
// buffers, docs/abi.md) stay llvm.noalias in the chunk function; the function is
// internal and noinline. A scalar travels in the record as itself.
// CHECK-LABEL: func.func @scale(
// CHECK-NOT:     linalg.generic
// CHECK:         llvm.call @vibee_parallel_for_or_serial(
// CHECK-NOT:     linalg.generic
// CHECK:         return
// CHECK-LABEL: func.func private @scale__chunk0(
// CHECK-SAME:      %{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<?x?xf32> {llvm.noalias}, %{{.*}}: memref<?x?xf32> {llvm.noalias}, %{{.*}}: f32)
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT:     linalg.generic
// CHECK-LABEL: func.func private @scale__chunk0_entry(
// CHECK-NOT:     linalg.generic
// CHECK:         llvm.load %{{.*}} : !llvm.ptr -> f32
// CHECK:         call @scale__chunk0(%arg0, %arg1,
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @scale(%x: memref<?x?xf32>, %y: memref<?x?xf32>, %a: f32) attributes {vibee.kernel} {
  %two = arith.constant 2.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %a : f32
    %t = arith.mulf %m, %two : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// What the body needs from the caller is recomputed in the chunk function where
// that is free of effects (the constant, the view and its dims): only the buffer
// is passed. linalg.index of the split loop counts from the chunk's first row.
// CHECK-LABEL: func.func @iota(
// CHECK:         llvm.call @vibee_parallel_for_or_serial(
// CHECK-LABEL: func.func private @iota__chunk0(
// CHECK-SAME:      %[[LO:[^:]*]]: index, %{{.*}}: index, %[[X:[^:]*]]: memref<?x?xf32> {llvm.noalias})
// CHECK-DAG:     %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK:         %[[V:.*]] = memref.subview %[[X]][0, 0]
// CHECK:         %[[VROWS:.*]] = memref.subview %[[V]][%[[LO]], 0]
// CHECK:         %[[XROWS:.*]] = memref.subview %[[X]][%[[LO]], 0]
// CHECK:         linalg.generic {{.*}} ins(%[[VROWS]] : {{.*}}) outs(%[[XROWS]] :
// CHECK:           %[[I:.*]] = linalg.index 0
// CHECK:           %[[ROW:.*]] = affine.apply #{{.*}}()[%[[I]], %[[LO]]]
// CHECK:           arith.index_cast %[[ROW]]
// CHECK:           arith.mulf %{{.*}}, %[[HALF]]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @iota(%x: memref<?x?xf32>) attributes {vibee.kernel} {
  %half = arith.constant 0.5 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = memref.dim %x, %c0 : memref<?x?xf32>
  %c = memref.dim %x, %c1 : memref<?x?xf32>
  %v = memref.subview %x[0, 0] [%r, %c] [1, 1] : memref<?x?xf32> to memref<?x?xf32, strided<[?, 1]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%v : memref<?x?xf32, strided<[?, 1]>>) outs(%x : memref<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i64
    %f = arith.sitofp %ii : i64 to f32
    %m = arith.mulf %f, %half : f32
    %s = arith.addf %m, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Arguments of a function that is no kernel may alias: no llvm.noalias.
// CHECK-LABEL: func.func private @helper__chunk0(
// CHECK-SAME:      %{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>)
// CHECK-SAME:      attributes
#id1 = affine_map<(d0) -> (d0)>
func.func @helper(%x: memref<?xf32>, %y: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// A row group found by its structure (RowGroupAnalysis.h), no attribute on any
// op: a row reduction split into lanes (running max and sum per row and lane,
// over x[r, 0:32*B] viewed as [R, B, 32]), the fills of its accumulators before
// it, the combine of the lanes and the output that reads the per-row results.
// One thread region walks blocks of 8 rows through all of them: the chunk
// function holds the fills and the three generics, the caller none of them.
// CHECK-LABEL: func.func @lanes(
// CHECK-NOT:     linalg.
// CHECK:         llvm.call @vibee_parallel_for_or_serial(
// CHECK-NOT:     linalg.
// CHECK:         return
// CHECK-LABEL: func.func private @lanes__chunk0(
// CHECK:         scf.for %{{.*}} step %c8
// CHECK:           linalg.fill
// CHECK:           linalg.fill
// CHECK:           linalg.generic {{.*}} ["parallel", "reduction", "parallel"]
// CHECK:           linalg.fill
// CHECK:           linalg.fill
// CHECK:           linalg.generic {{.*}} ["parallel", "reduction"]
// CHECK:           linalg.generic {{.*}} ["parallel", "parallel"]
// CHECK-NOT:     func.func private @lanes__chunk1
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#rl = affine_map<(d0, d1, d2) -> (d0, d2)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @lanes(%x: memref<?x?xf32>, %y: memref<?x?xf32>) attributes {vibee.kernel} {
  %low = arith.constant -3.40282347E+38 : f32
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %r = memref.dim %x, %c0 : memref<?x?xf32>
  %c = memref.dim %x, %c1 : memref<?x?xf32>
  %b = arith.divui %c, %c32 : index
  %main = arith.muli %b, %c32 : index
  %v = memref.subview %x[0, 0] [%r, %main] [1, 1] : memref<?x?xf32> to memref<?x?xf32, strided<[?, 1]>>
  %xl = memref.expand_shape %v [[0], [1, 2]] output_shape [%r, %b, 32] : memref<?x?xf32, strided<[?, 1]>> into memref<?x?x32xf32, strided<[?, 32, 1]>>
  %ml = memref.alloc(%r) : memref<?x32xf32>
  %sl = memref.alloc(%r) : memref<?x32xf32>
  linalg.fill ins(%low : f32) outs(%ml : memref<?x32xf32>)
  linalg.fill ins(%zero : f32) outs(%sl : memref<?x32xf32>)
  linalg.generic {indexing_maps = [#id3, #rl, #rl], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%xl : memref<?x?x32xf32, strided<[?, 32, 1]>>) outs(%ml, %sl : memref<?x32xf32>, memref<?x32xf32>) {
  ^bb0(%in: f32, %m: f32, %s: f32):
    %m2 = arith.maxnumf %m, %in : f32
    %d = arith.subf %in, %m2 : f32
    %e = math.exp %d : f32
    %s2 = arith.addf %s, %e : f32
    linalg.yield %m2, %s2 : f32, f32
  }
  %mx = memref.alloc(%r) : memref<?xf32>
  %sum = memref.alloc(%r) : memref<?xf32>
  linalg.fill ins(%low : f32) outs(%mx : memref<?xf32>)
  linalg.fill ins(%zero : f32) outs(%sum : memref<?xf32>)
  linalg.generic {indexing_maps = [#id2, #id2, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%ml, %sl : memref<?x32xf32>, memref<?x32xf32>) outs(%mx, %sum : memref<?xf32>, memref<?xf32>) {
  ^bb0(%m: f32, %s: f32, %macc: f32, %sacc: f32):
    %m2 = arith.maxnumf %macc, %m : f32
    %s2 = arith.addf %sacc, %s : f32
    linalg.yield %m2, %s2 : f32, f32
  }
  linalg.generic {indexing_maps = [#id2, #row, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %mx, %sum : memref<?x?xf32>, memref<?xf32>, memref<?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %m: f32, %s: f32, %out: f32):
    %d = arith.subf %in, %m : f32
    %e = math.exp %d : f32
    %o = arith.divf %e, %s : f32
    linalg.yield %o : f32
  }
  memref.dealloc %ml : memref<?x32xf32>
  memref.dealloc %sl : memref<?x32xf32>
  memref.dealloc %mx : memref<?xf32>
  memref.dealloc %sum : memref<?xf32>
  return
}

// -----

// A plain row reduction (RMSNorm's sum of squares) roots no group: each op is
// threaded on its own, in its own chunk function.
// CHECK-LABEL: func.func @plain_rows(
// CHECK:         llvm.call @vibee_parallel_for_or_serial(
// CHECK:         llvm.call @vibee_parallel_for_or_serial(
// CHECK-LABEL: func.func private @plain_rows__chunk1(
// CHECK-NOT:     scf.for
// CHECK:         linalg.generic {{.*}} ["parallel", "parallel"]
// CHECK-LABEL: func.func private @plain_rows__chunk0(
// CHECK-NOT:     scf.for
// CHECK:         linalg.generic {{.*}} ["parallel", "reduction"]
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @plain_rows(%x: memref<?x?xf32>, %ss: memref<?xf32>, %y: memref<?x?xf32>) attributes {vibee.kernel} {
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%ss : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %q = arith.mulf %in, %in : f32
    %a = arith.addf %acc, %q : f32
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %ss : memref<?x?xf32>, memref<?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %o = arith.mulf %in, %s : f32
    linalg.yield %o : f32
  }
  return
}

// -----

// A scan's rows (vibee-lower-scans marks their loop vibee.independent_rows): ranges of
// rows over the threads, the work counted as rows x steps; each row's steps stay
// in order inside the chunk function.
// CHECK-LABEL: func.func @scan_rows(
// CHECK:         %[[R:.*]] = memref.dim %arg0, %c0
// CHECK:         %[[T:.*]] = memref.dim %arg0, %c1
// CHECK:         %[[WORK:.*]] = arith.muli %[[R]], %[[T]]
// CHECK:         %[[WORK64:.*]] = arith.index_cast %[[WORK]] : index to i64
// CHECK:         %[[R64:.*]] = arith.index_cast %[[R]] : index to i64
// CHECK:         llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %[[WORK64]], %[[R64]],
// CHECK-NOT:     scf.for
// CHECK-LABEL: func.func private @scan_rows__chunk0(
// CHECK-SAME:      %[[LO:[^:]*]]: index, %[[HI:[^:]*]]: index
// CHECK:         scf.for %[[ROW:.*]] = %[[LO]] to %[[HI]]
// CHECK:           scf.for %[[STEP:.*]] = %c0 to %{{.*}} step %c1 iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32)
// CHECK:             memref.load %{{.*}}[%[[ROW]], %[[STEP]]]
// CHECK:             arith.addf %[[ACC]]
// CHECK:             memref.store %{{.*}}[%[[ROW]], %[[STEP]]]
func.func @scan_rows(%x: memref<?x?xf32>, %y: memref<?x?xf32>) attributes {vibee.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %x, %c0 : memref<?x?xf32>
  %steps = memref.dim %x, %c1 : memref<?x?xf32>
  scf.for %r = %c0 to %rows step %c1 {
    %last = scf.for %t = %c0 to %steps step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%r, %t] : memref<?x?xf32>
      %s = arith.addf %acc, %v : f32
      memref.store %s, %y[%r, %t] : memref<?x?xf32>
      scf.yield %s : f32
    }
  } {vibee.independent_rows}
  return
}

// -----

// A top-k's rows: the row length, computed in the row (k = 0 reads nothing), moves
// out, and the work counts the steps of every loop of the row whose bound is known
// outside (its first k elements and the rest).
// CHECK-LABEL: func.func @topk_rows(
// CHECK:         %[[R:.*]] = memref.dim %arg0, %c0
// CHECK:         %[[N:.*]] = arith.select
// CHECK:         %[[HEAD:.*]] = arith.minui %[[N]], %{{.*}}
// CHECK:         %[[STEPS:.*]] = arith.addi %[[HEAD]], %[[N]]
// CHECK:         %[[WORK:.*]] = arith.muli %[[R]], %[[STEPS]]
// CHECK:         %[[WORK64:.*]] = arith.index_cast %[[WORK]] : index to i64
// CHECK:         %[[R64:.*]] = arith.index_cast %[[R]] : index to i64
// CHECK:         llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %[[WORK64]], %[[R64]],
func.func @topk_rows(%x: memref<?x?xf32>, %v: memref<?x?xf32>) attributes {vibee.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = memref.dim %x, %c0 : memref<?x?xf32>
  %k = memref.dim %v, %c1 : memref<?x?xf32>
  scf.for %r = %c0 to %rows step %c1 {
    %len = memref.dim %x, %c1 : memref<?x?xf32>
    %none = arith.cmpi eq, %k, %c0 : index
    %n = arith.select %none, %c0, %len : index
    %head = arith.minui %n, %k : index
    scf.for %t = %c0 to %head step %c1 {
      %e = memref.load %x[%r, %t] : memref<?x?xf32>
      memref.store %e, %v[%r, %t] : memref<?x?xf32>
    }
    scf.for %t = %head to %n step %c1 {
      %e = memref.load %x[%r, %t] : memref<?x?xf32>
      memref.store %e, %v[%r, %c0] : memref<?x?xf32>
    }
  } {vibee.independent_rows}
  return
}

// -----

// A scatter-add's innermost loop over d (vibee.independent_columns): each thread
// runs the loop over s in full on its range of d, so every element takes its
// updates in order; the work is S x D, the extent D.
// CHECK-LABEL: func.func @scatter_columns(
// CHECK:         %[[S:.*]] = memref.dim %arg0, %c0
// CHECK:         %[[D:.*]] = memref.dim %arg0, %c1
// CHECK:         %[[WORK:.*]] = arith.muli %[[D]], %[[S]]
// CHECK:         %[[WORK64:.*]] = arith.index_cast %[[WORK]] : index to i64
// CHECK:         %[[D64:.*]] = arith.index_cast %[[D]] : index to i64
// CHECK:         llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %[[WORK64]], %[[D64]],
// CHECK-NOT:     scf.for
// CHECK-LABEL: func.func private @scatter_columns__chunk0(
// CHECK-SAME:      %[[LO:[^:]*]]: index, %[[HI:[^:]*]]: index
// CHECK:         scf.for %[[P:.*]] = %c0 to %{{.*}} step %c1 {
// CHECK:           memref.load %{{.*}}[%[[P]]] : memref<?xi32>
// CHECK:           scf.for %[[C:.*]] = %[[LO]] to %[[HI]] step %c1 {
// CHECK:             memref.load %{{.*}}[%[[P]], %[[C]]]
// CHECK-NOT:     vibee.independent_columns
func.func @scatter_columns(%dy: memref<?x?xf32>, %ids: memref<?xi32>, %dt: memref<?x?xf32>) attributes {vibee.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %s = memref.dim %dy, %c0 : memref<?x?xf32>
  %d = memref.dim %dy, %c1 : memref<?x?xf32>
  scf.for %p = %c0 to %s step %c1 {
    %id = memref.load %ids[%p] : memref<?xi32>
    %row = arith.index_cast %id : i32 to index
    scf.for %c = %c0 to %d step %c1 {
      %u = memref.load %dy[%p, %c] : memref<?x?xf32>
      %old = memref.load %dt[%row, %c] : memref<?x?xf32>
      %sum = arith.addf %old, %u : f32
      memref.store %sum, %dt[%row, %c] : memref<?x?xf32>
    } {vibee.independent_columns}
  }
  return
}

// -----

// Ops inside a run-time branch stay serial (the branch may sit in a loop the
// threads already split), except the ones vibee-cpu-pack-contractions marked
// vibee.threads_in_branch (the dot products of a contraction with few rows):
// that one is split over its first loop as a top-level op would be, the call
// inside its branch, and the mark is gone.
// CHECK-LABEL: func.func @dots_in_branch(
// CHECK:         scf.if %arg0 {
// CHECK:           llvm.call @vibee_parallel_for_or_serial(
// CHECK:         } else {
// CHECK-NOT:       llvm.call
// CHECK:           linalg.generic
// CHECK:         }
// CHECK-NOT:     vibee.threads_in_branch
// CHECK-LABEL: func.func private @dots_in_branch__chunk0(
// CHECK:         linalg.generic
// CHECK-NOT:     vibee.threads_in_branch
func.func @dots_in_branch(%few: i1, %x: memref<?x?xf32>, %w: memref<?x?xf32>, %y: memref<?x?xf32>) {
  scf.if %few {
    linalg.generic {indexing_maps = [affine_map<(n, m, k) -> (m, k)>, affine_map<(n, m, k) -> (n, k)>, affine_map<(n, m, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%x, %w : memref<?x?xf32>, memref<?x?xf32>) outs(%y : memref<?x?xf32>) attrs = {vibee.threads_in_branch} {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %c, %p : f32
      linalg.yield %s : f32
    }
  } else {
    linalg.generic {indexing_maps = [affine_map<(n, m, k) -> (m, k)>, affine_map<(n, m, k) -> (n, k)>, affine_map<(n, m, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%x, %w : memref<?x?xf32>, memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %c, %p : f32
      linalg.yield %s : f32
    }
  }
  return
}
