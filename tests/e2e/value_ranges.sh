#!/usr/bin/env bash
# Issue 9.6: extreme values that used to reach undefined behaviour or
# unbounded work (capacity 1e308 or 2^63-1, spot price 1e308, times and
# windows near the int64 limits, step_seconds of int64 max) are input
# errors naming their place: exit 2, one message, nothing written.
source "$(dirname "$0")/lib/common.bash"
K='cluster=test,pool=default.mesos'
SP='spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=m5.large'

# csv LINES...: $WORK/m.csv with a header, the lines, and a load
csv() {
	{
		echo "kind,key,timestamp,market,value"
		printf '%s\n' "$@"
		echo "system_metrics,\"cpus_allocated|$K\",2017-12-01T00:00:00Z,,1"
	} > "$WORK/m.csv"
}
# scenario [EXTRA-YAML] [START] [END]
scenario() {
	cat > "$WORK/s.yaml" <<EOS
name: ranges
cluster: test
pool: default
start_time: ${2:-2017-12-01T00:00:00Z}
end_time: ${3:-2017-12-01T02:00:00Z}
metrics:
  - csv: $WORK/m.csv
${1:-}
EOS
}
expect_error() {  # NAME PATTERN
	local name=$1 pattern=$2 status=0
	rm -rf "$WORK/out"
	timeout 120 "$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/out" 2> "$WORK/err" || status=$?
	if [ "$status" -ne 2 ]; then fail "$name: exit status $status, expected 2"; cat "$WORK/err" >&2; return; fi
	if [ "$(wc -l < "$WORK/err")" -ne 1 ]; then fail "$name: expected one message"; cat "$WORK/err" >&2; return; fi
	if ! grep -Eq -- "$pattern" "$WORK/err"; then fail "$name: message does not match /$pattern/"; cat "$WORK/err" >&2; return; fi
	if [ -e "$WORK/out/summary.json" ]; then fail "$name: summary.json left behind"; return; fi
	pass
}
cap() { echo "metadata,\"fulfilled_capacity|$K\",2017-12-01T00:00:00Z,\"<m5.large, us-west-2a>\",$1"; }

# --- recorded values ---------------------------------------------------------
# m5.large: 2 vCPUs, weight 2; 2000002 -> 1000001 instances, one too many
for v in 1e308 9223372036854775807 2000002; do
	csv "$(cap $v)"; scenario
	expect_error "capacity $v" "m\.csv: metadata key 'fulfilled_capacity\|$K' at 2017-12-01T00:00:00Z: market <m5\.large, us-west-2a>: capacity .* instances, expected at most 1000000 per market"
done
csv "$(cap 2)" "metadata,\"$SP\",2017-12-01T00:00:00Z,,1e308"; scenario
expect_error "spot price 1e308" "metadata key '$SP' at 2017-12-01T00:00:00Z: expected a price from 0 to 10000"
csv "$(cap 2)" "system_metrics,\"cpus_allocated|$K\",2017-12-01T00:10:00Z,,1e300"; scenario
expect_error "allocation 1e300" "cpus_allocated.* at 2017-12-01T00:10:00Z: expected a number from 0 to 1e\+15"

# --- times ---------------------------------------------------------------------
csv "$(echo "$(cap 2)" | sed 's/2017-12-01T00:00:00Z/9223372036854775807/')"; scenario
expect_error "sample time int64 max" "m\.csv:2:[0-9]+:.*9223372036854775807"
csv "$(echo "$(cap 2)" | sed 's/2017-12-01T00:00:00Z/253402300800/')"; scenario
expect_error "sample time after 9999" "m\.csv:2:[0-9]+:.*253402300800"
csv "$(echo "$(cap 2)" | sed 's/2017-12-01T00:00:00Z/-1/')"; scenario
expect_error "sample time before 1970" "m\.csv:2:[0-9]+:.*-1"
csv "$(cap 2)"
scenario "" -9223372036854775808
expect_error "start_time int64 min" "s\.yaml:4:[0-9]+: start_time: .*1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
scenario "" 2017-12-01T00:00:00Z 10000-01-01T00:00:00Z
expect_error "end_time in year 10000" "s\.yaml:5:[0-9]+: end_time"
echo '{"system_metrics": {"cpus_allocated|'"$K"'": [[9223372036854775807, 1]]}}' | gzip > "$WORK/t.json.gz"
cat > "$WORK/s.yaml" <<EOS
name: ranges
cluster: test
pool: default
start_time: 2017-12-01T00:00:00Z
end_time: 2017-12-01T02:00:00Z
metrics:
  - clusterman_json: $WORK/t.json.gz
