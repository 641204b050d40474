#!/usr/bin/env python3
"""Drives vibee-lsp-server over stdin/stdout as an editor does: initialize, open a
spec, hover, go to definition, change the text to one with errors, close, shut
down; checks every reply (diagnostics with their ranges and notes, hover texts with
the types and shapes of names, definition locations, UTF-16 columns).

    lsp_test.py <path to vibee-lsp-server> [<repository root>]

With the repository root it also opens every .vibee file of specs/ and tests/
(valid specs and the error tests) and asks for the hover and the definition of
every name in it: the server must answer each request and stay up.
"""
import glob
import json
import os
import queue
import re
import subprocess
import sys
import threading

SPEC = """\
spec demo 1.0.0 "LSP test";
const beta: f32 = 0.9;
kernel softmax(x: f32[R, C], t: f32 = 1.0) -> y: f32[R, C] {
  mx[r] = max(c) x[r, c];
  e[r, c] = exp((x[r, c] - mx[r]) / t * beta);
  s[r] = sum(c) e[r, c];
  y[r, c] = e[r, c] / s[r];
}
behavior "two rows" {
  given x = [[1.0, 2.0], [3.0, 4.0]];
  when softmax(x, t = 1.0);
  then y ~= [[0.5, 0.5], [0.5, 0.5]] within 1.0;
}
behavior "\U0001F680 é one line" { given z = [[1.0, 2.0, 3.0]]; when softmax(z); then y ~= [[0.3, 0.3, 0.3]] within 1.0; }
"""
LINES = SPEC.split("\n")
URI = "file:///tmp/lsp-test/demo.vibee"
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def utf16(line, index):
    """The LSP (UTF-16) column of Python string index `index` on `line`."""
    return len(LINES[line][:index].encode("utf-16-le")) // 2


def pos(line, needle, nth=0, offset=0):
    """Position (0-based line, UTF-16 column) of the nth `needle` on `line`."""
    i = -1
    for _ in range(nth + 1):
        i = LINES[line].index(needle, i + 1)
    return {"line": line, "character": utf16(line, i + offset)}


class Client:
    def __init__(self, server):
        self.proc = subprocess.Popen([server], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.inbox = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.inbox.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            self.inbox.put(json.loads(out.read(length)))

    def send(self, message):
        body = json.dumps(dict(jsonrpc="2.0", **message)).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method, params):
        self.send({"method": method, "params": params})

    def request(self, method, params):
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == self.next_id)

    def wait(self, match):
        while True:
            message = self.inbox.get(timeout=20)
            if message is None:
                raise RuntimeError("the server closed its output")
            if match(message):
                return message

    def diagnostics(self):
        message = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics")
        return message["params"]


def hover(client, position):
    reply = client.request("textDocument/hover",
                           {"textDocument": {"uri": URI}, "position": position})
    result = reply.get("result")
    return result["contents"]["value"] if result else None


def definition(client, position):
    reply = client.request("textDocument/definition",
                           {"textDocument": {"uri": URI}, "position": position})
    return [(loc["range"]["start"]["line"], loc["range"]["start"]["character"])
            for loc in reply["result"]]


def check_hovers(client):
    cases = [  # (position, texts the hover must contain)
        (pos(4, "mx"), ["mx: f32[R]", "local of kernel `softmax`"]),
        (pos(3, " x[", 0, 1), ["x: f32[R, C]", "parameter"]),
        (pos(3, "c", 0, 0), ["`c`", "max-reduced index", "0 <= c < C"]),
        (pos(4, "beta"), ["const beta: f32 = 0.9"]),
        (pos(2, "R"), ["`R`", "dimension of kernel `softmax`", "axis 0 of `x`"]),
        (pos(2, "softmax"), ["kernel softmax(x: f32[R, C], t: f32) -> y: f32[R, C]"]),
        (pos(10, "t ="), ["t: f32", "default 1"]),
        (pos(9, "x"), ["given of behavior \"two rows\"", "shape [2, 2]"]),
        (pos(11, "y"), ["y: f32[R, C]", "result"]),
        (pos(13, "(z", 0, 1), ["given of behavior", "shape [1, 3]"]),
        (pos(4, "exp"), ["`exp(x)`", "builtin, elementwise float math", "f32 -> f32"]),
    ]
    for position, texts in cases:
        text = hover(client, position) or ""
        line = LINES[position["line"]].strip()
        check(all(t in text for t in texts),
              "hover at %s on '%s': %r contains %r" % (position, line, text, texts))
    check(hover(client, pos(3, "=")) is None, "no hover on '='")
    check(hover(client, {"line": 400, "character": 9}) is None, "no hover past the end")


