#!/usr/bin/env bash
# Issue 8.8, fidelity with Clusterman: the target is not off by one from
# floating-point rounding; the initial target is the earliest recorded
# sample in the first 5 minutes; min_node_scalein_uptime_seconds: -1
# (Clusterman's default) is accepted and means "off".
source "$(dirname "$0")/lib/common.bash"

T0=1512086400
# groups.csv target at the first step, and the instances still running at
# the end (end_time == the run's end)
first_target() { python3 -c 'import csv,sys; r=next(csv.DictReader(open(sys.argv[1]))); print(float(r["target_capacity"]))' "$1"; }
running_at_end() { python3 -c 'import csv,sys; print(sum(int(r["end_time"]) == int(sys.argv[2]) for r in csv.DictReader(open(sys.argv[1]))))' "$1" "$2"; }

# --- rounding -----------------------------------------------------------------
# 2080 joined units x (1264.2 CPUs / 2080 CPUs) / 0.7: in exact decimal
# arithmetic 1806, so the pool keeps 1806 machines of weight 1.
want=$(python3 -c 'from fractions import Fraction as F; import math; print(math.ceil(F(2080) * F("1264.2") / F(2080) / F("0.7")))')
"$CMAN_SIM" run "$DATA/rounding.yaml" -q -o "$WORK/round"
check "rounding: target $want" test "$(first_target "$WORK/round/groups.csv")" = "$want.0"
check "rounding: $want machines run to the end" test "$(running_at_end "$WORK/round/instances.csv" $((T0 + 3600)))" = "$want"
# a real excess still rounds up: 1264.2007 CPUs -> 1806.001 -> 1807
printf 'kind,key,timestamp,market,value\nsystem_metrics,"cpus_allocated|cluster=test,pool=default.mesos",2017-12-01T00:00:00Z,,1264.2007\n' > "$WORK/more.csv"
want=$(python3 -c 'from fractions import Fraction as F; import math; print(math.ceil(F(2080) * F("1264.2007") / F(2080) / F("0.7")))')
"$CMAN_SIM" run "$DATA/rounding.yaml" -q -o "$WORK/round2" --set "metrics=[{csv: $WORK/more.csv}]"
check "rounding: a real excess rounds up to $want" test "$(first_target "$WORK/round2/groups.csv")" = "$want.0"

# --- initial target -------------------------------------------------------------
# recorded: 100 at start-60, 80 at +120, 90 at +240, 70 at +360: the earliest
# sample in [start, start+300] is 80.
"$CMAN_SIM" run "$DATA/initial_target.yaml" -q -o "$WORK/init"
check "initial target: earliest sample of the first 5 minutes (80)" test "$(first_target "$WORK/init/groups.csv")" = 80.0
check "initial target: 80 machines" test "$(running_at_end "$WORK/init/instances.csv" $((T0 + 3600)))" = 80
# no sample in the first 5 minutes: the latest before the start (100)
grep -v -e '00:02:00Z' -e '00:04:00Z' "$DATA/initial_target.csv" > "$WORK/late.csv"
"$CMAN_SIM" run "$DATA/initial_target.yaml" -q -o "$WORK/init2" --set "metrics=[{csv: $WORK/late.csv}]"
check "initial target: else the latest before the start (100)" test "$(first_target "$WORK/init2/groups.csv")" = 100.0
# a sample exactly at start+300 is still in the window
sed 's/00:02:00Z,,80/00:05:00Z,,80/; /00:04:00Z/d' "$DATA/initial_target.csv" > "$WORK/edge.csv"
"$CMAN_SIM" run "$DATA/initial_target.yaml" -q -o "$WORK/init3" --set "metrics=[{csv: $WORK/edge.csv}]"
check "initial target: the window includes start+300" test "$(first_target "$WORK/init3/groups.csv")" = 80.0

# --- min_node_scalein_uptime_seconds: -1 -------------------------------------------
# -1 means off: every machine counts as old enough, exactly like 0 (every
# machine's uptime is >= 0), so the runs must be identical.
status=0
"$CMAN_SIM" run "$CMAN_SRC/scenarios/autoscaler.yaml" -q -o "$WORK/m1" \
	--set pool_config.scaling_limits.min_node_scalein_uptime_seconds=-1 2> "$WORK/m1.err" || status=$?
check "min_node_scalein_uptime_seconds: -1 accepted" test "$status" = 0
"$CMAN_SIM" run "$CMAN_SRC/scenarios/autoscaler.yaml" -q -o "$WORK/m0" \
	--set pool_config.scaling_limits.min_node_scalein_uptime_seconds=0
check "-1 prunes exactly like 0 (off)" cmp "$WORK/m1/instances.csv" "$WORK/m0/instances.csv"
status=0
"$CMAN_SIM" run "$CMAN_SRC/scenarios/autoscaler.yaml" -q -o "$WORK/m2" \
	--set pool_config.scaling_limits.min_node_scalein_uptime_seconds=-2 2> "$WORK/m2.err" || status=$?
check "-2 rejected (exit 2)" test "$status" = 2
check "-2 rejected with the range" grep -q "expected an integer >= -1" "$WORK/m2.err"
finish
