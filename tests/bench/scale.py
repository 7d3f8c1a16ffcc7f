#!/usr/bin/env python3
"""make bench-scale: time and peak memory by size, and how they grow: the
exponent k of time ~ n^k between consecutive sizes (1 linear; n log n is a
little above 1, about 1.1 between these sizes).

    scale.py WORK SIZE...
"""
import json
import math
import os
import sys

STAGES = ["ingest", "crosswalk", "identity", "publish", "report"]


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def cell(r):
    if r is None:
        return f"{'not run':>22}"
    mark = " killed" if r["killed"] else ("" if r["status"] == 0 else f" exit {r['status']}")
    return f"{r['seconds']:>8.1f} s {r['peak_mib']:>7,} MiB{mark}"


def exponent(a, b, na, nb):
    return math.log(b / a) / math.log(nb / na) if a and b else float("nan")


def ok(r):
    return r is not None and not r["killed"] and r["status"] == 0


def main():
    work, sizes = sys.argv[1], [int(n) for n in sys.argv[2:]]
    rows = {}
    print(f"{'students':>10} {'enrollments':>12} {'generate':>24} {'run':>24}  stages done")
    for n in sizes:
        gen = load(f"{work}/generate_{n}.json")
        run = load(f"{work}/run_{n}.json")
        summary = load(f"{work}/summary_{n}.json")
        stages = load(f"{work}/stages_{n}.json")
        done = [s for s in STAGES if stages and s in stages.get("stages", {})]
        enr = summary["rows"]["student_enrollment.csv"] if summary else 0
        print(f"{n:>10,} {enr:>12,} {cell(gen):>24} {cell(run):>24}  {','.join(done) or '-'}")
        rows[n] = (gen, run, load(f"{work}/runrecord_{n}.json"))
    print("== stage seconds (run.json)")
    print(f"{'students':>10} " + " ".join(f"{s:>10}" for s in STAGES))
    for n in sizes:
        record = rows[n][2]
        t = {x["stage"]: x["seconds"] for x in record["timings"]} if record else {}
        print(f"{n:>10,} " + " ".join(f"{t[s]:>10.1f}" if s in t else f"{'-':>10}" for s in STAGES))
    print("== growth exponent k (time or memory ~ n^k) between consecutive sizes")
    print(f"{'from':>10} {'to':>10} {'gen time':>9} {'gen mem':>9} {'run time':>9} {'run mem':>9}")
    for a, b in zip(sizes, sizes[1:]):
        (ga, ra, _), (gb, rb, _) = rows[a], rows[b]
        vals = []
        for x, y in [(ga, gb), (ga, gb), (ra, rb), (ra, rb)]:
            vals.append((x, y))
        out = []
        for i, (x, y) in enumerate(vals):
            key = "seconds" if i % 2 == 0 else "peak_mib"
            out.append(f"{exponent(x[key], y[key], a, b):>9.2f}" if ok(x) and ok(y) else f"{'-':>9}")
        print(f"{a:>10,} {b:>10,} " + " ".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
