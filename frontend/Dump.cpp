// dumpAST: a stable, indented dump of the annotated AST (`vibeec compile --emit=ast`),
// read by people and by the golden tests. Two spaces per level; one node per line.
#include "frontend/Frontend.h"

#include <cstdio>
#include <ostream>

namespace vibee {

using namespace ast;

namespace {

// Strings are printed quoted, with quotes, backslashes and control bytes escaped.
std::string quoted(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += (char)c;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += (char)c;
    }
  }
  return out + "\"";
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

const char *kindName(NameKind k) {
  switch (k) {
  case NameKind::Unresolved:
    return "unresolved";
  case NameKind::Const:
    return "const";
  case NameKind::ScalarParam:
    return "param";
  case NameKind::TensorParam:
    return "param";
  case NameKind::Result:
    return "result";
  case NameKind::Local:
    return "local";
  case NameKind::Dim:
    return "dim";
  case NameKind::Index:
    return "index";
  }
  return "?";
}

class Dumper {
public:
  Dumper(const Spec &spec, std::ostream &os) : spec_(spec), os_(os) {}

  void run() {
    os_ << "spec " << spec_.name << " " << spec_.version << " " << quoted(spec_.doc) << "\n";
    for (const Const &c : spec_.consts) {
      os_ << "const " << c.name << ": " << dtypeName(c.dtype);
      if (c.isTensor()) {
        for (size_t a = 0; a < c.type.dims.size(); ++a)
          os_ << (a ? ", " : "[") << c.type.dims[a].size;
        os_ << "] =";
        for (size_t i = 0; i < c.elems.size(); ++i)
          os_ << (i ? ", " : " ")
              << (isFloat(c.dtype) ? num(c.elems[i]) : std::to_string(c.elemInts[i]));
        os_ << "\n";
        continue;
      }
      os_ << " = " << (isFloat(c.dtype) ? num(c.folded) : std::to_string(c.foldedInt)) << "\n";
      if (c.value)
        expr(*c.value, 1);
    }
    for (const Kernel &k : spec_.kernels)
      kernel(k);
    for (const Behavior &b : spec_.behaviors)
      behavior(b);
  }

private:
  const Spec &spec_;
  std::ostream &os_;
  const Kernel *k_ = nullptr;
  const Statement *st_ = nullptr;

  std::ostream &line(int depth) { return os_ << std::string(2 * depth, ' '); }

  std::string type(const TensorType &t) {
    std::string s = dtypeName(t.dtype);
    if (t.isScalar())
      return s;
    s += "[";
    for (size_t i = 0; i < t.dims.size(); ++i)
      s += (i ? ", " : "") +
           (t.dims[i].symbol.empty() ? std::to_string(t.dims[i].size) : t.dims[i].symbol);
    return s + "]";
  }

  std::string dimName(int d) {
    return k_ && d >= 0 && d < (int)k_->dims.size() ? k_->dims[d].name : "?";
  }

  void kernel(const Kernel &k) {
    k_ = &k;
    os_ << "kernel " << k.name << "\n";
    for (const Param &p : k.params) {
      line(1) << "param " << p.name << ": " << (p.mode == ParamMode::InOut ? "inout " : "in ")
              << type(p.type) << "\n";
      if (p.defaultValue) {
        line(2) << "default\n";
        expr(*p.defaultValue, 3);
      }
    }
    for (const Result &r : k.results)
      line(1) << "result " << r.name << ": " << type(r.type) << "\n";
    for (size_t i = 0; i < k.dims.size(); ++i) {
      const Dim &d = k.dims[i];
      line(1) << "dim #" << i << " " << d.name;
      if (d.size >= 0)
        os_ << " (size " << d.size << ")";
      if (d.carrierRef < 0) { // the size of a constant tensor only
        os_ << " from a constant tensor\n";
        continue;
      }
      os_ << " from " << (d.fromResult ? "result " : "param ")
          << (d.fromResult ? k.results[d.carrierRef].name : k.params[d.carrierRef].name) << " axis "
          << d.carrierAxis << "\n";
    }
    for (const Local &l : k.locals) {
      line(1) << "local " << l.name << ": " << dtypeName(l.dtype) << "[";
      for (size_t i = 0; i < l.dims.size(); ++i)
        os_ << (i ? ", " : "") << dimName(l.dims[i]);
      os_ << "]\n";
    }
    if (k.schedule)
      schedule(*k.schedule);
    for (const Statement &st : k.body)
      statement(st);
    k_ = nullptr;
  }

  // The checked hints, in a fixed order: `schedule tile(M = 64) vector(16) ...`.
  void schedule(const Schedule &sched) {
    line(1) << "schedule";
    if (!sched.tiles.empty()) {
      os_ << " tile(";
      for (size_t i = 0; i < sched.tiles.size(); ++i)
        os_ << (i ? ", " : "") << dimName(sched.tiles[i].first) << " = " << sched.tiles[i].second;
      os_ << ")";
    }
    if (sched.vectorWidth)
      os_ << " vector(" << *sched.vectorWidth << ")";
    if (sched.parallelDims) {
      os_ << " parallel(";
      for (size_t i = 0; i < sched.parallelDims->size(); ++i)
        os_ << (i ? ", " : "") << dimName((*sched.parallelDims)[i]);
      os_ << ")";
    }
    if (sched.threads)
      os_ << " threads(" << *sched.threads << ")";
    os_ << "\n";
  }

