#!/usr/bin/env bash
# The SPEC's worked example through the command line, both billing modes,
# and the cost columns agreeing with the total.
source "$(dirname "$0")/lib/common.bash"

"$CMAN_SIM" run "$DATA/worked_example.yaml" -q -o "$WORK/ps"
check "per-second total is 3.50" near "$(json_get "$WORK/ps/summary.json" total_cost)" 3.5 1e-9
check "per-second timeseries sums to the total" near "$(csv_sum "$WORK/ps/timeseries.csv" cost)" 3.5 1e-9
check "per-second instance cost" near "$(csv_sum "$WORK/ps/instances.csv" cost)" 3.5 1e-9
# one instance of 2 vCPUs, 1 allocated: half the cost is unused
check "unused cost is half" near "$(json_get "$WORK/ps/summary.json" unused_cpus_cost)" 1.75 1e-9
check "12 rows of 600 s" test "$(wc -l < "$WORK/ps/timeseries.csv")" -eq 13

"$CMAN_SIM" run "$DATA/worked_example.yaml" -q -o "$WORK/ph" --set simulation.billing=per-hour
check "per-hour total is 3.00" near "$(json_get "$WORK/ph/summary.json" total_cost)" 3.0 1e-9
check "per-hour timeseries sums to the total" near "$(csv_sum "$WORK/ph/timeseries.csv" cost)" 3.0 1e-9

# a discount multiplies the recorded prices
"$CMAN_SIM" run "$DATA/worked_example.yaml" -q -o "$WORK/disc" --set simulation.discount=0.5
check "discounted total" near "$(json_get "$WORK/disc/summary.json" total_cost)" 1.75 1e-9
finish
