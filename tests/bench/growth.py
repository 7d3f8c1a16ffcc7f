#!/usr/bin/env python3
"""Per-stage growth between two `tests/bench/stages.sh` work folders (the
same stages run on a smaller and a larger bundle): each stage's wall and CPU
seconds and peak at both sizes, their ratio, the CPU growth exponent, and
the ratio n log n allows.

    python3 tests/bench/growth.py SMALL_WORK LARGE_WORK N_SMALL N_LARGE
"""
import json, math, sys
small, big, n1, n2 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
nlogn = (n2 * math.log(n2)) / (n1 * math.log(n1))
print(f"n log n allows {nlogn:.2f}x (exponent {math.log(nlogn)/math.log(n2/n1):.3f})")
print(f"{'stage':10} {'wall1':>7} {'wall2':>8} {'x':>6} {'cpu1':>7} {'cpu2':>8} {'x':>6} {'exp':>5} {'peak1':>6} {'peak2':>6}")
tw = [0, 0, 0, 0]
for s in "ingest crosswalk identity rekey publish report".split():
    a = json.load(open(f"{small}/limit_{s}.json")); b = json.load(open(f"{big}/limit_{s}.json"))
    w1, w2, c1, c2 = a["seconds"], b["seconds"], a["cpu_seconds"], b["cpu_seconds"]
    tw = [tw[0] + w1, tw[1] + w2, tw[2] + c1, tw[3] + c2]
    e = math.log(c2 / c1) / math.log(n2 / n1)
    print(f"{s:10} {w1:7.1f} {w2:8.1f} {w2/w1:6.2f} {c1:7.1f} {c2:8.1f} {c2/c1:6.2f} {e:5.2f} {a['peak_mib']:6} {b['peak_mib']:6}")
w1, w2, c1, c2 = tw
print(f"{'whole':10} {w1:7.1f} {w2:8.1f} {w2/w1:6.2f} {c1:7.1f} {c2:8.1f} {c2/c1:6.2f} {math.log(c2/c1)/math.log(n2/n1):5.2f}  wall exp {math.log(w2/w1)/math.log(n2/n1):.2f}")
