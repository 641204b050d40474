// RUN: %vibee-opt %s -vibee-gpu-merge-modules -split-input-file | FileCheck %s

// gpu-kernel-outlining makes one gpu.module per launch; they become one
// @<spec>_kernels module (one PTX per spec), each kernel renamed after the
// module it came from (unique), and the launches follow.
// CHECK-LABEL: module attributes {gpu.container_module, vibee.spec = "demo"}
// CHECK:         func.func @step(%[[X:.*]]: memref<?xf32>)
// CHECK:           gpu.launch_func @demo_kernels::@step_kernel blocks
// CHECK-SAME:        args(%[[X]] : memref<?xf32>)
// CHECK:           gpu.launch_func @demo_kernels::@step_kernel_0 blocks
// CHECK:         gpu.module @demo_kernels {
// CHECK-NEXT:      gpu.func @step_kernel(%{{.*}}: memref<?xf32>) kernel {
// CHECK:           gpu.func @step_kernel_0(%{{.*}}: memref<?xf32>) kernel {
// CHECK-NOT:     gpu.module
module attributes {gpu.container_module, vibee.spec = "demo"} {
  func.func @step(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @step_kernel::@step_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    gpu.launch_func @step_kernel_0::@step_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    return
  }
  gpu.module @step_kernel {
    gpu.func @step_kernel(%a: memref<?xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @step_kernel_0 {
    gpu.func @step_kernel(%a: memref<?xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// One module: nothing to merge.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK:         gpu.launch_func @k::@k blocks
// CHECK:         gpu.module @k {
// CHECK-NEXT:      gpu.func @k(
module attributes {gpu.container_module} {
  func.func @single(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    return
  }
  gpu.module @k {
    gpu.func @k(%a: memref<?xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Without vibee.spec the merged module is @vibee_kernels.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK:         gpu.launch_func @vibee_kernels::@a blocks
// CHECK:         gpu.launch_func @vibee_kernels::@b blocks
// CHECK:         gpu.module @vibee_kernels {
module attributes {gpu.container_module} {
  func.func @unnamed(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @a::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    gpu.launch_func @b::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    return
  }
  gpu.module @a {
    gpu.func @k(%a: memref<?xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @b {
    gpu.func @k(%a: memref<?xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// No kernel at all (kernels without statements): an empty @<spec>_kernels
// module, so that every GPU output has one (the compiler fuzzer's finding
// 26de5f25: "no GPU code").
// CHECK-LABEL: module attributes {gpu.container_module, vibee.spec = "empty"}
// CHECK:         func.func @scale(
// CHECK:         gpu.module @empty_kernels {
// CHECK-NEXT:    }
module attributes {vibee.spec = "empty"} {
  func.func @scale(%x: memref<?xf32>) {
    return
  }
}
