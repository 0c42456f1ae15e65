#!/usr/bin/env bash
# The whole `npm test`, RUNS times in a row, each with HOGS CPU-burning processes
# alongside: the suite must not depend on an idle machine (no timing races).
#
#   npm run test:under-load                    # 10 runs, 2 hogs
#   RUNS=3 HOGS=4 npm run test:under-load
#   RUNS=20 npm run test:under-load -- test/ws/redelivery.test.ts   # some files only
#
# Each hog is `node -e 'for(;;){}'` under `timeout` (it ends by itself even if this
# script is killed) and is stopped by pid after its run. Logs go to
# reports/under-load/run-N.log; the last line is "N/RUNS passed" and the exit code is
# non-zero when any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
hogs=${HOGS:-2}
logs=reports/under-load
mkdir -p "$logs"
passed=0
for i in $(seq 1 "$runs"); do
  pids=()
  for _ in $(seq 1 "$hogs"); do
    timeout 3600 node -e 'for(;;){}' &
    pids+=($!)
  done
  start=$(date +%s)
  npm test -- "$@" >"$logs/run-$i.log" 2>&1
  rc=$?
  kill "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  took=$(($(date +%s) - start))
  tests=$(sed 's/\x1b\[[0-9;]*m//g' "$logs/run-$i.log" | grep -E '^ +Tests ' | tail -1 | sed 's/^ *//')
  if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); fi
  printf 'run %d/%d: %s in %ds (%s)\n' "$i" "$runs" "$([ "$rc" -eq 0 ] && echo passed || echo FAILED)" "$took" "$tests"
done
printf '%d/%d passed\n' "$passed" "$runs"
[ "$passed" -eq "$runs" ]
