#!/usr/bin/env bash
# ctest-labels: live
# ctest-timeout: 900
# clusterman-live autoscale against moto_server (EC2, Auto Scaling, DynamoDB)
# and a Mesos master (tests/e2e/lib/live_fake.py, which also logs every AWS
# call on its way to moto), both started here on 127.0.0.1:
# (a) a dry run makes no mutating call at all (asserted on the request log:
#     no AWS action but Describe*/reads, no DynamoDB write, no Mesos
#     maintenance call) and leaves the group as it was;
# (b) with --execute, over 5 cycles of recorded time (CMAN_LIVE_TEST_CLOCK),
#     the decision records are the ones clusterman-sim run makes for the
#     same metrics (imported into DynamoDB) and configuration, and the
#     group's desired capacity ends where they say;
# (c) shadow mode: a candidate (max_weight_to_add 2) is recorded beside
#     production on the same inputs and never applied;
# (d) clusterman-sim promote of the simulated run -> check-config accepts it
#     -> autoscale --once loads it and decides as the original configuration.
# One moto_server for all four (it takes most of the time to start).
source "$(dirname "$0")/lib/common.bash"
: "${CMAN_LIVE:?}"
command -v moto_server > /dev/null || skip "moto_server is not on PATH"
python3 -c 'import boto3' 2> /dev/null || skip "python3 has no boto3 (needed to set moto up)"

export AWS_ACCESS_KEY_ID=AKIDE2E AWS_SECRET_ACCESS_KEY=e2e-secret AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_EC2 \
	AWS_ENDPOINT_URL_AUTO_SCALING CMAN_CLUSTER CMAN_POOL CMAN_SCHEDULER
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # wait_port PORT PID: until something listens (max 120 s)
	for _ in $(seq 1 600); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

port=$(free_port)
moto_server -H 127.0.0.1 -p "$port" > "$WORK/moto.log" 2>&1 &
PIDS+=($!)
wait_port "$port" "$!" || { cat "$WORK/moto.log"; fail "moto_server did not start"; finish; }
MOTO="http://127.0.0.1:$port"
python3 "$CMAN_SRC/tests/e2e/lib/live_fake.py" "$WORK/fake.port" "$MOTO" "$WORK/requests.log" \
	default 2 > "$WORK/fake.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do [ -f "$WORK/fake.port" ] && break; sleep 0.1; done
[ -f "$WORK/fake.port" ] || { cat "$WORK/fake.log"; fail "the fake did not start"; finish; }
FAKE="http://127.0.0.1:$(cat "$WORK/fake.port")"

# The world: one Auto Scaling group of the pool (m5.large, desired 2, tagged
# for pool default of cluster c1), the state table.
python3 - "$MOTO" <<'PY'
import sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1")
ec2 = boto3.client("ec2", **kw)
vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
ec2.create_launch_template(LaunchTemplateName="e2e", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "m5.large"})
boto3.client("autoscaling", **kw).create_auto_scaling_group(
    AutoScalingGroupName="asg-e2e", LaunchTemplate={"LaunchTemplateName": "e2e"}, MinSize=0, MaxSize=100,
    DesiredCapacity=2, VPCZoneIdentifier=sub,
    Tags=[{"Key": "puppet:role::paasta", "Value": '{"pool": "default", "paasta_cluster": "c1"}',
           "PropagateAtLaunch": True}])
boto3.client("dynamodb", **kw).create_table(
    TableName="clusterman_cluster_state", BillingMode="PAY_PER_REQUEST",
    KeySchema=[{"AttributeName": "state", "KeyType": "HASH"}, {"AttributeName": "entity", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "state", "AttributeType": "S"}, {"AttributeName": "entity", "AttributeType": "S"}])
PY
desired() {
	python3 -c 'import sys, boto3; print(boto3.client("autoscaling", endpoint_url=sys.argv[1], region_name="us-east-1").describe_auto_scaling_groups(AutoScalingGroupNames=["asg-e2e"])["AutoScalingGroups"][0]["DesiredCapacity"])' "$MOTO"
}

