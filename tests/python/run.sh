#!/usr/bin/env bash
# Reads a real snapshot the way analysts do: pyarrow, DuckDB, pandas and
# polars, installed with pip. Generates a small bundle, runs the pipeline, checks the types and
# the provenance footer.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import pyarrow, duckdb, pandas, polars" 2>/dev/null; then
  "$PYTHON" -m pip install --quiet --disable-pip-version-check \
    "pyarrow==18.1.0" "duckdb==1.1.3" "pandas==3.1.1" "polars==2.1.0"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run -q --bin cutover -- generate --students 400 --seed 7 --out "$work/bundle" >/dev/null
cargo run -q --bin cutover -- run "$work/bundle" --out "$work/out" --quiet >/dev/null
"$PYTHON" tests/python/check_snapshots.py "$work/out"
