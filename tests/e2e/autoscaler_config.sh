#!/usr/bin/env bash
# Bad autoscaler configuration: exit 2 with one message naming the key, and
# nothing written.
source "$(dirname "$0")/lib/common.bash"
S="$DATA/interrupt.yaml"

expect_bad() {  # NAME PATTERN --set...
	local name=$1 pattern=$2 status=0
	shift 2
	rm -rf "$WORK/out"
	"$CMAN_SIM" run "$S" -q -o "$WORK/out" "$@" 2> "$WORK/err" || status=$?
	if [ "$status" -ne 2 ]; then fail "$name: exit $status"; cat "$WORK/err" >&2; return; fi
	if [ "$(wc -l < "$WORK/err")" -ne 1 ]; then fail "$name: expected one message"; cat "$WORK/err" >&2; return; fi
	if ! grep -Eq -- "$pattern" "$WORK/err"; then fail "$name: /$pattern/"; cat "$WORK/err" >&2; return; fi
	if [ -e "$WORK/out/summary.json" ]; then fail "$name: summary.json written"; return; fi
	pass
}
expect_bad "setpoint above 1" "setpoint" --set pool_config.autoscaling.setpoint=1.5
expect_bad "setpoint 0" "setpoint" --set pool_config.autoscaling.setpoint=0
expect_bad "negative margin" "target_capacity_margin" --set pool_config.autoscaling.target_capacity_margin=-0.1
expect_bad "period 0" "period_minutes" --set pool_config.autoscale_signal.period_minutes=0
expect_bad "min > max" "min_capacity|max_capacity" --set pool_config.scaling_limits.min_capacity=200
expect_bad "unknown strategy" "AllocationStrategy" --set 'resource_groups=[{spot_fleet: {AllocationStrategy: cheapest, LaunchSpecifications: [{InstanceType: m5.large, Placement: {AvailabilityZone: us-west-2a}, SpotPrice: 0.1}]}}]'
expect_bad "unknown signal" "autoscale_signal.name.*unknown signal 'magic'" --set pool_config.autoscale_signal.name=magic
expect_bad "percentile without p" "autoscale_signal" --set pool_config.autoscale_signal.name=percentile
expect_bad "no resource groups" "resource_groups" --set 'resource_groups=[]'
expect_bad "unknown instance type in a fleet" "m9\\.huge" --set 'resource_groups=[{spot_fleet: {LaunchSpecifications: [{InstanceType: m9.huge, Placement: {AvailabilityZone: us-west-2a}, SpotPrice: 0.1}]}}]'
finish
