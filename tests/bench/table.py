#!/usr/bin/env python3
"""make bench: the floor, the whole run and each stage side by side, and the
ratios of issue 16's acceptance. Reads what tests/bench.sh left in its work
folder: floor.json/floor.out (polars CSV -> parquet), run.json (limit.py's)
and out/run.json (the run's own), upload_floor.json/upload_floor.out,
output_floor.json/output_floor.out (the run's output files written again).

    table.py WORK STUDENTS
"""
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            text = f.read().strip()
    except FileNotFoundError:
        return None
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # bench-floor's JSON is its last line.
        return json.loads(text.splitlines()[-1])


def rate(rows, seconds):
    return f"{rows / seconds:>12,.0f}" if rows and seconds else f"{'':>12}"


def line(label, seconds, peak_mib, rows=None, floor=None):
    ratio = f"{seconds / floor:7.1f}x" if floor else f"{'':>8}"
    peak = f"{peak_mib:>9,.0f}" if peak_mib is not None else f"{'':>9}"
    print(f"{label:<34} {seconds:>8.1f} {peak} {rate(rows, seconds)} {ratio}")


def verdict(label, value, target, unit="x"):
    ok = "meets" if value <= target else "misses"
    print(f"{label:<46} {value:>7.2f}{unit}  (target <= {target}{unit}: {ok})")


def outputs_floor(out, proc, floor, whole):
    """The run's own output files written again as the run writes them:
    what the bytes out cost, whatever computes them."""
    if not out:
        return
    line("floor: the run's files written again", out["seconds"], proc["peak_mib"], out["rows"], floor["seconds"])
    for kind in ("snapshots", "uploads", "other"):
        w = out[kind]
        line(f"  {kind} ({w['files']:,} files, {w['bytes'] / 2**20:,.0f} MiB)", w["seconds"], None, None, floor["seconds"])
    print(f"  (the whole run less its bytes out: {whole - out['seconds']:.1f} s)")


def main():
    work, students = sys.argv[1], int(sys.argv[2])
    floor, floor_proc = load(f"{work}/floor.out"), load(f"{work}/floor.json")
    run_proc = load(f"{work}/run.json")
    record = load(f"{work}/out/run.json") if os.path.exists(f"{work}/out/run.json") else None
    up, up_proc = load(f"{work}/upload_floor.out"), load(f"{work}/upload_floor.json")
    ref, ref_proc = load(f"{work}/duckdb_ref.out"), load(f"{work}/duckdb_ref.json")
    print(
        f"== side by side: {students:,} students, {floor['files']} files, "
        f"{floor['rows']:,} rows, {floor['bytes'] / 2**20:,.0f} MiB of CSV"
    )
    print(f"{'':<34} {'seconds':>8} {'peak MiB':>9} {'rows/s':>12} {'x floor':>8}")
    line("floor: polars CSV -> parquet", floor["seconds"], floor_proc["peak_mib"], floor["rows"])
    if ref:
        line("DuckDB-style reference", ref_proc["seconds"], ref_proc["peak_mib"], ref["rows_in"], floor["seconds"])
    if run_proc["killed"] or record is None or run_proc["status"] != 0:
        print(
            f"whole run: did not finish (status {run_proc['status']}, "
            f"killed={run_proc['killed']}) after {run_proc['seconds']:.0f} s "
            f"at {run_proc['peak_mib']:,} MiB"
        )
        return 1
    whole = run_proc["seconds"]
    stages = {t["stage"]: t for t in record["timings"]}
    # The runner resets the kernel's peak at each stage (so GNU time's
    # maximum is the last stage's), and sampling can miss a short peak:
    # the run's peak is the larger of the samples and every stage's peak.
    peak_mib = max([run_proc["peak_mib"]] + [t["peak_rss_bytes"] / 2**20 for t in stages.values()])
    line("whole run (process)", whole, peak_mib, floor["rows"], floor["seconds"])
    for name, t in stages.items():
        line(
            f"  {name}",
            t["seconds"],
            t["peak_rss_bytes"] / 2**20,
            t["rows_in"],
            floor["seconds"],
        )
    front = sum(stages[s]["seconds"] for s in ("ingest", "crosswalk") if s in stages)
    line("read+ingest+crosswalk", front, None, floor["rows"], floor["seconds"])
    if up:
        line(
            "floor: polars writes upload rows",
            up["seconds"],
            up_proc["peak_mib"],
            up["rows"],
        )
        print(f"  ({up['files']:,} upload files, {up['rows']:,} rows as one CSV per upload)")
    outputs_floor(load(f"{work}/output_floor.out"), load(f"{work}/output_floor.json"), floor, whole)
    print("(stage peak: the stage's own peak resident memory; the run's is the largest of them and the samples)")
    print("== issue 16 acceptance")
    verdict("whole run / floor", whole / floor["seconds"], 8)
    if ref:
        verdict("whole run / DuckDB-style reference", whole / ref_proc["seconds"], 1)
    verdict("read+ingest+crosswalk / floor", front / floor["seconds"], 2)
    if up and "publish" in stages:
        verdict("publish / polars writing the upload rows", stages["publish"]["seconds"] / up["seconds"], 3)
    verdict("whole run peak memory", peak_mib / 1024, 2, " GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