  void statement(const Statement &st) {
    st_ = &st;
    line(1) << "stmt " << st.sourceText << "\n";
    line(2) << "target " << kindName(st.targetKind) << " #" << st.targetRef << " " << st.target
            << ": " << dtypeName(st.targetType) << "\n";
    if (!st.indexTarget.empty())
      line(2) << "indices " << kindName(st.indexTargetKind) << " #" << st.indexTargetRef << " "
              << st.indexTarget << ": " << dtypeName(st.indexTargetType) << " (rank index "
              << st.rankIndex.index << ")\n";
    line(2) << "loops";
    for (size_t i = 0; i < st.loopIndices.size(); ++i)
      os_ << " " << st.loopIndices[i] << ":"
          << dimName(i < st.loopDims.size() ? st.loopDims[i] : -1);
    os_ << " (parallel " << st.numParallel << ")\n";
    if (st.reduce != ReduceKind::None)
      line(2) << "reduce " << reduceKindName(st.reduce) << "\n";
    if (st.scan != ScanKind::None) {
      line(2) << scanKindName(st.scan) << " " << st.scanIndex.index << " (axis " << st.scanAxis
              << ")" << (st.exclusive ? " exclusive" : "") << "\n";
      if (st.scanInit) {
        line(2) << "init\n";
        expr(*st.scanInit, 3);
      }
      if (st.scanCoef) {
        line(2) << "coefficient\n";
        expr(*st.scanCoef, 3);
      }
    }
    if (st.rhs)
      expr(*st.rhs, 2);
    st_ = nullptr;
  }

  std::string subscripts(const Expr &e) {
    std::string s = "[";
    for (size_t i = 0; i < e.subscripts.size(); ++i) {
      const Subscript &sub = e.subscripts[i];
      s += (i ? ", " : "") + (sub.literal ? std::to_string(*sub.literal) : sub.index);
    }
    return s + "]";
  }

  void expr(const Expr &e, int depth) {
    std::string t = dtypeName(e.type);
    std::string op = e.opType != e.type ? std::string(" (op ") + dtypeName(e.opType) + ")" : "";
    switch (e.kind) {
    case ExprKind::Number:
      if (e.isBool)
        line(depth) << "bool " << (e.number != 0 ? "true" : "false") << "\n";
      else
        line(depth) << "number " << (e.isIntLiteral ? std::to_string(e.intValue) : num(e.number))
                    << " : " << t << "\n";
      break;
    case ExprKind::Name:
      line(depth) << kindName(e.nameKind) << " " << e.name << " #" << e.ref << " : " << t << "\n";
      break;
    case ExprKind::Access:
      line(depth) << "access " << kindName(e.nameKind) << " #" << e.ref << " " << e.name
                  << subscripts(e) << " : " << t << "\n";
      break;
    case ExprKind::Unary:
    case ExprKind::Binary:
      line(depth) << (e.kind == ExprKind::Unary ? "unary " : "binary ") << e.op << " : " << t << op
                  << "\n";
      break;
    case ExprKind::Call:
      line(depth) << (e.castTo ? "cast " : "call ") << e.name << " : " << t << op << "\n";
      break;
    }
    for (const auto &o : e.operands)
      expr(*o, depth + 1);
  }

  std::string value(const Value &v) {
    auto shape = [&] {
      std::string s = "[";
      for (size_t i = 0; i < v.shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(v.shape[i]);
      return s + "]";
    };
    switch (v.kind) {
    case Value::Scalar:
      return num(v.data.empty() ? 0 : v.data[0]);
    case Value::NameRef:
      return v.name;
    case Value::Zeros:
      return "zeros" + shape();
    case Value::Ones:
      return "ones" + shape();
    case Value::Rand:
      return "rand(seed " + std::to_string(v.seed) + ")" + shape();
    case Value::Literal: {
      std::string s = "literal" + shape() + " {";
      for (size_t i = 0; i < v.data.size(); ++i)
        s += (i ? ", " : "") + num(v.data[i]);
      return s + "}";
    }
    }
    return "?";
  }

  void behavior(const Behavior &b) {
    os_ << "behavior " << quoted(b.title) << "\n";
    for (const Binding &g : b.given)
      line(1) << "given " << g.name << " = " << value(g.value) << "\n";
    line(1) << "when " << b.when.kernel << " (kernel #" << b.kernelRef << ")\n";
    const Kernel *k = b.kernelRef >= 0 ? &spec_.kernels[b.kernelRef] : nullptr;
    for (size_t p = 0; k && p < b.paramSources.size(); ++p) {
      const auto &src = b.paramSources[p];
      line(2) << k->params[p].name << " <- ";
      if (src.kind == Behavior::ParamSource::Default)
        os_ << "default\n";
      else if (src.kind == Behavior::ParamSource::Positional)
        os_ << "given " << b.when.positional[src.index].name << "\n";
      else
        os_ << value(b.when.named[src.index].value) << "\n";
    }
    for (size_t d = 0; k && d < b.dimSizes.size(); ++d)
      line(2) << "dim " << k->dims[d].name << " = " << b.dimSizes[d] << "\n";
    for (const Expectation &ex : b.then) {
      line(1) << "then " << ex.name
              << (ex.resultRef >= 0  ? " (result)"
                  : ex.givenRef >= 0 ? " (given)"
                                     : "")
              << (ex.approx ? " ~= " : " == ") << value(ex.expected);
      if (ex.approx)
        os_ << " within " << num(ex.tolerance);
      os_ << "\n";
    }
  }
};

} // namespace

void dumpAST(const Spec &spec, std::ostream &os) { Dumper(spec, os).run(); }

} // namespace vibee
