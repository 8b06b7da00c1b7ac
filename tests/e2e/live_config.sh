#!/usr/bin/env bash
# clusterman-live check-config and info on a configuration in Clusterman's
# layout: a service file found by --config / $CLUSTERMAN_CONFIG / a folder,
# pool files <cluster>/<pool>.<scheduler> shaped as Clusterman writes them;
# every problem reported as FILE:LINE:COL with exit status 2.
source "$(dirname "$0")/lib/common.bash"
: "${CMAN_LIVE:?}"
L=$CMAN_LIVE
C="$WORK/etc"
mkdir -p "$C/clusters/norcal-prod" "$C/clusters/local-dev"

cat > "$C/clusterman.yaml" <<'EOF'
---
module_config:
  - namespace: clusterman_metrics
    file: /nail/srv/configs/clusterman_metrics.yaml
aws:
  endpoint_url: http://127.0.0.1:5000
  state_table: clusterman_cluster_state
clusters:
  norcal-prod:
    aws_region: us-west-2
    aws_account_number: '123456789012'
    mesos_master_fqdn: mesos-master.norcal-prod
  local-dev:
    aws_region: us-east-1
    mesos_master_fqdn: http://127.0.0.1:5051
batches:
  spot_prices: {run_interval_seconds: 60, dedupe_interval_seconds: 60}
  cluster_metrics: {run_interval_seconds: 60}
autoscaling:
  default_signal_role: clusterman
  setpoint: 0.7
  target_capacity_margin: 0.1
autoscale_signal:
  name: MostRecentResources
  branch_or_tag: v1.0
  period_minutes: 10
sensu_config:
  - team: noop
    page: false
metrics:
  sqlite: metrics.sqlite
EOF
cat > "$C/clusters/norcal-prod/default.mesos" <<'EOF'
---
resource_groups:
  - sfr:
      s3:
        bucket: clusterman-resource-groups
        prefix: norcal-prod
  - asg:
      tag: 'puppet:role::paasta'

scaling_limits:
  min_capacity: 10
  max_capacity: 60
  max_tasks_to_kill: 100
  max_weight_to_add: 10
  max_weight_to_remove: 10

autoscale_signal:
  namespace: clusterman
  name: MostRecentResources
  branch_or_tag: v1.0
  period_minutes: 10
  required_metrics:
    - name: cpus_allocated
      type: system_metrics
      minute_range: 10
  parameters:
    - window: 10

alert_on_max_capacity: false
EOF
cat > "$C/clusters/local-dev/batch.mesos" <<'EOF'
resource_groups: [{sfr: {tag: clusterman_pool}}]
scaling_limits: {min_capacity: 0, max_capacity: 400, max_weight_to_add: 80,
                 max_weight_to_remove: 40, max_tasks_to_kill: inf}
autoscaling: {setpoint: 0.8}
autoscale_signal:
  name: percentile
  internal: true
  period_minutes: 5
  parameters: [{p: 90}]
  required_metrics: [{name: cpus_allocated, type: system_metrics, minute_range: 30}]
EOF
touch "$C/metrics.sqlite"

# --- valid configuration: every way of naming the service file ------------
out=$("$L" --config "$C/clusterman.yaml" check-config 2> "$WORK/err")
check "check-config ok" test "$out" = "$C/clusterman.yaml: 2 clusters, 2 pool files: ok"
check "no warnings" test ! -s "$WORK/err"
check "--config after the command" "$L" check-config --config "$C/clusterman.yaml"
check "a folder" "$L" check-config "$C"
check "\$CLUSTERMAN_CONFIG" env CLUSTERMAN_CONFIG="$C/clusterman.yaml" "$L" check-config
# /etc/clusterman/clusterman.yaml is the last resort: absent here, exit 2 naming it
if [ ! -e /etc/clusterman/clusterman.yaml ]; then
	set +e; env -u CLUSTERMAN_CONFIG "$L" check-config 2> "$WORK/err"; rc=$?; set -e
	check "default path: exit 2" test "$rc" = 2
	check "default path named" grep -q "/etc/clusterman/clusterman.yaml: cannot open" "$WORK/err"
