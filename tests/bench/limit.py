#!/usr/bin/env python3
"""Runs a command, watching its memory: wall time and peak resident memory
(GNU time's maximum resident set size; the process and its children
sampled every 0.2 s meanwhile), and the command killed when it passes
--limit-gib, so a run that would not fit cannot take the machine down.
Writes {"seconds", "peak_mib", "cpu_seconds", "status", "killed"} to the
--json file (cpu_seconds: user + system, GNU time's; null when killed).

    limit.py --limit-gib 10 --json result.json -- cutover run ...
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time


def rss_kib(pid):
    """Resident memory of pid and its descendants, in KiB."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit-gib", type=float, required=True)
    ap.add_argument("--json", required=True, help="where the result goes")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    limit = a.limit_gib * 1024 * 1024
    start = time.monotonic()
    peak_file = a.json + ".maxrss"
    cmd = ["/usr/bin/time", "-f", "%M %U %S", "-o", peak_file] + cmd
    proc = subprocess.Popen(cmd, start_new_session=True)
    peak = 0
    killed = False
    while proc.poll() is None:
        peak = max(peak, rss_kib(proc.pid))
        if peak > limit:
            killed = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
        time.sleep(0.2)
    seconds = time.monotonic() - start
    cpu = None
    if not killed:
        try:
            # GNU time's maximum resident set size (KiB): exact, where the
            # samples can miss a short peak; then user and system seconds.
            with open(peak_file) as f:
                rss, user, system = f.read().splitlines()[-1].split()
            peak = max(peak, int(rss))
            cpu = round(float(user) + float(system), 2)
        except (OSError, ValueError, IndexError):
            pass
    if os.path.exists(peak_file):
        os.remove(peak_file)
    result = {
        "seconds": round(seconds, 2),
        "peak_mib": round(peak / 1024),
        "cpu_seconds": cpu,
        "status": proc.returncode,
        "killed": killed,
    }
    with open(a.json, "w") as f:
        json.dump(result, f)
    if killed:
        print(
            f"killed: over {a.limit_gib} GiB after {seconds:.1f} s",
            file=sys.stderr,
        )
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
