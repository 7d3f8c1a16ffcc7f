#!/usr/bin/env bash
# Issue 14's second acceptance bundle: a personal-and-address-only extract
# with blank names and birth dates. Generates 20,000 students (seed 2017)
# with blanks planted at the rates below (about 13% of identity rows with a
# blank), keeps only student_personal.csv and mailing_address.csv, runs the
# pipeline to identity and scores it against the ground truth.
#
#   tests/bench/blanks.sh WORK [BIN]     # STUDENTS (20000), SEED (2017)
set -euo pipefail
work=$1; bin=${2:-${CARGO_TARGET_DIR:-target}/debug/cutover}
students=${STUDENTS:-20000}; seed=${SEED:-2017}
mkdir -p "$work"
cat > "$work/defects.toml" <<'TOML'
blank_first_name = 0.04
blank_last_name = 0.04
blank_birth_date = 0.05
TOML
if [ ! -f "$work/pa/student_personal.csv" ]; then
  rm -rf "$work/full" "$work/pa" "$work/truth"
  "$bin" generate --students "$students" --seed "$seed" --defects "$work/defects.toml" \
    --out "$work/full" --truth "$work/truth" >/dev/null
  mkdir -p "$work/pa"
  cp "$work/full/student_personal.csv" "$work/full/mailing_address.csv" "$work/pa/"
  rm -rf "$work/full"
fi
"$bin" run "$work/pa" --out "$work/out" --to identity --force --quiet || true
"$bin" identity score --truth "$work/truth/identities.csv" --out "$work/out"