def check_definitions(client):
    cases = [  # (use, definition)
        (pos(5, "e["), pos(4, "e")),
        (pos(4, "mx"), pos(3, "mx")),
        (pos(4, "beta"), pos(1, "beta")),
        (pos(10, "softmax"), pos(2, "softmax")),
        (pos(10, "(x", 0, 1), pos(9, "x")),
        (pos(10, "t ="), pos(2, "t:")),
        (pos(11, "y"), pos(2, "y:")),
        (pos(6, "r", 1), pos(6, "r")),
        (pos(2, "C", 1), pos(2, "C")),
        (pos(13, "softmax"), pos(2, "softmax")),
        (pos(13, "(z", 0, 1), pos(13, "z")),
    ]
    found = definition(client, pos(4, "exp"))
    check(found == [], "a builtin has no definition in the file: %s" % found)
    for use, target in cases:
        found = definition(client, use)
        check(found == [(target["line"], target["character"])],
              "definition of %s on '%s': %s, expected %s"
              % (use, LINES[use["line"]].strip(), found, target))


SUBSCRIPTS = """\
spec codes 1.0.0 "names inside subscripts";
const tab: f32[4] = [1.0, 2.0, 3.0, 4.0];
kernel lookup(codes: i8[N], x: f32[N]) -> y: f32[N] {
  y[i] = tab[codes[i] & 3] + x[N - 1 - i];
}
"""


def check_subscript_names(client):
    """Names inside subscripts written as expressions (a table's code, an affine
    subscript) have hovers and definitions."""
    lines = SUBSCRIPTS.split("\n")
    uri = "file:///tmp/lsp-test/codes.vibee"
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "vibee", "version": 1, "text": SUBSCRIPTS}})
    client.diagnostics()

    def at(line, needle, nth=0):
        i = -1
        for _ in range(nth + 1):
            i = lines[line].index(needle, i + 1)
        return {"line": line, "character": i}

    def ask(method, position):
        return client.request(method, {"textDocument": {"uri": uri}, "position": position})

    cases = [(at(3, "codes"), at(2, "codes")), (at(3, "N"), at(2, "N")),
             (at(3, "i]", 1), at(3, "i]"))]
    for use, target in cases:
        reply = ask("textDocument/definition", use)
        found = [(loc["range"]["start"]["line"], loc["range"]["start"]["character"])
                 for loc in reply.get("result") or []]
        check(found == [(target["line"], target["character"])],
              "definition inside a subscript at %s: %s, expected %s" % (use, found, target))
    text = ((ask("textDocument/hover", at(3, "codes")).get("result") or {})
            .get("contents", {}).get("value", ""))
    check("codes: i8[N]" in text, "hover inside a table's code: %r" % text)
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    client.diagnostics()


def check_outline(client):
    reply = client.request("textDocument/documentSymbol", {"textDocument": {"uri": URI}})
    symbols = reply.get("result") or []
    names = [(s["name"], s["kind"]) for s in symbols]
    check(names == [("beta", 14), ("softmax", 12), ('behavior "two rows"', 24),
                    ('behavior "\U0001F680 é one line"', 24)],
          "outline: constants, kernels, behaviors in order: %s" % names)
    kernel = symbols[1] if len(symbols) > 1 else {}
    children = [(c["name"], c.get("detail")) for c in kernel.get("children", [])]
    check(children == [("x", "f32[R, C]"), ("t", "f32"), ("y", "-> f32[R, C]"),
                       ("mx", "local"), ("e", "local"), ("s", "local")],
          "kernel outline: parameters, results, locals: %s" % children)
    check(kernel.get("selectionRange", {}).get("start") == pos(2, "softmax")
          and kernel["range"]["start"] == {"line": 2, "character": 0}
          and kernel["range"]["end"] == {"line": 8, "character": 0},
          "kernel ranges: %s" % {k: kernel.get(k) for k in ("range", "selectionRange")})


