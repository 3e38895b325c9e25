#!/usr/bin/env bash
# Runs one test file again and again on a busy machine, to tell a flake from a pass: a busy loop pinned to each
# core, and the other unit and engine test files (packages/*/src, packages/*/test) looping alongside. Everything
# started here is bounded by `timeout` and killed on exit, even if the script is interrupted.
#
#   scripts/under-load.sh <test file> [runs=20] [max seconds=1800] [log=under-load.log]
#
# The log gets one line per run (pass/fail, duration, the file's `t.diagnostic` figures) and, for a failure, the
# failure messages (the whole output of a failed run is kept beside it, as <log>.run<N>); the last line is the
# tally.
set -u
file=${1:?usage: scripts/under-load.sh <test file> [runs] [max seconds] [log]}
runs=${2:-20}
max=${3:-1800}
log=${4:-under-load.log}
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
out=$(mktemp -d)

groups=()
stop() {
  for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
  rm -rf "$out"
}
trap stop EXIT
trap 'exit 130' INT TERM HUP

# setsid: each load is a process group of its own, so it is stopped whole (the loop and what it runs).
cores=$(nproc)
for ((c = 0; c < cores; c++)); do
  setsid timeout "$max" taskset -c "$c" sh -c 'while :; do :; done' &
  groups+=("$!")
done
others=$(find packages -path '*/node_modules' -prune -o \( -path '*/src/*' -o -path 'packages/*/test/*' \) -name '*.test.ts' -print |
  grep -vxF "$file" | sort)
# shellcheck disable=SC2086 # the file list is meant to split
setsid timeout "$max" bash -c "while :; do node --test --test-reporter=dot $(echo $others) >/dev/null 2>&1; done" &
groups+=("$!")

echo "# $(date -Is) $file x$runs under load: $cores busy loops + the other unit and engine files; $(uptime)" >>"$log"
passed=0
failed=0
deadline=$((SECONDS + max))
for ((i = 1; i <= runs; i++)); do
  if ((SECONDS >= deadline)); then
    echo "# stopped at the ${max} s bound" >>"$log"
    break
  fi
  start=$SECONDS
  timeout 600 node --test --test-reporter=spec "$file" >"$out/run" 2>&1
  rc=$?
  figures=$(grep -E '^\s*(ℹ|#) ' "$out/run" | grep -vE 'ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' | sed -E 's/^\s*(ℹ|#) //' | paste -sd '|')
  if ((rc == 0)); then
    passed=$((passed + 1))
    echo "run $i pass $((SECONDS - start))s $figures" >>"$log"
  else
    failed=$((failed + 1))
    echo "run $i FAIL(rc=$rc) $((SECONDS - start))s $figures" >>"$log"
    grep -E '✖|timed out|Error|not arrived' "$out/run" | head -20 | sed 's/^/    /' >>"$log"
    cp "$out/run" "$log.run$i"
  fi
done
echo "# $(date -Is) total: $((passed + failed)) runs, $passed passed, $failed failed" >>"$log"
