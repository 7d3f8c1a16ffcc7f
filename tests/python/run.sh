#!/usr/bin/env bash
# Reads a real snapshot the way analysts do: pyarrow, DuckDB, pandas and
# polars, installed with pip. Generates a small bundle, runs the pipeline, checks the types and
# the provenance footer.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import pyarrow, duckdb, pandas, polars" 2>/dev/null; then
  # Wheels only (never a source build), and no bytecode compiled for the
  # ~2,300 modules installed (~15 s of CPU): the few the check imports are
  # compiled as it imports them.
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --progress-bar off \
    --only-binary=:all: --no-compile \
    "pyarrow==18.1.0" "duckdb==1.1.3" "pandas==3.1.1" "polars==2.1.0"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run -q --bin cutover -- generate --students 400 --seed 7 --out "$work/bundle" >/dev/null
cargo run -q --bin cutover -- run "$work/bundle" --out "$work/out" --quiet >/dev/null
"$PYTHON" tests/python/check_snapshots.py "$work/out"
