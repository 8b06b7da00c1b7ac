#!/usr/bin/env bash
# ctest-labels: live
# ctest-timeout: 600
# The README's walk from a promoted configuration to a dry-run daemon, as
# written there: tools/live-sandbox start (moto_server and a fake Mesos
# master on 127.0.0.1), run + promote, check-config, autoscale --once, then
# stop.  Checked independently of our code: the decision line (the pool's
# min_capacity 320 from the scenario, against 8 running machines of weight 1),
# and the proxy's request log holds no mutating call; status shows the
# limits; --execute then sets the group's desired capacity once.
source "$(dirname "$0")/lib/common.bash"
: "${CMAN_LIVE:?}"
command -v moto_server > /dev/null || skip "moto_server is not on PATH"
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL CMAN_CLUSTER CMAN_POOL
cd "$WORK"
trap '"$CMAN_SRC/tools/live-sandbox" stop etc > /dev/null 2>&1 || true; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
"$CMAN_SRC/tools/live-sandbox" start etc > start.out 2>&1 || { cat start.out; fail "live-sandbox start"; finish; }
. etc/env
"$CMAN_SIM" run "$CMAN_SRC/scenarios/autoscaler.yaml" --set end_time=2016-03-02T00:00:00Z -o out/candidate -q ||
	fail "run"
"$CMAN_SIM" promote out/candidate --to etc/clusters --cluster example > promote.out || fail "promote"
check "check-config accepts the promoted file" "$CMAN_LIVE" --config etc/clusterman.yaml check-config
st=0
"$CMAN_LIVE" --config etc/clusterman.yaml autoscale --cluster example --pool batch --once \
	--decisions decisions.jsonl 2> autoscale.err || st=$?
check "autoscale --once exit 0 (status $st)" test "$st" = 0
check "it says it is a dry run" grep -q "dry run (no --execute)" autoscale.err
python3 - <<'PY' || fail "decision line or request log"
import json
lines = [json.loads(l) for l in open("decisions.jsonl")]
assert len(lines) == 1, lines
d = lines[0]
assert d["dry_run"] is True and d["shadow"] is False, d
assert d["pool"] == "example.batch.mesos", d["pool"]
# 8 running machines (weight 1 each): the current target; the scenario's
# min_capacity 320 lifts it, and nothing is applied in a dry run.
assert d["current_target"] == 8.0 and d["new_target"] == 320.0, d
assert list(d["groups"]) == ["example-batch-sandbox"], d["groups"]
g = d["groups"]["example-batch-sandbox"]
assert g["planned"] == 320.0 and g["applied"] == 8.0 and g["error"] is None, g
# the store is empty: said as a warning, with the target the limits give
w = d["warnings"]
assert [x["kind"] for x in w] == ["no_load_data"], w
assert w[0]["message"].endswith("the target is kept at 8, and the scaling limits make it 320"), w
calls = [json.loads(l) for l in open("etc/requests.log")]
actions = {c.get("action") or c.get("target") or c.get("mesos") or c["path"] for c in calls}
mutating = {a for a in actions if a and not a.startswith(("Describe", "/", "GET_"))}
assert not mutating, mutating
assert "DescribeAutoScalingGroups" in actions, actions
PY
# status in words: the promoted limits 320 to 4000 (two numbers formatted
# into one buffer once printed "320 to 320")
"$CMAN_LIVE" --config etc/clusterman.yaml status --cluster example --pool batch > status.out ||
	fail "status"
check "status shows the pool's limits" grep -q "(limits 320 to 4000)" status.out
# --execute: the group really goes to 320 in moto
st=0
"$CMAN_LIVE" --config etc/clusterman.yaml autoscale --cluster example --pool batch --once --execute \
	--decisions executed.jsonl 2> execute.err || st=$?
check "autoscale --once --execute exit 0 (status $st)" test "$st" = 0
python3 - <<'PY' || fail "executed decision line"
import json
d = json.loads(open("executed.jsonl").readline())
assert d["dry_run"] is False, d
g = d["groups"]["example-batch-sandbox"]
assert g["planned"] == 320.0 and g["applied"] == 320.0 and g["error"] is None, g
calls = [json.loads(l).get("action") for l in open("etc/requests.log")]
assert calls.count("SetDesiredCapacity") == 1, calls
PY
"$CMAN_SRC/tools/live-sandbox" stop etc > stop.out || fail "live-sandbox stop"
check "stop stopped both servers" test "$(grep -c '^stopped' stop.out)" = 2
finish