fi

"$L" --config "$C/clusterman.yaml" info > "$WORK/info.txt"
check "info: cluster line" grep -qx "cluster norcal-prod: region us-west-2, mesos master http://mesos-master.norcal-prod:5050" "$WORK/info.txt"
check "info: port and scheme kept" grep -qx "cluster local-dev: region us-east-1, mesos master http://127.0.0.1:5051" "$WORK/info.txt"
check "info: limits" grep -qx "    capacity 0 to 400, add at most 80, remove at most 40, tasks to kill inf" "$WORK/info.txt"
check "info: service setpoint default" grep -qx "    setpoint 0.7, margin 0.1" "$WORK/info.txt"
check "info: S3 discovery" grep -qx "    group sfr: s3://clusterman-resource-groups/norcal-prod" "$WORK/info.txt"
check "info: built-in signal" grep -qx "    signal percentile (built-in), every 5 min" "$WORK/info.txt"
"$L" --config "$C/clusterman.yaml" info --json > "$WORK/info.json"
python3 - "$WORK/info.json" "$C" <<'PY' && pass || fail "info --json"
import json, sys
d = json.load(open(sys.argv[1])); c = sys.argv[2]
assert d["metrics_store"] == c + "/metrics.sqlite", d["metrics_store"]
names = [x["name"] for x in d["clusters"]]
assert names == ["norcal-prod", "local-dev"], names
p = d["clusters"][0]["pools"][0]
assert p["pool"] == "default" and p["scheduler"] == "mesos"
assert p["max_tasks_to_kill"] == 100 and p["min_capacity"] == 10 and p["max_capacity"] == 60
assert p["signal"] == {"name": "MostRecentResources", "external": True,
                       "namespace": "clusterman", "period_minutes": 10}, p["signal"]
assert [g["kind"] for g in p["resource_groups"]] == ["sfr", "asg"]
q = d["clusters"][1]["pools"][0]
assert q["max_tasks_to_kill"] == "inf" and q["setpoint"] == 0.8
PY
"$L" --config "$C/clusterman.yaml" info --cluster local-dev > "$WORK/one.txt"
check "info --cluster: only that cluster" test "$(grep -c '^cluster ' "$WORK/one.txt")" = 1
set +e; "$L" --config "$C/clusterman.yaml" info --cluster nope 2> "$WORK/err" > /dev/null; rc=$?; set -e
check "info --cluster unknown: exit 2" test "$rc" = 2

# --- bad pool files: each reported with its position, exit 2 --------------
cp "$C/clusters/local-dev/batch.mesos" "$WORK/batch.good"
sed -i 's/setpoint: 0.8/setpoint: 1.8/' "$C/clusters/local-dev/batch.mesos"
printf 'resource_groups: [{sfr: {tag: t}}]\nscaling_limits: {min_capacity: 0}\n' \
	> "$C/clusters/norcal-prod/other.mesos"
set +e; "$L" check-config "$C" > /dev/null 2> "$WORK/err"; rc=$?; set -e
check "bad pool files: exit 2" test "$rc" = 2
check "bad setpoint at its position" grep -qF "$C/clusters/local-dev/batch.mesos:4:25: autoscaling.setpoint: 1.8 is out of range, expected a number in (0, 1]" "$WORK/err"
check "missing limit named" grep -qF "$C/clusters/norcal-prod/other.mesos:2:17: scaling_limits: missing required key 'max_capacity'" "$WORK/err"
check "both files reported" test "$(grep -c ': 2 of 3 pool files' "$WORK/err")" = 1
rm "$C/clusters/norcal-prod/other.mesos"
cp "$WORK/batch.good" "$C/clusters/local-dev/batch.mesos"