EOS
expect_error "JSON timestamp int64 max" "t\.json\.gz.*timestamp 9223372036854775807 out of range"

# --- settings ------------------------------------------------------------------
csv "$(cap 2)"
scenario "simulation: {step_seconds: 9223372036854775807}"
expect_error "step_seconds int64 max" "s\.yaml:8:[0-9]+: simulation\.step_seconds: .*from 1 to 31622400"
# issue 9.6: the staleness and starvation durations have upper bounds too
for kv in "coverage: {stale_after_seconds: 9223372036854775807}" \
	  "coverage: {price_stale_after_seconds: 31622401}" \
	  "starvation: {after_seconds: 31622401}"; do
	scenario "simulation: {$kv}"
	key=${kv%%:*}.$(echo "${kv#*\{}" | cut -d: -f1)
	expect_error "$key upper bound" "s\.yaml:8:[0-9]+: simulation\.$key: [0-9]+ is out of range, expected an integer from 1 to 31622400 \(seconds: 366 days\)"
done
# the limits themselves are accepted
scenario "simulation: {coverage: {stale_after_seconds: 31622400, price_stale_after_seconds: 31622400}, starvation: {after_seconds: 31622400}}"
status=0
"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/lim" 2> "$WORK/err" || status=$?
check "durations of 366 days run (status $status)" test "$status" -eq 0
scenario "simulation: {join_delay: {mean_seconds: 1e308}}"
expect_error "join delay 1e308" "simulation\.join_delay\.mean_seconds: .*out of range"

AS="pool_config:
  autoscaling: {setpoint: 0.5}
  scaling_limits: {min_capacity: 0, max_capacity: MAXCAP}
  autoscale_signal:
    name: most_recent
    period_minutes: PERIOD
    required_metrics: [{name: cpus_allocated, type: system_metrics, minute_range: RANGE}]
initial_target_capacity: INIT
resource_groups:
  - spot_fleet:
      LaunchSpecifications:
        - {InstanceType: m5.large, Placement: {AvailabilityZone: us-west-2a}, SpotPrice: BID, WeightedCapacity: WEIGHT}"
as() {  # KEY=VALUE... over the defaults
	local y=$AS k v
	declare -A d=([MAXCAP]=100 [PERIOD]=10 [RANGE]=10 [INIT]=4 [BID]=0.1 [WEIGHT]=2)
	for kv in "$@"; do d[${kv%%=*}]=${kv#*=}; done
	for k in "${!d[@]}"; do y=${y//$k/${d[$k]}}; done
	scenario "$y"
}
# a spot fleet needs a recorded spot price for its market
csv "$(cap 2)" "metadata,\"$SP\",2017-12-01T00:00:00Z,,0.05"
as; status=0
"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/as" 2> "$WORK/err" || status=$?
check "the autoscaler scenario itself runs (status $status)" test "$status" -eq 0
[ "$status" -eq 0 ] || cat "$WORK/err" >&2
as INIT=1e308
expect_error "initial_target_capacity 1e308" "initial_target_capacity: .*out of range, expected a number >= 0 and <= 1e9"
as MAXCAP=1e308
expect_error "max_capacity 1e308" "scaling_limits\.max_capacity: .*from 0 to 1e9 \(or inf\)"
as RANGE=9223372036854775807
expect_error "minute_range int64 max" "minute_range: 9223372036854775807 is out of range"
as PERIOD=9223372036854775807
expect_error "period_minutes int64 max" "period_minutes: 9223372036854775807 is out of range"
as BID=1e308
expect_error "SpotPrice 1e308" "SpotPrice: .*out of range"
as WEIGHT=1e-300
expect_error "WeightedCapacity 1e-300" "WeightedCapacity: .*out of range"
# max_capacity inf is still "no limit"; a recorded target_capacity of 1e308
# (the initial target when none is given) is refused by the group
as MAXCAP=inf INIT=4; status=0
"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/inf" 2> "$WORK/err" || status=$?
check "max_capacity inf runs (status $status)" test "$status" -eq 0
csv "$(cap 2)" "metadata,\"$SP\",2017-12-01T00:00:00Z,,0.05" "metadata,\"target_capacity|$K\",2017-12-01T00:00:00Z,,1e308"
as; sed -i '/^initial_target_capacity/d' "$WORK/s.yaml"
expect_error "recorded target_capacity 1e308" "resource group '[^']*': target capacity 1e\+308 is out of range"
finish
