#!/usr/bin/env python3
"""Instructions per delivery of each function, from the two callgrind runs of a contender.

    benches/callgrind-diff.py /tmp/cg/webhook_20_events-entry_point [N2-N1] [limit]

reads <prefix>.n1.out and <prefix>.n2.out (kept by `KEEP=/tmp/cg benches/callgrind.sh`),
takes each function's inclusive count in both through callgrind_annotate, and prints
(n2 - n1) / (N2 - N1): what one delivery costs in that function, set-up excluded.
"""
import re
import subprocess
import sys


def inclusive(path):
    out = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
        capture_output=True, text=True, check=True,
    ).stdout
    counts = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*?:)?(\S.*?)( \[.*\])?$", line)
        if not m or not m.group(4):  # only a function's own entry (with its object file)
            continue
        name = m.group(3)
        counts[name] = max(counts.get(name, 0), int(m.group(1).replace(",", "")))
    return counts


def main():
    prefix = sys.argv[1]
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    one, two = inclusive(prefix + ".n1.out"), inclusive(prefix + ".n2.out")
    rows = [(((two.get(f, 0) - one.get(f, 0)) / iterations), f) for f in two]
    rows = [r for r in rows if r[0] >= 50]
    rows.sort(reverse=True)
    for per, name in rows[:limit]:
        print(f"{per:10.0f}  {name[:150]}")


if __name__ == "__main__":
    main()
