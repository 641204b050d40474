// RUN: %vibee-opt %s -vibee-prepare-emitc | FileCheck %s

// A bufferized kernel over loops in the form convert-to-emitc takes: memrefs
// are pointers to row-major data indexed with linearized i64 subscripts, the
// symbolic dim N a trailing i64 argument that replaces memref.dim, index i64;
// alloc/copy/dealloc, math and maximumf are calls of <cmath> or of the
// preamble's helpers; bf16 is uint16_t storage converted by helpers; the
// unused argument goes and vibee.cpp_args keeps the ABI positions of the others
// (x, y, z, a, then N after the four parameters).
// CHECK-LABEL: func.func @scale(
// CHECK-SAME:    %[[X:.*]]: !emitc.ptr<ui16>, %[[Y:.*]]: !emitc.ptr<f32>, %[[Z:.*]]: !emitc.ptr<ui16>, %[[A:.*]]: f32, %[[N:.*]]: i64)
// CHECK-SAME:    vibee.cpp_args = [0, 1, 2, 3, 5]
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : i64
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[COUNT:.*]] = emitc.mul %[[N]], %{{.*}} : (i64, i64) -> i64
// CHECK:         %[[TMP:.*]] = emitc.call_opaque "alloc"(%[[COUNT]]) {template_args = [f32]} : (i64) -> !emitc.ptr<f32>
// CHECK:         scf.for %[[I:.*]] = %[[C0]] to %[[N]] step %[[C1]] : i64 {
// CHECK:           scf.for %[[J:.*]] = %[[C0]] to %{{.*}} step %[[C1]] : i64 {
// CHECK:             %[[ROW:.*]] = emitc.mul %[[I]], %{{.*}} : (i64, i64) -> i64
// CHECK:             %[[OFF:.*]] = emitc.add %[[ROW]], %[[J]] : (i64, i64) -> i64
// CHECK:             %[[XREF:.*]] = emitc.subscript %[[X]][%[[OFF]]] : (!emitc.ptr<ui16>, i64) -> !emitc.lvalue<ui16>
// CHECK:             %[[XBITS:.*]] = emitc.load %[[XREF]] : <ui16>
// CHECK:             %[[XF:.*]] = emitc.call_opaque "bf16_to_float"(%[[XBITS]]) : (ui16) -> f32
// CHECK:             %[[M:.*]] = arith.mulf %[[XF]], %[[A]] : f32
// CHECK:             %[[E:.*]] = emitc.call_opaque "std::exp"(%[[M]]) : (f32) -> f32
// CHECK:             %[[R:.*]] = emitc.call_opaque "maximum"(%[[E]], %[[ZERO]]) : (f32, f32) -> f32
// CHECK:             %[[POS:.*]] = emitc.cmp gt, %[[R]], %[[ZERO]] : (f32, f32) -> i1
// CHECK:             %[[S:.*]] = arith.select %[[POS]], %[[R]], %[[ZERO]] : f32
// CHECK:             %[[TREF:.*]] = emitc.subscript %[[TMP]][%{{.*}}] : (!emitc.ptr<f32>, i64) -> !emitc.lvalue<f32>
// CHECK:             emitc.assign %[[S]] : f32 to %[[TREF]] : <f32>
// CHECK:             %[[SBITS:.*]] = emitc.call_opaque "float_to_bf16"(%[[S]]) : (f32) -> ui16
// CHECK:             %[[ZREF:.*]] = emitc.subscript %[[Z]][%{{.*}}] : (!emitc.ptr<ui16>, i64) -> !emitc.lvalue<ui16>
// CHECK:             emitc.assign %[[SBITS]] : ui16 to %[[ZREF]] : <ui16>
// CHECK:         %[[COUNT2:.*]] = emitc.mul %[[N]], %{{.*}} : (i64, i64) -> i64
// CHECK:         emitc.call_opaque "copy"(%[[Y]], %[[TMP]], %[[COUNT2]]) : (!emitc.ptr<f32>, !emitc.ptr<f32>, i64) -> ()
// CHECK:         emitc.call_opaque "release"(%[[TMP]]) : (!emitc.ptr<f32>) -> ()
// CHECK-NEXT:    return
// CHECK-NOT:   memref.
// CHECK-NOT:   math.
// CHECK-NOT:   index
func.func @scale(%x: memref<?x4xbf16>, %y: memref<?x4xf32>, %z: memref<?x4xbf16>, %a: f32,
                 %unused: f32)
    attributes {vibee.kernel, vibee.dim_names = ["N"],
                vibee.arg_dims = [[0, -1], [0, -1], [0, -1], [], []]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4xbf16>
  %tmp = memref.alloc(%n) : memref<?x4xf32>
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      %v = memref.load %x[%i, %j] : memref<?x4xbf16>
      %f = arith.extf %v : bf16 to f32
      %m = arith.mulf %f, %a : f32
      %e = math.exp %m : f32
      %r = arith.maximumf %e, %zero : f32
      %pos = arith.cmpf ogt, %r, %zero : f32
      %s = arith.select %pos, %r, %zero : f32
      memref.store %s, %tmp[%i, %j] : memref<?x4xf32>
      %t = arith.truncf %s : f32 to bf16
      memref.store %t, %z[%i, %j] : memref<?x4xbf16>
    }
  }
  memref.copy %tmp, %y : memref<?x4xf32> to memref<?x4xf32>
  memref.dealloc %tmp : memref<?x4xf32>
  return
}

