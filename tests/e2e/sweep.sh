#!/usr/bin/env bash
# clusterman-sim sweep: the grid in order, one row per point, common random
# numbers (replica r of every point has seed + r), identical sweep.csv with
# -j 1 and -j 2, a self-contained sweep.html, a finished sweep re-run from
# its journal alone, and bad input (exit 2 naming the key, nothing run).
source "$(dirname "$0")/lib/common.bash"
W="$DATA/worked_example.yaml"
Q="$CMAN_SRC/scenarios/quickstart.yaml"
GRID=(--grid simulation.discount=0.5,1 --grid simulation.billing=per-second,per-hour --replicas 3)

"$CMAN_SIM" sweep "$W" "${GRID[@]}" -j 1 -o "$WORK/j1" > "$WORK/out1" 2> "$WORK/err1"
check "sweep -j 1 succeeds" test -s "$WORK/j1/sweep.csv"
check "summary line" grep -q "4 points x 3 replicas, 12 runs now and 0 from the journal" "$WORK/out1"
check "no progress when stderr is not a terminal" test ! -s "$WORK/err1"
"$CMAN_SIM" sweep "$W" "${GRID[@]}" -j 2 -q -o "$WORK/j2"
check "-j 1 and -j 2: identical sweep.csv" cmp "$WORK/j1/sweep.csv" "$WORK/j2/sweep.csv"
check "-j 1 and -j 2: identical sweep.html" cmp "$WORK/j1/sweep.html" "$WORK/j2/sweep.html"

# rows in grid order (last axis fastest) with the worked example's costs:
# $3.50 per-second, $3.00 per-hour, times the discount
check "sweep.csv rows" python3 - "$WORK/j1/sweep.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
want = [("0.5", "per-second", 1.75), ("0.5", "per-hour", 1.5),
        ("1", "per-second", 3.5), ("1", "per-hour", 3.0)]
assert len(rows) == 4, rows
for r, (d, b, cost) in zip(rows, want):
    assert r["simulation.discount"] == d and r["simulation.billing"] == b, r
    assert r["replicas"] == "3"
    for s in ("mean", "ci95_low", "ci95_high", "p5", "p50", "p95"):
        assert abs(float(r["cost_" + s]) - cost) < 1e-9, (s, r)
    assert abs(float(r["unused_cost_mean"]) - cost / 2) < 1e-9, r
    assert float(r["interruptions_mean"]) == 0
assert [r["pareto"] for r in rows] == ["0", "1", "0", "0"], rows
cols = list(rows[0].keys())
assert cols[:3] == ["simulation.discount", "simulation.billing", "replicas"], cols
assert cols[-1] == "pareto" and len(cols) == 3 + 8 * 6 + 1, cols
EOF

# the journal: one line per run, replica r of every point with seed r
check "journal: common random numbers" python3 - "$WORK/j2/sweep.journal.jsonl" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines[0]["sweep_journal"] == 2
runs = lines[1:]
assert len(runs) == 12, len(runs)
seeds = {}
for r in runs:
    seeds.setdefault(tuple(r["sets"]), []).append(r["seed"])
assert len(seeds) == 4
assert all(sorted(s) == [0, 1, 2] for s in seeds.values()), seeds
EOF

check "html: chart and table" grep -q '<svg' "$WORK/j1/sweep.html"
check "html: Pareto front marked" grep -q 'class="best"' "$WORK/j1/sweep.html"
check "html: no script" bash -c "! grep -qi '<script' '$WORK/j1/sweep.html'"
check "html: no network" bash -c "! grep -Eqi '(src|href)=\"?(https?:)?//' '$WORK/j1/sweep.html'"

# a finished sweep again: nothing runs, the same files
cp "$WORK/j1/sweep.csv" "$WORK/before.csv"
"$CMAN_SIM" sweep "$W" "${GRID[@]}" -j 2 -o "$WORK/j1" > "$WORK/out2"
check "re-run: all 12 runs from the journal" grep -q "0 runs now and 12 from the journal" "$WORK/out2"
check "re-run: same sweep.csv" cmp "$WORK/before.csv" "$WORK/j1/sweep.csv"
# a bigger grid in the same folder: only the new points run
"$CMAN_SIM" sweep "$W" --grid simulation.discount=0.5,0.75,1 --grid simulation.billing=per-second,per-hour \
	--replicas 3 -o "$WORK/j1" > "$WORK/out3"
