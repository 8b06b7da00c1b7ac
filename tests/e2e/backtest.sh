#!/usr/bin/env bash
# clusterman-sim backtest: decision records (made here by clusterman-sim run
# itself) simulated again with a pool file's configuration against the
# recorded metrics.  The same configuration reproduces them exactly (zero
# drift); a different setpoint drifts by what a run with that setpoint
# decides, and the expected drift numbers are computed here from the two
# runs' own decision files.
source "$(dirname "$0")/lib/common.bash"
S=$CMAN_SIM
SC="$CMAN_SRC/scenarios/autoscaler.yaml"
ST="$WORK/metrics.sqlite"
"$S" import "$CMAN_SRC/scenarios/data/quickstart-metrics.json.gz" --db "$ST" > /dev/null
common=(--set end_time=2016-03-02T00:00:00Z --set "metrics=[{sqlite: $ST}]")
"$S" run "$SC" -q -o "$WORK/A" "${common[@]}"
"$S" run "$SC" -q -o "$WORK/B" "${common[@]}" --set pool_config.autoscaling.setpoint=0.8
"$S" promote "$WORK/A" --to "$WORK/cfg" --cluster example > /dev/null
P="$WORK/cfg/example/batch.mesos"

# --- the same configuration: no drift ------------------------------------------
"$S" backtest "$WORK/A/decisions.jsonl" --metrics "$ST" --pool-file "$P" -o "$WORK/bt0" > "$WORK/out0.txt"
n=$(wc -l < "$WORK/A/decisions.jsonl")
check "same config: every decision simulated again" test "$(json_get "$WORK/bt0/backtest.json" matched)" = "$n"
check "same config: records counted" test "$(json_get "$WORK/bt0/backtest.json" records)" = "$n"
check "same config: no target differs" test "$(json_get "$WORK/bt0/backtest.json" targets_differing)" = 0
check "same config: max drift 0" near "$(json_get "$WORK/bt0/backtest.json" max_abs_target_drift)" 0 0
check "same config: cost drift 0" near "$(json_get "$WORK/bt0/backtest.json" cost_drift)" 0 0
check "same config: the simulated decisions are the recorded ones" cmp "$WORK/bt0/sim/decisions.jsonl" "$WORK/A/decisions.jsonl"
check "same config: simulated cost is the run's" near "$(json_get "$WORK/bt0/backtest.json" simulated_cost)" "$(json_get "$WORK/A/summary.json" total_cost)" 1e-9
check "same config: summary printed" grep -q "^backtest: $n decisions, $n simulated at the same times, 0 differ" "$WORK/out0.txt"
check "report section" grep -q '<section id="backtest">' "$WORK/bt0/backtest.html"
check "CSV header" test "$(head -1 "$WORK/bt0/backtest.csv")" = "time,seconds,recorded_current_target,recorded_target,simulated_target,target_drift,recorded_cost,simulated_cost,cost_drift"
check "CSV: one row per decision" test "$(($(wc -l < "$WORK/bt0/backtest.csv") - 1))" = "$n"

# --- a different setpoint: the drift is B - A --------------------------------------
mkdir -p "$WORK/cfg2/example"
sed 's/^  setpoint: 0.7$/  setpoint: 0.8/' "$P" > "$WORK/cfg2/example/batch.mesos"
check "the copy has the other setpoint" grep -qx "  setpoint: 0.8" "$WORK/cfg2/example/batch.mesos"
"$S" backtest "$WORK/A/decisions.jsonl" --metrics "$ST" --pool-file "$WORK/cfg2/example/batch.mesos" \
	-o "$WORK/bt1" -q
check "setpoint 0.8: simulated decisions are run B's" cmp "$WORK/bt1/sim/decisions.jsonl" "$WORK/B/decisions.jsonl"
python3 - "$WORK/A/decisions.jsonl" "$WORK/B/decisions.jsonl" "$WORK/B/summary.json" \
	"$WORK/bt1/backtest.json" "$WORK/bt1/backtest.csv" <<'PY' && pass || fail "drift numbers (setpoint 0.8)"
