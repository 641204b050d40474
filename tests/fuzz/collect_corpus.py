#!/usr/bin/env python3
"""Collects every spec of the repository into one folder, as fuzzer seeds: the
.vibee files under specs/ and tests/, and the specs written as C++ raw strings
(R"(...)") in the GoogleTest units. tests/fuzz/run.sh --minimize merges the result
into the committed seed set tests/fuzz/corpus/ (libFuzzer -merge=1 keeps the inputs
that add coverage).

    tests/fuzz/collect_corpus.py OUT_DIR
"""
import hashlib
import pathlib
import re
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
MAX_BYTES = 4096  # the compiler fuzzer's -max_len


def specs():
    for root in ("specs", "tests"):
        for path in sorted((REPO / root).rglob("*.vibee")):
            yield path.read_bytes()
    raw = re.compile(r'R"([A-Za-z_]*)\((.*?)\)\1"', re.S)
    for path in sorted((REPO / "tests" / "unit").rglob("*.cpp")):
        for match in raw.finditer(path.read_text(errors="replace")):
            text = match.group(2)
            if "kernel " in text or "spec " in text:
                yield text.encode()


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for data in specs():
        if len(data) > MAX_BYTES:
            continue
        (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
        count += 1
    print(f"{count} specs written to {out}")


if __name__ == "__main__":
    main()
