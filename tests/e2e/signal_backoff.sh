#!/usr/bin/env bash
# Issue 9.7 and 9.5 at the simulator's level: a dead external signal is
# backed off (and the run says so, with counts), and a signal answering bytes
# that are not UTF-8 does not make summary.json's warnings vanish.
source "$(dirname "$0")/lib/common.bash"
NS="cmanbo$$"

# scenario NAME END FLAG: one signal process from flaky_signal.py
scenario() {
	cat > "$WORK/$1.yaml" <<EOS
name: $1
cluster: test
pool: default
start_time: 2017-12-01T00:00:00Z
end_time: $2
metrics:
  - csv: $DATA/interrupt.csv
pool_config:
  autoscaling: {setpoint: 0.5, target_capacity_margin: 0}
  scaling_limits: {min_capacity: 0, max_capacity: 1000}
  autoscale_signal:
    external: true
    namespace: $NS$1
    name: sig
    period_minutes: 15
    required_metrics: [{name: cpus_allocated, type: system_metrics, minute_range: 30}]
    command: [python3, $CMAN_SRC/tests/signals/flaky_signal.py, $NS$1, sig, default, $3]
initial_target_capacity: 10
resource_groups:
  - spot_fleet:
      id: fleet
      LaunchSpecifications:
        - {InstanceType: m5.large, Placement: {AvailabilityZone: us-west-2a}, SpotPrice: 0.1, WeightedCapacity: 2}
EOS
}
export CMAN_SIGNAL_CONNECT_TIMEOUT_MS=120000

# --- a signal that hangs: 40 runs (10 hours at 15 minutes) --------------------
scenario hang 2017-12-01T10:00:00Z --hang
status=0
CMAN_SIGNAL_TIMEOUT_MS=300 "$CMAN_SIM" run "$WORK/hang.yaml" -q -o "$WORK/h" 2> "$WORK/herr" || status=$?
check "a hung signal does not fail the run (status $status)" test "$status" -eq 0
cat "$WORK/herr" >&2
# the policy, computed here: after 3 failures in a row skip 1, 2, 4, ... 32
read -r asked skipped < <(python3 -c '
fails = skip = asked = skipped = 0
for run in range(40):
    if skip:
        skip -= 1; skipped += 1; continue
    asked += 1; fails += 1
    if fails >= 3:
        skip = min(2 ** (fails - 3), 32)
print(asked, skipped)')
check "decisions: $skipped runs not asked" python3 - "$WORK/h/decisions.jsonl" "$skipped" "$asked" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
errs = [r["signal_error"] or "" for r in runs]
skipped = sum("not asked" in e for e in errs)
timed = sum("timed out after 300 ms" in e for e in errs)
sys.exit(0 if len(runs) == 40 and skipped == int(sys.argv[2]) and timed == int(sys.argv[3]) else 1)
PY
check "summary says so, with counts" python3 - "$WORK/h/summary.json" "$skipped" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))["warnings"]
want = "was not asked in %s of the 40 autoscaler runs where it failed" % sys.argv[2]
sys.exit(0 if any(want in x for x in w) else 1)
PY

# --- a signal answering bytes that are not UTF-8 ------------------------------
scenario binary 2017-12-01T01:00:00Z --binary
status=0
"$CMAN_SIM" run "$WORK/binary.yaml" -o "$WORK/b" > "$WORK/bout" 2> "$WORK/berr" || status=$?
check "binary answers do not fail the run (status $status)" test "$status" -eq 0
check "every warning is in summary.json, escaped" python3 - "$WORK/b/summary.json" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))["warnings"]
bad = [x for x in w if "not a JSON object" in x]
# 4 runs: 3 asked (each a warning quoting the answer), the 4th backed off
ok = len(bad) == 3 and all("\\xff\\xfe\\xc3(not UTF-8)" in x for x in bad)
ok = ok and sum("not asked: it failed 3 times in a row" in x for x in w) == 1
sys.exit(0 if ok else 1)
PY
check "the terminal shows the same, escaped" grep -q 'not a JSON object.*\\xff\\xfe' "$WORK/bout" "$WORK/berr"
finish