import json, sys, statistics, csv
A = [json.loads(l) for l in open(sys.argv[1])]
B = {d["time"]: d for d in (json.loads(l) for l in open(sys.argv[2]))}
summ, bt = json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))
end = summ["end_time"]
drift = [B[a["time"]]["new_target"] - a["new_target"] for a in A]
absd = [abs(x) for x in drift]
def close(x, y, tol=1e-9):
    return abs(x - y) <= tol * max(1.0, abs(y))
assert max(absd) > 0, "a different setpoint must drift"
assert close(bt["max_abs_target_drift"], max(absd)), (bt["max_abs_target_drift"], max(absd))
assert close(bt["median_abs_target_drift"], statistics.median(absd))
assert bt["targets_differing"] == sum(1 for x in absd if x != 0)
# costs: B's dollars per unit-hour of target price both paths
times = [a["time"] for a in A] + [end]
dt = [times[i + 1] - times[i] for i in range(len(A))]
units_b = sum(B[a["time"]]["new_target"] * dt[i] / 3600 for i, a in enumerate(A))
price = summ["total_cost"] / units_b
rec = sum(a["new_target"] * dt[i] / 3600 * price for i, a in enumerate(A))
assert close(bt["simulated_cost"], summ["total_cost"]), (bt["simulated_cost"], summ["total_cost"])
assert close(bt["recorded_cost_estimate"], rec), (bt["recorded_cost_estimate"], rec)
assert close(bt["cost_drift"], summ["total_cost"] - rec)
rows = list(csv.DictReader(open(sys.argv[5])))
assert len(rows) == len(A)
for r, a, d in zip(rows, A, drift):
    assert int(r["time"]) == a["time"] and close(float(r["target_drift"]), d, 1e-11), (r, d)
print("drift: median %g, max %g, cost %.2f" % (statistics.median(absd), max(absd), summ["total_cost"] - rec))
PY

# --- live mode's shadow and failed lines are not decisions that happened -----------
python3 - "$WORK/A/decisions.jsonl" > "$WORK/live.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    print(json.dumps({"time": d["time"], "failed": True, "error": "x", "dry_run": True}))
    s = dict(d, shadow=True, new_target=d["new_target"] + 7)
    print(json.dumps(s))
    print(json.dumps(dict(d, shadow=False)))
PY
"$S" backtest "$WORK/live.jsonl" --metrics "$ST" --pool-file "$P" -o "$WORK/btl" -q
check "shadow and failed lines skipped: records" test "$(json_get "$WORK/btl/backtest.json" records)" = "$n"
check "shadow and failed lines skipped: no drift" test "$(json_get "$WORK/btl/backtest.json" targets_differing)" = 0

# --- bad input ---------------------------------------------------------------------
printf '{"time": 1456790400, "current_target": 1400, "new_target": 1400}\nnot json\n' > "$WORK/bad.jsonl"
set +e; "$S" backtest "$WORK/bad.jsonl" --metrics "$ST" --pool-file "$P" -o "$WORK/bt2" 2> "$WORK/err"; rc=$?; set -e
check "bad record: exit 2" test "$rc" = 2
check "bad record: FILE:LINE:COL" grep -q "$WORK/bad.jsonl:2:[0-9]*: " "$WORK/err"
mkdir -p "$WORK/plain/example"
sed '/^clusterman_sim:/,$d' "$P" > "$WORK/plain/example/batch.mesos"
set +e; "$S" backtest "$WORK/A/decisions.jsonl" --metrics "$ST" --pool-file "$WORK/plain/example/batch.mesos" -o "$WORK/bt3" 2> "$WORK/err"; rc=$?; set -e
check "no simulated groups: exit 2" test "$rc" = 2
check "no simulated groups: says so" grep -q "no clusterman_sim.resource_groups" "$WORK/err"
check "backtest --help" "$S" backtest --help
set +e; "$S" backtest "$WORK/A/decisions.jsonl" --metrics "$ST" -o "$WORK/bt4" 2> /dev/null; rc=$?; set -e
check "missing --pool-file: exit 2" test "$rc" = 2
finish