def sweep(client, root):
    """Every .vibee file of the repository, every name: each request is answered."""
    files = sorted(glob.glob(os.path.join(root, "specs", "**", "*.vibee"), recursive=True) +
                   glob.glob(os.path.join(root, "tests", "**", "*.vibee"), recursive=True))
    requests = 0
    for number, path in enumerate(files):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        uri = "file:///tmp/lsp-sweep/%d.vibee" % number
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "vibee", "version": 1, "text": text}})
        client.diagnostics()
        client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
        for line_number, line in enumerate(text.split("\n")[:200]):
            for m in re.finditer(r"[A-Za-z_]\w*", line):
                position = {"line": line_number,
                            "character": len(line[:m.start()].encode("utf-16-le")) // 2}
                for method in ("textDocument/hover", "textDocument/definition"):
                    reply = client.request(method, {"textDocument": {"uri": uri},
                                                    "position": position})
                    requests += 1
                    if "error" in reply:
                        check(False, "%s at %s of %s: %s" % (method, position, path,
                                                              reply["error"]))
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        client.diagnostics()
    check(len(files) > 20 and client.proc.poll() is None,
          "sweep: %d files, %d requests answered, the server is up" % (len(files), requests))


def check_errors(client):
    text = SPEC.replace("const beta: f32", "const beta: f31").replace("/ s[r]", "/ q[r]")
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": text}]})
    params = client.diagnostics()
    check(params["version"] == 2, "diagnostics of version 2")
    diags = params["diagnostics"]
    messages = [d["message"] for d in diags]
    check(len(diags) == 2, "two errors: %s" % messages)
    by_word = {d["message"].split("'")[1] if "'" in d["message"] else "": d for d in diags}
    dtype = by_word.get("f31")
    check(dtype is not None and dtype["severity"] == 1
          and dtype["range"]["start"] == {"line": 1, "character": 12}
          and dtype["range"]["end"] == {"line": 1, "character": 15},
          "unknown dtype error on 'f31' (1:12-1:15): %s" % dtype)
    related = (dtype or {}).get("relatedInformation") or []
    check(len(related) == 1 and "dtypes are" in related[0]["message"],
          "its note as related information: %s" % related)
    name = by_word.get("q")
    check(name is not None and name["range"]["start"] == {"line": 6, "character": 22},
          "unknown name error at 'q' (6:22): %s" % name)
    # The index still answers while the spec has errors (without sema's types).
    check("local of kernel" in (hover(client, pos(4, "mx")) or ""), "hover with errors")

    client.notify("textDocument/didChange", {
        "textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"text": "spec x"}]})
    diags = client.diagnostics()["diagnostics"]
    check(len(diags) >= 1 and diags[0]["severity"] == 1, "syntax error reported: %s"
          % [d["message"] for d in diags])


def main():
    client = Client(sys.argv[1])
    reply = client.request("initialize", {"processId": None, "rootUri": None,
                                          "capabilities": {}})
    caps = reply["result"]["capabilities"]
    check(caps.get("hoverProvider") and caps.get("definitionProvider"), "capabilities")
    client.notify("initialized", {})
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": URI, "languageId": "vibee", "version": 1, "text": SPEC}})
    params = client.diagnostics()
    check(params["uri"] == URI and params["diagnostics"] == [],
          "no diagnostics on a valid spec: %s" % params["diagnostics"])
    check_hovers(client)
    check_definitions(client)
    check_subscript_names(client)
    check_outline(client)
    check_errors(client)
    client.notify("textDocument/didClose", {"textDocument": {"uri": URI}})
    check(client.diagnostics()["diagnostics"] == [], "diagnostics cleared on close")
    if len(sys.argv) > 2:
        sweep(client, sys.argv[2])
    check(client.request("shutdown", None).get("result", 1) is None, "shutdown")
    client.notify("exit", None)
    check(client.proc.wait(timeout=20) == 0, "exit code 0")
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
