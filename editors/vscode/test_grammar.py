#!/usr/bin/env python3
"""Checks the TextMate grammar of .vibee (syntaxes/vibee.tmLanguage.json) without
an editor: package.json and the grammar are valid JSON and agree; every regex
compiles; a small TextMate tokenizer (match / begin-end rules, captures, includes,
earliest match wins, first rule on a tie; the subset the grammar uses) gives the
expected scopes on sample lines; every keyword of grammar/Vibee.g4, every builtin of
frontend/Builtins.def and every spec of specs/ tokenizes without plain words
that the language reserves.

    test_grammar.py            (exit 0 when every check holds)
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
failures = []


def check(ok, what):
    if not ok:
        print("FAIL  " + what)
        failures.append(what)


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Tokenizer:
    """Tokenizes lines into (text, [scopes]) with the rules of a TextMate grammar."""

    def __init__(self, grammar):
        self.grammar = grammar
        self.repository = grammar.get("repository", {})

    def rules(self, patterns):
        """Flattens includes: the match and begin/end rules of `patterns`, in order."""
        out = []
        for p in patterns:
            if "include" in p:
                name = p["include"]
                target = self.grammar if name == "$self" else self.repository[name.lstrip("#")]
                out += self.rules(target.get("patterns", [])) if "patterns" in target and \
                    "match" not in target and "begin" not in target else self.rules([target])
            elif "match" in p or "begin" in p:
                out.append(p)
            elif "patterns" in p:
                out += self.rules(p["patterns"])
        return out

    @staticmethod
    def regex(source):
        return re.compile(source)

    def tokenize(self, lines):
        base = [self.grammar["scopeName"]]
        stack = []  # open begin/end rules: (rule, scopes inside it)
        result = []
        for line in lines:
            tokens, pos = [], 0
            while pos <= len(line):
                scopes = stack[-1][1] if stack else base
                rules = self.rules(stack[-1][0].get("patterns", [])) if stack else \
                    self.rules(self.grammar["patterns"])
                best = None  # (start, order, kind, match, rule)
                if stack:
                    m = self.regex(stack[-1][0]["end"]).search(line, pos)
                    if m:
                        best = (m.start(), -1, "end", m, stack[-1][0])
                for order, rule in enumerate(rules):
                    m = self.regex(rule.get("match", rule.get("begin"))).search(line, pos)
                    if m and (best is None or (m.start(), order) < best[:2]):
                        best = (m.start(), order, "begin" if "begin" in rule else "match", m, rule)
                if best is None:
                    if pos < len(line):
                        tokens.append((line[pos:], scopes))
                    break
                start, _, kind, m, rule = best
                if start > pos:
                    tokens.append((line[pos:start], scopes))
                if kind == "end":
                    inner = scopes
                    tokens += self.captured(m, rule.get("endCaptures", rule.get("captures", {})),
                                            inner)
                    stack.pop()
                elif kind == "begin":
                    inner = scopes + ([rule["name"]] if "name" in rule else [])
                    tokens += self.captured(m, rule.get("beginCaptures", rule.get("captures", {})),
                                            inner)
                    stack.append((rule, inner))
                else:
                    name = m.expand(rule["name"].replace("$", "\\")) if "name" in rule else None
                    inner = scopes + ([name] if name else [])
                    tokens += self.captured(m, rule.get("captures", {}), inner)
                if m.end() == pos and kind != "begin" and kind != "end":
                    pos += 1  # an empty match: move on
                else:
                    pos = max(m.end(), pos)
                if pos >= len(line):
                    break
            result.append(tokens)
        return result

    @staticmethod
    def captured(m, captures, scopes):
        """The tokens of match `m`: capture groups get their own scope."""
        tokens, pos = [], m.start()
        groups = sorted((m.start(int(g)), m.end(int(g)), c["name"]) for g, c in captures.items()
                        if int(g) > 0 and m.start(int(g)) >= 0 and "name" in c)
        whole = captures.get("0", {}).get("name")
        outer = scopes + ([whole] if whole else [])
        for start, end, name in groups:
            if start > pos:
                tokens.append((m.string[pos:start], outer))
            tokens.append((m.string[start:end], outer + [name]))
            pos = end
        if pos < m.end():
            tokens.append((m.string[pos:m.end()], outer))
        return [t for t in tokens if t[0]]


def scope_of(tokens, text, nth=0):
    """The innermost scope of the nth token whose text is `text` (stripped)."""
    found = [t for t in tokens if t[0].strip() == text]
    if len(found) <= nth:
        return None
    return found[nth][1][-1]


SAMPLES = [  # (line, [(token, nth, expected innermost scope)])
    ('// kernel sum( "not code"', [('// kernel sum( "not code"'[2:], 0, None)]),
    ('spec softmax 1.0.0 "Row \\"soft\\" max";', [
        ("spec", 0, "storage.type.spec.vibee"),
        ("softmax", 0, "entity.name.namespace.vibee"),
        ("1.0.0", 0, "constant.other.version.vibee"),
        ('\\"', 0, "constant.character.escape.vibee"),
        (";", 0, "punctuation.terminator.statement.vibee")]),
    ("const beta1: f32 = 0.9;", [
        ("const", 0, "storage.type.const.vibee"),
        ("beta1", 0, "variable.other.constant.vibee"),
        ("f32", 0, "storage.type.primitive.vibee"),
        ("0.9", 0, "constant.numeric.vibee")]),
    ("kernel step(param: inout f32[N], lr: f32 = 1e-3) -> y: bf16[N] {", [
        ("kernel", 0, "storage.type.kernel.vibee"),
        ("step", 0, "entity.name.function.vibee"),
        ("param", 0, "variable.parameter.vibee"),
        ("inout", 0, "storage.modifier.inout.vibee"),
        ("f32", 0, "storage.type.primitive.vibee"),
        ("1e-3", 0, "constant.numeric.vibee"),
        ("->", 0, "keyword.operator.vibee"),
        ("bf16", 0, "storage.type.primitive.vibee")]),
    ("  schedule { tile(M = 64, N = 256); vector(16); threads(2); }", [
        ("schedule", 0, "storage.type.schedule.vibee"),
        ("tile", 0, "support.function.schedule.vibee"),
        ("vector", 0, "support.function.schedule.vibee"),
        ("64", 0, "constant.numeric.vibee")]),
    ("  mx[r] = max(c) x[r, c];", [("max", 0, "support.function.builtin.vibee")]),
    ("  h[i, t] = scan(t, h0[i]) a[i, t] * h[i, t - 1] + cumsum(t) x[i, t];", [
        ("scan", 0, "keyword.operator.reduction.vibee"),
        ("cumsum", 0, "keyword.operator.reduction.vibee")]),
    ("  s[r] = sum(c) e[r, c] * prod(k) w[k];", [
        ("sum", 0, "keyword.operator.reduction.vibee"),
        ("prod", 0, "keyword.operator.reduction.vibee"),
        ("*", 0, "keyword.operator.vibee")]),
    ("  y[i] = bf16(where(x[i] >= 0.5, exp(x[i]), .25)) && true;", [
        ("bf16", 0, "storage.type.primitive.vibee"),
        ("where", 0, "support.function.builtin.vibee"),
        (">=", 0, "keyword.operator.vibee"),
        (".25", 0, "constant.numeric.vibee"),
        ("true", 0, "constant.language.boolean.vibee")]),
    ('behavior "sum of zeros" {', [
        ("behavior", 0, "storage.type.behavior.vibee"),
        ('sum of zeros', 0, "string.quoted.double.vibee")]),
    ("  given x = rand(7, 4, 3), g = [[1.0, -2.5e3]];", [
        ("given", 0, "keyword.control.given.vibee"),
        ("rand", 0, "support.function.value.vibee"),
        ("2.5e3", 0, "constant.numeric.vibee")]),
    ("  when step(x, lr = 0.1);", [
        ("when", 0, "keyword.control.when.vibee"),
        ("step", 0, "entity.name.function.vibee")]),
    ("  then y ~= [[0.5]] within 1e-6;", [
        ("then", 0, "keyword.control.then.vibee"),
        ("~=", 0, "keyword.operator.vibee"),
        ("within", 0, "keyword.control.within.vibee")]),
]


def check_samples(tokenizer):
    for line, expectations in SAMPLES:
        tokens = tokenizer.tokenize([line])[0]
        for text, nth, scope in expectations:
            if scope is None:  # the whole line is a comment
                got = [t for t in tokens if "comment.line.double-slash.vibee" not in t[1]]
                check(not got, "comment line: tokens outside the comment: %s" % got)
                continue
            got = scope_of(tokens, text, nth)
            check(got == scope, "'%s' in `%s`: %s, expected %s" % (text, line, got, scope))


def check_language_words(tokenizer):
    """Every keyword literal of the ANTLR grammar and every builtin gets a scope."""
    with open(os.path.join(ROOT, "grammar", "Vibee.g4"), encoding="utf-8") as f:
        keywords = set(re.findall(r"'([a-z]+)'", f.read()))
    with open(os.path.join(ROOT, "frontend", "Builtins.def"), encoding="utf-8") as f:
        builtins = set(re.findall(r'^BUILTIN\(\w+, "(\w+)"', f.read(), re.M))
    check(len(keywords) > 10 and len(builtins) > 10, "keywords and builtins read")
    for word in sorted(keywords | builtins):
        tokens = tokenizer.tokenize(["%s(a) z" % word])[0]
        scope = scope_of(tokens, word)
        check(scope is not None and scope != "source.vibee",
              "'%s' (a keyword or builtin) has no scope of its own" % word)


def check_specs(tokenizer):
    """Every spec of the library tokenizes; no string or comment runs past its line."""
    for folder, _, files in os.walk(os.path.join(ROOT, "specs")):
        for name in sorted(files):
            if not name.endswith(".vibee"):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                lines = f.read().split("\n")
            for number, tokens in enumerate(tokenizer.tokenize(lines), 1):
                if tokens and "string.quoted.double.vibee" in tokens[-1][1] \
                        and not tokens[-1][0].endswith('"'):
                    check(False, "%s:%d: a string runs past the end of the line" % (name, number))


def main():
    package = load_json(os.path.join(HERE, "package.json"))
    grammar_entry = package["contributes"]["grammars"][0]
    grammar = load_json(os.path.join(HERE, grammar_entry["path"]))
    load_json(os.path.join(HERE, "language-configuration.json"))
    check(grammar["scopeName"] == grammar_entry["scopeName"] == "source.vibee", "scope names")
    check(package["contributes"]["languages"][0]["extensions"] == [".vibee"], "extension")
    tokenizer = Tokenizer(grammar)
    for rule in tokenizer.rules(grammar["patterns"]):
        for key in ("match", "begin", "end"):
            if key in rule:
                try:
                    re.compile(rule[key])
                except re.error as e:
                    check(False, "regex %r: %s" % (rule[key], e))
    check_samples(tokenizer)
    check_language_words(tokenizer)
    check_specs(tokenizer)
    print("textmate grammar: %d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
