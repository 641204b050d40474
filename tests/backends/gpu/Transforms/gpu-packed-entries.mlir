// RUN: %vibee-opt %s -vibee-gpu-packed-entries | FileCheck %s

// Every public C entry (vibee_*, with a body) gets a _packed twin taking
// void **args: args[i] is the address of the i-th argument (the convention of
// ExecutionEngine::invokePacked), loaded and passed on.
// CHECK-LABEL: func.func @vibee_demo_step(
// CHECK:       func.func @vibee_demo_step_packed(%[[ARGS:.*]]: !llvm.ptr) {
// CHECK-NEXT:    %[[S0:.*]] = llvm.getelementptr %[[ARGS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT:    %[[A0:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT:    %[[P:.*]] = llvm.load %[[A0]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT:    %[[S1:.*]] = llvm.getelementptr %[[ARGS]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT:    %[[A1:.*]] = llvm.load %[[S1]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT:    %[[LR:.*]] = llvm.load %[[A1]] : !llvm.ptr -> f32
// CHECK-NEXT:    %[[S2:.*]] = llvm.getelementptr %[[ARGS]][2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT:    %[[A2:.*]] = llvm.load %[[S2]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT:    %[[N:.*]] = llvm.load %[[A2]] : !llvm.ptr -> i64
// CHECK-NEXT:    call @vibee_demo_step(%[[P]], %[[LR]], %[[N]]) : (!llvm.ptr, f32, i64) -> ()
// CHECK-NEXT:    return
// Declarations, private functions, other names and existing _packed entries
// get none.
// CHECK-NOT:   @vibee_external_packed
// CHECK-NOT:   @helper_packed
// CHECK-NOT:   @vibee_private_packed
// CHECK:       func.func @vibee_demo_other_packed(
// CHECK-NOT:   @vibee_demo_other_packed_packed
module {
  func.func @vibee_demo_step(%p: !llvm.ptr, %lr: f32, %n: i64) {
    return
  }
  func.func private @vibee_external(%p: !llvm.ptr)
  func.func @helper(%p: !llvm.ptr) {
    return
  }
  func.func private @vibee_private(%p: !llvm.ptr) {
    return
  }
  func.func @vibee_demo_other_packed(%args: !llvm.ptr) {
    return
  }
}
