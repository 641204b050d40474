// checkSchedule: the optional `schedule { ... }` block of a kernel (docs/language.md,
// "Schedule hints"). Entries name the kernel's size symbols; each entry at most once.
// Fills Schedule's checked fields; an entry with an error contributes nothing.
#include "frontend/SemaInternal.h"

#include <algorithm>
#include <map>

namespace vibee::sema {

using namespace ast;

namespace {

constexpr int64_t kMaxHint = int64_t(1) << 30; // tile sizes and thread counts
constexpr int64_t kMaxVectorWidth = 64;

class ScheduleChecker {
public:
  ScheduleChecker(Kernel &k, DiagnosticEngine &diags) : k_(k), diags_(diags) {}

  void run(Schedule &sched) {
    std::map<std::string, Loc> seen;
    for (ScheduleEntry &e : sched.entries) {
      static const std::vector<std::string> names = {"tile", "vector", "parallel", "threads"};
      if (std::find(names.begin(), names.end(), e.name) == names.end()) {
        diags_.error(e.loc, "unknown schedule entry '" + e.name + "'");
        suggest(diags_, e.loc, e.name, names);
        diags_.note(e.loc, "schedule entries are tile, vector, parallel and threads");
        continue;
      }
      if (auto [it, fresh] = seen.emplace(e.name, e.loc); !fresh) {
        diags_.error(e.loc, "duplicate schedule entry '" + e.name + "'");
        diags_.note(it->second, "'" + e.name + "' is first given here");
        continue;
      }
      if (e.name == "tile")
        checkTile(e, sched);
      else if (e.name == "vector")
        checkVector(e, sched);
      else if (e.name == "parallel")
        checkParallel(e, sched);
      else
        checkThreads(e, sched);
    }
  }

private:
  Kernel &k_;
  DiagnosticEngine &diags_;

  std::vector<std::string> symbols() const {
    std::vector<std::string> out;
    for (const Dim &d : k_.dims)
      if (d.size < 0)
        out.push_back(d.name);
    return out;
  }

  // The Kernel::dims index of size symbol `arg.name`, or -1 (reported).
  int symbol(const ScheduleArg &arg) {
    for (size_t i = 0; i < k_.dims.size(); ++i)
      if (k_.dims[i].size < 0 && k_.dims[i].name == arg.name)
        return (int)i;
    diags_.error(arg.loc, "unknown size symbol '" + arg.name + "'");
    std::vector<std::string> syms = symbols();
    suggest(diags_, arg.loc, arg.name, syms);
    std::string list;
    for (const std::string &s : syms)
      list += (list.empty() ? "" : ", ") + s;
    diags_.note(arg.loc, syms.empty() ? "this kernel has no size symbols"
                                      : "the size symbols of this kernel are " + list);
    return -1;
  }

  // A positive integer literal no larger than `max`; `what` names it in errors.
  std::optional<int64_t> positive(const ScheduleArg &arg, const std::string &what,
                                  int64_t max = kMaxHint) {
    if (!arg.valueOk)
      return std::nullopt;
    if (!arg.isInt) {
      diags_.error(arg.valueLoc, what + " must be an integer, not '" + arg.valueText + "'");
      return std::nullopt;
    }
    if (arg.value <= 0) {
      diags_.error(arg.valueLoc, what + " must be positive, not '" + arg.valueText + "'");
      return std::nullopt;
    }
    if (arg.value > (double)max) {
      diags_.error(arg.valueLoc, what + " must be at most " + std::to_string(max) + ", not '" +
                                     arg.valueText + "'");
      return std::nullopt;
    }
    return (int64_t)arg.value;
  }

  // One bare number (`vector(16)`, `threads(2)`); false when reported.
  const ScheduleArg *single(const ScheduleEntry &e, const std::string &example) {
    if (e.args.size() == 1 && e.args[0].name.empty() && e.args[0].hasValue)
      return &e.args[0];
    Loc loc = e.args.empty() ? e.loc : e.args[0].loc;
    diags_.error(loc, "'" + e.name + "' takes one number, e.g. " + example);
    return nullptr;
  }

  // Size symbols must be distinct within one entry.
  bool distinct(const ScheduleArg &arg, std::map<std::string, Loc> &seen) {
    if (auto [it, fresh] = seen.emplace(arg.name, arg.loc); !fresh) {
      diags_.error(arg.loc, "size symbol '" + arg.name + "' is already given");
      diags_.note(it->second, "'" + arg.name + "' is first given here");
      return false;
    }
    return true;
  }

  void checkTile(const ScheduleEntry &e, Schedule &sched) {
    std::map<std::string, Loc> seen;
    for (const ScheduleArg &arg : e.args) {
      if (arg.name.empty() || !arg.hasValue) {
        diags_.error(arg.loc, "'tile' takes 'size symbol = size' pairs, e.g. tile(M = 64)");
        continue;
      }
      if (!distinct(arg, seen))
        continue;
      int dim = symbol(arg);
      std::optional<int64_t> size = positive(arg, "a tile size");
      if (dim >= 0 && size)
        sched.tiles.emplace_back(dim, *size);
    }
  }

  void checkVector(const ScheduleEntry &e, Schedule &sched) {
    const ScheduleArg *arg = single(e, "vector(16)");
    if (!arg)
      return;
    std::optional<int64_t> w = positive(*arg, "a vector width", kMaxVectorWidth);
    if (!w)
      return;
    if (*w & (*w - 1)) {
      diags_.error(arg->valueLoc,
                   "a vector width must be a power of two, not '" + arg->valueText + "'");
      return;
    }
    sched.vectorWidth = *w;
  }

  void checkParallel(const ScheduleEntry &e, Schedule &sched) {
    std::map<std::string, Loc> seen;
    std::vector<int> dims;
    bool ok = true;
    for (const ScheduleArg &arg : e.args) {
      if (arg.name.empty() || arg.hasValue) {
        diags_.error(arg.loc, "'parallel' takes size symbols, e.g. parallel(N)");
        ok = false;
        continue;
      }
      int dim = distinct(arg, seen) ? symbol(arg) : -1;
      ok &= dim >= 0;
      dims.push_back(dim);
    }
    if (ok)
      sched.parallelDims = dims;
  }

  void checkThreads(const ScheduleEntry &e, Schedule &sched) {
    if (const ScheduleArg *arg = single(e, "threads(2)"))
      sched.threads = positive(*arg, "a thread count");
  }
};

} // namespace

void checkSchedule(Kernel &k, DiagnosticEngine &diags) {
  if (k.schedule)
    ScheduleChecker(k, diags).run(*k.schedule);
}

} // namespace vibee::sema
