#!/usr/bin/env bash
# The quickstart end to end: files, headers, rows, and the numbers agreeing
# with each other.
source "$(dirname "$0")/lib/common.bash"
Q="$CMAN_SRC/scenarios/quickstart.yaml"

"$CMAN_SIM" run "$Q" -o "$WORK/q" > "$WORK/stdout" 2> "$WORK/stderr"
S="$WORK/q/summary.json"
check "summary.json written" test -s "$S"
for k in name start_time end_time seed total_cost unused_cpus_cost mean_cpus \
	 mean_cpus_allocated oversubscribed_cpu_hours instances_launched \
	 instances_terminated autoscaler_runs events_processed wall_seconds warnings; do
	check "summary has $k" json_has "$S" "$k"
done
# INTERFACE.md's columns first, then every other resource's (issue 8.3)
check "timeseries header" test "$(head -1 "$WORK/q/timeseries.csv")" = "time,cpus,cpus_allocated,unused_cpus,cost,unused_cpus_cost,cost_per_cpu,oversubscribed,target_capacity,fulfilled_capacity,mem,mem_allocated,unused_mem,unused_mem_cost,oversubscribed_mem,disk,disk_allocated,unused_disk,unused_disk_cost,oversubscribed_disk,gpus,gpus_allocated,unused_gpus,unused_gpus_cost,oversubscribed_gpus,binding_resource"
check "instances header" test "$(head -1 "$WORK/q/instances.csv")" = "id,group,market,instance_type,availability_zone,spot,bid_price,start_time,join_time,end_time,cost"
check "one row per 300 s over a week" test "$(($(wc -l < "$WORK/q/timeseries.csv") - 1))" -eq $((7 * 86400 / 300))
check "first row at start_time" test "$(sed -n 2p "$WORK/q/timeseries.csv" | cut -d, -f1)" = 1456790400
total=$(json_get "$S" total_cost)
check "total cost is substantial" awk_true "1000 < $total && $total < 100000"
check "timeseries cost sums to total" near "$(csv_sum "$WORK/q/timeseries.csv" cost)" "$total" 1e-9
check "instance costs sum to total" near "$(csv_sum "$WORK/q/instances.csv" cost)" "$total" 1e-9
check "market costs (markets.csv) sum to total" near "$(csv_sum "$WORK/q/markets.csv" cost)" "$total" 1e-9
check "markets.csv: 3 markets x 168 hours" test "$(($(wc -l < "$WORK/q/markets.csv") - 1))" -eq $((3 * 168))
check "unused cost sums to summary" near "$(csv_sum "$WORK/q/timeseries.csv" unused_cpus_cost)" "$(json_get "$S" unused_cpus_cost)" 1e-9
check "market costs sum to total" python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if abs(sum(s["cost_by_market"].values())-s["total_cost"])<1e-6 else 1)' "$S"
alloc=$(json_get "$S" mean_cpus_allocated)
check "mean allocated matches the recorded load" awk_true "300 < $alloc && $alloc < 1500"
check "one summary line on stdout" test "$(wc -l < "$WORK/stdout")" -eq 1
check "stdout names the total" grep -q 'total cost \$' "$WORK/stdout"
finish
