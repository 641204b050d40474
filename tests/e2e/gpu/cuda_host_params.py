#!/usr/bin/env python3
"""Every launch in a generated host file (--emit=cuda-host) passes, in order,
arguments of the sizes that its kernel's PTX declares (.param .u64 / .f32 /
.b16 / .align 16 .b8 [16] ...): the host code comes from the IR through EmitC
and the device code through NVVM, so this checks that the two agree.
Usage: cuda_host_params.py <name>_cuda.cpp...   (exit 1 on a mismatch)"""
import re
import sys

SIZES = {"int64_t": 8, "double": 8, "float": 4, "int32_t": 4, "uint16_t": 2,
         "bool": 1, "uint8_t": 1}


def host_size(t):
    t = t.strip()
    if t.endswith("*"):
        return 8
    m = re.fullmatch(r"vibee::cuda_host::vec<(\w+), (\d+)>", t)
    if m:
        return SIZES[m.group(1)] * int(m.group(2))
    return SIZES[t]


def split_types(text):
    types, depth, cur = [], 0, ""
    for c in text:
        if c == "," and depth == 0:
            types.append(cur.strip())
            cur = ""
            continue
        depth += c == "<"
        depth -= c == ">"
        cur += c
    return types + [cur.strip()] if cur.strip() else types


def ptx_params(ptx):
    entries = {}
    for m in re.finditer(r"\.entry (\w+)\((.*?)\)", ptx, re.S):
        sizes = []
        for _, kind, count in re.findall(
                r"\.param (?:\.align (\d+) )?\.(\w+) (?:\.ptr \.align \d+ )?\w+(?:\[(\d+)\])?",
                m.group(2)):
            sizes.append(int(count) if count else int(re.sub(r"\D", "", kind)) // 8)
        entries[m.group(1)] = sizes
    return entries


failures = checked = 0
for path in sys.argv[1:]:
    text = open(path).read()
    images = re.findall(r'const char (ptx_\w+)\[\] = R"ptx\((.*?)\)ptx"', text, re.S)
    if not images:
        print(f"FAIL {path}: no PTX image")
        failures += 1
    for image, ptx in images:
        entries = ptx_params(ptx)
        for m in re.finditer(r"launch<(.*?)>\(\w+, gpu::(\w+),", text):
            kernel = m.group(2)
            host = [host_size(t) for t in split_types(m.group(1))]
            device = entries.get(kernel)
            checked += 1
            if host != device:
                failures += 1
                print(f"FAIL {path} {image} {kernel}: host passes {host}, PTX declares {device}")
print(f"{checked} launches checked against their PTX signatures, {failures} mismatches")
sys.exit(1 if failures or not checked else 0)
