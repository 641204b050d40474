// RUN: %vibee-opt %s -vibee-gpu-emitc-host -canonicalize -cse -split-input-file -verify-diagnostics | FileCheck %s

// The host side of an outlined kernel: the SM count, a device temporary, a
// launch with a memref (expanded: pointers, offset, sizes, strides), a reshape,
// a splat vector, scalars; tokens and gpu.wait go, the gpu.module goes. An
// argument's sizes are built at the function's entry (later launches reuse them).
// CHECK-LABEL: module attributes {vibee.cuda_kernels = ["k0"]}
// CHECK-NOT:   gpu.module
// CHECK-NOT:   vibee_cuda_sm_count
// CHECK-LABEL: func.func @step(
// CHECK-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[H:.*]]: bf16, %[[CALL:.*]]: !emitc.ptr<!emitc.opaque<"vibee::cuda_host::Call">>)
// CHECK-SAME:    vibee.arg_dims = {{\[}}[0, 1], [], []], vibee.cuda_call_arg = 2 : i64
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[SMEM:.*]] = arith.constant 0 : i32
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG:     %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG:     %[[C1024:.*]] = arith.constant 1024 : index
// CHECK:         %[[R:.*]] = memref.dim %[[X]], %[[C0]]
// CHECK-NEXT:    %[[C:.*]] = memref.dim %[[X]], %[[C1]]
// CHECK:         %[[BLOCKS:.*]] = emitc.call_opaque "ceil_div"(%[[R]], %[[C1024]]) : (index, index) -> index
// CHECK:         %[[SMS:.*]] = emitc.call_opaque "sm_count"(%[[CALL]]) : (!emitc.ptr<!emitc.opaque<"vibee::cuda_host::Call">>) -> index
// CHECK:         %[[GRID:.*]] = emitc.call_opaque "std::min"(%[[BLOCKS]], %[[SMS]]) {template_args = [#emitc.opaque<"int64_t">]}
// CHECK:         %[[N:.*]] = arith.muli %[[R]], %[[C2]] : index
// CHECK:         %[[TMP:.*]] = emitc.call_opaque "device_alloc"(%[[CALL]], %[[N]]) {template_args = [ui16]} : {{.*}} -> !emitc.ptr<ui16>
// CHECK:         %[[XP:.*]] = builtin.unrealized_conversion_cast %[[X]] : memref<?x?xf32> to !emitc.ptr<f32>
// CHECK:         %[[V:.*]] = emitc.call_opaque "splat"(%[[ZERO]]) {template_args = [#emitc.opaque<"float">, 4]} : (f32) -> !emitc.opaque<"vibee::cuda_host::vec<float, 4>">
// CHECK:         emitc.call_opaque "launch"(%[[CALL]], %[[GRID]], %[[C1]], %[[C1]], %[[C256]], %[[C1]], %[[C1]], %[[SMEM]], %[[XP]], %[[XP]], %[[C0]], %[[R]], %[[C]], %[[C]], %[[C1]], %[[TMP]], %[[TMP]], %[[C0]], %[[N]], %[[C1]], %[[V]], %[[H]])
// CHECK-SAME:    args = [0 : index, #emitc.opaque<"gpu::k0">, 1 : index,
// CHECK-SAME:    template_args = [#emitc.opaque<"float *">, #emitc.opaque<"float *">, #emitc.opaque<"int64_t">, #emitc.opaque<"int64_t">, #emitc.opaque<"int64_t">, #emitc.opaque<"int64_t">, #emitc.opaque<"int64_t">, #emitc.opaque<"uint16_t *">, #emitc.opaque<"uint16_t *">, #emitc.opaque<"int64_t">, #emitc.opaque<"int64_t">, #emitc.opaque<"int64_t">, #emitc.opaque<"vibee::cuda_host::vec<float, 4>">, #emitc.opaque<"uint16_t">]
// CHECK-NEXT:    emitc.call_opaque "device_free"(%[[CALL]], %[[TMP]])
// CHECK-NEXT:    return
module attributes {gpu.container_module} {
  func.func private @vibee_cuda_sm_count() -> i32
  func.func @step(%x: memref<?x?xf32>, %h: bf16) attributes {vibee.arg_dims = [[0, 1], []], vibee.dim_names = ["R", "C"], vibee.kernel} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c256 = arith.constant 256 : index
    %c1024 = arith.constant 1024 : index
    %zero = arith.constant dense<0.0> : vector<4xf32>
    %r = memref.dim %x, %c0 : memref<?x?xf32>
    %blocks = arith.ceildivui %r, %c1024 : index
    %sms = call @vibee_cuda_sm_count() : () -> i32
    %smi = arith.index_cast %sms : i32 to index
    %grid = arith.minui %blocks, %smi : index
    %t0 = gpu.wait async
    %tmp, %t1 = gpu.alloc async [%t0] (%r) : memref<?x2xbf16>
    gpu.wait [%t1]
    %flat = memref.collapse_shape %tmp [[0, 1]] : memref<?x2xbf16> into memref<?xbf16>
    gpu.launch_func @kernels::@k0 blocks in (%grid, %c1, %c1) threads in (%c256, %c1, %c1)
        args(%x : memref<?x?xf32>, %flat : memref<?xbf16>, %zero : vector<4xf32>, %h : bf16)
    %t2 = gpu.wait async
    %t3 = gpu.dealloc async [%t2] %tmp : memref<?x2xbf16>
    gpu.wait [%t3]
    return
  }
  gpu.module @kernels {
    gpu.func @k0(%a: memref<?x?xf32>, %b: memref<?xbf16>, %v: vector<4xf32>, %h: bf16) kernel {
      gpu.return
    }
  }
}

// -----

// Host code that reads device memory is an error, not a host dereference of a
// device pointer.
module attributes {gpu.container_module} {
  func.func @scalar(%x: memref<f32>, %y: memref<f32>) attributes {vibee.arg_dims = [[], []], vibee.dim_names = [], vibee.kernel} {
    // expected-error @+1 {{'memref.load' op in host code reads or writes device memory: --emit=cuda-host only launches kernels (docs/gpu.md)}}
    %v = memref.load %x[] : memref<f32>
    memref.store %v, %y[] : memref<f32>
    return
  }
}

// -----

// Only splat constants pass as vector kernel arguments.
module attributes {gpu.container_module} {
  func.func @vec(%x: memref<?xf32>, %v: vector<4xf32>) attributes {vibee.arg_dims = [[0], []], vibee.dim_names = ["N"], vibee.kernel} {
    %c1 = arith.constant 1 : index
    // expected-error @+1 {{cuda-host: a vector kernel argument that is not a splat constant: 'vector<4xf32>'}}
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>, %v : vector<4xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%a: memref<?xf32>, %v: vector<4xf32>) kernel {
      gpu.return
    }
  }
}
