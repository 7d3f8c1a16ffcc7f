#!/usr/bin/env bash
# The messages CI's own scripts print when something fails, word for word:
# `.ci/run` when an install it started in the background failed or
# clippy-driver is missing, `tests/rust.sh` when a test binary failed or
# cargo built none. Each script is copied unchanged into a scratch tree
# whose install scripts, cargo, rustup, make and test binaries are
# stand-ins that succeed or fail on purpose, so nothing is compiled or
# installed: seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

expect() { # name, expected, got
  if [ "$2" == "$3" ]; then
    passed=$((passed + 1))
    echo "ok   $1"
  else
    failed=$((failed + 1))
    echo "FAIL $1"
    diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/     /' || true
  fi
}

script() { # path, body: an executable stand-in
  mkdir -p "$(dirname "$1")"
  printf '#!/usr/bin/env bash\n%s\n' "$2" >"$1"
  chmod +x "$1"
}

# A scratch tree holding .ci/run unchanged; $1 and $2 the python and
# browser install scripts' bodies; $3 rustup's.
ci_tree() {
  local t="$work/ci$((++trees))"
  mkdir -p "$t/.ci" "$t/fake"
  cp "$repo/.ci/run" "$t/.ci/run"
  script "$t/tests/python/install.sh" "$1"
  script "$t/tests/browser/install.sh" "$2"
  script "$t/fake/rustup" "$3"
  script "$t/fake/cargo" 'exit 0'
  script "$t/fake/make" 'echo "make $*"'
  echo "$t"
}
trees=0
ok_rustup='[ "$1" = which ] && echo /bin/true; exit 0'

run_ci() { # tree: stdout and stderr in $t/out, $t/err, the exit code in $t/rc
  local rc=0
  PATH="$1/fake:/usr/bin:/bin" bash "$1/.ci/run" >"$1/out" 2>"$1/err" || rc=$?
  echo "$rc" >"$1/rc"
}

t=$(ci_tree 'echo "ERROR: No matching distribution found for pyarrow==18.1.0" >&2; exit 1' 'exit 0' "$ok_rustup")
run_ci "$t"
expect "ci: a failed python install fails CI with its log" \
  "1
the python install failed:
ERROR: No matching distribution found for pyarrow==18.1.0" \
  "$(cat "$t/rc" "$t/err")"
expect "ci: no test is run after a failed install" "" "$(grep '^make' "$t/out" || true)"

t=$(ci_tree 'exit 0' 'echo "E: Unable to locate package chromium"; exit 100' "$ok_rustup")
run_ci "$t"
expect "ci: a failed browser install fails CI with its log" \
  "1
the browser install failed:
E: Unable to locate package chromium" \
  "$(cat "$t/rc" "$t/err")"

t=$(ci_tree 'exit 0' 'exit 0' 'exit 1')
run_ci "$t"
expect "ci: no clippy-driver" \
  "1
clippy-driver not found: rustup component add clippy" \
  "$(cat "$t/rc" "$t/err")"

t=$(ci_tree 'exit 0' 'exit 0' "$ok_rustup")
run_ci "$t"
expect "ci: both installs done, the tests run" "0 make test" \
  "$(cat "$t/rc") $(grep '^make' "$t/out")"

# tests/rust.sh with a cargo stand-in that "builds" the test binaries
# named in $work/rust/binaries (one per line) and passes the doc tests.
r="$work/rust"
mkdir -p "$r/tests" "$r/crate" "$r/bin"
cp "$repo/tests/rust.sh" "$r/tests/rust.sh"
script "$r/cargo" '
case " $* " in
  *" --no-run "*)
    while read -r exe; do
      printf "{\"reason\":\"compiler-artifact\",\"executable\":\"%s\",\"profile\":{\"test\":true},\"manifest_path\":\"%s\"}\n" "$exe" "'"$r"'/crate/Cargo.toml"
    done <"'"$r"'/binaries";;
  *" --doc "*) echo "doc tests ok";;
esac'
script "$r/bin/passes" 'echo "test a ... ok"'
script "$r/bin/fails" 'echo "test b ... FAILED"; exit 101'

run_rust() { # stdout in $r/out, stderr in $r/err, the exit code in $r/rc
  local rc=0
  TMPDIR="$work" CARGO="$r/cargo" bash "$r/tests/rust.sh" >"$r/out" 2>"$r/err" || rc=$?
  echo "$rc" >"$r/rc"
}

printf '%s\n' "$r/bin/passes" "$r/bin/fails" >"$r/binaries"
run_rust
expect "rust.sh: a failed test binary fails, named with its exit code" \
  "1
failed: $r/bin/fails (exit 101)" \
  "$(cat "$r/rc" "$r/err")"
expect "rust.sh: every log is printed whole, in cargo's order" \
  "     Running $r/bin/passes
test a ... ok
     Running $r/bin/fails
test b ... FAILED
     Running doc tests
doc tests ok" \
  "$(cat "$r/out")"

: >"$r/binaries"
run_rust
expect "rust.sh: cargo built no test binary" \
  "1
cargo built no test binary" \
  "$(cat "$r/rc" "$r/err")"

printf '%s\n' "$r/bin/passes" >"$r/binaries"
run_rust
expect "rust.sh: every binary passed" "0" "$(cat "$r/rc" "$r/err")"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