check "grown grid: only new points run" grep -q "6 points x 3 replicas, 6 runs now and 12 from the journal" "$WORK/out3"
check "grown grid: 6 rows" test "$(wc -l < "$WORK/j1/sweep.csv")" -eq 7
# other fixed overrides in the same folder: refused
status=0
"$CMAN_SIM" sweep "$W" "${GRID[@]}" --set simulation.step_seconds=60 -o "$WORK/j1" 2> "$WORK/err" || status=$?
check "other --set, same folder: exit 2" test "$status" -eq 2
check "other --set, same folder: says why" grep -q "journal of another sweep" "$WORK/err"

# no --grid: the scenario itself, replicas only; default output folder
(cd "$WORK" && "$CMAN_SIM" sweep "$Q" --replicas 2 -q)
check "no grid: one point" test "$(wc -l < "$WORK/out/quickstart-sweep/sweep.csv")" -eq 2
check "no grid: header" grep -q '^replicas,cost_mean,' "$WORK/out/quickstart-sweep/sweep.csv"

# values with commas inside braces; a point that fails at run time
"$CMAN_SIM" sweep "$Q" -q -o "$WORK/jd" --replicas 2 \
	--grid 'simulation.join_delay={mean_seconds: 60, stdev_seconds: 10},{mean_seconds: 600, stdev_seconds: 100}'
check "brace values: 2 points" test "$(wc -l < "$WORK/jd/sweep.csv")" -eq 3
status=0
"$CMAN_SIM" sweep "$W" -j 2 -o "$WORK/bad" --grid 'metrics=[{csv: worked_example.csv}],[{csv: nope.csv}]' \
	2> "$WORK/err" || status=$?
check "failing run: non-zero exit" test "$status" -ne 0 -a "$status" -ne 130
check "failing run: names the point" grep -q "point 2 (metrics=\[{csv: nope.csv}\]), seed 0:" "$WORK/err"
check "failing run: no sweep.csv" test ! -e "$WORK/bad/sweep.csv"

# bad input: exit 2, a message naming it, nothing run
expect_bad() {  # expect_bad NAME PATTERN ARGS...
	local name=$1 pattern=$2 status=0
	shift 2
	rm -rf "$WORK/b"
	"$CMAN_SIM" sweep "$@" -o "$WORK/b" > /dev/null 2> "$WORK/err" || status=$?
	if [ "$status" -ne 2 ]; then fail "$name: exit status $status, expected 2"; cat "$WORK/err" >&2; return; fi
	if ! grep -Eq -- "$pattern" "$WORK/err"; then fail "$name: message does not match /$pattern/"; cat "$WORK/err" >&2; return; fi
	if [ -e "$WORK/b/sweep.journal.jsonl" ]; then fail "$name: a journal was started"; return; fi
	pass
}
expect_bad "unknown key" "^clusterman-sim: --grid simulation.bogus: unknown key 'bogus'" \
	"$W" --grid simulation.bogus=1,2
expect_bad "unknown top-level key" "--grid nonsense: " "$W" --grid nonsense=1
expect_bad "empty grid" "^clusterman-sim: --grid simulation.discount: no values" "$W" --grid simulation.discount=
expect_bad "empty value" "--grid simulation.discount: empty value \(item 2\)" "$W" --grid simulation.discount=1,,2
expect_bad "non-numeric value" "^clusterman-sim: --grid simulation.discount: .*expected a number, got 'abc'" \
	"$W" --grid simulation.discount=0.5,abc
expect_bad "bad enum value" "--grid simulation.billing: " "$W" --grid simulation.billing=per-second,per-minute
expect_bad "no '='" "--grid 'simulation.discount': expected KEY=VALUE1" "$W" --grid simulation.discount
expect_bad "seed axis" "--grid seed: " "$W" --grid seed=1,2
expect_bad "same key twice" "--grid simulation.discount: key given twice" \
	"$W" --grid simulation.discount=1 --grid simulation.discount=2
expect_bad "bad --set" "--set simulation.discount: " "$W" --set simulation.discount=x --grid simulation.billing=per-hour
expect_bad "replicas 0" "--replicas '0': expected an integer" "$W" --replicas 0
expect_bad "jobs x" "-j 'x': expected an integer" "$W" -j x
expect_bad "no scenario" "missing SCENARIO.yaml" --grid simulation.discount=1
expect_bad "unknown option" "unknown option '--frobnicate'" "$W" --frobnicate
status=0
"$CMAN_SIM" sweep "$WORK/nope.yaml" --grid simulation.discount=1 -o "$WORK/b" 2> "$WORK/err" || status=$?
check "missing scenario file: fails naming it" test "$status" -ne 0 -a "$(grep -c nope.yaml "$WORK/err")" -eq 1
finish
