#!/usr/bin/env bash
# A one-year run at one-minute steps (525,600 rows): its reports render in
# under 2 s (not checked under the sanitizers) and report.html stays under
# 5 MB; the drawing keeps a one-minute spike.  The run directory is
# synthetic (written here), so this tests the reports alone.
# ctest-labels: slow
source "$(dirname "$0")/lib/common.bash"
D="$WORK/year"
mkdir -p "$D"
python3 - "$D" <<'PY'
import json, math, sys
d = sys.argv[1]
start, step, n = 1514764800, 60, 525600
total = unused = 0.0
with open(d + "/timeseries.csv", "w") as f:
    f.write("time,cpus,cpus_allocated,unused_cpus,cost,unused_cpus_cost,cost_per_cpu,"
            "oversubscribed,target_capacity,fulfilled_capacity\n")
    out = []
    for i in range(n):
        day = (i % 1440) / 1440.0
        cpus = 800 + 400 * math.sin(2 * math.pi * day) + (i * 7919 % 97)
        cpus = float(int(cpus))
        if i == 300000:
            cpus = 9999.0            # a one-minute spike the chart must keep
        alloc = float(int(cpus * 0.6))
        un = cpus - alloc
        cost = round(cpus * 0.02 / 60, 9)
        uc = round(cost * un / cpus, 9)
        total += cost
        unused += uc
        out.append("%d,%g,%g,%g,%.9g,%.9g,%.9g,0,,%g\n" % (start + i * step, cpus, alloc, un,
                   cost, uc, cost * 60 / cpus, cpus))
        if len(out) == 10000:
            f.write("".join(out)); out = []
    f.write("".join(out))
with open(d + "/markets.csv", "w") as f:
    f.write("time,market,instances,cost,spot_price\n")
    for k in range(n // 60):
        for m in ("a", "b", "c"):
            f.write('%d,"<c5.4xlarge, us-west-2%s>",%d,%.9g,0.3\n' % (start + k * 3600, m, 20 + k % 7, total / (n // 60) / 3))
json.dump({"name": "year", "cluster": "bench", "pool": "default", "scheduler": "mesos",
           "mode": "replay", "start_time": start, "end_time": start + n * step, "seed": 1,
           "billing": "per-second", "refund_outbid": True, "discount": 1.0, "step_seconds": step,
           "total_cost": total, "unused_cpus_cost": unused, "unused_cpus_cost_share": unused / total,
           "cost_per_cpu_hour": 0.02, "mean_cpus": 900.0, "peak_cpus": 9999.0,
           "mean_cpus_allocated": 540.0, "running_cpu_hours": total / 0.02,
           "oversubscribed_cpu_hours": 0.0, "instances_launched": 50000,
           "instances_terminated": 49900, "instances_running_at_end": 100, "autoscaler_runs": 0,
           "events_processed": 1400000, "cost_by_market": {}, "wall_seconds": 1.0,
           "warnings": []}, open(d + "/summary.json", "w"), indent=2)
PY
check "525,600 rows" test "$(wc -l < "$D/timeseries.csv")" -eq 525601
# CPU time (user + system) of the process: wall time varies with the
# machine's load when tests run in parallel
TIMEFORMAT='%R %U %S'
{ time "$CMAN_SIM" report "$D" 2> "$WORK/report.err"; } 2> "$WORK/time"
read -r wall user sys < "$WORK/time"
secs=$(python3 -c "print('%.3f' % ($user + $sys))")
size=$(stat -c %s "$D/report.html")
echo "one-year report: $secs s CPU ($wall s wall), report.html $size bytes"
if [ "${CMAN_SANITIZE:-0}" != 1 ] && [ "${CMAN_SANITIZE:-0}" != TRUE ]; then
	check "renders in under 2 s ($secs s CPU)" python3 -c "import sys; sys.exit(0 if $secs < 2 else 1)"
fi
check "report.html under 5 MB ($size bytes)" test "$size" -lt 5000000
check "365 days in daily.csv" test "$(($(wc -l < "$D/daily.csv") - 1))" -eq 365
check "daily.csv sums to the total" near "$(csv_sum "$D/daily.csv" cost)" "$(json_get "$D/summary.json" total_cost)" 1e-9
# the spike of one minute in a year reaches the top of the capacity chart:
# its y axis goes to 10k
check "spike kept: capacity axis to 10k" python3 -c '
import re, sys
html = open(sys.argv[1]).read()
fig = html[html.index("id=\"ts-capacity\""):]
fig = fig[:fig.index("</figure>")]
sys.exit(0 if ">10k</text>" in fig else 1)' "$D/report.html"
check "spike kept: in the hover data" grep -q '9999' "$D/report.html"
check "months on the time axis" grep -q '>Jan 2018<' "$D/report.html"
finish
