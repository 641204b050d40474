// RUN: %vibee-opt %s --vibee-linalg-to-llvm --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s

// The CPU pipeline's per-function passes run nested, one function at a time
// (and on MLIR's threads): anchored on the module, a greedy rewrite simplified
// every function's regions again after each round, which made specs of many
// kernels or many chunk functions slower than linear (docs/performance.md,
// "Compile time of large specs"). Only passes that add module-level symbols or
// change signatures stay on the module. Threads are runtime calls made by the
// cpu passes (ThreadRuntime.h): no OpenMP conversion.

// CHECK-LABEL: builtin.module(
// CHECK:         vibee-fuse-elementwise
// CHECK-NEXT:    func.func(
// CHECK-NEXT:      canonicalize
// CHECK-NEXT:      cse
// CHECK:         one-shot-bufferize
// CHECK-NEXT:    func.func(
// CHECK-NEXT:      canonicalize
// CHECK-NEXT:      cse
// CHECK:         vibee-forward-inout-copies
// CHECK-NEXT:    func.func(
// CHECK-NEXT:      expand-realloc
// CHECK-NEXT:      canonicalize
// CHECK-NEXT:      ownership-based-buffer-deallocation
// CHECK-NEXT:      canonicalize
// CHECK-NEXT:      buffer-deallocation-simplification
// CHECK-NEXT:    ),
// CHECK-NEXT:    bufferization-lower-deallocations
// CHECK-NEXT:    func.func(
// CHECK-NEXT:      cse
// CHECK-NEXT:      canonicalize
// CHECK-NEXT:    ),
// CHECK-NEXT:    vibee-expose-c-abi
// CHECK:         vibee-cpu-parallelize
// CHECK-NEXT:    func.func(
// CHECK-NEXT:      vibee-cpu-prepare-vectorization
// CHECK-NEXT:      vibee-cpu-block-reductions{{.*}}
// CHECK-NEXT:    ),
// CHECK-NEXT:    vibee-cpu-vectorize
// CHECK-NEXT:    func.func(
// (vibee-cpu-lookup-permutes first on AVX2 hosts)
// CHECK:           vibee-expand-lookups
// CHECK-NEXT:      canonicalize
// CHECK-NEXT:      scf-forall-to-parallel
// CHECK-NEXT:      convert-linalg-to-loops
// CHECK-NEXT:      convert-vector-to-scf
// CHECK-NEXT:      expand-strided-metadata
// CHECK-NEXT:      lower-affine
// CHECK:           convert-scf-to-cf
// CHECK-NEXT:      convert-math-to-llvm
// CHECK-NEXT:    ),
// CHECK-NEXT:    convert-math-to-libm
// CHECK-NEXT:    func.func(
// CHECK-NEXT:      convert-vector-to-llvm
// CHECK-NEXT:    ),
// CHECK-NEXT:    finalize-memref-to-llvm
// CHECK-NEXT:    vibee-cpu-cache-temporaries
// CHECK-NEXT:    func.func(
// CHECK-NEXT:      convert-arith-to-llvm
// CHECK-NEXT:    ),
// CHECK-NEXT:    convert-cf-to-llvm
// CHECK-NEXT:    vibee-noalias-pointers{stage=record}
// CHECK-NEXT:    convert-func-to-llvm
// CHECK-NEXT:    vibee-noalias-pointers{stage=apply}
// CHECK-NEXT:    llvm.func(
// CHECK-NEXT:      convert-ub-to-llvm
// CHECK-NEXT:      reconcile-unrealized-casts
// CHECK-NEXT:      canonicalize
// CHECK-NEXT:    )
// CHECK-NEXT:  )
module {
}
