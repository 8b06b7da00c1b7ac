#!/usr/bin/env bash
# An external signal process written in Python speaks Clusterman's socket
# protocol: it receives the parameters and the metrics windows, and its
# answer drives the autoscaler's decisions.
source "$(dirname "$0")/lib/common.bash"
NS="cmane2e$$"
LOG="$WORK/signal.log"

cat > "$WORK/ext.yaml" <<EOS
name: external
cluster: test
pool: default
start_time: 2017-12-01T00:00:00Z
end_time: 2017-12-01T01:00:00Z
metrics:
  - csv: $DATA/interrupt.csv
pool_config:
  autoscaling: {setpoint: 0.5, target_capacity_margin: 0}
  scaling_limits: {min_capacity: 0, max_capacity: 1000}
  autoscale_signal:
    external: true
    namespace: $NS
    name: echo
    period_minutes: 15
    required_metrics: [{name: cpus_allocated, type: system_metrics, minute_range: 30}]
    parameters: {flavour: test}
    command: [python3, $CMAN_SRC/tests/signals/echo_signal.py, $NS, echo, default, --log, $LOG]
initial_target_capacity: 10
resource_groups:
  - spot_fleet:
      id: fleet
      LaunchSpecifications:
        - {InstanceType: m5.large, Placement: {AvailabilityZone: us-west-2a}, SpotPrice: 0.1, WeightedCapacity: 2}
EOS
"$CMAN_SIM" run "$WORK/ext.yaml" -q -o "$WORK/r"
D="$WORK/r/decisions.jsonl"
check "four runs" test "$(wc -l < "$D")" -eq 4
check "the signal got its parameters with cluster and pool" python3 - "$LOG" <<'PY'
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
p = msgs[0]["parameters"]
sys.exit(0 if p.get("flavour") == "test" and p.get("cluster") == "test" and p.get("pool") == "default" else 1)
PY
check "the signal got the metrics window and the time" python3 - "$LOG" <<'PY'
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])][1:]
ok = len(msgs) == 4
for k, m in enumerate(msgs):
    ok = ok and m["timestamp"] == 1512086400 + 900 * k
    # the only sample (at the start) is inside [now - 30 min, now] for k <= 2
    want = [[1512086400, 10]] if k <= 2 else []
    ok = ok and m["metrics"]["cpus_allocated"] == want
sys.exit(0 if ok else 1)
PY
# echo_signal answers cpus = 2 x the last value: 20 cpus at setpoint 0.5 on a
# pool of 10 instances x 2 vCPUs (20 cpus, 10 units... weight 2 each = 20 units)
check "its answer drives the decision" python3 - "$D" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
r = runs[1]
ok = r["request"]["cpus"] == 20 and r["signal"] == "echo" and r["signal_error"] is None
# usage 20 / 20 cpus = 1.0 -> new target = 20 x 1.0 / 0.5 = 40
ok = ok and abs(r["new_target"] - 40) < 1e-9
sys.exit(0 if ok else 1)
PY
check "the signal process is gone" bash -c "! pgrep -f 'echo_signal[.]py $NS' > /dev/null"

# a socket nobody listens on: exit 2 naming the key, nothing written
sed -e '/command:/d' "$WORK/ext.yaml" > "$WORK/nosock.yaml"
status=0
"$CMAN_SIM" run "$WORK/nosock.yaml" -q -o "$WORK/n" 2> "$WORK/err" || status=$?
check "missing socket exits 2" test "$status" -eq 2
check "missing socket names the key" grep -q "autoscale_signal" "$WORK/err"
check "missing socket writes nothing" test ! -e "$WORK/n/summary.json"
# a signal that dies mid-run: the default signal takes over, the failure is
# in the decisions and in summary.json's warnings
sed -e "s|echo_signal.py, $NS, echo, default, --log, $LOG|flaky_signal.py, $NS, echo, default, --die-after, 2|" \
	"$WORK/ext.yaml" > "$WORK/flaky.yaml"
"$CMAN_SIM" run "$WORK/flaky.yaml" -q -o "$WORK/f"
check "fallback recorded in decisions" python3 - "$WORK/f/decisions.jsonl" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
ok = [r["signal_error"] is None for r in runs] == [True, True, False, False]
ok = ok and runs[0]["request"]["cpus"] == 1 and runs[1]["request"]["cpus"] == 2
# the default signal: the most recent cpus_allocated of the last 10 minutes
# (none after the start: no opinion, the target is kept)
ok = ok and all(r["signal"] == "default" or r["signal"] != "echo" for r in runs[2:])
sys.exit(0 if ok else 1)
PY
check "fallback in summary warnings" python3 - "$WORK/f/summary.json" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))["warnings"]
sys.exit(0 if sum("signal failed" in x for x in w) == 2 else 1)
PY
finish
