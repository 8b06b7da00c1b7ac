#!/usr/bin/env bash
# Issue 8.1: a resource group's market must exist (an instance type of the
# catalog, an availability zone AWS lists for the region) and, for a spot
# fleet, have recorded prices: otherwise exit 2 with FILE:LINE:COL, instead
# of a run that costs a silent $0 with 0 instances.
source "$(dirname "$0")/lib/common.bash"

cp "$DATA/replenish.csv" "$WORK/"
# scenario TYPE AZ: the replenish scenario with one launch specification
scenario() {
	sed -e "s/InstanceType: m5.large, Placement: {AvailabilityZone: us-east-1b}/InstanceType: $1, Placement: {AvailabilityZone: $2}/" \
		"$DATA/replenish.yaml" > "$WORK/s.yaml"
}
# expect_error NAME PATTERN ZONE-OR-TYPE: exit 2, one line naming
# s.yaml:LINE:COL of the value (found here with grep), no summary.json
expect_error() {
	local name=$1 pattern=$2 value=$3 status=0 line col
	line=$(grep -n -- "$value" "$WORK/s.yaml" | head -1 | cut -d: -f1)
	col=$(sed -n "${line}p" "$WORK/s.yaml" | awk -v v="$value" '{print index($0, v)}')
	rm -rf "$WORK/out"
	"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/out" 2> "$WORK/err" || status=$?
	if [ "$status" -ne 2 ]; then fail "$name: exit status $status, expected 2"; cat "$WORK/err" >&2; return; fi
	if [ "$(wc -l < "$WORK/err")" -ne 1 ]; then fail "$name: expected one message"; cat "$WORK/err" >&2; return; fi
	if ! grep -q -- "s.yaml:$line:$col: " "$WORK/err"; then fail "$name: no s.yaml:$line:$col"; cat "$WORK/err" >&2; return; fi
	if ! grep -Eq -- "$pattern" "$WORK/err"; then fail "$name: message does not match /$pattern/"; cat "$WORK/err" >&2; return; fi
	if [ -e "$WORK/out/summary.json" ]; then fail "$name: summary.json left behind"; return; fi
	pass
}

scenario m5.large us-east-1z
expect_error "zone letter the region does not have" "'us-east-1z' is not an availability zone of us-east-1, expected us-east-1a to us-east-1f" us-east-1z
scenario m5.large us-west-2e
expect_error "us-west-2 has zones a-d" "not an availability zone of us-west-2" us-west-2e
scenario m5.large us-east-9b
expect_error "unknown region" "unknown availability zone 'us-east-9b'" us-east-9b
scenario m5.huge us-east-1b
expect_error "unknown instance type" "unknown instance type 'm5.huge'" m5.huge
# a real zone of the data's region, but no price was ever recorded there
scenario m5.large us-east-1d
expect_error "spot market without any recorded price" "spot market <m5.large, us-east-1d> of resource group fleet has no recorded spot price" us-east-1d
# an auto scaling group's zones are checked too
cat > "$WORK/s.yaml" <<'EOS'
name: asg
cluster: test
pool: default
start_time: 2017-12-01T00:00:00Z
end_time: 2017-12-01T01:00:00Z
metrics:
  - csv: replenish.csv
pool_config:
  scaling_limits: {min_capacity: 0, max_capacity: 10}
initial_target_capacity: 2
resource_groups:
  - auto_scaling_group:
      InstanceType: m5.large
      AvailabilityZones: [us-east-1a, eu-west-1q]
      MaxSize: 10
EOS
expect_error "auto scaling group zone" "AvailabilityZones\[1\]: 'eu-west-1q' is not an availability zone of eu-west-1" eu-west-1q
# and the same group with real zones runs (on-demand needs no spot price)
sed -i 's/eu-west-1q/us-east-1f/' "$WORK/s.yaml"
check "auto scaling group in real zones runs" "$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/ok"
finish
