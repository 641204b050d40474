#!/usr/bin/env python3
"""One row of scripts/main.sh's table from `vibeec test --json` and `vibeec check
--json` reports: passed/total behaviors and checked kernels, and the mean time per
case. Usage: spec_table_row.py <spec name> <kernels> <aot ms> <test.json> <check.json>"""
import json
import sys


def summary(path):
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, ValueError):
        return "FAIL", ""
    cases = report.get("cases", [])
    total = report["passed"] + report["failed"]
    ms = sum(c["time_ms"] for c in cases)
    return f"{report['passed']}/{total}", f"{ms:.1f}"


name, kernels, aot, test_json, check_json = sys.argv[1:6]
tests, test_ms = summary(test_json)
checks, check_ms = summary(check_json)
print(f"{name:<28} {kernels:<8} {tests:<12} {checks:<12} {aot:<10} {test_ms:<10} {check_ms:<10}")