# Recorded metrics: 14 cpus allocated each minute, 26 from 22:15 (T0 is
# 2023-11-14T22:00:00Z), imported into DynamoDB tables e2e_*.
T0=1699999200
python3 - "$T0" > "$WORK/metrics.csv" <<'PY'
import sys
t0 = int(sys.argv[1])
print("kind,key,timestamp,market,value")
for t in range(t0 - 3600, t0 + 3000, 60):
    print('system_metrics,"cpus_allocated|cluster=c1,pool=default.mesos",%d,,%d' % (t, 26 if t >= t0 + 900 else 14))
PY
AWS_ENDPOINT_URL=$MOTO "$CMAN_SIM" import "$WORK/metrics.csv" --db dynamodb://e2e_ > /dev/null

mkdir -p "$WORK/etc/clusters/c1"
cat > "$WORK/etc/clusterman.yaml" <<EOF
clusters:
  c1:
    aws_region: us-east-1
    mesos_master_fqdn: $FAKE
autoscaling:
  default_signal_role: clusterman
  setpoint: 0.7
  target_capacity_margin: 0.1
metrics:
  dynamodb: {table_prefix: e2e_}
EOF
LIMITS='  min_capacity: 1
  max_capacity: 40
  max_weight_to_remove: 4
  max_tasks_to_kill: 0'
SIGNAL='autoscale_signal:
  internal: true
  name: most_recent
  period_minutes: 10
  required_metrics:
    - {name: cpus_allocated, type: system_metrics, minute_range: 10}'
cat > "$WORK/etc/clusters/c1/default.mesos" <<EOF
resource_groups:
  - asg: {tag: 'puppet:role::paasta'}
scaling_limits:
$LIMITS
  max_weight_to_add: 4
$SIGNAL
EOF
L() { AWS_ENDPOINT_URL=$FAKE "$CMAN_LIVE" --config "$WORK/etc/clusterman.yaml" "$@"; }
export CMAN_LIVE_TEST_CLOCK=$T0 CMAN_LIVE_TEST_PERIOD_MS=0

echo "setup done after ${SECONDS}s"
# --- (a) a dry run changes nothing --------------------------------------------------
: > "$WORK/requests.log"
status=0
L autoscale --cluster c1 --pool default --cycles 3 --decisions "$WORK/dry.jsonl" 2> "$WORK/dry.err" || status=$?
check "dry run: exit 0" test "$status" = 0
[ "$status" = 0 ] || cat "$WORK/dry.err" >&2
check "dry run: one line per cycle" test "$(wc -l < "$WORK/dry.jsonl")" = 3
check "dry run: says so" grep -q "dry run (no --execute)" "$WORK/dry.err"
python3 - "$WORK/requests.log" "$WORK/dry.jsonl" <<'PY'
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
reads = ("Describe", "Get", "List")
ddb_reads = ("DescribeTable", "GetItem", "Query", "Scan", "BatchGetItem")
bad = []
for c in calls:
    if c.get("mesos") is not None or c["path"] == "/api/v1":
        bad.append(c)
    elif c.get("action") and not c["action"].startswith(reads):
        bad.append(c)
    elif c.get("target") and c["target"].split(".")[-1] not in ddb_reads:
        bad.append(c)
assert not bad, bad
acts = {c.get("action") for c in calls}
assert {"DescribeTags", "DescribeAutoScalingGroups", "DescribeInstances"} <= acts, acts
assert any(c.get("target", "") and c["target"].endswith("GetItem") for c in calls)
assert any(c["path"] == "/master/slaves" for c in calls)
# the decisions: 2 joined m5.large (2 cpus each), 14 cpus at setpoint 0.7:
# 2 x (14 / 4) / 0.7 = 10, at most +4 a cycle: 6 -- not applied, so every
# dry cycle starts again from 2
for line in open(sys.argv[2]):
    d = json.loads(line)
    assert d["dry_run"] is True and d["current_target"] == 2 and d["new_target"] == 6, d
    assert d["groups"]["asg-e2e"] == {"planned": 6, "applied": 2, "error": None,
                                      "error_kind": None}, d["groups"]
print("dry run: %d calls, none mutating" % len(calls))
PY
check "dry run: no mutating call, decisions as computed by hand" test $? = 0
check "dry run: the group is unchanged" test "$(desired)" = 2

