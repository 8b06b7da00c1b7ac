#!/usr/bin/env bash
# `clusterman-sim compare` on two runs with known differences: the worked
# example billed per second ($3.50, the baseline) and per hour ($3.00).
source "$(dirname "$0")/lib/common.bash"

"$CMAN_SIM" run "$DATA/worked_example.yaml" -q -o "$WORK/ps"
"$CMAN_SIM" run "$DATA/worked_example.yaml" -q -o "$WORK/ph" --set simulation.billing=per-hour
"$CMAN_SIM" compare "$WORK/ps" "$WORK/ph" -o "$WORK/cmp" > "$WORK/out"
check "compare.html written" test -s "$WORK/cmp/compare.html"
check "compare.csv written" test -s "$WORK/cmp/compare.csv"
check "series.csv written" test -s "$WORK/cmp/series.csv"
check "stdout: the summary line" grep -q "^compared 2 runs -> " "$WORK/out"
# issue 8.5: the settings that differ, and labels made of them
check "stdout: the differing setting" grep -Eq "^  simulation.billing +\(default\) +per-hour *$" "$WORK/out"
check "settings.csv" cmp "$WORK/cmp/settings.csv" - <<'CSV'
setting,billing=(default),billing=per-hour
simulation.billing,,per-hour
CSV

# row METRIC RUN_SUFFIX COLUMN: a column of compare.csv's row for metric, run
row() { csv_get "$WORK/cmp/compare.csv" "$3" "metric=$1" "run%=$2"; }
check "baseline total 3.5" near "$(row total_cost 'billing=(default)' value)" 3.5 1e-9
check "candidate total 3.0" near "$(row total_cost 'billing=per-hour' value)" 3.0 1e-9
check "difference -0.5" near "$(row total_cost 'billing=per-hour' difference)" -0.5 1e-9
check "ratio 0.857142..." near "$(row total_cost 'billing=per-hour' ratio)" 0.8571428571 1e-9
check "relative difference -1/7" near "$(row total_cost 'billing=per-hour' relative_difference)" -0.1428571429 1e-9
check "unused cost difference -0.25" near "$(row unused_cpus_cost 'billing=per-hour' difference)" -0.25 1e-9
check "capacity unchanged" near "$(row mean_cpus 'billing=per-hour' difference)" 0 1e-12
check "html: the difference" grep -q 'data-diff="-0.5">-\$0.50<' "$WORK/cmp/compare.html"
check "html: the relative difference" grep -q '>-14.3%<' "$WORK/cmp/compare.html"
check "html: no external references" bash -c "! grep -Eqi 'https?://|src=|<link|url\(' '$WORK/cmp/compare.html'"

# series.csv, sub: per-hour minus per-second per step sums to -0.5
check "series sub: 12 rows" test "$(($(wc -l < "$WORK/cmp/series.csv") - 1))" -eq 12
check "series sub: cost differences sum to -0.5" near "$(csv_sum "$WORK/cmp/series.csv" cost)" -0.5 1e-9
"$CMAN_SIM" compare "$WORK/ps" "$WORK/ph" --op div -o "$WORK/div" > /dev/null
# the first step: per-hour bills the first hour at $1 ($1/6 per step), per-second too
check "series div: first step 1" near "$(sed -n 2p "$WORK/div/series.csv" | cut -d, -f7)" 1 1e-9
check "series div: capacity ratio 1" test "$(sed -n 2p "$WORK/div/series.csv" | cut -d, -f4)" = 1

# three runs: a discounted one as well
"$CMAN_SIM" run "$DATA/worked_example.yaml" -q -o "$WORK/disc" --set simulation.discount=0.5
"$CMAN_SIM" compare "$WORK/ps" "$WORK/ph" "$WORK/disc" -o "$WORK/three" > /dev/null
check "three runs: 24 series rows" test "$(($(wc -l < "$WORK/three/series.csv") - 1))" -eq 24
check "three runs: discounted difference -1.75" near "$(csv_get "$WORK/three/compare.csv" difference metric=total_cost 'run%=discount=0.5')" -1.75 1e-9

# different windows: refused (exit 2, says why), accepted when allowed
"$CMAN_SIM" run "$DATA/worked_example.yaml" -q -o "$WORK/short" --set end_time=2017-12-01T01:00:00Z
set +e
"$CMAN_SIM" compare "$WORK/ps" "$WORK/short" -o "$WORK/refused" 2> "$WORK/err"
rc=$?
set -e
check "different windows: exit 2" test "$rc" -eq 2
check "different windows: says why" grep -q 'different windows' "$WORK/err"
check "different windows: names both windows" grep -q '2017-12-01 00:00 to 2017-12-01 01:00 UTC' "$WORK/err"
check "different windows: names the option" grep -q -- '--allow-different-windows' "$WORK/err"
check "different windows: nothing written" test ! -e "$WORK/refused"
"$CMAN_SIM" compare "$WORK/ps" "$WORK/short" -o "$WORK/allowed" --allow-different-windows > /dev/null
check "allowed: 6 common steps" test "$(($(wc -l < "$WORK/allowed/series.csv") - 1))" -eq 6
check "allowed: the page says so" grep -q 'cover different windows' "$WORK/allowed/compare.html"

# different steps: refused
"$CMAN_SIM" run "$DATA/worked_example.yaml" -q -o "$WORK/coarse" --set simulation.step_seconds=1200
set +e
"$CMAN_SIM" compare "$WORK/ps" "$WORK/coarse" -o "$WORK/x" --allow-different-windows 2> "$WORK/err2"; rc2=$?
"$CMAN_SIM" compare "$WORK/ps" -o "$WORK/x" 2> "$WORK/err3"; rc3=$?
"$CMAN_SIM" compare "$WORK/ps" "$WORK/ph" 2> "$WORK/err4"; rc4=$?
"$CMAN_SIM" compare "$WORK/ps" "$WORK/ph" -o "$WORK/x" --op mul 2> "$WORK/err5"; rc5=$?
set -e
check "different steps: exit 2" test "$rc2" -eq 2
check "different steps: says why" grep -q 'step_seconds 1200' "$WORK/err2"
check "one run: exit 2" test "$rc3" -eq 2
check "no -o: exit 2" test "$rc4" -eq 2
check "bad --op: exit 2" test "$rc5" -eq 2
check "bad --op: says so" grep -q "expected sub or div" "$WORK/err5"
finish