// Integer -> f16/bf16 casts (which arith-emulate-unsupported-floats leaves) go
// through f32 and the conversion helpers, like extf/truncf.
// CHECK-LABEL: func.func @int_to_half(
// CHECK:         %[[P:.*]] = emitc.load %{{.*}} : <i8>
// CHECK:         %[[PF:.*]] = arith.sitofp %[[P]] : i8 to f32
// CHECK:         emitc.call_opaque "float_to_f16"(%[[PF]]) : (f32) -> ui16
// CHECK:         %[[B:.*]] = emitc.cast %{{.*}} : ui8 to i1
// CHECK:         %[[BF:.*]] = arith.uitofp %[[B]] : i1 to f32
// CHECK:         emitc.call_opaque "float_to_bf16"(%[[BF]]) : (f32) -> ui16
// CHECK-NOT:     arith.sitofp %{{.*}} to f16
func.func @int_to_half(%p: memref<4xi8>, %b: memref<4xi1>, %y: memref<4xf16>,
                       %z: memref<4xbf16>)
    attributes {vibee.kernel, vibee.dim_names = [],
                vibee.arg_dims = [[-1], [-1], [-1], [-1]]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %p[%i] : memref<4xi8>
    %h = arith.sitofp %v : i8 to f16
    memref.store %h, %y[%i] : memref<4xf16>
    %w = memref.load %b[%i] : memref<4xi1>
    %g = arith.uitofp %w : i1 to bf16
    memref.store %g, %z[%i] : memref<4xbf16>
  }
  return
}

// Integer max/min (`max(i, 1)` on an i32 loop index) have no EmitC lowering: they
// become a comparison and a select (a ternary in C++); translateToCpp used to fail
// with "'arith.maxsi' op unable to find printer for op" (found by the compiler fuzzer).
// CHECK-LABEL: func.func @int_min_max(
// CHECK:         %[[V:.*]] = emitc.load %{{.*}} : <i32>
// CHECK:         %[[GT:.*]] = arith.cmpi sgt, %[[V]], %[[ONE:.*]] : i32
// CHECK:         %[[MAX:.*]] = arith.select %[[GT]], %[[V]], %[[ONE]] : i32
// CHECK:         %[[LT:.*]] = arith.cmpi slt, %[[MAX]], %[[V]] : i32
// CHECK:         arith.select %[[LT]], %[[MAX]], %[[V]] : i32
// CHECK-NOT:     arith.maxsi
// CHECK-NOT:     arith.minsi
func.func @int_min_max(%x: memref<4xi32>, %y: memref<4xi32>)
    attributes {vibee.kernel, vibee.dim_names = [],
                vibee.arg_dims = [[-1], [-1]]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %one = arith.constant 1 : i32
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %x[%i] : memref<4xi32>
    %m = arith.maxsi %v, %one : i32
    %n = arith.minsi %m, %v : i32
    memref.store %n, %y[%i] : memref<4xi32>
  }
  return
}

