#!/usr/bin/env bash
# simulation.billing: aws -- spot instances interrupted by EC2 within their
# first hour are free; an hourly-billed type pays whole hours.
source "$(dirname "$0")/lib/common.bash"
sed -e 's/interrupt.csv/interrupt_early.csv/' "$DATA/interrupt.yaml" > "$WORK/s.yaml"
cp "$DATA/interrupt_early.csv" "$WORK/"
b_cost() { csv_sum "$1" cost availability_zone=us-west-2b; }
"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/ps" --set simulation.billing=per-second
"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/aws" --set simulation.billing=aws
check "per-second: the interrupted instances pay" awk_true "$(b_cost "$WORK/ps/instances.csv") > 0.01"
check "aws: interrupted in their first hour, they are free" near "$(b_cost "$WORK/aws/instances.csv")" 0 1e-12
check "aws: instance costs sum to the total" near "$(csv_sum "$WORK/aws/instances.csv" cost)" "$(json_get "$WORK/aws/summary.json" total_cost)" 1e-9
check "aws: timeseries sums to the total" near "$(csv_sum "$WORK/aws/timeseries.csv" cost)" "$(json_get "$WORK/aws/summary.json" total_cost)" 1e-9
check "summary names the mode" test "$(json_get "$WORK/aws/summary.json" billing)" = aws
"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/hr" --set simulation.billing=aws --set 'simulation.hourly_instance_types=[m5.large]'
# hourly at $0.04: us-west-2a's first 5 pay 3 hours; the 5 launched at 00:32
# to refill pay hours from 00:32, the last one counted up to the end (2h28m);
# us-west-2b's 5, interrupted in their first hour, are free
check "aws: hourly type pays whole hours" near "$(json_get "$WORK/hr/summary.json" total_cost)" "$(awk 'BEGIN { printf "%.17g", 5 * 3 * 0.04 + 5 * (2 + 28 / 60) * 0.04 }')" 1e-9
finish