echo "(a) done after ${SECONDS}s"
# --- (b) executed: the simulator's decisions -----------------------------------------
: > "$WORK/requests.log"
status=0
L autoscale --cluster c1 --pool default --execute --cycles 5 --decisions "$WORK/live.jsonl" \
	2> "$WORK/live.err" || status=$?
check "execute: exit 0" test "$status" = 0
[ "$status" = 0 ] || cat "$WORK/live.err" >&2
cat > "$WORK/sim.yaml" <<EOF
name: live-compare
cluster: c1
pool: default
start_time: 2023-11-14T22:00:00Z
end_time: 2023-11-14T22:50:00Z
seed: 1
metrics:
  - csv: $WORK/metrics.csv
simulation:
  step_seconds: 300
output: {reports: []}
pool_config:
  autoscaling: {setpoint: 0.7, target_capacity_margin: 0.1}
  scaling_limits: {min_capacity: 1, max_capacity: 40, max_weight_to_add: 4, max_weight_to_remove: 4,
                   max_tasks_to_kill: 0}
  autoscale_signal:
    name: most_recent
    period_minutes: 10
    required_metrics:
      - {name: cpus_allocated, type: system_metrics, minute_range: 10}
initial_target_capacity: 2
resource_groups:
  - auto_scaling_group:
      id: asg-e2e
      InstanceType: m5.large
      AvailabilityZones: [us-east-1a]
      MinSize: 0
      MaxSize: 100
EOF
"$CMAN_SIM" run "$WORK/sim.yaml" -q -o "$WORK/sim" 2> "$WORK/sim.err" || cat "$WORK/sim.err" >&2
python3 - "$WORK/live.jsonl" "$WORK/sim/decisions.jsonl" <<'PY'
import json, sys
live = [json.loads(l) for l in open(sys.argv[1])]
sim = [json.loads(l) for l in open(sys.argv[2])]
assert len(live) == 5, len(live)
assert len(sim) >= 5, len(sim)
for l, s in zip(live, sim):
    for k, v in s.items():
        assert l[k] == v, (l["time"], k, l[k], v)
    assert l["dry_run"] is False and l["shadow"] is False
    for g, r in l["groups"].items():
        assert r["error"] is None and r["applied"] == r["planned"], (g, r)
# by hand: 2 -> 6 -> 10 (+4 a cycle up to 2 x 3.5 / 0.7 = 10), then 26 cpus:
# 10 x (26 / 20) / 0.7 = 18.57..: +4 to 14, +4 to 18, then 18.57.. is
# within the margin (0.57 / 18 < 0.1): 18 kept
want = [6, 10, 14, 18, 18]
got = [l["new_target"] for l in live]
assert all(abs(a - b) < 1e-9 for a, b in zip(got, want)), (got, want)
print("live = sim over %d cycles: targets %s" % (len(live), got))
PY
check "execute: the decision records are the simulator's" test $? = 0
check "execute: the group's desired capacity is 18" test "$(desired)" = 18
check "execute: one SetDesiredCapacity per change (4)" \
	test "$(grep -c '"action": "SetDesiredCapacity"' "$WORK/requests.log")" = 4
check "execute: no termination" bash -c "! grep -q 'Terminate' '$WORK/requests.log'"

echo "(b) done after ${SECONDS}s"
# --- (c) shadow: recorded, never applied -----------------------------------------
mkdir -p "$WORK/cand/c1"
sed 's/max_weight_to_add: 4/max_weight_to_add: 2/' "$WORK/etc/clusters/c1/default.mesos" > "$WORK/cand/c1/default.mesos"
: > "$WORK/requests.log"
# the load goes to 40 cpus: production (max +4) and the candidate (+2) part ways
python3 - "$((T0 + 3000))" > "$WORK/more.csv" <<'PY'
import sys
t0 = int(sys.argv[1])
print("kind,key,timestamp,market,value")
for t in range(t0, t0 + 1800, 60):
    print('system_metrics,"cpus_allocated|cluster=c1,pool=default.mesos",%d,,40' % t)
