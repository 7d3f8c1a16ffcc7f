#!/usr/bin/env python3
"""make bench-scale: time (wall and CPU) and peak memory by size, each
stage's from run.json, and how they grow: the exponent k of cost ~ n^k
between consecutive sizes (1 linear; n log n is a little above 1, about 1.1
between these sizes). On a loaded machine CPU seconds say more than wall.

    scale.py WORK SIZE...
"""
import json
import math
import os
import sys

STAGES = ["ingest", "crosswalk", "identity", "rekey", "publish", "report"]


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def ok(r):
    return r is not None and not r["killed"] and r["status"] == 0


def cell(r):
    if r is None:
        return f"{'not run':>31}"
    mark = " killed" if r["killed"] else ("" if r["status"] == 0 else f" exit {r['status']}")
    cpu = r.get("cpu_seconds")
    cpu = f"{cpu:>7.1f}" if cpu is not None else f"{'-':>7}"
    return f"{r['seconds']:>7.1f} {cpu} {r['peak_mib']:>7,}{mark}"


def exponent(a, b, na, nb):
    if not a or not b:
        return f"{'-':>9}"
    return f"{math.log(b / a) / math.log(nb / na):>9.2f}"


def stage_table(sizes, records):
    """Each stage's wall seconds, CPU seconds and peak (the runner resets the
    kernel's high-water mark as each stage starts: the stage's own)."""
    print("== stages (run.json): wall s / CPU s / the stage's peak MiB")
    print(f"{'students':>10} " + " ".join(f"{s:>22}" for s in STAGES))
    for n in sizes:
        t = {x["stage"]: x for x in records[n]["timings"]} if records[n] else {}
        cells = []
        for s in STAGES:
            if s not in t:
                cells.append(f"{'-':>22}")
                continue
            x = t[s]
            cells.append(
                f"{x['seconds']:>7.1f} {x.get('cpu_seconds', 0):>6.1f} "
                f"{x['peak_rss_bytes'] / 2**20:>7,.0f}"
            )
        print(f"{n:>10,} " + " ".join(cells))


def growth(sizes, rows, records):
    """Exponents between consecutive sizes: the commands, then each stage's CPU."""
    print("== growth exponent k (cost ~ n^k) between consecutive sizes")
    head = ["gen wall", "gen CPU", "gen mem", "run wall", "run CPU", "run mem"]
    print(f"{'from':>10} {'to':>10} " + " ".join(f"{h:>9}" for h in head))
    for a, b in zip(sizes, sizes[1:]):
        out = []
        for i in (0, 1):
            x, y = rows[a][i], rows[b][i]
            for key in ("seconds", "cpu_seconds", "peak_mib"):
                both = ok(x) and ok(y)
                out.append(exponent(x.get(key), y.get(key), a, b) if both else f"{'-':>9}")
        print(f"{a:>10,} {b:>10,} " + " ".join(out))
    print("stage CPU seconds:")
    print(f"{'from':>10} {'to':>10} " + " ".join(f"{s:>9}" for s in STAGES))
    for a, b in zip(sizes, sizes[1:]):
        ta = {x["stage"]: x for x in records[a]["timings"]} if records[a] else {}
        tb = {x["stage"]: x for x in records[b]["timings"]} if records[b] else {}
        out = []
        for s in STAGES:
            if s in ta and s in tb:
                out.append(exponent(ta[s].get("cpu_seconds"), tb[s].get("cpu_seconds"), a, b))
            else:
                out.append(f"{'-':>9}")
        print(f"{a:>10,} {b:>10,} " + " ".join(out))


def main():
    work, sizes = sys.argv[1], [int(n) for n in sys.argv[2:]]
    rows, records = {}, {}
    print("generate and run: wall s, CPU s (user + system), peak MiB")
    print(f"{'students':>10} {'enrollments':>12} {'generate':>31} {'run':>31}  stages done")
    for n in sizes:
        gen = load(f"{work}/generate_{n}.json")
        run = load(f"{work}/run_{n}.json")
        summary = load(f"{work}/summary_{n}.json")
        stages = load(f"{work}/stages_{n}.json")
        done = [s for s in STAGES if stages and s in stages.get("stages", {})]
        enr = summary["rows"]["student_enrollment.csv"] if summary else 0
        print(f"{n:>10,} {enr:>12,} {cell(gen):>31} {cell(run):>31}  {','.join(done) or '-'}")
        rows[n] = (gen, run)
        records[n] = load(f"{work}/runrecord_{n}.json")
    stage_table(sizes, records)
    growth(sizes, rows, records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