# an unknown built-in signal (internal: true) is refused at the signal's position
sed -i 's/name: percentile/name: percentil/' "$C/clusters/local-dev/batch.mesos"
set +e; "$L" check-config "$C" > /dev/null 2> "$WORK/err"; rc=$?; set -e
check "unknown built-in: exit 2" test "$rc" = 2
check "unknown built-in named" grep -qF "$C/clusters/local-dev/batch.mesos:6:9: autoscale_signal.name: unknown signal 'percentil'" "$WORK/err"
check "unknown built-in: what was expected" grep -q "unknown signal 'percentil'" "$WORK/err"
cp "$WORK/batch.good" "$C/clusters/local-dev/batch.mesos"

# scale_in_protection (our key, per asg entry): refuse or protect, else exit 2 at its position
sed -i 's/{sfr: {tag: clusterman_pool}}/{asg: {tag: clusterman_pool, scale_in_protection: protect}}/' \
	"$C/clusters/local-dev/batch.mesos"
check "scale_in_protection: protect accepted" "$L" check-config "$C"
sed -i 's/scale_in_protection: protect/scale_in_protection: always/' "$C/clusters/local-dev/batch.mesos"
set +e; "$L" check-config "$C" > /dev/null 2> "$WORK/err"; rc=$?; set -e
check "bad scale_in_protection: exit 2" test "$rc" = 2
check "bad scale_in_protection at its position" grep -qF "$C/clusters/local-dev/batch.mesos:1:69: resource_groups[0].asg.scale_in_protection: unknown policy 'always', expected refuse" "$WORK/err"
cp "$WORK/batch.good" "$C/clusters/local-dev/batch.mesos"

# warnings: pool files of an unknown cluster, a missing store
mkdir "$C/clusters/elsewhere"
rm "$C/metrics.sqlite"
"$L" check-config "$C" > /dev/null 2> "$WORK/err"
check "unknown cluster folder: warning" grep -qF "warning: $C/clusters/elsewhere: pool files of a cluster the service file does not name" "$WORK/err"
check "missing store: warning" grep -qF "warning: $C/metrics.sqlite: the SQLite metrics store does not exist yet" "$WORK/err"
touch "$C/clusters/local-dev/other.yaml"
"$L" check-config "$C" > /dev/null 2> "$WORK/err"
check "a <pool>.yaml file: warning" grep -qF "warning: $C/clusters/local-dev/other.yaml: not a pool file (<pool>.mesos or <pool>.kubernetes); not read" "$WORK/err"
rm "$C/clusters/local-dev/other.yaml"

# --- bad service file ------------------------------------------------------
sed 's/mesos_master_fqdn: mesos-master.norcal-prod/mesos_master_fqdn: "mesos:0"/' \
	"$C/clusterman.yaml" > "$WORK/bad.yaml"
set +e; "$L" --config "$WORK/bad.yaml" check-config 2> "$WORK/err"; rc=$?; set -e
check "bad service file: exit 2" test "$rc" = 2
check "bad port at its position" grep -qF "$WORK/bad.yaml:12:24: clusters.norcal-prod.mesos_master_fqdn: bad port in 'mesos:0'" "$WORK/err"

# --- usage -----------------------------------------------------------------
check "--help" "$L" --help
"$L" --help | grep -q "check-config" && pass || fail "--help lists check-config"
check "check-config --help" "$L" check-config --help
check "info --help" "$L" info --help
check "--version" test "$("$L" --version)" = "clusterman-live ${CMAN_VERSION:-$("$L" --version | cut -d' ' -f2)}"
set +e
"$L" frobnicate 2> /dev/null; rc1=$?
"$L" info --bogus 2> /dev/null; rc2=$?
"$L" 2> /dev/null; rc3=$?
set -e
check "unknown command: exit 2" test "$rc1" = 2
check "unknown option: exit 2" test "$rc2" = 2
check "no command: exit 2" test "$rc3" = 2
finish