PY
AWS_ENDPOINT_URL=$MOTO "$CMAN_SIM" import "$WORK/more.csv" --db dynamodb://e2e_ > /dev/null
status=0
CMAN_LIVE_TEST_CLOCK=$((T0 + 3000)) L autoscale --cluster c1 --pool default --execute --cycles 2 \
	--shadow "$WORK/cand/c1/default.mesos" --decisions "$WORK/shadow.jsonl" 2> "$WORK/shadow.err" || status=$?
check "shadow: exit 0" test "$status" = 0
[ "$status" = 0 ] || cat "$WORK/shadow.err" >&2
python3 - "$WORK/shadow.jsonl" "$WORK/requests.log" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 4, len(lines)
cand, prod = lines[0::2], lines[1::2]
assert all(c["shadow"] is True and c["dry_run"] is True and c["pool_file"].endswith("cand/c1/default.mesos") for c in cand)
assert all(p["shadow"] is False and p["dry_run"] is False for p in prod)
for c, p in zip(cand, prod):
    # same time, same signal answer, same starting point
    assert c["time"] == p["time"] and c["request"] == p["request"] and c["current_target"] == p["current_target"]
# 18 machines, 40 cpus: 18 x (40 / 36) / 0.7 = 28.57..: production +4 a
# cycle (22, 26), the candidate +2 from where production is (20, 24)
assert [p["new_target"] for p in prod] == [22, 26], [p["new_target"] for p in prod]
assert [c["new_target"] for c in cand] == [20, 24], [c["new_target"] for c in cand]
sets = [json.loads(l) for l in open(sys.argv[2])]
sets = [s for s in sets if s.get("action") == "SetDesiredCapacity"]
assert len(sets) == 2, sets
print("shadow: production", [p["new_target"] for p in prod], "candidate", [c["new_target"] for c in cand])
PY
check "shadow: both recorded, only production applied" test $? = 0
check "shadow: the group follows production" test "$(desired)" = 26
echo "(c) done after ${SECONDS}s"

# --- (d) promote -> check-config -> autoscale loads it -------------------------------
mkdir -p "$WORK/petc/clusters"
cp "$WORK/etc/clusterman.yaml" "$WORK/petc/clusterman.yaml"
status=0
"$CMAN_SIM" promote "$WORK/sim" --to "$WORK/petc/clusters" --cluster c1 --tag 'puppet:role::paasta' \
	> "$WORK/promote.out" 2>&1 || status=$?
check "promote: exit 0" test "$status" = 0
[ "$status" = 0 ] || cat "$WORK/promote.out" >&2
check "promote: wrote the pool file" test -f "$WORK/petc/clusters/c1/default.mesos"
status=0
"$CMAN_LIVE" check-config "$WORK/petc" > "$WORK/check.out" 2>&1 || status=$?
check "check-config accepts what promote wrote" test "$status" = 0
[ "$status" = 0 ] || cat "$WORK/check.out" >&2
T1=$((T0 + 3600))
status=0
CMAN_LIVE_TEST_CLOCK=$T1 AWS_ENDPOINT_URL=$FAKE "$CMAN_LIVE" --config "$WORK/petc/clusterman.yaml" \
	autoscale --cluster c1 --pool default --once --decisions "$WORK/promoted.jsonl" 2> "$WORK/promoted.err" ||
	status=$?
check "autoscale --once on the promoted file: exit 0" test "$status" = 0
[ "$status" = 0 ] || cat "$WORK/promoted.err" >&2
CMAN_LIVE_TEST_CLOCK=$T1 L autoscale --cluster c1 --pool default --once --decisions "$WORK/original.jsonl" \
	2> /dev/null || true
python3 - "$WORK/promoted.jsonl" "$WORK/original.jsonl" <<'PY'
import json, sys
p, o = (json.loads(open(f).read()) for f in sys.argv[1:3])
assert p["signal_source"] == "pool" and p["dry_run"] is True and not p.get("failed"), p
assert p["groups"]["asg-e2e"]["error"] is None, p
for k in ("time", "request", "current_target", "computed_target", "new_target", "clamps", "reason",
          "group_targets"):
    assert p[k] == o[k], (k, p[k], o[k])
print("promoted file decides as the original: %s -> %s" % (p["current_target"], p["new_target"]))
PY
check "the promoted file decides as the configuration it came from" test $? = 0
echo "(d) done after ${SECONDS}s"
finish
