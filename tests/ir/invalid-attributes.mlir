// RUN: %vibee-opt %s -split-input-file -verify-diagnostics
// The dialect's discardable attributes (ir/VibeeDialect.td): each one's form is
// checked, and an undeclared vibee.* name is an error.

// expected-error @+1 {{'vibee.spec' must be a string}}
module attributes {vibee.spec = 3 : i64} {}

// -----

// expected-error @+1 {{unknown vibee attribute 'vibee.kernal'}}
func.func @f() attributes {vibee.kernal} { return }

// -----

// expected-error @+1 {{'vibee.kernel' must be a unit attribute}}
func.func @f() attributes {vibee.kernel = 1 : i64} { return }

// -----

// expected-error @+1 {{'vibee.dim_names' must be an array of strings}}
func.func @f() attributes {vibee.dim_names = [1]} { return }

// -----

// expected-error @+1 {{'vibee.arg_dims' must be an array of arrays of i64 dim indices}}
func.func @f() attributes {vibee.arg_dims = [0]} { return }

// -----

// expected-error @+1 {{'vibee.modes' must be an array of parameter modes ("in", "inout")}}
func.func @f() attributes {vibee.modes = ["out"]} { return }

// -----

// expected-error @+1 {{'vibee.cpp_args' must be an array of i64 ABI positions}}
func.func @f() attributes {vibee.cpp_args = ["a"]} { return }

// -----

// expected-error @+1 {{'vibee.cuda_call_arg' must be an i64}}
func.func @f() attributes {vibee.cuda_call_arg = "x"} { return }

// -----

// expected-error @+1 {{'vibee.schedule' must be a dictionary}}
func.func @f() attributes {vibee.schedule = 1 : i64} { return }

// -----

// The well-formed contract passes.
module attributes {vibee.spec = "s"} {
  func.func @f(%x: memref<?xf32>) attributes {vibee.kernel, vibee.dim_names = ["N"],
      vibee.arg_dims = [[0]], vibee.modes = ["inout"], vibee.cpp_args = [0, 1],
      vibee.schedule = {vector = 8 : i64}} { return }
}