// FP8 after vibee-expand-f8-conversions: uint8_t storage; the bitcasts between
// its bits and i8 are bit_casts of the storage; a constant (folded back from its
// bits) and a select of FP8 values take the storage type too.
// CHECK-LABEL: func.func @fp8(
// CHECK-SAME:    %[[Q:.*]]: !emitc.ptr<ui8>, %[[Y:.*]]: !emitc.ptr<ui8>, %[[CB:.*]]: ui8)
// CHECK:         %[[C:.*]] = emitc.cast %[[CB]] : ui8 to i1
// CHECK:         %[[BITS:.*]] = emitc.load %{{.*}} : <ui8>
// CHECK:         %[[K:.*]] = "emitc.constant"() <{value = 126 : ui8}> : () -> ui8
// CHECK:         %[[SEL:.*]] = arith.select %[[C]], %[[BITS]], %[[K]] : ui8
// CHECK:         %[[I8:.*]] = emitc.call_opaque "bit_cast"(%[[SEL]]) {template_args = [i8, ui8]} : (ui8) -> i8
// CHECK:         %[[BACK:.*]] = emitc.call_opaque "bit_cast"(%[[I8]]) {template_args = [ui8, i8]} : (i8) -> ui8
// CHECK:         emitc.assign %[[BACK]] : ui8 to %{{.*}} : <ui8>
func.func @fp8(%q: memref<4xf8E4M3FN>, %y: memref<4xf8E4M3FN>, %c: i1)
    attributes {vibee.kernel, vibee.dim_names = [],
                vibee.arg_dims = [[-1], [-1], []]} {
  %c0 = arith.constant 0 : index
  %v = memref.load %q[%c0] : memref<4xf8E4M3FN>
  %k = arith.constant 448.0 : f8E4M3FN
  %s = arith.select %c, %v, %k : f8E4M3FN
  %b = arith.bitcast %s : f8E4M3FN to i8
  %f = arith.bitcast %b : i8 to f8E4M3FN
  memref.store %f, %y[%c0] : memref<4xf8E4M3FN>
  return
}

// vibee-cpp-split-reductions' output: the lanes' memref.alloca is a local array
// (`float v[4];`), an nsw add of indices C's signed + (an affine subscript for a
// C++ compiler; a plain addi keeps convert-to-emitc's unsigned casts), and an
// unordered comparison the negated ordered one (`!(a < b)`, no short-circuit
// that would keep the loop from vectorizing).
// CHECK-LABEL: func.func @lanes(
// CHECK:         %[[LANES:.*]] = "emitc.variable"() <{value = #emitc.opaque<"">}> : () -> !emitc.array<4xf32>
// CHECK:         scf.for %[[J:.*]] =
// CHECK:           %[[K:.*]] = emitc.add %[[J]], %{{.*}} : (i64, i64) -> i64
// CHECK:           %[[LT:.*]] = emitc.cmp lt, %{{.*}}, %{{.*}} : (f32, f32) -> i1
// CHECK:           %[[UGE:.*]] = emitc.logical_not %[[LT]] : i1
// CHECK:           arith.select %[[UGE]]
// CHECK:           emitc.subscript %[[LANES]][%{{.*}}] : (!emitc.array<4xf32>, i64) -> !emitc.lvalue<f32>
func.func @lanes(%x: memref<8xf32>, %y: memref<4xf32>)
    attributes {vibee.kernel, vibee.dim_names = [],
                vibee.arg_dims = [[-1], [-1]]} {
  %lanes = memref.alloca() : memref<4xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %lo = arith.constant -1.0 : f32
  scf.for %j = %c0 to %c4 step %c1 {
    %k = arith.addi %j, %c4 overflow<nsw> : index
    %v = memref.load %x[%k] : memref<8xf32>
    %ge = arith.cmpf uge, %v, %lo : f32
    %c = arith.select %ge, %v, %lo : f32
    memref.store %c, %lanes[%j] : memref<4xf32>
  }
  scf.for %j = %c0 to %c4 step %c1 {
    %v = memref.load %lanes[%j] : memref<4xf32>
    memref.store %v, %y[%j] : memref<4xf32>
  }
  return
}
