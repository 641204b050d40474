// What every differential check shares (`vibeec check`, the C++ parity tool, the
// GPU checker): reproducible random inputs and shapes, and the comparison of an
// output with the float64 reference by norm-wise relative error.
#pragma once

#include "frontend/ReferenceInterpreter.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace vibee::checking {

// SplitMix64: small, fast, reproducible from a seed printed with each run.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * ((next() >> 11) * 0x1p-53); }
  int64_t between(int64_t lo, int64_t hi) {
    return lo + (int64_t)(next() % (uint64_t)(hi - lo + 1));
  }
};

// The shape of a tensor of `type` when the kernel's dims have the sizes `dims`
// (by dim index; a negative size counts as 0).
std::vector<int64_t> shapeOf(const ast::TensorType &type, const std::vector<int64_t> &dims);

// "N=7, M=3": the sizes a trial gave the symbolic dims, for failure messages.
std::string symbolicDimsText(const ast::Kernel &kernel, const std::vector<int64_t> &dims);

// Size of a symbolic dim in trial `trial`: 1, odd small, medium, larger.
int64_t trialSize(int trial, Rng &rng);

// The float64 reference interpreter's work for one call of `kernel` at `dims`:
// for every statement, its loop nest's iterations times the nodes of its
// right-hand side (each read, operation and the combine). It walks the AST at
// about 40 ns a node on this project's CI machine.
double referenceWork(const ast::Kernel &kernel, const std::vector<int64_t> &dims);

// The most reference work one shape set of `vibeec check` may cost: four sets
// stay within about 10^8 operations per kernel.
constexpr double kMaxTrialWork = 2.5e7;

// The symbolic dims of trial `trial` of `kernel`: trialSize for each (literal
// dims keep their size, `least` raises a dim a literal subscript needs), then,
// while the reference work exceeds `maxWork`, the largest shrinkable dim loses an
// eighth (at least 1, never below `least` or 1). Balanced shrinking keeps every
// dim of a large trial beyond a tile (an 80^5 attention trial ends near 30^5).
std::vector<int64_t> trialDims(const ast::Kernel &kernel, int trial, Rng &rng,
                               const std::vector<int64_t> &least, double maxWork = kMaxTrialWork);

// The shrinking step of trialDims alone, on sizes drawn otherwise (gpu_check's).
void boundReferenceWork(const ast::Kernel &kernel, std::vector<int64_t> &dims,
                        const std::vector<int64_t> &least, double maxWork);

// "{B=3, S=7}": the symbolic dims of a trial, for the checks' reports.
std::string trialShapeText(const ast::Kernel &kernel, const std::vector<int64_t> &dims);

// A random element: uniform in [-1, 1) for floats (never exactly 0), [-8, 8] for
// integers, 0/1 for bool.
double randomValue(DType dtype, Rng &rng);

// A scalar parameter's value for a check: its default when it has one (eps,
// betas), else random ([0.1, 1) for floats); returned as the kernel stores it
// (f32(0.999)), so the reference sees the same value.
double scalarArgument(const ast::Param &param, Rng &rng);

// Largest tolerated ||out - ref|| / ||ref|| for outputs of a dtype (0: exact).
double relativeErrorLimit(DType dtype);

// "[i, j]" for a row-major flat index.
std::string indexString(const std::vector<int64_t> &shape, int64_t flat);

// Compares `out` with the reference values, rounded to `out`'s dtype when it is a
// float (so both sides overflow alike). Elements where both are NaN are
// skipped; a NaN or an infinity against anything else fails. The rest must satisfy
// ||out - ref|| <= limit * ||cond||, cond being the reference's condition magnitudes
// (ref::Array::mag; |ref| where absent or not finite), so a result that cancels is
// held to what rounding its terms can change. Returns the failure ("" when within
// the dtype's limit); `worstRatio` (if given) is raised to that error over the limit.
std::string compareWithReference(const std::string &name, const HostTensor &out,
                                 const std::vector<double> &reference, double *worstRatio = nullptr,
                                 const std::vector<double> *condition = nullptr);

// Compares what a kernel wrote with the reference's outcome: its inout tensors
// (`params`, by parameter index), then its results. Returns the first failure
// ("" when every output is within its dtype's limit); `worstRatio` as above.
std::string compareKernelOutputs(const ast::Kernel &kernel, const std::vector<HostTensor> &params,
                                 const std::vector<HostTensor> &results,
                                 const ref::Outcome &expected, double *worstRatio = nullptr);

// A trial whose outputs differ from the reference's where the reference made a float
// comparison within rounding of its threshold (ref::Outcome::nearTie: a top-k's
// neighbours, a nucleus boundary, `where(x < t, ...)`) is drawn again with fresh
// inputs, up to this many times: the kernel, which rounds, may decide such a
// comparison either way. A kernel that fails every draw still fails.
constexpr int kNearTieRedraws = 3;

// What a PASS line or a failure adds about draws redrawn for near ties ("" for none).
std::string nearTieNote(int redrawn, bool failed);

} // namespace vibee::checking
