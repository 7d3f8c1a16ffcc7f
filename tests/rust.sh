#!/usr/bin/env bash
# `cargo test --workspace`, its test binaries run side by side: cargo runs
# them one after another, so the unit tests' and the stages' seconds were
# added to the end-to-end binary's minutes. Builds them as `cargo test`
# does (`--no-run`), starts every binary (and the doc tests) at once, each
# in its package's folder as cargo runs it and into its own log, then
# prints each log whole in cargo's order and fails when any failed.
# Arguments after the script's name go to every binary (a filter, say).
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
PYTHON=${PYTHON:-python3}
logs=$(mktemp -d)
tmp=
trap 'rm -rf "$logs" ${tmp:+"$tmp"}' EXIT
# The tests' temporary folders in memory (/dev/shm) when it has room (not
# a container's 64 MiB): the end-to-end tests run the pipeline hundreds of
# times, each run syncing ~300 files, and on tmpfs a sync is free while
# renames, removals and hard links behave as on disk. Every run, kill point
# and assertion is the same.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] &&
  [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -ge $((4 * 1024 * 1024)) ] 2>/dev/null; then
  tmp=$(mktemp -d /dev/shm/cutover-tests.XXXXXX) && export TMPDIR="$tmp"
fi
"$CARGO" test --workspace --no-run --message-format=json-render-diagnostics >"$logs/build.json"
# One line per test binary: its package's folder, a tab, the binary.
"$PYTHON" -c '
import json, os, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(os.path.dirname(m["manifest_path"]) + "\t" + m["executable"])
' "$logs/build.json" >"$logs/binaries"
[ -s "$logs/binaries" ] || { echo "cargo built no test binary" >&2; exit 1; }
pids=()
names=()
i=0
while IFS=$'\t' read -r dir exe; do
  (cd "$dir" && exec "$exe" "$@") >"$logs/$i.log" 2>&1 &
  pids+=($!)
  names+=("$exe")
  i=$((i + 1))
done <"$logs/binaries"
"$CARGO" test --workspace --doc -- "$@" >"$logs/doc.log" 2>&1 &
pids+=($!)
names+=("doc tests")
failed=()
for j in "${!pids[@]}"; do
  if wait "${pids[$j]}"; then rc=0; else rc=$?; fi
  echo "     Running ${names[$j]}"
  if [ "$j" -lt "$i" ]; then cat "$logs/$j.log"; else cat "$logs/doc.log"; fi
  [ "$rc" = 0 ] || failed+=("${names[$j]} (exit $rc)")
done
if [ "${#failed[@]}" -gt 0 ]; then
  printf 'failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
